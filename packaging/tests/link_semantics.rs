//! Which fragments a build links, against WiX v3's documented rule (no WiX toolset runs on this
//! machine, so the expectations come from its documentation and linker, not from a second
//! build): the `<Product>` is the entry section; a `<Fragment>` is linked when a linked section
//! references a symbol it defines, and then completely ("an immutable, atomic unit which can
//! either be completely included or excluded from a product",
//! <https://docs.firegiant.com/wix3/xsd/wix/fragment>; `UIRef`: "This will force the entire
//! referenced Fragment's contents to be included in the installer database"). What is not
//! linked leaves nothing in the MSI and is not checked for dangling references or duplicates
//! (light's `ResolveReferences` walks only from the entry section; duplicates and unresolved
//! references are reported among the sections it reached).

mod wix_support;

use packaging::wix::{build_with, BuildOptions, BuildSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const PRODUCT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Link test" Language="1033" Version="1.0.0" Manufacturer="Example" UpgradeCode="{4A0B1C3D-5E6F-4701-8293-A4B5C6D7E8F9}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <MediaTemplate EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLFOLDER" Name="Link test" />
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">
      <ComponentGroupRef Id="Core" />
    </Feature>
    <!--REFS-->
  </Product>
</Wix>
"#;

/// Fragment A is reached by the product's ComponentGroupRef; it references B (PropertyRef).
/// C and the UI fragment are reached by nothing unless a test adds a reference.
const FRAGMENTS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Fragment>
    <ComponentGroup Id="Core" Directory="INSTALLFOLDER">
      <Component Id="CoreReg" Guid="{0C1D2E3F-4A5B-4C6D-8E7F-8091A2B3C4D5}">
        <RegistryValue Root="HKLM" Key="SOFTWARE\Example\LinkTest" Name="Core" Value="1" Type="string" KeyPath="yes" />
      </Component>
    </ComponentGroup>
    <Property Id="A_UNREFERENCED" Value="comes with its fragment" />
    <PropertyRef Id="B_PROP" />
  </Fragment>
  <Fragment>
    <Property Id="B_PROP" Value="b" />
    <CustomAction Id="B_SetIt" Property="B_SET" Value="1" />
    <InstallExecuteSequence>
      <Custom Action="B_SetIt" After="CostFinalize" />
    </InstallExecuteSequence>
  </Fragment>
  <Fragment>
    <Property Id="C_PROP" Value="c" />
    <Property Id="A_UNREFERENCED" Value="a duplicate, harmless while C is not linked" />
    <PropertyRef Id="DEFINED_NOWHERE" />
  </Fragment>
  <Fragment>
    <UI Id="TinyUI">
      <Property Id="DefaultUIFont" Value="TinyFont" />
      <TextStyle Id="TinyFont" FaceName="Tahoma" Size="8" />
      <Dialog Id="OnlyDlg" Width="370" Height="270" Title="Only">
        <Control Id="Ok" Type="PushButton" X="236" Y="243" Width="56" Height="17" Default="yes" Text="OK">
          <Publish Event="EndDialog" Value="Return">1</Publish>
        </Control>
      </Dialog>
      <InstallUISequence>
        <Show Dialog="OnlyDlg" After="CostFinalize" />
      </InstallUISequence>
    </UI>
  </Fragment>
</Wix>
"#;

struct Built {
    _dir: tempfile::TempDir,
    msi: PathBuf,
}

fn spec(dir: &Path, refs: &str, fragments: &str) -> BuildSpec {
    let mut spec = wix_support::spec_for(dir, "product", &PRODUCT.replace("<!--REFS-->", refs));
    std::fs::write(dir.join("fragments.wxs"), fragments).unwrap();
    spec.sources.push(dir.join("fragments.wxs"));
    spec
}

fn build(refs: &str) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), refs, FRAGMENTS);
    build_with(&s, &BuildOptions::default()).unwrap();
    Built { msi: s.output, _dir: dir }
}

