//! Schema validation of the WiX sources, so the same sources also build with the real WiX v3
//! toolset (candle/light, cargo-wix) on Windows: every rendered `.wxs` of the last `cargo xtask
//! dist` (`<target>/wix/*.wxs`) and every static `wix/**/*.wxs` validate against WiX v3's schema
//! (plus the Util extension's, for `util:` elements), every `wix/**/*.wxl` against `wixloc.xsd`.
//!
//! The schemas are WiX v3.14.1's, in `reference/wix3/` (with their licence); the
//! validator is libxml2's `xmllint`.

use std::path::{Path, PathBuf};
use std::process::Command;

use installer_tests::{have_tool, project_root, skip_or_fail, wix_out_dir};

/// The WiX v3 reference schemas, or `None` (after a loud skip) when they or xmllint are missing.
fn reference_dir() -> Option<PathBuf> {
    let dir = project_root().join("reference/wix3");
    if !dir.join("wix-libxml2.xsd").is_file() {
        skip_or_fail(&format!("WiX v3 schemas not found at {}", dir.display()));
        return None;
    }
    if !have_tool("xmllint") {
        skip_or_fail("xmllint is not installed (Debian: apt-get install libxml2-utils)");
        return None;
    }
    Some(dir.canonicalize().expect("the reference directory exists"))
}

/// A schema that imports WiX's and the Util extension's, so `util:` elements are checked too
/// (validated against `wix-libxml2.xsd` alone, they would pass unchecked as foreign content).
fn combined_schema(reference: &Path, scratch: &Path) -> PathBuf {
    let path = scratch.join("wix-and-util.xsd");
    let text = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://schemas.microsoft.com/wix/2006/wi" schemaLocation="{}"/>
  <xs:import namespace="http://schemas.microsoft.com/wix/UtilExtension" schemaLocation="{}"/>
</xs:schema>
"#,
        reference.join("wix-libxml2.xsd").display(),
        reference.join("util.xsd").display()
    );
    std::fs::write(&path, text).expect("write the combined schema");
    path
}

/// Runs `xmllint --noout --schema <schema> <files...>`; returns xmllint's complaints on failure.
fn xmllint(schema: &Path, files: &[PathBuf]) -> Result<(), String> {
    let output =
        Command::new("xmllint").arg("--noout").arg("--schema").arg(schema).args(files).output().expect("run xmllint");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The files under `wix/` with this extension (not templates, not build output, not the payload).
fn static_sources(extension: &str) -> Vec<PathBuf> {
    let root = project_root().join("wix");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | "sample-payload" | "sample-service")))
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

#[test]
fn static_wxs_sources_validate_against_the_wix3_schema() {
    let Some(reference) = reference_dir() else { return };
    let files = static_sources("wxs");
    assert!(!files.is_empty(), "no static .wxs under wix/ (expected wix/ui/*.wxs at least)");
    let scratch = tempfile::tempdir().unwrap();
    let schema = combined_schema(&reference, scratch.path());
    if let Err(complaints) = xmllint(&schema, &files) {
        panic!("static WiX sources do not validate against WiX v3's schema:\n{complaints}");
    }
    eprintln!("{} static .wxs validated", files.len());
}

#[test]
fn wxl_strings_validate_against_wixloc() {
    let Some(reference) = reference_dir() else { return };
    let files = static_sources("wxl");
    assert!(!files.is_empty(), "no .wxl under wix/ (expected wix/strings/en-us.wxl)");
    if let Err(complaints) = xmllint(&reference.join("wixloc.xsd"), &files) {
        panic!("localization files do not validate against wixloc.xsd:\n{complaints}");
    }
}

#[test]
fn rendered_wxs_sources_validate_against_the_wix3_schema() {
    let Some(reference) = reference_dir() else { return };
    let dir = wix_out_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "wxs"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        skip_or_fail(&format!("no rendered .wxs in {}: run `cargo xtask dist` first", dir.display()));
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let schema = combined_schema(&reference, scratch.path());
    if let Err(complaints) = xmllint(&schema, &files) {
        panic!("rendered WiX sources in {} do not validate against WiX v3's schema:\n{complaints}", dir.display());
    }
    eprintln!("{} rendered .wxs validated", files.len());
}

/// The harness itself: an element WiX does not know, and a bad `util:` attribute, are rejected
/// (so a passing run above means something).
#[test]
fn schema_check_rejects_invalid_sources() {
    let Some(reference) = reference_dir() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let schema = combined_schema(&reference, scratch.path());
    let unknown = scratch.path().join("unknown.wxs");
    std::fs::write(
        &unknown,
        r#"<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment><Bogus/></Fragment></Wix>"#,
    )
    .unwrap();
    let complaints = xmllint(&schema, &[unknown]).expect_err("an unknown element must fail");
    assert!(complaints.contains("Bogus"), "{complaints}");
    let util = scratch.path().join("util.wxs");
    std::fs::write(
        &util,
        r#"<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi" xmlns:util="http://schemas.microsoft.com/wix/UtilExtension"><Fragment><util:User Id="U" Name="n" Bogus="1"/></Fragment></Wix>"#,
    )
    .unwrap();
    let complaints = xmllint(&schema, &[util]).expect_err("a bad util: attribute must fail");
    assert!(complaints.contains("Bogus"), "{complaints}");
}
