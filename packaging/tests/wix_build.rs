//! End-to-end tests of the WiX v3 backend: small inline `.wxs` fixtures built into MSIs, read
//! back with the `msi` crate and (when installed) msitools, and the error cases.

mod wix_support;

use packaging::wix::{build, BuildSpec, Error};
use std::path::{Path, PathBuf};
use std::process::Command;

const UPGRADE: &str = "{6F330B47-2577-43AD-9095-1861BA25889B}";

fn main_wxs(version: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <?define Maker = "Example Corp" ?>
  <Product Id="*" Name="!(loc.ProductName)" Language="1033" Version="{version}" Manufacturer="$(var.Maker)" UpgradeCode="{UPGRADE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" Description="Test package" />
    <MajorUpgrade DowngradeErrorMessage="A newer version is installed." />
    <MediaTemplate EmbedCab="yes" />
    <Property Id="SERVICE_PASSWORD" Hidden="yes" Secure="yes" />
    <Property Id="CEIP_OPTIN" Value="1" Secure="yes" />
    <Property Id="PREVIOUS_DIR" Secure="yes">
      <RegistrySearch Id="PrevDirSearch" Root="HKLM" Key="SOFTWARE\Example\Test" Name="InstallDir" Type="raw" />
    </Property>
    <Condition Message="Administrator rights are required.">Privileged</Condition>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLFOLDER" Name="Example Test">
          <Directory Id="SUBDIR" Name="sub folder" />
        </Directory>
      </Directory>
    </Directory>
    <DirectoryRef Id="INSTALLFOLDER">
      <Component Id="MainExe" Guid="*">
        <File Id="main.exe" Source="payload/main.exe" KeyPath="yes" />
        <ServiceInstall Id="Svc" Name="ExampleSvc" DisplayName="Example Service" Type="ownProcess" Start="auto" ErrorControl="normal" Account="[SERVICE_LOGON]" Password="[SERVICE_PASSWORD]" Vital="yes" />
        <ServiceControl Id="SvcCtl" Name="ExampleSvc" Start="install" Stop="both" Remove="uninstall" Wait="yes" />
      </Component>
      <Component Id="Readme" Guid="{{11111111-2222-3333-4444-555555555555}}">
        <File Id="readme.txt" Name="README long name.txt" Source="payload/readme.txt" />
        <RegistryValue Root="HKLM" Key="SOFTWARE\Example\Test" Name="InstallDir" Value="[INSTALLFOLDER]" Type="string" />
        <RemoveFolder Id="RmInstall" On="uninstall" />
      </Component>
    </DirectoryRef>
    <ComponentGroup Id="Extras" Directory="SUBDIR">
      <Component Id="Data" Guid="*">
        <File Id="data.bin" Source="payload/data.bin" />
        <CreateFolder />
      </Component>
    </ComponentGroup>
    <Feature Id="Main" Title="Main" Level="1" ConfigurableDirectory="INSTALLFOLDER">
      <ComponentRef Id="MainExe" />
      <ComponentRef Id="Readme" />
      <ComponentGroupRef Id="Extras" />
    </Feature>
    <Binary Id="CaDll" SourceFile="payload/ca.dll" />
    <Icon Id="product.ico" SourceFile="payload/ca.dll" />
    <Property Id="ARPPRODUCTICON" Value="product.ico" />
    <CustomAction Id="DoThingData" Property="DoThing" Value="a=[CEIP_OPTIN]" />
    <CustomAction Id="DoThing" BinaryKey="CaDll" DllEntry="DoThing" Execute="deferred" Impersonate="no" Return="check" HideTarget="yes" />
    <CustomAction Id="UndoThing" BinaryKey="CaDll" DllEntry="UndoThing" Execute="rollback" Impersonate="no" Return="ignore" />
    <CustomAction Id="CommitThing" BinaryKey="CaDll" DllEntry="CommitThing" Execute="commit" Impersonate="no" />
    <CustomAction Id="SetDirProp" Directory="SUBDIR" Value="[INSTALLFOLDER]sub folder" />
    <InstallExecuteSequence>
      <Custom Action="DoThingData" Before="UndoThing">NOT Installed</Custom>
      <Custom Action="UndoThing" Before="DoThing">NOT Installed</Custom>
      <Custom Action="DoThing" After="InstallFiles">NOT Installed</Custom>
      <Custom Action="CommitThing" After="DoThing">NOT Installed</Custom>
    </InstallExecuteSequence>
    <!-- Links the fragment below (WiX links a fragment only when something references it). -->
    <CustomActionRef Id="SetCeip" />
  </Product>
  <Fragment>
    <SetProperty Id="CEIP_SEEN" Action="SetCeip" Value="1" After="AppSearch" Sequence="both" />
  </Fragment>
</Wix>
"#
    )
}

