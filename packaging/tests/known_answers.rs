//! Known-answer tests of the identities the backend derives, against values computed once with
//! an independent implementation (Python 3's `uuid` module, RFC 4122 name-based UUIDs) and
//! written here, so a change of a derivation fails even when every other test recomputes its
//! expectation with the function under test.
//!
//! - `ProductCode` for `Id="*"`: UUIDv5 (SHA-1) in the backend's namespace
//!   `5b0c1b8e-3f0e-4f55-9a87-6a4f1d0c2e71` of `"ProductCode" 0x1F <UpgradeCode> 0x1F <Version>`,
//!   the upgrade code upper case in braces. Computed with
//!   `python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('5b0c1b8e-3f0e-4f55-9a87-6a4f1d0c2e71'), 'ProductCode\x1f{6F330B47-2577-43AD-9095-1861BA25889B}\x1f3.3.2'))"`.
//!   A major upgrade needs a new ProductCode for every version (MSI SDK "Major Upgrades",
//!   "Changing the Product Code"), so two versions must never share one.
//! - A payload file's component GUID: UUIDv5 in the namespace of the upgrade code of
//!   `"component:" + <path as installed, lower case, backslashes>`, e.g.
//!   `uuid.uuid5(uuid.UUID('{6F330B47-2577-43AD-9095-1861BA25889B}'), 'component:example test\\main.exe')`.
//!   docs/architecture.md promises these stay the same across versions (a component's GUID
//!   must not change while its key path stays: MSI SDK "Changing the Component Code").
//! - The package code is a content hash, so it has no independent known answer; its documented
//!   properties are checked instead (MSI SDK "Package Codes": a different package has a
//!   different code; the summary information's Revision Number holds it).

use std::collections::BTreeMap;
use std::path::Path;

use packaging::harvest::component_guid;
use packaging::wix::BuildReport;

mod wix_support;

/// Written in lower case on purpose: the backend normalises GUIDs (upper case, braces) before
/// deriving, so the vectors below (computed from the upper-case form) still apply.
const UPGRADE_CODE_AS_AUTHORED: &str = "{6f330b47-2577-43ad-9095-1861ba25889b}";
const UPGRADE_CODE: &str = "{6F330B47-2577-43AD-9095-1861BA25889B}";

/// (ProductVersion, ProductCode) computed with Python's `uuid` (see the module doc).
const PRODUCT_CODES: &[(&str, &str)] = &[
    ("3.3.1", "{617A5D69-ACBD-5DEB-BA5C-5CE25D663F17}"),
    ("3.3.2", "{EDD1CF6B-818A-50EE-87E5-695DFE9212E3}"),
    ("3.3.2.1", "{C7FFCC06-C81D-5F44-A545-B72CD31D18B0}"),
];

/// The release configuration's upgrade code (`wix/product.toml`) and the ProductCode of each
/// version around the current one, computed the same way.
const RELEASE_UPGRADE_CODE: &str = "{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2C}";
const RELEASE_PRODUCT_CODES: &[(&str, &str)] =
    &[("3.3.1", "{0977538A-C109-5825-AF57-7B6AA21061BF}"), ("3.3.2", "{FAC0AAF7-8AAD-5D28-B495-C90EEC44BE1E}")];

/// (path as installed, component GUID) computed with Python's `uuid` (see the module doc).
const COMPONENT_GUIDS: &[(&str, &str)] = &[
    ("Example Test\\main.exe", "{5FE4C48E-06D9-591F-9DCA-7DFC15027195}"),
    // Another letter case and `/` separators name the same installed file: the same GUID.
    ("example test/Sub Folder/DATA.bin", "{31EDBC61-B29E-5E18-9CF4-284A34E2E7EA}"),
    ("VMwareIdentityManager\\conf\\A.xml", "{294C96C6-7B25-5F4B-B416-830B712628D9}"),
];

fn wxs(upgrade_code: &str, version: &str, features: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Known Answers" Language="1033" Version="{version}" Manufacturer="Example Corp" UpgradeCode="{upgrade_code}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <MediaTemplate EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLFOLDER" Name="Example Test" />
      </Directory>
    </Directory>
    <DirectoryRef Id="INSTALLFOLDER">
      <Component Id="MainExe" Guid="{{0C7E2A51-3B9D-4F16-A8E0-6D5C4B3A2F19}}">
        <File Id="main.exe" Source="payload/main.exe" KeyPath="yes" />
      </Component>
    </DirectoryRef>
    {features}
  </Product>
</Wix>
"#
    )
}

