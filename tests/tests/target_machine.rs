//! The release MSI's target-machine part (issue 5, docs/target-machine.md): the `IdmPrerequisite`
//! rows equal `wix/product.toml`'s list and parse with the custom action's own reader; the CEIP,
//! prerequisite and service-account actions are typed and sequenced as the logic needs; the
//! silent-install properties and the CEIP registry value are in place.

use std::collections::BTreeMap;

use custom_actions::fakes::FakeSession;
use custom_actions::prereq;
use installer_tests::{open_msi_at, product_config, skip_or_fail, table_maps, table_rows, try_release_msi};

/// MSI SDK "Custom Action In-Script Execution Options" and "Custom Action Return Processing
/// Options": the `CustomAction.Type` bits checked here.
const CONTINUE: i64 = 0x40;
const ROLLBACK: i64 = 0x100;
const IN_SCRIPT: i64 = 0x400;
const NO_IMPERSONATE: i64 = 0x800;

fn open() -> Option<msi::Package<std::fs::File>> {
    let Some(path) = try_release_msi() else {
        skip_or_fail("no release MSI in the dist folder; run `cargo xtask dist` first (or `cargo xtask test`)");
        return None;
    };
    Some(open_msi_at(&path))
}

/// Action -> (sequence number, condition) of one sequence table.
fn sequence(package: &mut msi::Package<std::fs::File>, table: &str) -> BTreeMap<String, (i64, String)> {
    table_maps(package, table)
        .into_iter()
        .map(|r| {
            (r["Action"].clone(), (r["Sequence"].parse().expect("Sequence is an integer"), r["Condition"].clone()))
        })
        .collect()
}

/// The `IdmPrerequisite` rows the release MSI must carry, written by hand from
/// `wix/product.toml`'s `[[prerequisite]]` list (not from the converter that makes the rows), in
/// the columns of `wix/target-machine.wxs.tera`: Prerequisite, Sequence, Name, Detect, Root, Key,
/// ValueName, Path, MinVersion, Install, Package, Arguments, Feature. The minimum versions are
/// what Microsoft documents: .NET Framework 4.8 is `Release` >= 528040 ("How to: Determine which
/// .NET Framework versions are installed"); the Visual C++ 2015-2022 runtime's `Version` value
/// under `Runtimes\x64` names 14.30 or later for the 2022 toolset; Windows Server 2016 is
/// 10.0.14393. A row without its minimum would accept any installed version.
const PREREQUISITE_ROWS: &[[&str; 13]] = &[
    ["WindowsServer2016", "1", "Windows Server 2016 or later", "windows", "", "", "", "", "10.0.14393", "", "", "", ""],
    [
        "NetFx48",
        "2",
        ".NET Framework 4.8",
        "registry",
        "HKLM",
        r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full",
        "Release",
        "",
        "528040",
        "package",
        "ndp48-x86-x64-allos-enu.exe",
        "/q /norestart",
        "",
    ],
    [
        "VCRedist2022x64",
        "3",
        "Visual C++ 2015-2022 Redistributable (x64)",
        "registry",
        "HKLM",
        r"SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64",
        "Version",
        "",
        "14.30",
        "package",
        "vc_redist.x64.exe",
        "/install /quiet /norestart",
        "",
    ],
];

#[test]
fn prerequisite_rows_are_those_product_toml_declares_and_parse() {
    let Some(mut package) = open() else { return };
    let mut rows = table_rows(&mut package, prereq::TABLE);
    rows.sort_by_key(|r| r[1].parse::<i64>().expect("Sequence is an integer"));
    let want: Vec<Vec<String>> = PREREQUISITE_ROWS.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows, want, "IdmPrerequisite rows vs wix/product.toml's [[prerequisite]] list");

    // The custom action's own reader accepts the table exactly as built.
    let columns: Vec<String> = package
        .get_table(prereq::TABLE)
        .expect("the table exists")
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let cells: Vec<Vec<Option<String>>> = table_rows(&mut package, prereq::TABLE)
        .into_iter()
        .map(|r| r.into_iter().map(|v| Some(v).filter(|v| !v.is_empty())).collect())
        .collect();
    let mut session = FakeSession::default();
    session.tables.insert(prereq::TABLE.into(), (columns, cells));
    let modules = prereq::read_modules(&session).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = modules.iter().map(|m| m.id.as_str()).collect();
    let want: Vec<&str> = PREREQUISITE_ROWS.iter().map(|r| r[0]).collect();
    assert_eq!(ids, want);
}

