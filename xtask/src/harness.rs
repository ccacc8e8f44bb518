//! The Wine harness shared by `cargo xtask e2e` (silent runs) and `cargo xtask screenshots`
//! (the dialogs under Xvfb): finding Wine, the run's template prefix (with the `ProcessPrng`
//! shim and the exit-code batch file), prefixes copied from it, `msiexec` runs with their full
//! exit code, the prefix's registry, a machine with the prerequisites present, and the Linux
//! `migrateEmbeddedConnector` that checks an exported `.enc`. One place, so both commands test
//! against the same simulated machine.

pub mod prerequisites;
pub mod product;
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

/// The file that lists every documented difference between Wine and Windows the tests accept.
pub const WINDOWS_BEHAVIOUR_DOC: &str = "docs/windows-behaviour.md";

/// A check weakened because Wine behaves otherwise than Windows is documented to. It is only
/// accepted when its `id` is listed in [`WINDOWS_BEHAVIOUR_DOC`] (a table row whose first cell is
/// the id in backticks); anything else is a failure, and every accepted one is listed in the
/// summary of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WineException {
    /// The id of its row in docs/windows-behaviour.md, e.g. `wine-exit-1627`.
    pub id: &'static str,
    /// What was met and what Windows would have done.
    pub what: String,
}

/// The ids of the Wine differences [`WINDOWS_BEHAVIOUR_DOC`] lists (first table cell in backticks).
pub fn documented_wine_exceptions() -> Result<std::collections::BTreeSet<String>> {
    let path = project_root().join(WINDOWS_BEHAVIOUR_DOC);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(exception_ids(&text))
}

fn exception_ids(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_string()))
        .filter(|id| !id.is_empty())
        .collect()
}

/// The exceptions of `found` that docs/windows-behaviour.md does not list, as failures.
pub fn undocumented(found: &[WineException], documented: &std::collections::BTreeSet<String>) -> Vec<String> {
    found
        .iter()
        .filter(|e| !documented.contains(e.id))
        .map(|e| {
            format!(
                "a check was weakened for a Wine difference that {WINDOWS_BEHAVIOUR_DOC} does not list (`{}`): {}",
                e.id, e.what
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_ids_are_the_first_backticked_cells() {
        let doc = "# x\n\n| id | Windows | Wine |\n| --- | --- | --- |\n| `wine-exit-1627` | 1603 | 1627 |\n  | `wine-b` | a | `c` |\nnot | `a-row` |\n";
        let ids: Vec<String> = exception_ids(doc).into_iter().collect();
        assert_eq!(ids, ["wine-b", "wine-exit-1627"]);
        let found = vec![
            WineException { id: "wine-b", what: "x".into() },
            WineException { id: "wine-unlisted", what: "y".into() },
        ];
        let bad = undocumented(&found, &exception_ids(doc));
        assert_eq!(bad.len(), 1);
        assert!(bad[0].contains("`wine-unlisted`") && bad[0].ends_with(": y"), "{bad:?}");
    }
}