const WXL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WixLocalization Culture="en-us" xmlns="http://schemas.microsoft.com/wix/2006/localization">
  <String Id="ProductName">Example Test Product</String>
</WixLocalization>
"#;

/// A fixture directory with `main.wxs`, `en-us.wxl` and a payload.
fn fixture(dir: &Path, wxs: &str) -> BuildSpec {
    let payload = dir.join("payload");
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::write(payload.join("main.exe"), b"MZ not really an exe\n".repeat(50)).unwrap();
    std::fs::write(payload.join("readme.txt"), b"Read me.\n").unwrap();
    std::fs::write(payload.join("data.bin"), (0..70_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>()).unwrap();
    std::fs::write(payload.join("ca.dll"), b"MZ fake dll").unwrap();
    std::fs::write(dir.join("en-us.wxl"), WXL).unwrap();
    let mut spec = wix_support::spec_for(dir, "test", wxs);
    spec.localizations.push(dir.join("en-us.wxl"));
    spec
}

type Pkg = msi::Package<std::fs::File>;

fn open(p: &Path) -> Pkg {
    msi::Package::open(std::fs::File::open(p).unwrap()).unwrap()
}

fn rows(pkg: &mut Pkg, table: &str) -> Vec<Vec<String>> {
    assert!(pkg.has_table(table), "no table {table}");
    test_support::table_rows(pkg, table)
}

fn find<'a>(rows: &'a [Vec<String>], key: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[0] == key).unwrap_or_else(|| panic!("no row {key}"))
}

fn seq(pkg: &mut Pkg, table: &str, action: &str) -> i32 {
    find(&rows(pkg, table), action)[2].parse().unwrap()
}

