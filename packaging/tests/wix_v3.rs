//! WiX v3 constructs outside this product's own sources (issue 15): a cargo-wix-shaped project
//! (`tests/wix_v3/main.wxs`, written for these tests) built for x86 and x64 the way candle+light
//! build it (relative `Source` against the current directory and the bind paths), its tables read
//! back with the `msi` crate. Expected values come from WiX v3's documentation of each element
//! and the MSI SDK table pages, not from the backend.

use packaging::wix::{build_with, Arch, BindPath, BuildOptions, BuildSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type Pkg = msi::Package<std::fs::File>;

fn rows(pkg: &mut Pkg, table: &str) -> Vec<Vec<String>> {
    let r = pkg.select_rows(msi::Select::table(table)).unwrap_or_else(|e| panic!("{table}: {e}"));
    r.map(|row| {
        (0..row.len())
            .map(|i| match &row[i] {
                msi::Value::Null => String::new(),
                msi::Value::Int(i) => i.to_string(),
                msi::Value::Str(s) => s.clone(),
                msi::Value::Binary => "[Binary]".to_owned(),
            })
            .collect()
    })
    .collect()
}

fn row(pkg: &mut Pkg, table: &str, key: &str) -> Vec<String> {
    rows(pkg, table).into_iter().find(|r| r[0] == key).unwrap_or_else(|| panic!("no {table} row {key}"))
}

/// A cargo-wix project: `wix/main.wxs`, `wix/License.rtf`, `target/release/hello-cli.exe`.
fn project(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("wix")).unwrap();
    std::fs::create_dir_all(dir.join("target/release")).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wix_v3/main.wxs");
    std::fs::copy(fixture, dir.join("wix/main.wxs")).unwrap();
    std::fs::write(dir.join("wix/License.rtf"), "{\\rtf1\\ansi License text\\par}").unwrap();
    std::fs::write(dir.join("target/release/hello-cli.exe"), b"MZ not a real program").unwrap();
    dir.join("wix/main.wxs")
}

fn build_project_at(dir: &Path, src: &Path, arch: Arch) -> Result<(PathBuf, packaging::wix::BuildReport), String> {
    build_source(dir, src.to_path_buf(), arch, &[("CargoTargetBinDir", "target\\release")])
}

fn build_project(
    dir: &Path,
    arch: Arch,
    vars: &[(&str, &str)],
) -> Result<(PathBuf, packaging::wix::BuildReport), String> {
    let src = project(dir);
    build_source(dir, src, arch, vars)
}

fn build_source(
    dir: &Path,
    src: PathBuf,
    arch: Arch,
    vars: &[(&str, &str)],
) -> Result<(PathBuf, packaging::wix::BuildReport), String> {
    let out = dir.join(format!("hello-{}.msi", arch.name()));
    let spec = BuildSpec {
        sources: vec![src],
        variables: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        output: out.clone(),
        source_date_epoch: Some(1_700_000_000),
        ..Default::default()
    };
    // light resolves relative Source paths against the current directory and the -b folders;
    // the test cannot change the process's current directory, so the project folder is a bind path.
    let options = BuildOptions {
        arch,
        bind_paths: Some(vec![BindPath { name: None, dir: dir.to_path_buf() }]),
        ..Default::default()
    };
    build_with(&spec, &options).map(|r| (out, r)).map_err(|e| e.to_string())
}