const ONE_FEATURE: &str = r#"<Feature Id="Main" Title="Main" Level="1"><ComponentRef Id="MainExe" /></Feature>"#;

/// Builds `source` as `dir/out/<name>.msi`, with the payload it names; the build's error as text.
fn try_build_in(dir: &Path, name: &str, source: &str) -> Result<BuildReport, String> {
    let payload = dir.join("payload");
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::write(payload.join("main.exe"), b"MZ not really an exe\n").unwrap();
    wix_support::build_source(dir, name, source).map(|(_, report)| report)
}

fn build_in(dir: &Path, name: &str, source: &str) -> BuildReport {
    try_build_in(dir, name, source).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn property(msi: &Path, name: &str) -> String {
    let mut pkg = msi::open(msi).unwrap();
    let rows = test_support::table_rows(&mut pkg, "Property");
    rows.into_iter().find(|r| r[0] == name).map(|r| r[1].clone()).unwrap_or_else(|| panic!("no property {name}"))
}

#[test]
fn product_code_is_the_known_answer_for_each_version() {
    let dir = tempfile::tempdir().unwrap();
    for (version, want) in PRODUCT_CODES {
        let report = build_in(dir.path(), version, &wxs(UPGRADE_CODE_AS_AUTHORED, version, ONE_FEATURE));
        assert_eq!(&report.product_code, want, "ProductCode of version {version}");
        assert_eq!(&property(&report.output, "ProductCode"), want, "Property table of version {version}");
        assert_eq!(property(&report.output, "UpgradeCode"), UPGRADE_CODE);
    }
    let dir = tempfile::tempdir().unwrap();
    for (version, want) in RELEASE_PRODUCT_CODES {
        let report = build_in(dir.path(), version, &wxs(RELEASE_UPGRADE_CODE, version, ONE_FEATURE));
        assert_eq!(&report.product_code, want, "ProductCode of the release upgrade code, version {version}");
    }
}

#[test]
fn component_guid_is_the_known_answer() {
    let upgrade = uuid::Uuid::parse_str(UPGRADE_CODE).unwrap();
    for (path, want) in COMPONENT_GUIDS {
        assert_eq!(&component_guid(&upgrade, path), want, "component GUID of {path}");
    }
}

#[test]
fn package_code_is_a_guid_that_changes_with_the_package_and_is_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let a = build_in(dir.path(), "a", &wxs(UPGRADE_CODE, "3.3.1", ONE_FEATURE));
    let again = build_in(dir.path(), "again", &wxs(UPGRADE_CODE, "3.3.1", ONE_FEATURE));
    let b = build_in(dir.path(), "b", &wxs(UPGRADE_CODE, "3.3.2", ONE_FEATURE));
    for r in [&a, &b] {
        let code = &r.package_code;
        assert!(code.len() == 38 && code.starts_with('{') && code.ends_with('}'), "{code}");
        assert_eq!(code, &code.to_ascii_uppercase(), "Windows Installer compares GUIDs in upper case");
        assert!(uuid::Uuid::parse_str(&code[1..37]).is_ok(), "{code}");
        assert_ne!(code, &r.product_code);
        // The summary information's Revision Number (PID 9), read by the `msi` crate.
        let pkg = msi::open(&r.output).unwrap();
        let summary = pkg.summary_info().uuid().expect("a package code in the summary information");
        assert_eq!(format!("{{{}}}", summary.hyphenated()).to_ascii_uppercase(), *code);
    }
    assert_eq!(a.package_code, again.package_code, "the same inputs give the same package");
    assert_ne!(a.package_code, b.package_code, "another package must have another package code");
}

/// MSI SDK "Feature Table", Attributes column.
const FAVOR_SOURCE: i32 = 0x1;
const FOLLOW_PARENT: i32 = 0x2;
const FAVOR_ADVERTISE: i32 = 0x4;
const DISALLOW_ADVERTISE: i32 = 0x8;
const UI_DISALLOW_ABSENT: i32 = 0x10;
const NO_UNSUPPORTED_ADVERTISE: i32 = 0x20;