#[test]
fn builds_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3"));
    let report = build(&spec).unwrap();
    assert_eq!(report.files, 3);
    assert_eq!(report.cabinets, 1);
    let mut pkg = open(&spec.output);
    assert_eq!(pkg.database_codepage(), msi::CodePage::Windows1252);
    let si = pkg.summary_info();
    assert_eq!(si.codepage(), msi::CodePage::Windows1252);
    assert_eq!(si.arch(), Some("x64"));
    assert_eq!(si.word_count(), Some(2));
    assert_eq!(si.author(), Some("Example Corp"));
    assert_eq!(format!("{{{}}}", si.uuid().unwrap().hyphenated()).to_uppercase(), report.package_code);

    let props = rows(&mut pkg, "Property");
    assert_eq!(find(&props, "ProductName")[1], "Example Test Product");
    assert_eq!(find(&props, "ProductVersion")[1], "1.2.3");
    assert_eq!(find(&props, "ProductCode")[1], report.product_code);
    assert_eq!(find(&props, "ALLUSERS")[1], "1");
    assert_eq!(find(&props, "MsiHiddenProperties")[1], "SERVICE_PASSWORD");
    let secure = &find(&props, "SecureCustomProperties")[1];
    for p in ["CEIP_OPTIN", "PREVIOUS_DIR", "SERVICE_PASSWORD", "WIX_UPGRADE_DETECTED", "WIX_DOWNGRADE_DETECTED"] {
        assert!(secure.split(';').any(|s| s == p), "{p} not secure: {secure}");
    }

    let files = rows(&mut pkg, "File");
    let readme = find(&files, "readme.txt");
    assert!(readme[2].ends_with("|README long name.txt"), "{readme:?}");
    assert_eq!(readme[3], "9");
    let mut seqs: Vec<i32> = files.iter().map(|r| r[7].parse().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, [1, 2, 3]);
    let media = rows(&mut pkg, "Media");
    assert_eq!(
        media,
        vec![vec!["1".to_string(), "3".into(), String::new(), "#cab1.cab".into(), String::new(), String::new()]]
    );
    assert!(pkg.has_stream("cab1.cab"));
    assert!(pkg.has_stream("Binary.CaDll"));
    assert!(pkg.has_stream("Icon.product.ico"));
    let mut icon = Vec::new();
    std::io::Read::read_to_end(&mut pkg.read_stream("Icon.product.ico").unwrap(), &mut icon).unwrap();
    assert_eq!(icon, b"MZ fake dll");

    let comps = rows(&mut pkg, "Component");
    let main = find(&comps, "MainExe");
    assert_eq!(main[2], "INSTALLFOLDER");
    assert_eq!(main[3], "256", "64-bit component");
    assert_eq!(main[5], "main.exe");
    let fc = rows(&mut pkg, "FeatureComponents");
    assert_eq!(fc.len(), 3);

    let upgrade = rows(&mut pkg, "Upgrade");
    assert_eq!(upgrade.len(), 2);
    assert!(upgrade.iter().any(|r| r[6] == "WIX_UPGRADE_DETECTED" && r[2] == "1.2.3" && r[1].is_empty()));
    assert!(upgrade.iter().any(|r| r[6] == "WIX_DOWNGRADE_DETECTED" && r[1] == "1.2.3" && r[4] == "258"));

    let ie = "InstallExecuteSequence";
    assert_eq!(seq(&mut pkg, ie, "RemoveExistingProducts"), 1401);
    assert_eq!(seq(&mut pkg, ie, "InstallFiles"), 4000);
    let (d, u, dd, c) = (
        seq(&mut pkg, ie, "DoThing"),
        seq(&mut pkg, ie, "UndoThing"),
        seq(&mut pkg, ie, "DoThingData"),
        seq(&mut pkg, ie, "CommitThing"),
    );
    assert!(dd < u && u < d && d < c, "{dd} {u} {d} {c}");
    assert!(d > 4000 && c < 6600);
    assert_eq!(seq(&mut pkg, ie, "InstallServices"), 5800);
    assert_eq!(seq(&mut pkg, ie, "StartServices"), 5900);
    assert_eq!(seq(&mut pkg, ie, "WriteRegistryValues"), 5000);
    assert_eq!(seq(&mut pkg, ie, "AppSearch"), 50);
    assert_eq!(seq(&mut pkg, ie, "SetCeip"), 51);
    assert_eq!(seq(&mut pkg, "InstallUISequence", "SetCeip"), 51);
    assert!(seq(&mut pkg, ie, "WixPreventDowngrade") == 26);

    let cas = rows(&mut pkg, "CustomAction");
    // Custom action type arithmetic (MSI SDK): 1 (DLL in Binary) + 0x400 deferred + 0x800
    // no-impersonate + 0x2000 HideTarget.
    assert_eq!(find(&cas, "DoThing")[1], (1 + 0x400 + 0x800 + 0x2000).to_string());
    assert_eq!(find(&cas, "UndoThing")[1], (1 + 0x500 + 0x800 + 0x40).to_string());
    assert_eq!(find(&cas, "CommitThing")[1], (1 + 0x600 + 0x800).to_string());
    assert_eq!(find(&cas, "DoThingData")[1], "51");
    assert_eq!(find(&cas, "SetDirProp")[1], "35");
    assert_eq!(find(&cas, "WixPreventDowngrade")[1], "19");

    let svc = rows(&mut pkg, "ServiceInstall");
    assert_eq!(svc[0][5], (1 | 0x8000).to_string());
    let ctl = rows(&mut pkg, "ServiceControl");
    // MSI SDK "ServiceControl Table": install Start 0x1; Stop 0x2 + uninstall Stop 0x20;
    // uninstall Delete 0x80.
    assert_eq!(ctl[0][2], (0x1 | 0x2 | 0x20 | 0x80).to_string());
    let reg = rows(&mut pkg, "RegLocator");
    assert_eq!(reg[0][4], "18", "raw + 64-bit");
}