#[test]
fn cargo_wix_project_builds_for_x64() {
    let dir = tempfile::tempdir().unwrap();
    let (msi, report) = build_project(dir.path(), Arch::X64, &[("CargoTargetBinDir", "target\\release")]).unwrap();
    assert_eq!(report.files, 2);
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    // Summary information Template: "x64;1033" for a 64-bit package (MSI SDK "Template Summary").
    assert_eq!(pkg.summary_info().arch(), Some("x64"));
    // <?if $(sys.BUILDARCH) = x64?> picked ProgramFiles64Folder; <?ifndef Version?> defined it.
    assert_eq!(row(&mut pkg, "Directory", "APPLICATIONFOLDER")[1], "ProgramFiles64Folder");
    assert_eq!(row(&mut pkg, "Property", "ProductVersion")[1], "0.1.0");
    // Win64="yes" from the variable: msidbComponentAttributes64bit (0x100).
    assert_eq!(row(&mut pkg, "Component", "binary0")[3], "256");
    // $(var.CargoTargetBinDir)\hello-cli.exe resolved through the bind path.
    assert_eq!(row(&mut pkg, "File", "exe0")[3], "21");
    // Environment: "=" set, "-" remove on uninstall, "*" system; Part="last": "[~];value".
    assert_eq!(row(&mut pkg, "Environment", "PATH"), ["PATH", "=-*PATH", "[~];[Bin]", "Path"]);
    // Shortcut under File: target [#exe0], ShortcutProperty row.
    let s = row(&mut pkg, "Shortcut", "StartMenuShortcut");
    assert_eq!(
        (s[1].as_str(), s[3].as_str(), s[4].as_str(), s[11].as_str()),
        ("ProgramMenuFolder", "binary0", "[#exe0]", "Bin")
    );
    let p = &rows(&mut pkg, "MsiShortcutProperty")[0];
    assert_eq!(
        (p[1].as_str(), p[2].as_str(), p[3].as_str()),
        ("StartMenuShortcut", "System.AppUserModel.ID", "Example.HelloCli")
    );
    // The standard actions for the new tables (MSI SDK suggested sequence numbers).
    let seq = rows(&mut pkg, "InstallExecuteSequence");
    let n = |a: &str| seq.iter().find(|r| r[0] == a).unwrap_or_else(|| panic!("{a} not sequenced"))[2].clone();
    assert_eq!((n("RemoveShortcuts"), n("RemoveEnvironmentStrings")), ("3200".into(), "3300".into()));
    assert_eq!((n("CreateShortcuts"), n("WriteEnvironmentStrings")), ("4500".into(), "5200".into()));
    // !(wix.ProductHelp) from the <WixVariable>.
    assert_eq!(row(&mut pkg, "Property", "ARPHELPLINK")[1], "https://example.invalid/hello-cli");
}

#[test]
fn the_same_source_builds_for_x86() {
    let dir = tempfile::tempdir().unwrap();
    let (msi, _) =
        build_project(dir.path(), Arch::X86, &[("CargoTargetBinDir", "target\\release"), ("Version", "2.0.1")])
            .unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    // "Intel;1033" for a 32-bit package; 32-bit folder and components.
    assert_eq!(pkg.summary_info().arch(), Some("Intel"));
    assert_eq!(row(&mut pkg, "Directory", "APPLICATIONFOLDER")[1], "ProgramFilesFolder");
    assert_eq!(row(&mut pkg, "Component", "binary0")[3], "0");
    assert_eq!(row(&mut pkg, "Property", "ProductVersion")[1], "2.0.1", "-d Version wins over <?ifndef?>");
}

#[test]
fn without_the_bind_path_a_relative_source_is_an_error_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    let spec = BuildSpec {
        sources: vec![src],
        variables: BTreeMap::from([("CargoTargetBinDir".into(), "target\\release".into())]),
        output: dir.path().join("x.msi"),
        ..Default::default()
    };
    let e =
        build_with(&spec, &BuildOptions { bind_paths: Some(vec![]), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("main.wxs:34:") && e.contains("License.rtf"), "{e}");
    assert!(!dir.path().join("x.msi").exists());
}

#[test]
fn preprocessor_errors_point_into_the_source() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let e = build_project(dir.path(), Arch::X64, &[]).unwrap_err();
    assert!(e.contains("main.wxs:41:") && e.contains("$(var.CargoTargetBinDir)"), "{e}");
}