/// The Feature rows WiX's `<Feature>` documentation (wix3 xsd "Feature Element") and the MSI
/// SDK "Feature Table" ask for: each attribute value maps to its documented bit; `Display`
/// hidden is 0 (not shown), otherwise a display order (each visible feature its own) whose parity
/// says how the node starts: odd = expanded, even = collapsed, WiX's default being `collapse`.
#[test]
fn feature_rows_are_as_the_wix_and_msi_documentation_say() {
    let features = r#"
    <Feature Id="Main" Title="Main" Description="The main part" Level="1" AllowAdvertise="no" Absent="disallow" ConfigurableDirectory="INSTALLFOLDER">
      <ComponentRef Id="MainExe" />
      <Feature Id="Child" Level="3" InstallDefault="followParent" AllowAdvertise="system" Display="expand" />
    </Feature>
    <Feature Id="Src" Level="1" InstallDefault="source" TypicalDefault="advertise" Display="collapse" />
    <Feature Id="Hidden" Level="1" Display="hidden" />
    <Feature Id="Plain" />"#;
    let dir = tempfile::tempdir().unwrap();
    let report = build_in(dir.path(), "features", &wxs(UPGRADE_CODE, "1.0.0", features));
    let mut pkg = msi::open(&report.output).unwrap();
    let rows: BTreeMap<String, Vec<String>> =
        test_support::table_rows(&mut pkg, "Feature").into_iter().map(|r| (r[0].clone(), r)).collect();
    // Columns: Feature, Feature_Parent, Title, Description, Display, Level, Directory_, Attributes.
    let row = |id: &str| rows.get(id).unwrap_or_else(|| panic!("no Feature row {id}: {rows:?}"));
    let attributes = |id: &str| row(id)[7].parse::<i32>().unwrap();
    let display = |id: &str| row(id)[4].parse::<i32>().unwrap_or(0);

    assert_eq!(row("Main")[1..4], ["", "Main", "The main part"]);
    assert_eq!(row("Main")[5..7], ["1", "INSTALLFOLDER"]);
    assert_eq!(attributes("Main"), DISALLOW_ADVERTISE | UI_DISALLOW_ABSENT);
    assert_eq!(row("Child")[1], "Main");
    assert_eq!(row("Child")[5], "3");
    assert_eq!(attributes("Child"), FOLLOW_PARENT | NO_UNSUPPORTED_ADVERTISE);
    assert_eq!(attributes("Src"), FAVOR_SOURCE | FAVOR_ADVERTISE);
    assert_eq!(attributes("Plain"), 0, "no attribute: favour local, advertising allowed, absent allowed");
    assert_eq!(row("Plain")[5], "1", "Level defaults to 1");

    assert_eq!(display("Hidden"), 0, "Display=\"hidden\": the feature is not shown");
    for id in ["Main", "Src", "Plain", "Child"] {
        let d = display(id);
        assert!(d > 0, "{id}: Display {d}: only Display=\"hidden\" hides a feature (0)");
    }
    // MSI SDK "Feature Table", Display: "If the value is odd, the feature node is expanded
    // initially. If the value is even, the feature node is collapsed initially."
    for id in ["Main", "Src", "Plain"] {
        assert_eq!(display(id) % 2, 0, "{id}: collapse (WiX's default) is an even Display");
    }
    assert_eq!(display("Child") % 2, 1, "Child: Display=\"expand\" is an odd Display");
    let mut visible: Vec<i32> = ["Main", "Child", "Src", "Plain"].iter().map(|id| display(id)).collect();
    visible.sort_unstable();
    visible.dedup();
    assert_eq!(visible.len(), 4, "each visible feature has its own place in the order");
}

