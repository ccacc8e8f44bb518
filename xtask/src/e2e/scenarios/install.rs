//! Install, upgrade, downgrade and uninstall: the product's own life cycle, without an
//! embedded-connector configuration.

use anyhow::{Context, Result};
use xshell::cmd;

use crate::e2e::build::{Build, MARKER, PREVIOUS_ONLY};
use crate::e2e::snapshot;
use crate::e2e::toolkit::{summarise, Ctx};
use crate::harness::wine::MsiRun;

/// A file the admin (or the running product) created beside the installed files: an upgrade
/// keeps it.
const ADMIN_SETTINGS: &str = "e2e-admin-settings.properties";

pub fn fresh_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    let run = ctx.install(Build::Current, &[], "install")?;
    ctx.expect_code(&run, 0, "install");
    ctx.expect_payload(Build::Current, "install")?;
    ctx.expect_installed(&[version], "install")?;
    ctx.expect_service("LocalSystem", "install")?;
    ctx.expect_ceip(true, "install (CEIP_OPTIN defaults to 1)")?;

    let run = ctx.uninstall(Build::Current, "uninstall")?;
    ctx.expect_code(&run, 0, "uninstall");
    let left: Vec<String> = snapshot::take(&ctx.product_dir())?
        .into_iter()
        .filter(|(p, h)| {
            let lower = p.to_lowercase();
            h != "<dir>" && !lower.ends_with(".log") && !lower.ends_with(".enc")
        })
        .map(|(p, _)| p)
        .collect();
    ctx.check(left.is_empty(), || format!("uninstall left files behind: {}", summarise(&left)));
    ctx.expect_installed(&[], "uninstall")?;
    let svc = ctx.service()?.is_some();
    ctx.check(!svc, || "uninstall left the service key behind".into());
    Ok(())
}

/// `[refs] ui = ""`: the MSI has no dialogs (read with msitools, an independent reader) and
/// still installs silently, with the payload, the service and its Add/Remove Programs entry,
/// and uninstalls. (That INSTALLFOLDER stays secure without the dialogs is checked on the MSI by
/// tests/tests/no_ui.rs: Wine does not drop insecure properties as Windows does.)
pub fn no_ui_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let msi = ctx.env.builds.msi(Build::CurrentNoUi)?.to_path_buf();
    let sh = xshell::Shell::new()?;
    let tables = cmd!(sh, "msiinfo tables {msi}").quiet().read().context("`msiinfo tables` (msitools)")?;
    for t in ["Dialog", "Control", "ControlEvent"] {
        let present = tables.lines().any(|l| l.trim() == t);
        // `msiinfo export` prints three header lines, then one line per row.
        let rows = if present { cmd!(sh, "msiinfo export {msi} {t}").quiet().read()?.lines().count() - 3 } else { 0 };
        ctx.check(rows == 0, || format!("the MSI built with ui = \"\" has {rows} {t} row(s)"));
    }
    let version = ctx.env.product.version_text();
    let run = ctx.install(Build::CurrentNoUi, &[], "install")?;
    ctx.expect_code(&run, 0, "install without dialogs");
    ctx.expect_payload(Build::CurrentNoUi, "install without dialogs")?;
    ctx.expect_installed(&[version], "install without dialogs")?;
    ctx.expect_service("LocalSystem", "install without dialogs")?;
    let run = ctx.uninstall(Build::CurrentNoUi, "uninstall")?;
    ctx.expect_code(&run, 0, "uninstall");
    ctx.expect_installed(&[], "uninstall")?;
    Ok(())
}

