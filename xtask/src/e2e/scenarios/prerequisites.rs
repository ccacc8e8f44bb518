//! Prerequisites: the launch-time check that lists what is missing, and
//! `INSTALL_PREREQUISITES=1`, which runs the bundled packages first (docs/target-machine.md).

use std::path::Path;

use anyhow::{bail, Result};

use crate::e2e::build::{self, Build};
use crate::e2e::snapshot;
use crate::e2e::toolkit::Ctx;
use crate::harness::prerequisites;

pub fn prereq_missing(ctx: &mut Ctx<'_>) -> Result<()> {
    // The default prerequisites are present (provide_prerequisites); the test module is not.
    let names = prerequisites::names(&prerequisites::of_file(&build::test_prerequisite_toml())?);
    if names.is_empty() {
        bail!("{} declares no [[prerequisite]]: nothing to prove", build::test_prerequisite_toml().display());
    }
    let run = ctx.install(Build::CurrentPrereq, &[], "prereq-missing")?;
    ctx.expect_code(&run, 1603, "install without a prerequisite");
    ctx.expect_log(&run, "missing prerequisites", "the log must say prerequisites are missing");
    for n in &names {
        ctx.expect_log(&run, n, "the log must list each missing prerequisite");
    }
    ctx.expect_installed(&[], "install without a prerequisite")?;
    let files = snapshot::take(&ctx.product_dir())?.len();
    ctx.check(files == 0, || format!("install without a prerequisite: {files} entries under PRODUCTDIR"));
    Ok(())
}

pub fn prereq_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    let run = ctx.install(Build::CurrentPrereq, &[("INSTALL_PREREQUISITES", "1")], "prereq-install")?;
    ctx.expect_code(&run, 0, "install with INSTALL_PREREQUISITES=1");
    for n in prerequisites::names(&prerequisites::of_file(&build::test_prerequisite_toml())?) {
        ctx.expect_log(&run, &format!("Installing prerequisite {n}"), "the log must say the package ran");
    }
    ctx.expect_installed(&[version], "install with INSTALL_PREREQUISITES=1")?;
    ctx.expect_payload(Build::CurrentPrereq, "install with INSTALL_PREREQUISITES=1")?;
    expect_present(ctx, &build::test_prerequisite_toml())?;
    Ok(())
}

/// After `INSTALL_PREREQUISITES=1`: every registry-detected prerequisite of `toml` is present.
fn expect_present(ctx: &mut Ctx<'_>, toml: &Path) -> Result<()> {
    let list = prerequisites::load(&prerequisites::of_file(toml)?);
    let reg = ctx.hklm()?;
    for (name, detect) in list {
        let Some(d) = detect else { continue };
        let found = reg.key(&d.key).and_then(|k| k.get(&d.value)).is_some();
        if !found {
            ctx.fail(format!(
                "INSTALL_PREREQUISITES=1: `{name}` is still missing (HKLM\\{}\\{} not set)",
                d.key, d.value
            ));
        }
    }
    Ok(())
}
