//! `<Directory>`, `<ComponentGroup>` and `<Component>` as the built MSI's Directory, Component
//! and FeatureComponents tables show them, against the MSI SDK table pages and WiX v3's element
//! documentation (not the lowering code). Added for the missed mutants of
//! `cargo xtask mutants --file packaging/src/wix/lower/directory.rs` (docs/mutation-testing.md).

mod wix_support;

use wix_support::build_tables;

/// Component table, Attributes column (MSI SDK "Component Table").
const SOURCE_ONLY: i32 = 0x1;
const OPTIONAL: i32 = 0x2;
const SHARED_DLL_REF_COUNT: i32 = 0x8;
const PERMANENT: i32 = 0x10;
const TRANSITIVE: i32 = 0x40;
const NEVER_OVERWRITE: i32 = 0x80;
const DISABLE_REGISTRY_REFLECTION: i32 = 0x200;
const UNINSTALL_ON_SUPERSEDENCE: i32 = 0x400;
const SHARED: i32 = 0x800;

/// A 32-bit product (components are not 64-bit unless they say so) whose install folder holds
/// `components`, all of them in feature `Main` through `feature_members`; `roots` is extra
/// authoring beside the `TARGETDIR` tree.
fn wxs(components: &str, feature_members: &str, roots: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Component Rows" Language="1033" Version="1.0.0" Manufacturer="Example Corp" UpgradeCode="{{3C0B6F0E-55A1-4C1B-9E57-1D2A3B4C5D6E}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x86" />
    <MediaTemplate EmbedCab="yes" />
    <Directory Id="TARGETDIR">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="APPDIR" Name="Component Rows">
          {components}
        </Directory>
      </Directory>
    </Directory>
    {roots}
    <Feature Id="Main" Title="Main" Level="1">{feature_members}</Feature>
  </Product>
</Wix>
"#
    )
}

fn guid(n: usize) -> String {
    format!("{{7A6B5C4D-0000-4000-8000-{n:012X}}}")
}

