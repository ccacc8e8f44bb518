//! `cargo xtask validate <file.msi>... [--json]`: ICE-style validation of any MSI, on any host.
//!
//! Every file given is checked, even after one that cannot be read. With `--json` the result is
//! one JSON document on stdout (an array, one object per file, each naming its file), so any
//! JSON reader takes it whole. Exit status: 0 clean (warnings allowed), 1 error findings, 2 a
//! file that cannot be read as an MSI.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::cli::ValidateArgs;

/// What happened to one file.
enum Checked {
    /// Validated: its report.
    Report(packaging::validate::Report),
    /// Not an MSI, or not readable: why.
    Unreadable(String),
}

/// Runs the command; returns the exit status (0 clean, 1 findings, 2 unreadable).
pub fn run(args: &ValidateArgs) -> ExitCode {
    let results = check_all(args.files.iter().map(|f| f.as_path()));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&results)).expect("a JSON value serialises"));
    } else {
        for (file, checked) in &results {
            match checked {
                Checked::Report(report) => {
                    for finding in &report.findings {
                        println!("{}: {finding}", file.display());
                    }
                    note!(
                        "{}: {} error(s), {} warning(s)",
                        file.display(),
                        report.error_count(),
                        report.warning_count()
                    );
                }
                Checked::Unreadable(why) => eprintln!("error: {why}"),
            }
        }
    }
    let code = exit_code(&results);
    if code != 0 && !args.json {
        let failed: Vec<String> = results
            .iter()
            .filter(|(_, c)| !matches!(c, Checked::Report(r) if !r.has_errors()))
            .map(|(f, _)| f.display().to_string())
            .collect();
        eprintln!("validation failed: {}", failed.join(", "));
    }
    ExitCode::from(code)
}

/// Validates every file, whatever happens to the ones before it.
fn check_all<'a>(files: impl Iterator<Item = &'a Path>) -> Vec<(&'a Path, Checked)> {
    files
        .map(|file| {
            let checked = match packaging::validate::validate_file(file) {
                Ok(report) => Checked::Report(report),
                Err(e) => Checked::Unreadable(e.to_string()),
            };
            (file, checked)
        })
        .collect()
}

/// 2 when a file could not be read, else 1 when a file has an error finding, else 0.
fn exit_code(results: &[(&Path, Checked)]) -> u8 {
    if results.iter().any(|(_, c)| matches!(c, Checked::Unreadable(_))) {
        2
    } else if results.iter().any(|(_, c)| matches!(c, Checked::Report(r) if r.has_errors())) {
        1
    } else {
        0
    }
}

/// The JSON document: `[{"file", "error_count", "warning_count", "findings"}, {"file", "unreadable"}]`.
fn to_json(results: &[(&Path, Checked)]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|(file, checked)| match checked {
                Checked::Report(report) => json!({
                    "file": file.display().to_string(),
                    "error_count": report.error_count(),
                    "warning_count": report.warning_count(),
                    "findings": serde_json::to_value(report).expect("a report serialises")["findings"].clone(),
                }),
                Checked::Unreadable(why) => json!({ "file": file.display().to_string(), "unreadable": why }),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a small MSI with the project's backend; `extra` goes inside the Product.
    fn msi(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
        let wxs = dir.join(format!("{name}.wxs"));
        std::fs::write(
            &wxs,
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="T" Language="1033" Version="1.0.0" Manufacturer="M" UpgradeCode="{{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2C}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <MediaTemplate EmbedCab="yes" />
    {extra}
  </Product>
</Wix>
"#
            ),
        )
        .unwrap();
        let out = dir.join(format!("{name}.msi"));
        let spec = packaging::wix::BuildSpec { sources: vec![wxs], output: out.clone(), ..Default::default() };
        packaging::wix::build(&spec).unwrap();
        out
    }

    fn check(files: &[&Path]) -> (u8, Value) {
        let results = check_all(files.iter().copied());
        (exit_code(&results), to_json(&results))
    }

    #[test]
    fn every_file_is_checked_into_one_named_json_array() {
        let t = tempfile::tempdir().unwrap();
        let good = msi(t.path(), "good", "");
        // A password property with a default value: the project's rule (docs/validation.md) makes it an error.
        let bad =
            msi(t.path(), "bad", r#"<Property Id="SERVICE_PASSWORD" Value="secret" Hidden="yes" Secure="yes" />"#);
        let junk = t.path().join("junk.msi");
        std::fs::write(&junk, "not an MSI").unwrap();

        let (code, json) = check(&[&good]);
        assert_eq!(code, 0, "{json}");
        let (code, json) = check(&[&good, &bad]);
        assert_eq!(code, 1, "{json}");
        assert!(json[1]["error_count"].as_u64().unwrap() >= 1, "{json}");
        // An unreadable file in the middle: the ones after it are still checked; exit 2.
        let (code, json) = check(&[&good, &junk, &bad]);
        assert_eq!(code, 2);
        let text = serde_json::to_string(&json).unwrap();
        // One document that a JSON reader takes whole, naming each file in order.
        let back: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&text).unwrap();
        let names: Vec<&str> = back.iter().map(|o| o["file"].as_str().unwrap()).collect();
        assert_eq!(names, [good.to_str().unwrap(), junk.to_str().unwrap(), bad.to_str().unwrap()]);
        assert!(back[1]["unreadable"].as_str().unwrap().contains("junk.msi"));
        assert!(back[2]["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "error"), "{text}");
    }
}