#[test]
fn actions_are_typed_for_what_they_do() {
    let Some(mut package) = open() else { return };
    let types: BTreeMap<String, i64> = table_maps(&mut package, "CustomAction")
        .into_iter()
        .map(|r| (r["Action"].clone(), r["Type"].parse().expect("Type")))
        .collect();
    let ty = |a: &str| *types.get(a).unwrap_or_else(|| panic!("CustomAction {a} is missing"));
    for a in [
        "PrepareCeip",
        "ApplyCeipCheckbox",
        "EvaluatePrerequisites",
        "InstallPrerequisites",
        "CheckPrerequisites",
        "ValidateServiceAccount",
        "CheckServiceAccount",
        "GrantLogonAsServiceData",
    ] {
        assert_eq!(ty(a) & IN_SCRIPT, 0, "{a} is immediate");
    }
    // Which of them hide their target follows from what they read: tests/hide_target.rs.
    assert_eq!(
        ty("GrantLogonAsService") & (IN_SCRIPT | NO_IMPERSONATE | ROLLBACK),
        IN_SCRIPT | NO_IMPERSONATE,
        "deferred, as LocalSystem"
    );
    assert_eq!(
        ty("GrantLogonAsServiceRollback") & (IN_SCRIPT | NO_IMPERSONATE | ROLLBACK),
        IN_SCRIPT | NO_IMPERSONATE | ROLLBACK,
        "rollback, as LocalSystem"
    );
    assert_ne!(ty("GrantLogonAsServiceRollback") & CONTINUE, 0, "a rollback action's failure is ignored");
}

#[test]
fn actions_are_sequenced_before_the_changes_they_guard() {
    let Some(mut package) = open() else { return };
    let exec = sequence(&mut package, "InstallExecuteSequence");
    let at = |a: &str| exec.get(a).unwrap_or_else(|| panic!("{a} is not in InstallExecuteSequence")).0;
    assert!(at("AppSearch") < at("PrepareCeip") && at("PrepareCeip") < at("WriteRegistryValues"));
    assert!(
        at("CheckServiceAccount") < at("CheckPrerequisites"),
        "the account is checked before anything is installed"
    );
    assert!(at("CheckPrerequisites") < at("InstallValidate"), "prerequisites are settled before any change");
    assert!(at("InstallInitialize") < at("GrantLogonAsServiceData"));
    assert!(at("GrantLogonAsServiceData") < at("GrantLogonAsServiceRollback"));
    assert!(at("GrantLogonAsServiceRollback") < at("GrantLogonAsService"), "rollback scheduled before the grant");
    assert!(at("GrantLogonAsService") < at("StartServices"));
    // The MSI installs no prerequisite, so it never asks for a restart; the setup program reports
    // a package's 3010 itself (docs/setup.md).
    assert!(!exec.contains_key("ScheduleReboot"), "no ScheduleReboot in the package");
    assert!(exec["GrantLogonAsService"].1.contains("SERVICE_LOGON"));

    let ui = sequence(&mut package, "InstallUISequence");
    let at = |a: &str| ui.get(a).unwrap_or_else(|| panic!("{a} is not in InstallUISequence")).0;
    assert!(at("EvaluatePrerequisites") < at("CostFinalize"), "published before the wizard's first dialog");
    assert!(at("AppSearch") < at("PrepareCeip"));
    assert!(at("ApplyCeipCheckbox") < at("ExecuteAction"));
}

#[test]
fn properties_and_the_ceip_value() {
    let Some(mut package) = open() else { return };
    let props: BTreeMap<String, String> =
        table_maps(&mut package, "Property").into_iter().map(|r| (r["Property"].clone(), r["Value"].clone())).collect();
    assert!(
        !props.contains_key("CEIP_OPTIN"),
        "CEIP_OPTIN has no Property-table default (empty = not given; PrepareCeip applies 1 unless a previous choice exists)"
    );
    assert_eq!(props["INSTALL_PREREQUISITES"], "0");
    assert!(!props.contains_key("SERVICE_PASSWORD"), "SERVICE_PASSWORD has no default");
    let list = |name: &str| props[name].split(';').map(str::to_string).collect::<Vec<_>>();
    assert!(list("MsiHiddenProperties").contains(&"SERVICE_PASSWORD".to_string()));
    let secure = list("SecureCustomProperties");
    for p in ["CEIP_OPTIN", "SERVICE_ACCOUNT", "SERVICE_PASSWORD", "SERVICE_LOGON", "INSTALL_PREREQUISITES"] {
        assert!(secure.contains(&p.to_string()), "{p} is Secure");
    }

    let config = product_config();
    let key = format!(r"SOFTWARE\{}\{}\CEIP", config.manufacturer, config.name);
    let registry = table_maps(&mut package, "Registry");
    let value = registry.iter().find(|r| r["Key"] == key && r["Name"] == "Enabled").expect("the CEIP registry value");
    assert_eq!(value["Root"], "2", "HKLM");
    assert_eq!(value["Value"], "#[CEIP_OPTIN_NORMALIZED]", "a DWORD from the normalised choice");
    let component = value["Component_"].clone();
    assert!(
        table_maps(&mut package, "FeatureComponents").iter().any(|r| r["Component_"] == component),
        "{component} belongs to a feature"
    );
    let locator = table_maps(&mut package, "RegLocator");
    let search = locator.iter().find(|r| r["Key"] == key && r["Name"] == "Enabled").expect("the CEIP RegistrySearch");
    assert_eq!(search["Type"], "18", "raw value (2), 64-bit view (16)");
}