#[test]
fn reproducible_and_content_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3"));
    let r1 = build(&spec).unwrap();
    let a = std::fs::read(&spec.output).unwrap();
    let r2 = build(&spec).unwrap();
    let b = std::fs::read(&spec.output).unwrap();
    assert_eq!(r1.package_code, r2.package_code);
    assert!(a == b, "two builds differ");
    // One payload byte changes the package code (and the bytes).
    let mut data = std::fs::read(dir.path().join("payload/data.bin")).unwrap();
    data[1000] ^= 1;
    std::fs::write(dir.path().join("payload/data.bin"), data).unwrap();
    let r3 = build(&spec).unwrap();
    assert_ne!(r1.package_code, r3.package_code);
    // No temporary files left beside the output.
    let left: Vec<_> =
        std::fs::read_dir(spec.output.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

/// Whether `name` (an msitools program) is installed; a loud, recorded skip when not (a
/// failure under CI).
fn tool(name: &str) -> bool {
    let ok = test_support::have_tool(name);
    if !ok {
        test_support::skip_or_fail(&format!("{name} not installed (apt-get install msitools)"));
    }
    ok
}

#[test]
fn msitools_reads_it() {
    if !tool("msiinfo") || !tool("msiextract") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3"));
    build(&spec).unwrap();
    let out = Command::new("msiinfo").arg("tables").arg(&spec.output).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tables = String::from_utf8_lossy(&out.stdout);
    for t in ["File", "Component", "Upgrade", "InstallExecuteSequence", "_Validation", "Binary"] {
        assert!(tables.lines().any(|l| l.trim() == t), "msiinfo tables lacks {t}: {tables}");
    }
    let out = Command::new("msiinfo").arg("export").arg(&spec.output).arg("InstallExecuteSequence").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RemoveExistingProducts\t\t1401"), "{text}");
    let out = Command::new("msiinfo").arg("export").arg(&spec.output).arg("Upgrade").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{UPGRADE}\t\t1.2.3\t1033\t1\t\tWIX_UPGRADE_DETECTED")), "{text}");
    let x = dir.path().join("x");
    let out = Command::new("msiextract").arg("-C").arg(&x).arg(&spec.output).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let extracted: Vec<PathBuf> = walk(&x);
    let readme = extracted.iter().find(|p| p.ends_with("README long name.txt")).expect("readme extracted");
    assert_eq!(std::fs::read(readme).unwrap(), b"Read me.\n");
    let data = extracted.iter().find(|p| p.ends_with("data.bin")).expect("data extracted");
    assert_eq!(std::fs::read(data).unwrap(), std::fs::read(dir.path().join("payload/data.bin")).unwrap());
    assert!(data.to_string_lossy().contains("Example Test/sub folder/"), "{}", data.display());
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn build_err(wxs: &str) -> (String, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), wxs);
    let e: Error = build(&spec).unwrap_err();
    assert!(!spec.output.exists(), "no partial MSI");
    (e.to_string(), spec.sources[0].clone())
}

#[test]
fn unsupported_element_has_position() {
    let wxs = main_wxs("1.2.3")
        .replace("<MediaTemplate EmbedCab=\"yes\" />", "<MediaTemplate EmbedCab=\"yes\" />\n    <Shortcut Id=\"x\" />");
    let (e, file) = build_err(&wxs);
    assert!(e.starts_with(&format!("{}:8:5: <Shortcut> is not supported here", file.display())), "{e}");
    assert!(e.contains("supported children of <Product>: "), "{e}");
}

#[test]
fn unsupported_attribute_has_position() {
    let wxs = main_wxs("1.2.3").replace("<File Id=\"data.bin\"", "<File Id=\"data.bin\" Bogus=\"1\"");
    let (e, file) = build_err(&wxs);
    let line = wxs.lines().position(|l| l.contains("Bogus")).unwrap() + 1;
    let col = wxs.lines().nth(line - 1).unwrap().find("Bogus").unwrap() + 1;
    assert!(
        e.starts_with(&format!("{}:{line}:{col}: attribute Bogus of <File> is not supported", file.display())),
        "{e}"
    );
}

