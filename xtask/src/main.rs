//! `cargo xtask`: the pipeline that drives the rest of the workspace.
//!
//! The command line is declared once, in [`cli`] (clap derive); `main` parses it and dispatches
//! to each command's module, which takes its typed arguments. Exit status: 0 success, 1 failure,
//! 2 usage error (clap's), and `validate`'s own 0/1/2.

// First: its macros (`note!`, `detail!`) are visible in the modules declared after it.
#[macro_use]
mod out;
mod bench;
mod cli;
mod dist;
mod e2e;
mod harness;
mod mutants;
mod screenshots;
mod sign;
mod test;
mod validate;
mod wix;

use std::process::ExitCode;

use clap::Parser as _;
use xshell::Shell;

/// The workspace's folders, with the one rule the test crates use too (`test-support`).
pub use test_support::{project_root, target_dir};

fn main() -> ExitCode {
    // Usage errors print clap's message (with suggestions) and exit 2; --help exits 0.
    let cli = cli::Cli::parse();
    out::set(cli.verbosity);
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            // The message and its causes, one per line (not `{e:?}`, which adds a backtrace
            // whenever RUST_BACKTRACE is set in the environment).
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(command: cli::Command) -> anyhow::Result<ExitCode> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    use cli::Command::*;
    match command {
        Dist(args) => dist::run(&sh, &args).map(|_| ExitCode::SUCCESS),
        Test(args) => test::run(&sh, &args).map(|()| ExitCode::SUCCESS),
        E2e(args) => e2e::run(&sh, &args).map(|()| ExitCode::SUCCESS),
        Validate(args) => Ok(validate::run(&args)),
        Bench(args) => bench::run(&sh, &args).map(|()| ExitCode::SUCCESS),
        Screenshots(args) => screenshots::run(&sh, &args).map(|()| ExitCode::SUCCESS),
        Wix(args) => Ok(wix::run(&args)),
        Mutants(args) => mutants::run(&sh, &args).map(|()| ExitCode::SUCCESS),
    }
}