/// The project with an event source for the program (WiX util extension's `<util:EventSource>`)
/// and a line in an .ini file (`<IniFile>`), both in the program's component.
fn with_extras(src: &Path) {
    let text = std::fs::read_to_string(src)
        .unwrap()
        .replace(
            "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\">",
            "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\" xmlns:util=\"http://schemas.microsoft.com/wix/UtilExtension\">",
        )
        .replace(
            "                            </File>\n",
            "                            </File>\n                            <util:EventSource Name=\"hello-cli\" Log=\"Application\" EventMessageFile=\"[#exe0]\" SupportsErrors=\"yes\" SupportsInformationals=\"yes\" />\n                            <IniFile Id=\"HelloIni\" Action=\"addLine\" Directory=\"APPLICATIONFOLDER\" Name=\"hello-cli.ini\" ShortName=\"hello.ini\" Section=\"hello\" Key=\"greeting\" Value=\"[ProductName]\" />\n",
        );
    assert!(text.contains("util:EventSource"));
    std::fs::write(src, text).unwrap();
}

/// `<util:EventSource>` writes the event source's values into the Registry table of the
/// component, as WiX's util extension documents the element: HKLM (root 2),
/// `SYSTEM\CurrentControlSet\Services\EventLog\<Log>\<Name>`, `EventMessageFile` as
/// REG_EXPAND_SZ (`#%`), `TypesSupported` as REG_DWORD (`#`), EVENTLOG_ERROR_TYPE (1) |
/// EVENTLOG_INFORMATION_TYPE (4) = 5 (Microsoft's "Event Sources" page).
#[test]
fn util_event_source_and_ini_file_tables() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    with_extras(&src);
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X64).unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    let key = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\hello-cli";
    let mut reg: Vec<Vec<String>> = rows(&mut pkg, "Registry").into_iter().map(|r| r[1..].to_vec()).collect();
    reg.sort();
    assert_eq!(
        reg,
        [["2", key, "EventMessageFile", "#%[#exe0]", "binary0"], ["2", key, "TypesSupported", "#5", "binary0"],]
    );
    // The file stays the key path; WriteRegistryValues/RemoveRegistryValues are sequenced.
    assert_eq!(row(&mut pkg, "Component", "binary0")[5], "exe0");
    let seq = rows(&mut pkg, "InstallExecuteSequence");
    assert!(seq.iter().any(|r| r[0] == "WriteRegistryValues") && seq.iter().any(|r| r[0] == "RemoveRegistryValues"));
    // <IniFile Action="addLine">: msidbIniFileActionAddLine (0), MSI SDK "IniFile Table"; the
    // ini actions at their suggested sequence numbers (RemoveIniValues 3100, WriteIniValues 5100).
    assert_eq!(
        row(&mut pkg, "IniFile", "HelloIni"),
        [
            "HelloIni",
            "hello.ini|hello-cli.ini",
            "APPLICATIONFOLDER",
            "hello",
            "greeting",
            "[ProductName]",
            "0",
            "binary0"
        ]
    );
    let n = |a: &str| seq.iter().find(|r| r[0] == a).map(|r| r[2].clone());
    assert_eq!((n("RemoveIniValues"), n("WriteIniValues")), (Some("3100".into()), Some("5100".into())));
}

/// WiX's util custom action that re-broadcasts the environment change is refused with its
/// position and the reason (it is WiX's DLL code, not a table).
#[test]
fn util_broadcast_custom_action_is_an_error_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    let text = std::fs::read_to_string(&src).unwrap().replace(
        "        <SetProperty Id=\"ARPINSTALLLOCATION\"",
        "        <CustomActionRef Id=\"WixBroadcastEnvironmentChange\" />\n        <SetProperty Id=\"ARPINSTALLLOCATION\"",
    );
    std::fs::write(&src, text).unwrap();
    let e = build_project_at(dir.path(), &src, Arch::X64).unwrap_err();
    assert!(
        e.contains("main.wxs:62:9:") && e.contains("WixBroadcastEnvironmentChange") && e.contains("wixca.dll"),
        "{e}"
    );
    assert!(!dir.path().join("hello-x64.msi").exists());
}