#[test]
fn missing_source_file() {
    let wxs = main_wxs("1.2.3").replace("payload/data.bin", "payload/nope.bin");
    let (e, _) = build_err(&wxs);
    assert!(e.contains("attribute Source") && e.contains("nope.bin"), "{e}");
}

#[test]
fn bad_guid_and_version() {
    let (e, _) = build_err(&main_wxs("1.2.3").replace(UPGRADE, "{not-a-guid}"));
    assert!(e.contains("UpgradeCode") && e.contains("not a valid GUID"), "{e}");
    let (e, _) = build_err(&main_wxs("1.300.3"));
    assert!(e.contains("not a valid product version"), "{e}");
}

#[test]
fn dangling_reference() {
    let wxs = main_wxs("1.2.3")
        .replace("<ComponentRef Id=\"Readme\" />", "<ComponentRef Id=\"Readme\" /><ComponentRef Id=\"Nope\" />");
    let (e, _) = build_err(&wxs);
    assert!(e.contains("Component Nope is referenced here but defined nowhere"), "{e}");
}

#[test]
fn undefined_variable_and_string() {
    let (e, _) = build_err(&main_wxs("1.2.3").replace("$(var.Maker)", "$(var.Nope)"));
    assert!(e.contains("undefined preprocessor variable $(var.Nope)"), "{e}");
    let (e, _) = build_err(&main_wxs("1.2.3").replace("!(loc.ProductName)", "!(loc.Nope)"));
    assert!(e.contains("!(loc.Nope)"), "{e}");
}

#[test]
fn deferred_action_outside_the_script_is_an_error() {
    let wxs = main_wxs("1.2.3").replace(
        "<Custom Action=\"CommitThing\" After=\"DoThing\">",
        "<Custom Action=\"CommitThing\" After=\"InstallFinalize\">",
    );
    let (e, _) = build_err(&wxs);
    assert!(e.contains("deferred custom action CommitThing lands at 6601"), "{e}");
}

#[test]
fn custom_table_rows_and_validation() {
    let table = r#"<CustomTable Id="IdmThing">
      <Column Id="Id" Type="string" Width="72" PrimaryKey="yes" Category="Identifier" />
      <Column Id="Rank" Type="int" Width="2" MinValue="0" MaxValue="10" />
      <Column Id="Note" Type="string" Width="0" Nullable="yes" Category="Formatted" />
      <Row><Data Column="Id">first</Data><Data Column="Rank">3</Data><Data Column="Note">[ProductName]</Data></Row>
      <Row><Data Column="Id">second</Data><Data Column="Rank">7</Data></Row>
    </CustomTable>
  </Fragment>"#;
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3").replacen("</Fragment>", table, 1));
    build(&spec).unwrap();
    let mut pkg = open(&spec.output);
    let r = rows(&mut pkg, "IdmThing");
    assert_eq!(
        r,
        vec![
            vec!["first".to_string(), "3".into(), "[ProductName]".into()],
            vec!["second".into(), "7".into(), String::new()]
        ]
    );
    let v = rows(&mut pkg, "_Validation");
    let rank = v.iter().find(|r| r[0] == "IdmThing" && r[1] == "Rank").expect("_Validation row for IdmThing.Rank");
    assert_eq!((rank[2].as_str(), rank[3].as_str(), rank[4].as_str()), ("N", "0", "10"));
    let note = v.iter().find(|r| r[0] == "IdmThing" && r[1] == "Note").unwrap();
    assert_eq!((note[2].as_str(), note[7].as_str()), ("Y", "Formatted"));
    // A value outside the declared range is an error at the row.
    let bad = main_wxs("1.2.3").replacen("</Fragment>", &table.replace(">7<", ">70<"), 1);
    let (e, _) = build_err(&bad);
    assert!(e.contains("invalid value \"70\" for column IdmThing.Rank"), "{e}");
}

