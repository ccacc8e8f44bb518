//! `cargo xtask bench`.

use anyhow::Result;
use xshell::Shell;

/// Runs the step with its command-line arguments.
pub fn run(_sh: &Shell, _args: Vec<String>) -> Result<()> {
    anyhow::bail!("`cargo xtask bench` is not implemented yet")
}
