//! `cargo xtask e2e`.

use anyhow::Result;
use xshell::Shell;

/// Runs the step with its command-line arguments.
pub fn run(_sh: &Shell, _args: Vec<String>) -> Result<()> {
    anyhow::bail!("`cargo xtask e2e` is not implemented yet")
}