/// WiX v3 `<Component>`: each yes/no attribute sets its bit of the MSI SDK Component table's
/// Attributes (`Permanent` msidbComponentAttributesPermanent, `NeverOverwrite`,
/// `SharedDllRefCount`, `Transitive`, `Shared`, `UninstallWhenSuperseded`
/// msidbComponentAttributesUninstallOnSupersedence, `DisableRegistryReflection`), and
/// `Location` local/source/either is 0 / msidbComponentAttributesSourceOnly /
/// msidbComponentAttributesOptional. A 32-bit package: no 0x100 unless `Win64="yes"`.
#[test]
fn each_component_attribute_is_its_bit_of_the_component_table() {
    let cases: &[(&str, i32)] = &[
        ("", 0),
        (r#"Permanent="yes""#, PERMANENT),
        (r#"NeverOverwrite="yes""#, NEVER_OVERWRITE),
        (r#"SharedDllRefCount="yes""#, SHARED_DLL_REF_COUNT),
        (r#"Transitive="yes""#, TRANSITIVE),
        (r#"Shared="yes""#, SHARED),
        (r#"UninstallWhenSuperseded="yes""#, UNINSTALL_ON_SUPERSEDENCE),
        (r#"DisableRegistryReflection="yes""#, DISABLE_REGISTRY_REFLECTION),
        (r#"Location="local""#, 0),
        (r#"Location="source""#, SOURCE_ONLY),
        (r#"Location="either""#, OPTIONAL),
        (r#"Permanent="yes" NeverOverwrite="yes" Win64="yes""#, PERMANENT | NEVER_OVERWRITE | 0x100),
        (r#"Permanent="no" Shared="no""#, 0),
    ];
    let components: String = cases
        .iter()
        .enumerate()
        .map(|(i, (attrs, _))| {
            format!(r#"<Component Id="C{i}" Guid="{}" {attrs}><CreateFolder /></Component>"#, guid(i))
        })
        .collect();
    let refs: String = (0..cases.len()).map(|i| format!(r#"<ComponentRef Id="C{i}" />"#)).collect();
    let tables = build_tables(&wxs(&components, &refs, ""), &["Component"]).unwrap();
    for (i, (attrs, bits)) in cases.iter().enumerate() {
        let row = tables["Component"].iter().find(|r| r[0] == format!("C{i}")).unwrap();
        // Component, ComponentId, Directory_, Attributes, Condition, KeyPath (null: the folder).
        assert_eq!(
            row,
            &[format!("C{i}"), guid(i), "APPDIR".into(), bits.to_string(), String::new(), String::new()],
            "{attrs}"
        );
    }
}

/// `DiskId` and `MultiInstance` are not supported: either one alone is refused, naming it.
#[test]
fn disk_id_and_multi_instance_are_refused_each_alone() {
    for attr in [r#"DiskId="1""#, r#"MultiInstance="yes""#] {
        let name = attr.split('=').next().unwrap();
        let c = format!(r#"<Component Id="C" Guid="{}" {attr}><CreateFolder /></Component>"#, guid(1));
        let err = build_tables(&wxs(&c, r#"<ComponentRef Id="C" />"#, ""), &[]).unwrap_err();
        assert!(err.contains(&format!("attribute {name}: is not supported")), "{attr}: {err}");
    }
}

/// WiX v3 `<Directory>`: `TARGETDIR` needs no Name, its DefaultDir is `SourceDir` (MSI SDK
/// "Directory Table": the root's DefaultDir is the source root, `SourceDir`); any other root
/// directory has no parent to take a name from, so it needs a Name.
#[test]
fn targetdir_is_source_dir_and_other_roots_need_a_name() {
    let c = format!(r#"<Component Id="C" Guid="{}"><CreateFolder /></Component>"#, guid(1));
    let tables = build_tables(&wxs(&c, r#"<ComponentRef Id="C" />"#, ""), &["Directory"]).unwrap();
    let targetdir = tables["Directory"].iter().find(|r| r[0] == "TARGETDIR").unwrap();
    assert_eq!(targetdir, &["TARGETDIR", "", "SourceDir"]);

    let err = build_tables(&wxs(&c, r#"<ComponentRef Id="C" />"#, r#"<Directory Id="OTHERROOT" />"#), &[]).unwrap_err();
    assert!(err.contains("a root directory other than TARGETDIR needs a Name"), "{err}");
}

/// WiX v3 `<ComponentGroup>`: its `<ComponentRef>`s and the components of its
/// `<ComponentGroupRef>`s are members; a feature that references the group gets every one of
/// them (FeatureComponents rows: Feature_, Component_).
#[test]
fn a_component_group_takes_component_refs_and_nested_groups() {
    let components: String =
        (1..=3).map(|i| format!(r#"<Component Id="C{i}" Guid="{}"><CreateFolder /></Component>"#, guid(i))).collect();
    let groups = r#"<ComponentGroup Id="Outer"><ComponentRef Id="C1" /><ComponentGroupRef Id="Inner" /></ComponentGroup>
       <ComponentGroup Id="Inner"><ComponentRef Id="C2" /></ComponentGroup>"#;
    let tables = build_tables(
        &wxs(&components, r#"<ComponentGroupRef Id="Outer" /><ComponentRef Id="C3" />"#, groups),
        &["FeatureComponents"],
    )
    .unwrap();
    let mut members: Vec<String> = tables["FeatureComponents"].iter().map(|r| format!("{}/{}", r[0], r[1])).collect();
    members.sort();
    assert_eq!(members, ["Main/C1", "Main/C2", "Main/C3"]);
}

/// WiX v3 "Shortcut Element": a `<Shortcut>` can be a child of `<Component>`, its Directory
/// defaulting to the component's folder. The Shortcut row (MSI SDK "Shortcut Table"): Shortcut,
/// Directory_, Name, Component_, Target, ...
#[test]
fn a_shortcut_under_a_component_is_a_shortcut_row() {
    let c = format!(
        r#"<Component Id="C" Guid="{}"><CreateFolder /><Shortcut Id="Docs" Name="Docs" Target="[APPDIR]readme.txt" /></Component>"#,
        guid(1)
    );
    let tables = build_tables(&wxs(&c, r#"<ComponentRef Id="C" />"#, ""), &["Shortcut"]).unwrap();
    let rows = &tables["Shortcut"];
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][..5], ["Docs", "APPDIR", "Docs", "C", "[APPDIR]readme.txt"]);
}