#[test]
fn text_outside_windows_1252_is_an_error() {
    let (e, _) = build_err(&main_wxs("1.2.3").replace("Value=\"1\" Secure", "Value=\"\u{4e2d}\" Secure"));
    assert!(e.contains("Property.Value") && e.contains("Windows-1252"), "{e}");
    // Typographic quotes are in Windows-1252 and fine.
    let dir = tempfile::tempdir().unwrap();
    build(&fixture(
        dir.path(),
        &main_wxs("1.2.3").replace("Value=\"1\" Secure", "Value=\"\u{2019}ok\u{2019}\" Secure"),
    ))
    .unwrap();
}

#[test]
fn columns_count_characters_not_bytes() {
    let wxs = main_wxs("1.2.3").replace(
        "<MediaTemplate EmbedCab=\"yes\" />",
        "<MediaTemplate EmbedCab=\"yes\" /><!--\u{e9}\u{e9}--><Shortcut Id=\"x\" />",
    );
    let (e, file) = build_err(&wxs);
    let col = "    <MediaTemplate EmbedCab=\"yes\" /><!--\u{e9}\u{e9}-->".chars().count() + 1;
    assert!(e.starts_with(&format!("{}:7:{col}: <Shortcut>", file.display())), "{e}");
}

#[test]
fn payload_splits_into_several_cabinets() {
    let dir = tempfile::tempdir().unwrap();
    let wxs = main_wxs("1.2.3").replace(
        "<MediaTemplate EmbedCab=\"yes\" />",
        "<MediaTemplate EmbedCab=\"yes\" CabinetTemplate=\"part{0}.cab\" MaximumUncompressedMediaSize=\"1\" />",
    );
    let spec = fixture(dir.path(), &wxs);
    // main.exe (1,050 bytes) and readme come first; a 1.5 MB data.bin cannot share a 1 MB cabinet.
    std::fs::write(dir.path().join("payload/data.bin"), vec![7u8; 1_500_000]).unwrap();
    let report = build(&spec).unwrap();
    assert_eq!(report.cabinets, 2);
    let mut pkg = open(&spec.output);
    let media = rows(&mut pkg, "Media");
    assert_eq!(media.len(), 2);
    assert_eq!((media[0][0].as_str(), media[0][1].as_str(), media[0][3].as_str()), ("1", "2", "#part1.cab"));
    assert_eq!((media[1][0].as_str(), media[1][1].as_str(), media[1][3].as_str()), ("2", "3", "#part2.cab"));
    let files = rows(&mut pkg, "File");
    assert_eq!(find(&files, "data.bin")[7], "3");
    // Each cabinet holds exactly its files, in sequence order.
    for (stream, want) in [("part1.cab", vec!["main.exe", "readme.txt"]), ("part2.cab", vec!["data.bin"])] {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut pkg.read_stream(stream).unwrap(), &mut bytes).unwrap();
        let cabinet = cab::Cabinet::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> =
            cabinet.folder_entries().flat_map(|f| f.file_entries().map(|e| e.name().to_string())).collect();
        assert_eq!(names, want);
    }
}

