//! Prerequisites: the launch-time check that lists what is missing and names the setup program,
//! which installs them (docs/target-machine.md, docs/setup.md; its scenarios are in `bundle`).

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
    ctx.expect_log(&run, "-setup.exe", "the log must name the setup program that installs them");
    for n in &names {
        ctx.expect_log(&run, n, "the log must list each missing prerequisite");
    }
    ctx.expect_installed(&[], "install without a prerequisite")?;
    let files = snapshot::take(&ctx.product_dir())?.len();
    ctx.check(files == 0, || format!("install without a prerequisite: {files} entries under PRODUCTDIR"));
    Ok(())
}

/// After the setup program ran: every registry-detected prerequisite of `toml` is present.
pub(super) fn expect_present(ctx: &mut Ctx<'_>, toml: &Path) -> Result<()> {
    let list = prerequisites::load(&prerequisites::of_file(toml)?);
    let reg = ctx.hklm()?;
    for (name, detect) in list {
        let Some(d) = detect else { continue };
        let found = reg.key(&d.key).and_then(|k| k.get(&d.value)).is_some();
        if !found {
            ctx.fail(format!(
                "after the setup program: `{name}` is still missing (HKLM\\{}\\{} not set)",
                d.key, d.value
            ));
        }
    }
    Ok(())
}
