//! A `CustomAction` Target longer than the 255 characters of the standard column, as WiX v3
//! builds it (light: ICE03 "String overflow" warning; Windows Installer stores the whole value):
//! the value is stored whole (read back with msitools), the column is declared unlimited only in
//! such a package, `validate` reports the ICE03 warning and no error, and the build is
//! byte-reproducible.

mod wix_support;
use std::path::Path;
use std::process::Command;
use test_support::{have_tool, skip_or_fail};

fn source(long: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Target Test" Language="1033" Version="1.0.0" Manufacturer="Example" UpgradeCode="{{5D1B0C52-3C0E-4C61-9E5B-0D7A3A1F2B44}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <CustomAction Id="SetData" Property="DoWork" Value="{long}" />
    <SetProperty Id="OTHER" Value="short" After="CostFinalize" />
    <InstallExecuteSequence><Custom Action="SetData" After="CostFinalize" /></InstallExecuteSequence>
  </Product>
</Wix>
"#
    )
}

fn build_in(dir: &Path, long: &str) -> std::path::PathBuf {
    wix_support::build_source(dir, "t", &source(long)).unwrap_or_else(|e| panic!("{e}")).0
}

fn target_width(msi: &Path) -> msi::ColumnType {
    let package = msi::open(msi).unwrap();
    let table = package.get_table("CustomAction").unwrap();
    table.columns().iter().find(|c| c.name() == "Target").unwrap().coltype()
}

#[test]
fn a_target_over_255_characters_is_stored_whole() {
    // 300 characters of CustomActionData-like text.
    let long: String = (0..30).map(|i| format!("key{i:02}=v{i:03};")).collect::<String>().chars().take(300).collect();
    assert_eq!(long.chars().count(), 300);
    let (a, b, short) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let msi = build_in(a.path(), &long);
    assert_eq!(std::fs::read(&msi).unwrap(), std::fs::read(build_in(b.path(), &long)).unwrap(), "not reproducible");

    // Declared unlimited here; the standard 255 in a package without a long Target.
    assert_eq!(target_width(&msi), msi::ColumnType::Str(0));
    assert_eq!(target_width(&build_in(short.path(), "a=1")), msi::ColumnType::Str(255));

    // validate: the ICE03 string-overflow warning, no error.
    let report = packaging::validate::validate_file(&msi).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    let ice03: Vec<_> = report.by_rule("ICE03").collect();
    assert_eq!(ice03.len(), 1, "{:?}", report.findings);
    assert_eq!((ice03[0].row.as_str(), ice03[0].column.as_deref()), ("SetData", Some("Target")));
    assert!(ice03[0].message.contains("300 characters"), "{}", ice03[0].message);

    // An independent reader sees the whole value.
    if !have_tool("msiinfo") {
        skip_or_fail("`msiinfo` is not installed (Debian: msitools)");
        return;
    }
    let out = Command::new("msiinfo").arg("export").arg(&msi).arg("CustomAction").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().find(|l| l.starts_with("SetData\t")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(row.split('\t').nth(3), Some(long.as_str()));
}
