//! The service account and the CEIP choice given on the command line.

use anyhow::{bail, Result};

use crate::e2e::build::Build;
use crate::e2e::toolkit::Ctx;

/// The service account password scenario 9 passes.
const SERVICE_PASSWORD: &str = "E2e-Svc-Secret#2026";

pub fn service_account_ceip(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    // Wine has no domain: LookupAccountNameW resolves only the prefix's own account, so the
    // account is %COMPUTERNAME%\%USERNAME% (docs/target-machine.md); LogonUserW is a stub
    // that accepts any password, so the password check cannot fail here (see docs/e2e.md).
    let out = ctx.prefix.wine(ctx.sh, &["cmd", "/c", "echo %COMPUTERNAME%\\%USERNAME%"])?;
    let account = out.lines().map(str::trim).find(|l| l.contains('\\') && !l.contains('%')).map(str::to_string);
    let Some(account) = account else {
        bail!("cannot read the prefix's %COMPUTERNAME%\\%USERNAME% (got `{}`)", out.trim())
    };
    let run = ctx.install(
        Build::Current,
        &[("SERVICE_ACCOUNT", &account), ("SERVICE_PASSWORD", SERVICE_PASSWORD), ("CEIP_OPTIN", "0")],
        "service-account",
    )?;
    ctx.expect_code(&run, 0, "install with a service account");
    ctx.expect_installed(&[version], "install with a service account")?;
    ctx.expect_service(&account, "install with a service account")?;
    ctx.expect_log(&run, &format!("the service will run as {account}"), "CheckServiceAccount must name the account");
    ctx.expect_action_logged(
        &run,
        "GrantLogonAsService",
        &format!("SeServiceLogonRight to {account}"),
        "the logon right must be granted",
    );
    ctx.expect_ceip(false, "install with CEIP_OPTIN=0")?;
    Ok(())
}
