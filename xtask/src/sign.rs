//! Signing hook: sign the custom-action DLL before it goes into the MSI and the MSI after.

use anyhow::Result;
use xshell::Shell;

/// Runs the step with its command-line arguments.
#[allow(dead_code)]
pub fn run(_sh: &Shell, _args: Vec<String>) -> Result<()> {
    anyhow::bail!("`cargo xtask sign` is not implemented yet")
}