fn build_err(refs: &str, fragments: &str, required: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), refs, fragments);
    let options =
        BuildOptions { required_sources: required.iter().map(|f| dir.path().join(f)).collect(), ..Default::default() };
    let e = build_with(&s, &options).unwrap_err().to_string();
    assert!(!s.output.exists(), "no MSI after a failed build");
    e.replace(&dir.path().display().to_string(), "DIR")
}

/// Table -> rows as text; tables without rows are left out.
fn tables(msi: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut pkg = msi::Package::open(std::fs::File::open(msi).unwrap()).unwrap();
    let names: Vec<String> = pkg.tables().map(|t| t.name().to_string()).collect();
    names
        .into_iter()
        .map(|n| (n.clone(), test_support::table_rows(&mut pkg, &n)))
        .filter(|(_, rows)| !rows.is_empty())
        .collect()
}

fn keys(t: &BTreeMap<String, Vec<Vec<String>>>, table: &str) -> Vec<String> {
    t.get(table).map_or(vec![], |rows| rows.iter().map(|r| r[0].clone()).collect())
}

#[test]
fn only_fragments_reached_by_references_are_linked_and_then_whole() {
    let t = tables(&build("").msi);
    let props = keys(&t, "Property");
    // A (ComponentGroupRef) with its unreferenced property; B through A's PropertyRef.
    assert!(props.contains(&"A_UNREFERENCED".to_string()), "{props:?}");
    assert!(props.contains(&"B_PROP".to_string()), "{props:?}");
    assert!(keys(&t, "CustomAction").contains(&"B_SetIt".to_string()));
    assert!(keys(&t, "InstallExecuteSequence").contains(&"B_SetIt".to_string()));
    // C and the UI fragment: nothing, and C's duplicate and dangling reference are no error.
    assert!(!props.contains(&"C_PROP".to_string()), "{props:?}");
    assert!(!props.contains(&"DefaultUIFont".to_string()), "{props:?}");
    for table in ["Dialog", "Control", "ControlEvent", "TextStyle"] {
        assert!(!t.contains_key(table), "{table} has rows without a reference to the UI: {:?}", t.get(table));
    }
    assert!(!keys(&t, "InstallUISequence").contains(&"OnlyDlg".to_string()));
}