#[test]
fn custom_action_type_arithmetic() {
    // Expected values per the MSI SDK "Custom Action Types" and the option-bit pages.
    let cases = [
        (
            r#"<CustomAction Id="A1" Directory="INSTALLFOLDER" ExeCommand="[SystemFolder]cmd.exe /c exit 0" Return="ignore" />"#,
            "A1",
            34 + 0x40,
        ),
        (r#"<CustomAction Id="A2" Property="CEIP_OPTIN" ExeCommand="-x" Return="asyncWait" />"#, "A2", 50 + 0x80),
        (r#"<CustomAction Id="A3" FileKey="main.exe" ExeCommand="--run" Return="asyncNoWait" />"#, "A3", 18 + 0xC0),
        (r#"<CustomAction Id="A4" Script="vbscript">Session.Property("X") = "1"</CustomAction>"#, "A4", 38 + 0x1000),
        (r#"<CustomAction Id="A5" Script="jscript" Win64="no">var x = 1;</CustomAction>"#, "A5", 37),
        (r#"<CustomAction Id="A6" BinaryKey="CaDll" DllEntry="Once" Execute="oncePerProcess" />"#, "A6", 1 + 0x200),
        (r#"<CustomAction Id="A7" BinaryKey="CaDll" DllEntry="Second" Execute="secondSequence" />"#, "A7", 1 + 0x300),
        (r#"<CustomAction Id="A8" BinaryKey="CaDll" DllEntry="First" Execute="firstSequence" />"#, "A8", 1 + 0x100),
        (
            r#"<CustomAction Id="A9" FileKey="main.exe" DllEntry="Entry" Execute="deferred" TerminalServerAware="yes" />"#,
            "A9",
            17 + 0x400 + 0x4000,
        ),
        (r#"<CustomAction Id="A10" Error="25000" />"#, "A10", 19),
        (
            r#"<CustomAction Id="A11" BinaryKey="CaDll" VBScriptCall="Main" Execute="commit" HideTarget="yes" />"#,
            "A11",
            6 + 0x600 + 0x2000 + 0x1000,
        ),
    ];
    let extra: String = cases.iter().map(|c| c.0).collect::<Vec<_>>().join("\n    ");
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3").replacen("<Fragment>", &format!("<Fragment>\n    {extra}"), 1));
    build(&spec).unwrap();
    let mut pkg = open(&spec.output);
    let cas = rows(&mut pkg, "CustomAction");
    for (_, id, want) in cases {
        assert_eq!(find(&cas, id)[1], want.to_string(), "{id}");
    }
    assert_eq!(find(&cas, "A4")[3], "Session.Property(\"X\") = \"1\"");
    // Impersonate="no" on an immediate action is a mistake WiX would accept silently.
    let (e, _) = build_err(&main_wxs("1.2.3").replacen(
        "<Fragment>",
        "<Fragment><CustomAction Id=\"B\" BinaryKey=\"CaDll\" DllEntry=\"B\" Impersonate=\"no\" />",
        1,
    ));
    assert!(e.contains("Impersonate"), "{e}");
    // Two sources at once is not a WiX custom action type.
    let (e, _) = build_err(&main_wxs("1.2.3").replacen(
        "<Fragment>",
        "<Fragment><CustomAction Id=\"B\" BinaryKey=\"CaDll\" FileKey=\"main.exe\" DllEntry=\"B\" />",
        1,
    ));
    assert!(e.contains("unsupported CustomAction combination (source: BinaryKey+FileKey"), "{e}");
}

#[test]
fn empty_string_values_are_written_as_null() {
    if !tool("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wxs = main_wxs("1.2.3").replace(
        r#"<CustomAction Id="SetDirProp""#,
        r#"<CustomAction Id="ClearThing" Property="THING" Value="" />
    <CustomAction Id="SetDirProp""#,
    );
    let spec = fixture(dir.path(), &wxs);
    build(&spec).unwrap();
    let mut pkg = open(&spec.output);
    let row = find(&rows(&mut pkg, "CustomAction"), "ClearThing").clone();
    assert_eq!(row[3], "", "an empty Value is a null Target: {row:?}");
    // msitools rejected the string pool ("string table corrupt") when "" was stored as a string.
    let out = Command::new("msiinfo").arg("export").arg(&spec.output).arg("CustomAction").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ClearThing\t51\tTHING\t"));
}

#[test]
fn one_build_takes_the_strings_of_one_culture() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = fixture(dir.path(), &main_wxs("1.2.3"));
    let german = dir.path().join("de-de.wxl");
    std::fs::write(&german, WXL.replace("Culture=\"en-us\"", "Culture=\"de-de\"")).unwrap();
    assert_eq!(packaging::wix::localization_culture(&german).unwrap(), "de-de");
    assert_eq!(packaging::wix::localization_culture(&spec.localizations[0]).unwrap(), "en-us");
    // A translation alone builds (the ids are the same)...
    spec.localizations = vec![german.clone()];
    build(&spec).unwrap();
    // ...but mixing two cultures in one build is an error naming both files.
    spec.localizations = vec![dir.path().join("en-us.wxl"), german];
    let e = build(&spec).unwrap_err().to_string();
    assert!(e.contains("de-de.wxl") && e.contains("differs from") && e.contains("en-us.wxl"), "{e}");
}

// Backend bugs found on outside WiX sources (issue 11), each on a minimal change of the fixture
// and with the expectation from Microsoft's or WiX's documentation.

#[test]
fn feature_display_odd_is_expanded_and_even_collapsed() {
    // MSI SDK "Feature Table", Display: "If the value is odd, the feature node is expanded
    // initially. If the value is even, the feature node is collapsed initially." WiX's default
    // is "collapse".
    let wxs = main_wxs("1.2.3").replace(
        "<Binary Id=\"CaDll\"",
        "<Feature Id=\"Open\" Title=\"Open\" Level=\"1\" Display=\"expand\" />
    <Feature Id=\"Closed\" Title=\"Closed\" Level=\"1\" Display=\"collapse\" />
    <Feature Id=\"Open2\" Title=\"Open2\" Level=\"1\" Display=\"expand\" />
    <Binary Id=\"CaDll\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &wxs);
    build(&spec).unwrap();
    let features = rows(&mut open(&spec.output), "Feature");
    let display = |f: &str| find(&features, f)[4].parse::<i32>().unwrap();
    for (f, expanded) in [("Main", false), ("Open", true), ("Closed", false), ("Open2", true)] {
        assert!(display(f) > 0, "{f} is shown");
        assert_eq!(display(f) % 2 == 1, expanded, "{f}: Display {}", display(f));
    }
    // The numbers also give the order: authoring order, all different.
    let mut order: Vec<i32> = ["Main", "Open", "Closed", "Open2"].iter().map(|f| display(f)).collect();
    let sorted = order.clone();
    order.sort();
    assert_eq!(order, sorted);
    order.dedup();
    assert_eq!(order.len(), 4);
}

#[test]
fn per_user_scope_sets_the_no_elevation_word_count_bit() {
    // WiX Package/@InstallScope: perUser "also sets the InstallPrivileges attribute to limited";
    // MSI SDK "Word Count Summary": bit 3 (8) = elevated privileges are not required, bit 1 (2)
    // = compressed. A per-machine package has 2, a per-user one 10.
    let dir = tempfile::tempdir().unwrap();
    let spec =
        fixture(dir.path(), &main_wxs("1.2.3").replace("InstallScope=\"perMachine\"", "InstallScope=\"perUser\""));
    build(&spec).unwrap();
    assert_eq!(open(&spec.output).summary_info().word_count(), Some(10));
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3"));
    build(&spec).unwrap();
    assert_eq!(open(&spec.output).summary_info().word_count(), Some(2));
}

#[test]
fn x64_package_needs_installer_version_200() {
    // MSI SDK "Using 64-Bit Windows Installer Packages": a 64-bit package's Page Count
    // (InstallerVersion) must be 200 or greater; Windows refuses the package otherwise.
    let (e, file) = build_err(&main_wxs("1.2.3").replace("InstallerVersion=\"500\"", "InstallerVersion=\"150\""));
    assert!(e.starts_with(&format!("{}:5:", file.display())), "{e}");
    assert!(e.contains("InstallerVersion") && e.contains("at least 200"), "{e}");
    // 200 itself is fine.
    let dir = tempfile::tempdir().unwrap();
    let spec = fixture(dir.path(), &main_wxs("1.2.3").replace("InstallerVersion=\"500\"", "InstallerVersion=\"200\""));
    build(&spec).unwrap();
    assert_eq!(open(&spec.output).summary_info().page_count(), Some(200));
}

#[test]
fn publish_on_a_missing_dialog_is_a_dangling_reference() {
    // ControlEvent.Dialog_ is a key into the Dialog table (MSI SDK "ControlEvent Table"); WiX
    // references Publish/@Dialog, so a misspelt dialog fails the link.
    let wxs = main_wxs("1.2.3").replacen(
        "<Fragment>",
        "<Fragment>\n    <UI Id=\"Extra\"><Publish Dialog=\"NoSuchDlg\" Control=\"Next\" Event=\"DoAction\" Value=\"DoThing\">1</Publish></UI>",
        1,
    );
    let wxs = wxs.replace("<Binary Id=\"CaDll\"", "<UIRef Id=\"Extra\" />\n    <Binary Id=\"CaDll\"");
    let (e, _) = build_err(&wxs);
    assert!(e.contains("Dialog NoSuchDlg is referenced here but defined nowhere"), "{e}");
}