/// WiX's `<Feature>` may hold a `<Component>` itself (wix3 xsd "Feature Element", children): the
/// component is authored there and is a member of that feature (a FeatureComponents row, MSI
/// SDK "FeatureComponents Table"), as for a `<ComponentRef>`.
#[test]
fn a_component_authored_inside_a_feature_is_its_member() {
    let features = r#"
    <Feature Id="Main" Level="1">
      <ComponentRef Id="MainExe" />
      <Component Id="Inline" Directory="INSTALLFOLDER" Guid="{7D3C1A52-0B4E-4C6F-9E21-5A8B7C6D5E4F}">
        <File Id="inline.txt" Source="payload/main.exe" Name="inline.txt" KeyPath="yes" />
      </Component>
    </Feature>"#;
    let dir = tempfile::tempdir().unwrap();
    let report = build_in(dir.path(), "inline", &wxs(UPGRADE_CODE, "1.0.0", features));
    let mut pkg = msi::open(&report.output).unwrap();
    let mut members = test_support::table_rows(&mut pkg, "FeatureComponents");
    members.sort();
    assert_eq!(members, [["Main", "Inline"], ["Main", "MainExe"]]);
    let components = test_support::table_rows(&mut pkg, "Component");
    let inline = components.iter().find(|r| r[0] == "Inline").expect("a Component row for the inline component");
    assert_eq!(inline[1], "{7D3C1A52-0B4E-4C6F-9E21-5A8B7C6D5E4F}");
}

/// MSI SDK "Feature Table": a Feature key "must not exceed a maximum length of 38 characters":
/// 38 builds, 39 is refused with a message naming the limit.
#[test]
fn a_feature_id_has_at_most_38_characters() {
    let dir = tempfile::tempdir().unwrap();
    let id38 = format!("F{}", "x".repeat(37));
    let ok = format!(r#"<Feature Id="{id38}" Level="1"><ComponentRef Id="MainExe" /></Feature>"#);
    let report = build_in(dir.path(), "id38", &wxs(UPGRADE_CODE, "1.0.0", &ok));
    let mut pkg = msi::open(&report.output).unwrap();
    assert_eq!(test_support::table_rows(&mut pkg, "Feature")[0][0], id38);

    let id39 = format!("F{}", "x".repeat(38));
    let bad = format!(r#"<Feature Id="{id39}" Level="1"><ComponentRef Id="MainExe" /></Feature>"#);
    let err = try_build_in(dir.path(), "id39", &wxs(UPGRADE_CODE, "1.0.0", &bad))
        .expect_err("a 39-character feature id must be refused");
    assert!(err.contains("38 characters"), "{err}");
}

/// WiX's `<FeatureRef>` (wix3 xsd "FeatureRef Element"): a fragment adds its components to a
/// feature declared elsewhere (wix/target-machine.wxs.tera does so), and a reference to a
/// feature that does not exist is an error naming it. The fragment is linked because the product
/// references a property it defines (WiX links only referenced fragments; target-machine.wxs.tera
/// is pulled in by `<PropertyRef Id="INSTALL_PREREQUISITES"/>` the same way).
#[test]
fn a_feature_ref_adds_members_and_must_resolve() {
    let source = |feature: &str| {
        wxs(UPGRADE_CODE, "1.0.0", ONE_FEATURE)
            .replace("</Product>", r#"<PropertyRef Id="FEATUREREF_FRAGMENT" /></Product>"#)
            .replace(
                "</Wix>",
                &format!(
                    r#"  <Fragment>
    <DirectoryRef Id="INSTALLFOLDER">
      <Component Id="Extra" Guid="{{2B1E0C4D-6F7A-4B8C-9D0E-1F2A3B4C5D6E}}">
        <File Id="extra.txt" Source="payload/main.exe" Name="extra.txt" KeyPath="yes" />
      </Component>
    </DirectoryRef>
    <FeatureRef Id="{feature}"><ComponentRef Id="Extra" /></FeatureRef>
    <Property Id="FEATUREREF_FRAGMENT" Value="1" />
  </Fragment>
</Wix>"#
                ),
            )
    };
    let dir = tempfile::tempdir().unwrap();
    let report = build_in(dir.path(), "featureref", &source("Main"));
    let mut pkg = msi::open(&report.output).unwrap();
    let mut members = test_support::table_rows(&mut pkg, "FeatureComponents");
    members.sort();
    assert_eq!(members, [["Main", "Extra"], ["Main", "MainExe"]]);

    let err = try_build_in(dir.path(), "missing", &source("NoSuchFeature"))
        .expect_err("a FeatureRef to no feature must be refused");
    assert!(err.contains("NoSuchFeature"), "{err}");
}
