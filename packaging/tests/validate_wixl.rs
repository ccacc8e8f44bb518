//! The validator on an MSI the project did not build: wixl's output for a small source with a
//! deferred custom action `After="InstallFiles"`. wixl moves that action and RemoveExistingProducts
//! after InstallFinalize and drops `Hidden`/`HideTarget`; the checks must say so. (Where wixl puts
//! RemoveExistingProducts depends on the source: with this one it comes out at 6601, with
//! SetDoIt sequenced too it comes out at 1401, so SetDoIt is defined but left unsequenced.)

mod validate_support;

use std::path::Path;
use std::process::Command;

use packaging::validate::{validate_file, Error, Severity};
use test_support::{have_tool, skip_or_fail};
use validate_support::show;

const SOURCE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="WixlProbe" Language="1033" Version="1.0.0" Manufacturer="IDM tests"
           UpgradeCode="{3F2A1B0C-9D8E-4F7A-B6C5-D4E3F2A1B0C9}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version is installed."/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Property Id="SERVICE_PASSWORD" Hidden="yes" Secure="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLFOLDER" Name="WixlProbe">
          <Component Id="C1" Guid="{7A6B5C4D-3E2F-4A1B-9C8D-7E6F5A4B3C2D}">
            <File Id="F1" Source="payload.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="C1"/></Feature>
    <Binary Id="CaDll" SourceFile="ca.dll"/>
    <CustomAction Id="SetDoIt" Property="DoIt" Value="[SERVICE_PASSWORD]" HideTarget="yes"/>
    <CustomAction Id="DoIt" BinaryKey="CaDll" DllEntry="DoIt" Execute="deferred" Impersonate="no" HideTarget="yes"/>
    <InstallExecuteSequence>
      <Custom Action="DoIt" After="InstallFiles"/>
    </InstallExecuteSequence>
  </Product>
</Wix>
"#;

#[test]
fn flags_wixl_misplaced_actions_and_dropped_secret_attributes() {
    if !have_tool("wixl") {
        skip_or_fail("wixl is not installed (Debian: apt-get install wixl)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.wxs"), SOURCE).unwrap();
    std::fs::write(dir.path().join("payload.txt"), "payload\n").unwrap();
    std::fs::write(dir.path().join("ca.dll"), validate_support::pe_dll(&["DoIt"])).unwrap();
    let status = Command::new("wixl")
        .current_dir(dir.path())
        .args(["-o", "t.msi", "t.wxs"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "wixl failed: {status}");

    let report = validate_file(dir.path().join("t.msi")).unwrap();
    let listing = show(&report);
    eprintln!("wixl MSI findings:\n{listing}");
    assert!(report.has_errors());

    let ice77: Vec<_> = report.by_rule("ICE77").collect();
    assert!(
        ice77.iter().any(|f| f.row == "DoIt"
            && f.table == "InstallExecuteSequence"
            && f.column.as_deref() == Some("Sequence")
            && f.severity == Severity::Error),
        "deferred DoIt after InstallFinalize must be an ICE77 error:\n{listing}"
    );
    assert!(
        report
            .by_rule("ICE63")
            .any(|f| f.row == "RemoveExistingProducts" && f.message.contains("after InstallFinalize")),
        "RemoveExistingProducts after InstallFinalize must be flagged:\n{listing}"
    );
    assert!(
        report.by_rule("hide-target").any(|f| f.row == "DoIt")
            && report.by_rule("hide-target").any(|f| f.row == "SetDoIt"),
        "wixl drops HideTarget; both carriers of SERVICE_PASSWORD must be flagged:\n{listing}"
    );
    assert!(
        report.by_rule("hidden-secret").any(|f| f.message.contains("SERVICE_PASSWORD")),
        "wixl ignores Hidden=\"yes\":\n{listing}"
    );
    // The DLL exports DoIt, so that rule stays quiet: the findings above are wixl's, not noise.
    assert_eq!(report.by_rule("dll-entry").count(), 0, "{listing}");
}

#[test]
fn not_an_msi_is_an_open_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.msi");
    std::fs::write(&path, "not an OLE compound file").unwrap();
    let err = validate_file(&path).unwrap_err();
    assert!(matches!(err, Error::Open { .. }));
    assert!(err.to_string().contains("plain.msi"), "{err}");
    assert!(validate_file(Path::new("/nonexistent/x.msi")).is_err());
}
