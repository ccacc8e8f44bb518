//! `cargo xtask validate <file.msi> [--json]`: ICE-style validation of any MSI, on any host.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use xshell::Shell;

const HELP: &str = "\
cargo xtask validate <file.msi>... [--json]

Runs the project's ICE-style checks on MSI databases, without Windows: column types, lengths,
nullability and foreign keys (ICE03/ICE06), duplicate component GUIDs (ICE08), components in no
feature (ICE21), ProductCode/Version/Language (ICE24), standard action order (ICE27), files
installed twice into one folder (ICE30), property names differing by case (ICE46), the Upgrade
table (ICE61), RemoveExistingProducts placement (ICE63), custom action types (ICE68), deferred
actions inside the script (ICE77), and the project's rules: password properties hidden and
secure, HideTarget on every action carrying one, no secret default value, every DllEntry
exported by its DLL. It works on any MSI, including ones built by wixl or WiX.

Each finding prints as
  ICE77 error: InstallExecuteSequence row 'Foo' column 'Sequence': <what is wrong>

Options:
  --json      print the findings as JSON ({\"findings\": [{\"ice\", \"rule\", \"severity\",
              \"table\", \"row\", \"column\", \"message\"}]}; one document per file)
  -h, --help  this text

Exit status: 0 when no file has an error (warnings are printed but allowed), 1 otherwise.
See docs/validation.md for what each check catches and how to fix it.
";

/// Runs the step with its command-line arguments.
pub fn run(_sh: &Shell, args: Vec<String>) -> Result<()> {
    let mut json = false;
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--json" => json = true,
            flag if flag.starts_with('-') => bail!("unknown option `{flag}`\n\n{HELP}"),
            file => files.push(PathBuf::from(file)),
        }
    }
    if files.is_empty() {
        bail!("no MSI given\n\n{HELP}");
    }
    let mut failed = Vec::new();
    for file in &files {
        // Relative paths are taken from where the user ran cargo, not the project root.
        let report =
            packaging::validate::validate_file(file).with_context(|| format!("validating {}", file.display()))?;
        if json {
            println!("{}", report.to_json());
        } else {
            for finding in &report.findings {
                println!("{finding}");
            }
            eprintln!("{}: {} error(s), {} warning(s)", file.display(), report.error_count(), report.warning_count());
        }
        if report.has_errors() {
            failed.push(file.display().to_string());
        }
    }
    if !failed.is_empty() {
        bail!("validation failed: {}", failed.join(", "));
    }
    Ok(())
}