/// Runs `wine` with a private prefix; `None` when Wine is missing (an error under CI).
fn wine(prefix: &Path, args: &[&str]) -> Option<std::process::Output> {
    let out = std::process::Command::new("wine")
        .args(args)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .output();
    match out {
        Ok(o) => Some(o),
        Err(e) => {
            test_support::skip_or_fail(&format!(
                "Wine not available ({e}); the install check of the cargo-wix project did not run"
            ));
            None
        }
    }
}

/// The cargo-wix project (with an event source and an .ini line added) installed by Wine's
/// msiexec: the shortcut file, the PATH entry, the event source's registry key and the .ini line
/// land (Environment, Shortcut, util:EventSource and IniFile change what is on disk and in the
/// registry), and uninstall removes them.
#[test]
fn cargo_wix_project_installs_and_uninstalls_under_wine() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    with_extras(&src);
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X64).unwrap();
    let prefix = dir.path().join("prefix");
    let Some(boot) = wine(&prefix, &["wineboot", "-i"]) else { return };
    assert!(boot.status.success(), "wineboot: {boot:?}");
    let msi_arg = format!("Z:{}", msi.display()).replace('/', "\\");
    let install = wine(&prefix, &["msiexec", "/i", &msi_arg, "/qn"]).unwrap();
    assert!(install.status.success(), "install: {install:?}");
    let drive_c = prefix.join("drive_c");
    let found = |name: &str| walk(&drive_c).into_iter().any(|p| p.file_name().is_some_and(|n| n == name));
    assert!(found("hello-cli.exe"), "the program is installed");
    assert!(found("hello-cli.lnk"), "the Start-menu shortcut is created");
    let env_key = r"HKLM\System\CurrentControlSet\Control\Session Manager\Environment";
    let path = || {
        String::from_utf8_lossy(&wine(&prefix, &["reg", "query", env_key, "/v", "PATH"]).unwrap().stdout).into_owned()
    };
    assert!(path().contains(r"C:\Program Files\hello-cli\bin\"), "PATH has the bin folder: {}", path());
    let source_key = r"HKLM\System\CurrentControlSet\Services\EventLog\Application\hello-cli";
    let event_source = || {
        let out = wine(&prefix, &["reg", "query", source_key, "/v", "EventMessageFile"]).unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (found_key, text) = event_source();
    assert!(found_key && text.contains("REG_EXPAND_SZ") && text.contains(r"hello-cli\bin\hello-cli.exe"), "{text}");
    let ini = walk(&drive_c).into_iter().find(|p| p.file_name().is_some_and(|n| n == "hello-cli.ini"));
    let ini_text = |p: &Option<PathBuf>| p.as_ref().map(|p| std::fs::read_to_string(p).unwrap_or_default());
    let text = ini_text(&ini).expect("the .ini file is written in the install folder");
    assert!(text.contains("[hello]") && text.contains("greeting=hello-cli"), "{text}");
    let uninstall = wine(&prefix, &["msiexec", "/x", &msi_arg, "/qn"]).unwrap();
    assert!(uninstall.status.success(), "uninstall: {uninstall:?}");
    assert!(!found("hello-cli.lnk") && !found("hello-cli.exe"), "uninstall removes the shortcut and the program");
    assert!(!path().contains("hello-cli"), "uninstall removes the PATH entry: {}", path());
    assert!(!event_source().0, "uninstall removes the event source's value: {}", event_source().1);
    // RemoveIniValues takes the line out (the file may stay, empty, or go).
    assert!(!ini_text(&ini).unwrap_or_default().contains("greeting"), "uninstall removes the .ini line");
    // Stop this prefix's wineserver before the folder is removed.
    let _ = std::process::Command::new("wineserver").arg("-k").env("WINEPREFIX", &prefix).status();
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() && !path.is_symlink() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

/// `<UIRef Id="WixUI_InstallDir"/>` gets the project's own dialogs under WiX's names, wired as
/// WiX's UI extension documents the set (Welcome -> License -> InstallDir -> VerifyReady), with
/// `WIXUI_INSTALLDIR` and `WixUILicenseRtf` honoured.
#[test]
fn wixui_install_dir_set() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    let text = std::fs::read_to_string(&src).unwrap().replace(
        "        <SetProperty Id=\"ARPINSTALLLOCATION\"",
        "        <Property Id=\"WIXUI_INSTALLDIR\" Value=\"APPLICATIONFOLDER\" />\n        <Property Id=\"APPLICATIONFOLDER\" Secure=\"yes\" />\n        <UIRef Id=\"WixUI_InstallDir\" />\n        <WixVariable Id=\"WixUILicenseRtf\" Value=\"wix\\License.rtf\" />\n        <SetProperty Id=\"ARPINSTALLLOCATION\"",
    );
    std::fs::write(&src, text).unwrap();
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X64).unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    let dialogs: Vec<String> = rows(&mut pkg, "Dialog").into_iter().map(|r| r[0].clone()).collect();
    for d in [
        "WelcomeDlg",
        "LicenseAgreementDlg",
        "InstallDirDlg",
        "BrowseDlg",
        "VerifyReadyDlg",
        "ProgressDlg",
        "ExitDialog",
        "UserExit",
        "FatalError",
        "MaintenanceWelcomeDlg",
        "MaintenanceTypeDlg",
        "ErrorDlg",
        "CancelDlg",
    ] {
        assert!(dialogs.iter().any(|x| x == d), "dialog {d} in {dialogs:?}");
    }
    let events = rows(&mut pkg, "ControlEvent");
    let has =
        |d: &str, c: &str, e: &str, a: &str| events.iter().any(|r| r[0] == d && r[1] == c && r[2] == e && r[3] == a);
    assert!(has("WelcomeDlg", "Next", "NewDialog", "LicenseAgreementDlg"));
    assert!(has("LicenseAgreementDlg", "Next", "NewDialog", "InstallDirDlg"));
    assert!(has("InstallDirDlg", "Next", "SetTargetPath", "[WIXUI_INSTALLDIR]"));
    assert!(has("InstallDirDlg", "ChangeFolder", "[_BrowseProperty]", "[WIXUI_INSTALLDIR]"));
    assert!(has("InstallDirDlg", "Next", "NewDialog", "VerifyReadyDlg"));
    assert!(has("VerifyReadyDlg", "Install", "EndDialog", "Return"));
    // The PathEdit edits the directory named by WIXUI_INSTALLDIR (Indirect, 0x8 in Attributes).
    let ctl = rows(&mut pkg, "Control");
    let folder = ctl.iter().find(|r| r[0] == "InstallDirDlg" && r[1] == "Folder").unwrap();
    assert_eq!(folder[8], "WIXUI_INSTALLDIR");
    assert!(folder[7].parse::<i32>().unwrap() & 0x8 != 0, "indirect: {folder:?}");
    assert_eq!(row(&mut pkg, "Property", "WIXUI_INSTALLDIR")[1], "APPLICATIONFOLDER");
    // The licence shown is the WixUILicenseRtf given, not the library's default.
    let lic = ctl.iter().find(|r| r[0] == "LicenseAgreementDlg" && r[1] == "LicenseText").unwrap();
    assert!(lic[9].contains("License text"), "{lic:?}");
    // The first dialog and the exit dialogs are sequenced.
    let ui = rows(&mut pkg, "InstallUISequence");
    for (a, n) in [("ExitDialog", "-1"), ("UserExit", "-2"), ("FatalError", "-3")] {
        assert_eq!(ui.iter().find(|r| r[0] == a).map(|r| r[2].as_str()), Some(n), "{a}");
    }
    assert!(ui.iter().any(|r| r[0] == "WelcomeDlg" && r[1] == "NOT Installed"));
    assert!(rows(&mut pkg, "Binary").iter().any(|r| r[0] == "WixUI_Bmp_Banner"));
    // The validator finds nothing wrong with the dialogs.
    let report = packaging::validate::validate_file(&msi).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
}

/// The project with `<UIRef Id="WixUI_Advanced"/>` and what WiX's WixUI_Advanced asks of a source
/// (the APPLICATIONFOLDER directory, ApplicationFolderName, WixAppFolder), plus `extra` lines.
fn advanced_project(dir: &Path, extra: &str) -> PathBuf {
    let src = project(dir);
    let text = std::fs::read_to_string(&src).unwrap().replace(
        "        <SetProperty Id=\"ARPINSTALLLOCATION\"",
        &format!(
            "        <Property Id=\"ApplicationFolderName\" Value=\"hello-cli\" />\n        \
             <Property Id=\"WixAppFolder\" Value=\"WixPerMachineFolder\" />\n        \
             <Property Id=\"APPLICATIONFOLDER\" Secure=\"yes\" />\n        <UIRef Id=\"WixUI_Advanced\" />\n{extra}\
             <SetProperty Id=\"ARPINSTALLLOCATION\""
        ),
    );
    std::fs::write(&src, text).unwrap();
    src
}

/// `<UIRef Id="WixUI_Advanced"/>`: WiX's dialog names (AdvancedWelcomeEulaDlg, InstallScopeDlg,
/// FeaturesDlg with the common InstallDirDlg/BrowseDlg), the WixAppFolder radio buttons, the
/// navigation of WiX's WixUI_Advanced (Advanced -> InstallScopeDlg when both scopes are
/// supported; per-machine -> InstallDirDlg, per-user -> FeaturesDlg, ALLUSERS set accordingly),
/// and the four property-setting actions (type 51, MSI SDK "Custom Action Type 51") that pick
/// APPLICATIONFOLDER from ApplicationFolderName, before CostFinalize in both sequences.
#[test]
fn wixui_advanced_set() {
    let dir = tempfile::tempdir().unwrap();
    let src = advanced_project(dir.path(), "");
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X64).unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    let dialogs: Vec<String> = rows(&mut pkg, "Dialog").into_iter().map(|r| r[0].clone()).collect();
    for d in ["AdvancedWelcomeEulaDlg", "InstallScopeDlg", "FeaturesDlg", "InstallDirDlg", "BrowseDlg", "ExitDialog"] {
        assert!(dialogs.iter().any(|x| x == d), "dialog {d} in {dialogs:?}");
    }
    let ui = rows(&mut pkg, "InstallUISequence");
    assert!(ui.iter().any(|r| r[0] == "AdvancedWelcomeEulaDlg" && r[1] == "NOT Installed"), "{ui:?}");
    // Type 51 (set a property from a formatted string): Source = property, Target = value.
    let ca = |id: &str| row(&mut Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap(), "CustomAction", id);
    assert_eq!(
        ca("WixSetDefaultPerUserFolder")[1..4],
        ["51", "WixPerUserFolder", r"[LocalAppDataFolder]Apps\[ApplicationFolderName]"]
    );
    // A 64-bit build: the 64-bit Program Files folder (WiX v3 would use the 32-bit one).
    assert_eq!(
        ca("WixSetDefaultPerMachineFolder")[1..4],
        ["51", "WixPerMachineFolder", "[ProgramFiles64Folder][ApplicationFolderName]"]
    );
    assert_eq!(ca("WixSetPerUserFolder")[1..4], ["51", "APPLICATIONFOLDER", "[WixPerUserFolder]"]);
    assert_eq!(ca("WixSetPerMachineFolder")[1..4], ["51", "APPLICATIONFOLDER", "[WixPerMachineFolder]"]);
    for table in ["InstallUISequence", "InstallExecuteSequence"] {
        let seq = rows(&mut pkg, table);
        let n = |a: &str| -> i32 {
            seq.iter().find(|r| r[0] == a).unwrap_or_else(|| panic!("{a} not in {table}"))[2].parse().unwrap()
        };
        let order = [
            "WixSetDefaultPerUserFolder",
            "WixSetDefaultPerMachineFolder",
            "WixSetPerUserFolder",
            "WixSetPerMachineFolder",
            "CostFinalize",
        ];
        assert!(order.windows(2).all(|w| n(w[0]) < n(w[1])), "{table}: {:?}", order.map(n));
        let cond = |a: &str| seq.iter().find(|r| r[0] == a).unwrap()[1].clone();
        assert!(cond("WixSetPerMachineFolder")
            .contains("APPLICATIONFOLDER=\"\" AND (ALLUSERS=1 OR (ALLUSERS=2 AND Privileged))"));
        assert!(cond("WixSetPerUserFolder").contains("(ALLUSERS=\"\" OR (ALLUSERS=2 AND (NOT Privileged)))"));
    }
    let events = rows(&mut pkg, "ControlEvent");
    let has = |d: &str, c: &str, e: &str, a: &str, cond: &str| {
        events.iter().any(|r| r[0] == d && r[1] == c && r[2] == e && r[3] == a && r[4] == cond)
    };
    // Both scopes supported (WixUISupportPerUser = WixUISupportPerMachine = 1 by default).
    assert!(has("AdvancedWelcomeEulaDlg", "Advanced", "NewDialog", "InstallScopeDlg", "1 AND 1"), "{events:?}");
    assert!(has("InstallScopeDlg", "Next", "[ALLUSERS]", "{}", "WixAppFolder = \"WixPerUserFolder\""));
    assert!(has("InstallScopeDlg", "Next", "[ALLUSERS]", "1", "WixAppFolder = \"WixPerMachineFolder\""));
    assert!(has("InstallScopeDlg", "Next", "NewDialog", "InstallDirDlg", "WixAppFolder = \"WixPerMachineFolder\""));
    assert!(has("InstallScopeDlg", "Next", "NewDialog", "FeaturesDlg", "WixAppFolder = \"WixPerUserFolder\""));
    assert!(has("InstallDirDlg", "Next", "SetTargetPath", "[WIXUI_INSTALLDIR]", "1"));
    assert!(has("InstallDirDlg", "Next", "NewDialog", "FeaturesDlg", "1"));
    assert!(has("AdvancedWelcomeEulaDlg", "Install", "EndDialog", "Return", "OutOfDiskSpace <> 1"));
    assert!(has("FeaturesDlg", "InstallNoShield", "EndDialog", "Return", "OutOfDiskSpace <> 1"));
    let radio: Vec<String> =
        rows(&mut pkg, "RadioButton").into_iter().filter(|r| r[0] == "WixAppFolder").map(|r| r[2].clone()).collect();
    assert_eq!(radio, ["WixPerUserFolder", "WixPerMachineFolder"]);
    assert_eq!(row(&mut pkg, "Property", "WIXUI_INSTALLDIR")[1], "APPLICATIONFOLDER");
    assert_eq!(row(&mut pkg, "Property", "WixUI_Mode")[1], "Advanced");
    let report = packaging::validate::validate_file(&msi).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);

    // WixUISupportPerUser = 0: Advanced goes straight to the folder.
    let dir = tempfile::tempdir().unwrap();
    let src = advanced_project(dir.path(), "        <WixVariable Id=\"WixUISupportPerUser\" Value=\"0\" />\n");
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X86).unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    let events = rows(&mut pkg, "ControlEvent");
    assert!(events.iter().any(|r| r[0] == "AdvancedWelcomeEulaDlg"
        && r[1] == "Advanced"
        && r[3] == "InstallDirDlg"
        && r[4] == "1 AND NOT 0"));
    assert_eq!(
        row(&mut pkg, "CustomAction", "WixSetDefaultPerMachineFolder")[3],
        "[ProgramFilesFolder][ApplicationFolderName]"
    );

    // ApplicationFolderName is required, as in WiX (a reference the source must satisfy).
    let dir = tempfile::tempdir().unwrap();
    let src = advanced_project(dir.path(), "");
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace("<Property Id=\"ApplicationFolderName\" Value=\"hello-cli\" />", "");
    std::fs::write(&src, text).unwrap();
    let e = build_project_at(dir.path(), &src, Arch::X64).unwrap_err();
    assert!(e.contains("ApplicationFolderName"), "{e}");
}