pub fn upgrade_plain(ctx: &mut Ctx<'_>) -> Result<()> {
    let (prev, cur) = (ctx.env.product.previous_version(), ctx.env.product.version_text());
    let run = ctx.install(Build::PreviousPlain, &[("CEIP_OPTIN", "0")], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_payload(Build::PreviousPlain, "install previous")?;
    ctx.expect_installed(&[prev], "install previous")?;
    ctx.expect_ceip(false, "install previous with CEIP_OPTIN=0")?;
    let settings = ctx.product_dir().join(ADMIN_SETTINGS);
    let content = b"# written after install by the admin; an upgrade keeps it\r\nproxy=http://proxy.example:3128\r\n";
    std::fs::write(&settings, content).context("writing the admin settings file")?;

    let run = ctx.install(Build::Current, &[], "upgrade")?;
    ctx.expect_code(&run, 0, "upgrade");
    ctx.expect_payload(Build::Current, "upgrade")?;
    ctx.expect_installed(&[cur], "upgrade")?;
    for gone in [PREVIOUS_ONLY, MARKER] {
        let still = ctx.product_dir().join(gone).exists();
        ctx.check(!still, || format!("upgrade: `{gone}` (only in the previous version) is still installed"));
    }
    let kept = std::fs::read(&settings).ok();
    ctx.check(kept.as_deref() == Some(&content[..]), || {
        format!("upgrade: {ADMIN_SETTINGS} was not kept byte-identical")
    });
    ctx.expect_service("LocalSystem", "upgrade")?;
    // No CEIP_OPTIN on the upgrade's command line: the previous decision stands.
    ctx.expect_ceip(false, "upgrade keeps the CEIP decision")?;
    Ok(())
}

pub fn downgrade(ctx: &mut Ctx<'_>) -> Result<()> {
    let next = ctx.env.product.next_version();
    let run = ctx.install(Build::Next, &[], "install-next")?;
    ctx.expect_code(&run, 0, "install next");
    ctx.expect_installed(std::slice::from_ref(&next), "install next")?;
    let before = snapshot::take(&ctx.product_dir())?;
    let run = ctx.install(Build::Current, &[], "downgrade")?;
    ctx.expect_code(&run, 1603, "downgrade");
    expect_downgrade_message(ctx, &run)?;
    let d = snapshot::diff(&before, &snapshot::take(&ctx.product_dir())?);
    ctx.check(d.is_empty(), || format!("downgrade: the installed files changed: {}", summarise(&d)));
    ctx.expect_installed(&[next], "downgrade")?;
    Ok(())
}

/// The refusal names a newer version. Windows writes the text of the error action (type 19,
/// WiX's `DowngradeErrorMessage`) into the verbose log; Wine 8 does not. So either the log has
/// the text, or the log shows that an error action whose text says so ran, with
/// `WIX_DOWNGRADE_DETECTED` set (the text itself read from the MSI's CustomAction table).
fn expect_downgrade_message(ctx: &mut Ctx<'_>, run: &MsiRun) -> Result<()> {
    let log = run.log_text();
    if log.to_lowercase().contains("newer version") {
        return Ok(());
    }
    let msi = ctx.env.builds.msi(Build::Current)?.to_path_buf();
    let sh = ctx.sh;
    let actions =
        cmd!(sh, "msiinfo export {msi} CustomAction").quiet().read().context("msiinfo export CustomAction")?;
    // Columns: Action, Type, Source, Target. Type 19 = error message (MSI SDK "Custom Action Type 19").
    let fired: Vec<(String, String)> = actions
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 4
                && c[1].parse::<u32>().is_ok_and(|t| t & 0x3F == 19)
                && c[3].to_lowercase().contains("newer version"))
            .then(|| (c[0].to_string(), c[3].to_string()))
        })
        .filter(|(a, _)| log.contains(&format!(": {a}.")))
        .collect();
    let detected = log.contains("WIX_DOWNGRADE_DETECTED = {");
    match fired.first() {
        Some((action, text)) if detected => {
            ctx.wine_exception(
                "wine-type19-not-logged",
                format!("the log lacks the type-19 error text; the action that ran, {action}, says: {text}"),
            );
        }
        _ => ctx.fail(format!(
            "downgrade: the log {} neither says `newer version` nor shows a type-19 action saying so running with WIX_DOWNGRADE_DETECTED set",
            ctx.kept(&run.log)
        )),
    }
    Ok(())
}
