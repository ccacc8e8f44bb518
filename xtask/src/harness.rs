//! The Wine harness shared by `cargo xtask e2e` (silent runs) and `cargo xtask screenshots`
//! (the dialogs under Xvfb): finding Wine, the run's template prefix (with the `ProcessPrng`
//! shim and the exit-code batch file), prefixes copied from it, `msiexec` runs with their full
//! exit code, the prefix's registry, a machine with the prerequisites present, and the Linux
//! `migrateEmbeddedConnector` that checks an exported `.enc`. One place, so both commands test
//! against the same simulated machine.

pub mod prerequisites;
pub mod registry;
pub mod wine;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::{project_root, target_dir};
use wine::{Prefix, Wine};

/// Compiles the `ProcessPrng` shim (`tests/wine/bcryptprimitives.c`) and creates the run's
/// template prefix under `root` (`<root>/template`): `wineboot -i`, Windows 10, the shim in
/// system32, the exit-code batch file in `C:\e2e`.
pub fn template_prefix(sh: &Shell, wine: &Wine, root: &Path) -> Result<Prefix> {
    let src = project_root().join("tests/wine/bcryptprimitives.c");
    let dll = root.join("shim/bcryptprimitives.dll");
    std::fs::create_dir_all(root.join("shim"))?;
    cmd!(sh, "x86_64-w64-mingw32-gcc -shared -O2 -Wall -o {dll} {src} -ladvapi32")
        .quiet()
        .run()
        .context("compiling tests/wine/bcryptprimitives.c (needs mingw-w64: apt-get install gcc-mingw-w64-x86-64)")?;
    let batch = project_root().join("tests/wine/msiexec-exit.cmd");
    let t = Instant::now();
    let prefix = wine.create_template(sh, &root.join("template"), &dll, &batch)?;
    eprintln!("wine: template prefix ready in {:.1} s", t.elapsed().as_secs_f64());
    Ok(prefix)
}

/// Builds the host (Linux) `migrateEmbeddedConnector`, which decrypts an exported `.enc` so a
/// test can compare it with what was exported, and returns its path.
pub fn migrate_tool(sh: &Shell) -> Result<PathBuf> {
    cmd!(sh, "cargo build --quiet -p custom-actions --bin migrateEmbeddedConnector")
        .run()
        .context("cargo build -p custom-actions --bin migrateEmbeddedConnector")?;
    let bin = target_dir().join("debug/migrateEmbeddedConnector");
    if !bin.is_file() {
        bail!("{} was not built", bin.display());
    }
    Ok(bin)
}
