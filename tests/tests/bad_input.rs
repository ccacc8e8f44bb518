//! Bad input gives a clear error naming what and where, a non-zero exit, and no partial MSI: a
//! malformed or unsupported `.wxs` (through the `packaging` API), and an invalid GUID or
//! version or a missing payload folder (through `cargo xtask dist`).

use std::path::{Path, PathBuf};

use installer_tests::{project_root, run_dist};

/// The smallest product the backend accepts, with a hook for one extra element.
fn product(extra: &str) -> String {
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
    )
}

fn build(dir: &Path, wxs: &str) -> (Result<packaging::wix::BuildReport, packaging::wix::Error>, PathBuf) {
    let src = dir.join("bad.wxs");
    std::fs::write(&src, wxs).unwrap();
    let out = dir.join("out").join("bad.msi");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let spec = packaging::wix::BuildSpec { sources: vec![src], output: out.clone(), ..Default::default() };
    (packaging::wix::build(&spec), out)
}

fn assert_no_output(out: &Path) {
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "files left after a failed build: {left:?}");
}

#[test]
fn the_minimal_product_builds() {
    // The control for the tests below: without the bad part, the same source builds.
    let dir = tempfile::tempdir().unwrap();
    let (result, out) = build(dir.path(), &product(""));
    result.unwrap_or_else(|e| panic!("{e}"));
    assert!(out.is_file());
}

#[test]
fn malformed_xml_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (result, out) = build(dir.path(), &product("<Property Id=\"A\" Value=\"1\">"));
    let err = result.expect_err("malformed XML must fail").to_string();
    assert!(err.contains("bad.wxs:"), "no file in: {err}");
    let position = err.split("bad.wxs:").nth(1).unwrap();
    let line: String = position.chars().take_while(char::is_ascii_digit).collect();
    assert!(!line.is_empty(), "no line number in: {err}");
    assert_no_output(&out);
}

#[test]
fn unsupported_element_is_an_error_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (result, out) = build(dir.path(), &product("<Frobnicate Id=\"X\" />"));
    let err = result.expect_err("an unknown element must fail").to_string();
    assert!(err.contains("bad.wxs:6:"), "expected the position of <Frobnicate> (line 6): {err}");
    assert!(err.contains("Frobnicate"), "{err}");
    assert_no_output(&out);
}

#[test]
fn unsupported_attribute_is_an_error_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (result, out) = build(dir.path(), &product("<Property Id=\"A\" Value=\"1\" Sparkle=\"yes\" />"));
    let err = result.expect_err("an unknown attribute must fail").to_string();
    assert!(err.contains("bad.wxs:6:") && err.contains("Sparkle"), "{err}");
    assert_no_output(&out);
}

/// Runs the already-built xtask binary's `dist` with a config and output folder; returns
/// (success, stderr), or `None` when the binary is not built.
fn dist(config: &Path, out: &Path, extra: &[&str]) -> Option<(bool, String)> {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["--config".as_ref(), config.as_os_str(), "--out".as_ref(), out.as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    run_dist(&args)
}

/// The shipped config with one line replaced, written beside a copy of nothing else (its
/// payload folder made absolute so the copy finds it).
fn config_with(dir: &Path, from: &str, to: &str) -> PathBuf {
    let root = project_root();
    let text = std::fs::read_to_string(root.join("wix/product.toml")).unwrap();
    assert!(text.contains(from), "wix/product.toml no longer contains {from:?}");
    let payload = root.join("wix/sample-payload").to_string_lossy().replace('\\', "/");
    let text = text.replace(from, to).replace("dir = \"sample-payload\"", &format!("dir = \"{payload}\""));
    let path = dir.join("product.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn assert_no_release(out: &Path) {
    let left: Vec<_> = std::fs::read_dir(out)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(!left.iter().any(|n| n.ends_with(".msi") || n.ends_with(".zip")), "release files left: {left:?}");
}

#[test]
fn invalid_upgrade_code_fails_with_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        config_with(dir.path(), "{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2C}", "{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2}");
    let out = dir.path().join("out");
    let Some((ok, stderr)) = dist(&config, &out, &[]) else { return };
    assert!(!ok, "dist succeeded with a bad GUID");
    assert!(stderr.contains("is not a GUID") && stderr.contains("product.toml:"), "{stderr}");
    assert_no_release(&out);
}

#[test]
fn invalid_version_fails_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "version = \"3.3.2\"", "version = \"3.256.2\"");
    let out = dir.path().join("out");
    let Some((ok, stderr)) = dist(&config, &out, &[]) else { return };
    assert!(!ok);
    assert!(stderr.contains("minor `256`") && stderr.contains("product.toml:"), "{stderr}");
    assert_no_release(&out);
    // The same check applies to the command-line override.
    let good = config_with(dir.path(), "version = \"3.3.2\"", "version = \"3.3.2\"");
    let Some((ok, stderr)) = dist(&good, &out, &["--product-version", "3.3"]) else { return };
    assert!(!ok && stderr.contains("major.minor.build"), "{stderr}");
    assert_no_release(&out);
}

#[test]
fn missing_payload_folder_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "version = \"3.3.2\"", "version = \"3.3.2\"");
    let out = dir.path().join("out");
    let missing = dir.path().join("no-such-payload");
    let Some((ok, stderr)) = dist(&config, &out, &["--payload", missing.to_str().unwrap()]) else { return };
    assert!(!ok);
    assert!(stderr.contains("no-such-payload") && stderr.contains("does not exist"), "{stderr}");
    assert_no_release(&out);
}

#[test]
fn unknown_config_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "[service]\n", "[service]\nstart_mode = \"auto\"\n");
    let out = dir.path().join("out");
    let Some((ok, stderr)) = dist(&config, &out, &[]) else { return };
    assert!(!ok);
    assert!(stderr.contains("unknown field `start_mode`"), "{stderr}");
    assert_no_release(&out);
}

#[test]
fn malformed_extra_wxs_fails_before_the_cross_compile_leaving_nothing() {
    // Every input is checked first: a broken extra source is named with its position before
    // anything is compiled, and neither an MSI nor a zip appears in the output folder.
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), "version = \"3.3.2\"", "version = \"3.3.2\"");
    let bad = dir.path().join("broken.wxs");
    std::fs::write(&bad, "<?xml version=\"1.0\"?>\n<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\">\n  <Fragment>\n    <Property Id=\"X\" Value=\"1\">\n</Wix>\n").unwrap();
    let out = dir.path().join("out");
    let Some((ok, stderr)) = dist(&config, &out, &["--extra-wxs", bad.to_str().unwrap()]) else { return };
    assert!(!ok, "dist succeeded with a malformed source");
    assert!(stderr.contains("check the inputs") && stderr.contains("broken.wxs:5:"), "{stderr}");
    assert!(!stderr.contains("cross-compile"), "the cross-compile ran before the inputs were checked: {stderr}");
    assert_no_release(&out);
}