#[test]
fn every_wixui_set_builds() {
    for set in ["WixUI_Minimal", "WixUI_FeatureTree", "WixUI_Mondo", "WixUI_Common"] {
        let dir = tempfile::tempdir().unwrap();
        let src = project(dir.path());
        let text = std::fs::read_to_string(&src).unwrap().replace(
            "        <SetProperty Id=\"ARPINSTALLLOCATION\"",
            &format!("        <UIRef Id=\"{set}\" />\n        <SetProperty Id=\"ARPINSTALLLOCATION\""),
        );
        std::fs::write(&src, text).unwrap();
        let (msi, _) = build_project_at(dir.path(), &src, Arch::X86).unwrap_or_else(|e| panic!("{set}: {e}"));
        let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
        let first = match set {
            "WixUI_Minimal" => Some("WelcomeEulaDlg"),
            "WixUI_Common" => None,
            _ => Some("WelcomeDlg"),
        };
        let ui = rows(&mut pkg, "InstallUISequence");
        assert_eq!(
            ui.iter().find(|r| r[1] == "NOT Installed" && r[0].contains("Welcome")).map(|r| r[0].as_str()),
            first,
            "{set}"
        );
        let report = packaging::validate::validate_file(&msi).unwrap();
        assert!(!report.has_errors(), "{set}: {:?}", report.findings);
    }
}

