//! `cargo xtask`: the pipeline that drives the rest of the workspace.
//!
//! `main` only dispatches; each step lives in its own module with a `run` function that parses
//! its own flags (so `cargo xtask <step> --help` explains that step).

mod bench;
mod dist;
mod e2e;
mod screenshots;
mod sign;
mod test;
mod validate;

use std::path::PathBuf;

use anyhow::Result;
use xshell::Shell;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  dist         build the MSI and the release bundle into target/dist (default product config)
  test         run every test: builds dist, then cargo test, then the Wine end-to-end matrix
  e2e          the silent-install upgrade matrix under Wine's msiexec
  validate     ICE-style validation of any MSI: cargo xtask validate <file.msi>
  bench        build a large synthetic payload and compare with wixl
  screenshots  drive the dialogs under Xvfb and regenerate docs/dialogs/*.png

Run `cargo xtask <command> --help` for the options of one command.
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        print!("{HELP}");
        return Ok(());
    };
    let rest: Vec<String> = args.collect();
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        "dist" => dist::run(&sh, rest),
        "test" => test::run(&sh, rest),
        "e2e" => e2e::run(&sh, rest),
        "validate" => validate::run(&sh, rest),
        "bench" => bench::run(&sh, rest),
        "screenshots" => screenshots::run(&sh, rest),
        other => anyhow::bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is in the workspace").to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set, else `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                project_root().join(dir)
            }
        }
        None => project_root().join("target"),
    }
}