#[test]
fn a_reference_links_the_fragment_and_its_dialogs() {
    let without = tables(&build("").msi);
    let with = tables(&build(r#"<UIRef Id="TinyUI" />"#).msi);
    assert_eq!(keys(&with, "Dialog"), ["OnlyDlg"]);
    assert_eq!(keys(&with, "Control"), ["OnlyDlg"]);
    assert!(keys(&with, "Property").contains(&"DefaultUIFont".to_string()));
    assert!(keys(&with, "InstallUISequence").contains(&"OnlyDlg".to_string()));
    // Everything else is the same rows: linking the UI adds its fragment and nothing more.
    for (table, rows) in &without {
        let other = &with[table];
        for r in rows {
            if table != "_Validation" {
                assert!(other.contains(r), "{table} row {r:?} lost when the UI is linked");
            }
        }
    }
}

#[test]
fn a_linked_fragment_is_checked_as_before() {
    // Linking C brings its duplicate of A's property and its dangling reference: errors.
    let e = build_err(r#"<PropertyRef Id="C_PROP" />"#, FRAGMENTS, &[]);
    assert!(e.contains("A_UNREFERENCED") && (e.contains("duplicate") || e.contains("defined twice")), "{e}");
    let fragments = FRAGMENTS
        .replace(r#"<Property Id="A_UNREFERENCED" Value="a duplicate, harmless while C is not linked" />"#, "");
    let e = build_err(r#"<PropertyRef Id="C_PROP" />"#, &fragments, &[]);
    assert!(e.contains("Property DEFINED_NOWHERE is referenced here but defined nowhere"), "{e}");
}

const EXTRA: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Fragment>
    <Property Id="EXTRA_ONE" Value="1" />
    <CustomAction Id="ExtraAction" Property="EXTRA_TWO" Value="2" />
  </Fragment>
</Wix>
"#;

/// Builds product + fragments + `extra.wxs`, the extra source required (as `dist --extra-wxs`
/// asks) or not.
fn build_extra(refs: &str, required: bool) -> (tempfile::TempDir, BuildSpec, Result<(), String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), refs, FRAGMENTS);
    let extra = dir.path().join("extra.wxs");
    std::fs::write(&extra, EXTRA).unwrap();
    s.sources.push(extra.clone());
    let required_sources = if required { vec![extra] } else { vec![] };
    let r =
        build_with(&s, &BuildOptions { required_sources, ..Default::default() }).map(|_| ()).map_err(|e| e.to_string());
    (dir, s, r)
}

#[test]
fn a_source_asked_for_by_name_that_nothing_references_is_an_error_naming_it() {
    let (dir, s, r) = build_extra("", true);
    let e = r.unwrap_err();
    assert!(!s.output.exists(), "no MSI after a failed build");
    let file = dir.path().join("extra.wxs");
    assert!(e.starts_with(&format!("{}: nothing the <Product> links references this source", file.display())), "{e}");
    assert!(e.contains("Property EXTRA_ONE") && e.contains("CustomAction ExtraAction"), "{e}");
    assert!(e.contains("<CustomActionRef>"), "the error says how to reference it: {e}");
    // Not asked for by name, it is left out silently, as light does.
    let (_dir, s, r) = build_extra("", false);
    r.unwrap();
    assert!(!keys(&tables(&s.output), "Property").contains(&"EXTRA_ONE".to_string()));
    // Asked for and referenced: linked, the whole fragment.
    let (_dir, s, r) = build_extra(r#"<CustomActionRef Id="ExtraAction" />"#, true);
    r.unwrap();
    let t = tables(&s.output);
    assert!(keys(&t, "Property").contains(&"EXTRA_ONE".to_string()));
    assert!(keys(&t, "CustomAction").contains(&"ExtraAction".to_string()));
}

/// Two linked fragments whose check boxes share a property: one `CheckBox` row when they agree
/// on the value (as WixUI's licence dialogs do), an error naming both places when they do not.
#[test]
fn check_boxes_in_two_linked_fragments_share_their_property() {
    let dialog = |id: &str, value: &str| {
        format!(
            r#"  <Fragment>
    <UI>
      <Dialog Id="{id}" Width="370" Height="270" Title="T">
        <Control Id="Agree" Type="CheckBox" X="20" Y="207" Width="330" Height="18" Property="AGREE" CheckBoxValue="{value}" Text="Agree" />
        <Control Id="Ok" Type="PushButton" X="236" Y="243" Width="56" Height="17" Default="yes" Text="OK">
          <Publish Event="EndDialog" Value="Return">1</Publish>
        </Control>
      </Dialog>
    </UI>
  </Fragment>
"#
        )
    };
    let fragments = |second: &str| {
        FRAGMENTS.replace("</Wix>", &(dialog("FirstDlg", "1") + &dialog("SecondDlg", second) + "</Wix>"))
    };
    let refs = r#"<UI><DialogRef Id="FirstDlg" /><DialogRef Id="SecondDlg" /></UI>"#;
    let dir = tempfile::tempdir().unwrap();
    let s = spec(dir.path(), refs, &fragments("1"));
    build_with(&s, &BuildOptions::default()).unwrap();
    let t = tables(&s.output);
    assert_eq!(t["CheckBox"], [["AGREE", "1"]]);
    assert_eq!(keys(&t, "Dialog"), ["FirstDlg", "SecondDlg"]);
    let e = build_err(refs, &fragments("yes"), &[]);
    assert!(e.contains("check box property AGREE already has the value \"1\""), "{e}");
}