/// `Product/@Codepage` and `Package/@SummaryCodepage` other than 1252: the database and the
/// summary information are written in that code page (MSI SDK "Code Page Handling"), and a
/// character the code page cannot hold is an error with its position.
#[test]
fn other_code_pages() {
    let dir = tempfile::tempdir().unwrap();
    let src = project(dir.path());
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace("Codepage=\"1252\"", "Codepage=\"1251\"")
        .replace("Manufacturer=\"Example Maintainers\"", "Manufacturer=\"\u{41f}\u{440}\u{438}\u{43c}\u{435}\u{440}\"");
    std::fs::write(&src, &text).unwrap();
    let (msi, _) = build_project_at(dir.path(), &src, Arch::X64).unwrap();
    let mut pkg = Pkg::open(std::fs::File::open(&msi).unwrap()).unwrap();
    assert_eq!(pkg.database_codepage(), msi::CodePage::Windows1251);
    assert_eq!(pkg.summary_info().codepage(), msi::CodePage::Windows1251);
    assert_eq!(pkg.summary_info().author(), Some("\u{41f}\u{440}\u{438}\u{43c}\u{435}\u{440}"));
    assert_eq!(row(&mut pkg, "Property", "Manufacturer")[1], "\u{41f}\u{440}\u{438}\u{43c}\u{435}\u{440}");
    // e acute is not in Windows-1251.
    std::fs::write(&src, text.replace("Value=\"hello-cli Installation\"", "Value=\"caf\u{e9}\"")).unwrap();
    let e = build_project_at(dir.path(), &src, Arch::X64).unwrap_err();
    assert!(e.contains("main.wxs:27:9:") && e.contains("1251"), "{e}");
    std::fs::write(&src, text.replace("Codepage=\"1251\" Version", "Codepage=\"65001\" Version")).unwrap();
    assert!(build_project_at(dir.path(), &src, Arch::X64).unwrap_err().contains("65001 is not supported"));
}
