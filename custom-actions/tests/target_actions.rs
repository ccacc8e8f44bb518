//! The target-machine actions (CEIP, prerequisites, service account) run in the order msiexec
//! runs them, against fake machines; and the fragment `wix/target-machine.wxs.tera` kept in step
//! with the logic (table columns, DLL exports). No password may appear in any log line or
//! property other than `SERVICE_PASSWORD` itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bundle_core::fixtures::{self, TEST_KEY};
use custom_actions::account;
use custom_actions::ceip;
use custom_actions::fakes::{FakeLogon, FakeRights, FakeScript, FakeSession};
use custom_actions::prereq::{self, FileProbe, RegValue, Root, System, SystemError, Version};
use custom_actions::session::{ActionResult, Session, Token};

const PASSWORD: &str = "Tr0ub4dor&3-unique-secret";
const MSI: &str = r"C:\media\idm-3.3.2-x64.msi";
const TEST_PACKAGE: &str = r"C:\media\prerequisites\idm-test-prereq.cmd";

/// A machine whose test module is installed by running the test package through cmd.exe.
#[derive(Default)]
struct Machine {
    registry: BTreeMap<(String, String), RegValue>,
    package_exit: u32,
    runs: Vec<(String, String)>,
}

impl System for Machine {
    fn registry_value(&self, _root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
        Ok(self.registry.get(&(key.to_string(), name.to_string())).cloned())
    }
    fn file_version(&self, path: &str) -> Result<FileProbe, SystemError> {
        Ok(if path == TEST_PACKAGE { FileProbe::NoVersion } else { FileProbe::Missing })
    }
    fn os_version(&self) -> Result<Version, SystemError> {
        Ok(Version(vec![10, 0, 20348]))
    }
    fn run(&mut self, program: &str, args: &str) -> Result<u32, SystemError> {
        self.runs.push((program.to_string(), args.to_string()));
        if self.package_exit == 0 || self.package_exit == 3010 {
            self.registry.insert((TEST_KEY.to_string(), "Version".to_string()), RegValue::Text("1.0.0".into()));
        }
        Ok(self.package_exit)
    }
}

/// A domain with one account, `CORP\svc-idm`, whose password is [`PASSWORD`].
fn domain() -> FakeLogon {
    let mut d = FakeLogon::one("svc-idm", Some("CORP"), PASSWORD);
    d.down_level.insert("svc-idm@corp.example.com".into(), r"CORP\svc-idm".into());
    d
}

/// The package as the fragment builds it from the default list plus the e2e test module.
fn package(props: &[(&str, &str)]) -> FakeSession {
    let mut s = FakeSession::default();
    for (k, v) in [
        ("OriginalDatabase", MSI),
        ("System64Folder", r"C:\Windows\System32\"),
        // No CEIP_OPTIN: the Property table has no default for it (empty = not given).
        ("INSTALL_PREREQUISITES", "0"),
    ] {
        s.properties.insert(k.into(), v.into());
    }
    for (k, v) in props {
        s.properties.insert(k.to_string(), v.to_string());
    }
    s.tables.insert(prereq::TABLE.into(), fixtures::table(fixtures::test_rows()));
    s
}

fn assert_no_password(sessions: &[&FakeSession]) {
    for s in sessions {
        for line in &s.log {
            assert!(!line.contains(PASSWORD), "password in a log line: {line}");
        }
        for (name, value) in &s.properties {
            if name != "SERVICE_PASSWORD" {
                assert!(!value.contains(PASSWORD), "password in property {name}");
            }
        }
    }
}

/// Carries the Secure properties from the UI sequence to the execute sequence, as msiexec does.
fn to_server(ui: &FakeSession) -> FakeSession {
    let mut server = package(&[]);
    for name in
        ["CEIP_OPTIN", "SERVICE_ACCOUNT", "SERVICE_PASSWORD", "SERVICE_LOGON", "INSTALL_PREREQUISITES", "UILevel"]
    {
        match ui.properties.get(name) {
            Some(v) => server.properties.insert(name.into(), v.clone()),
            None => server.properties.remove(name),
        };
    }
    server
}

#[test]
fn silent_install_with_everything_asked_for() {
    let mut machine = Machine::default();
    let domain = domain();
    let mut lsa = FakeRights::default();
    let mut s = package(&[
        ("UILevel", "2"),
        ("CEIP_OPTIN", "0"),
        ("SERVICE_ACCOUNT", r"CORP\svc-idm"),
        ("SERVICE_PASSWORD", PASSWORD),
    ]);
    // The setup program installed the module before it ran the MSI.
    machine.registry.insert((TEST_KEY.to_string(), "Version".to_string()), RegValue::Text("1.0.0".into()));
    assert_eq!(ceip::prepare_ceip(&mut s), ActionResult::Success);
    assert_eq!(account::check_service_account(&mut s, &domain), ActionResult::Success);
    assert_eq!(prereq::check_prerequisites(&mut s, &machine), ActionResult::Success);
    assert_eq!(account::grant_logon_data(&mut s), ActionResult::Success);
    let mut deferred = FakeScript::deferred(&s.properties["GrantLogonAsService"]);
    lsa.token.set(Token::System);
    assert_eq!(account::grant_logon(&mut deferred, &mut lsa), ActionResult::Success);

    assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "0");
    assert_eq!(s.properties["SERVICE_LOGON"], r"CORP\svc-idm");
    assert_eq!(s.properties["PREREQ_IDMTESTMODULE_STATE"], "present");
    assert!(machine.runs.is_empty(), "the MSI never runs an installer");
    assert!(lsa.held.contains(r"CORP\svc-idm"));
    assert_eq!(domain.calls.borrow().len(), 1);
    assert_no_password(&[&s]);
    assert!(deferred.log.iter().all(|l| !l.contains(PASSWORD)));
}

#[test]
fn silent_install_refuses_before_changing_anything() {
    // Missing module: 1603 naming it and the setup program, nothing run (even when the old
    // INSTALL_PREREQUISITES=1 is given).
    let machine = Machine::default();
    let mut s = package(&[
        ("UILevel", "2"),
        ("SERVICE_ACCOUNT", r"CORP\svc-idm"),
        ("SERVICE_PASSWORD", PASSWORD),
        ("INSTALL_PREREQUISITES", "1"),
    ]);
    assert_eq!(account::check_service_account(&mut s, &domain()), ActionResult::Success);
    assert_eq!(prereq::check_prerequisites(&mut s, &machine), ActionResult::Failure);
    assert!(machine.runs.is_empty());
    assert!(s
        .log
        .iter()
        .any(|l| l.contains("missing prerequisites: IDM test module") && l.contains("run idm-3.3.2-x64-setup.exe")));

    // A wrong password stops the install before the prerequisites are even looked at.
    let mut s = package(&[
        ("UILevel", "2"),
        ("SERVICE_ACCOUNT", r"CORP\svc-idm"),
        ("SERVICE_PASSWORD", "not-the-Tr0ub4dor"),
        ("INSTALL_PREREQUISITES", "1"),
    ]);
    assert_eq!(account::check_service_account(&mut s, &domain()), ActionResult::Failure);
    assert!(s.log.iter().any(|l| l.contains("user name or password is incorrect")));
    assert!(s.log.iter().all(|l| !l.contains("not-the-Tr0ub4dor")));
}

#[test]
fn dialogs_then_execute_sequence() {
    let mut machine = Machine::default();
    let domain = domain();
    let mut ui = package(&[("UILevel", "5"), ("CEIP_PREVIOUS", "#0")]);
    assert_eq!(ceip::prepare_ceip(&mut ui), ActionResult::Success);
    assert_eq!(prereq::evaluate_prerequisites(&mut ui, &machine), ActionResult::Success);
    assert!(
        !ui.properties.contains_key("CEIP_CHECKBOX"),
        "a previous opt-out (CEIP_PREVIOUS=#0) starts the box cleared"
    );
    assert_eq!(ui.properties["PREREQUISITES_MISSING"], "IDM test module");
    assert!(!ui.properties.contains_key("PREREQUISITES_INSTALLABLE"), "no Install button in the MSI");

    // CeipDlg: the admin leaves the box cleared. PrerequisitesDlg: the MSI points to the setup
    // program; the admin runs it (it installs the module), then refreshes the dialog.
    ui.set_property("CEIP_CHECKBOX", "").unwrap();
    assert_eq!(prereq::install_prerequisites(&mut ui, &machine), ActionResult::Success);
    assert!(ui.properties["PREREQUISITES_ERROR"].contains("run idm-3.3.2-x64-setup.exe"));
    machine.registry.insert((TEST_KEY.to_string(), "Version".to_string()), RegValue::Text("1.0.0".into()));
    assert_eq!(prereq::evaluate_prerequisites(&mut ui, &machine), ActionResult::Success);
    assert!(!ui.properties.contains_key("PREREQUISITES_MISSING"));
    // ServiceAccountDlg: a typo, then the right password.
    ui.set_property("SERVICE_ACCOUNT", r"CORP\svc-idm").unwrap();
    ui.set_property("SERVICE_PASSWORD", "Tr0ub4dor&3-typo").unwrap();
    assert_eq!(account::validate_service_account(&mut ui, &domain), ActionResult::Success);
    assert!(ui.properties["SERVICE_ACCOUNT_ERROR"].contains("incorrect"));
    ui.set_property("SERVICE_PASSWORD", PASSWORD).unwrap();
    assert_eq!(account::validate_service_account(&mut ui, &domain), ActionResult::Success);
    assert_eq!(ui.properties["SERVICE_ACCOUNT_VALID"], "1");
    assert!(!ui.properties.contains_key("SERVICE_ACCOUNT_ERROR"));
    assert_eq!(ceip::apply_ceip_checkbox(&mut ui), ActionResult::Success);

    let mut server = to_server(&ui);
    assert_eq!(ceip::prepare_ceip(&mut server), ActionResult::Success);
    assert_eq!(account::check_service_account(&mut server, &domain), ActionResult::Success);
    assert_eq!(prereq::check_prerequisites(&mut server, &machine), ActionResult::Success);
    assert_eq!(server.properties["CEIP_OPTIN_NORMALIZED"], "0", "the cleared checkbox reaches the registry value");
    assert_eq!(server.properties["SERVICE_LOGON"], r"CORP\svc-idm");
    assert!(machine.runs.is_empty(), "the MSI never runs an installer");
    assert_no_password(&[&ui, &server]);
    assert!(ui.log.iter().all(|l| !l.contains("Tr0ub4dor&3-typo")));
}

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `attr="value"` of the elements named `element` in `text` (the fragment is simple,
/// regular XML written by us, so a scan is enough; a full parse would need the tera render).
fn attribute_values(text: &str, element: &str, attr: &str) -> Vec<String> {
    text.split(&format!("<{element} "))
        .skip(1)
        .filter_map(|tail| {
            let tag = &tail[..tail.find('>')?];
            let start = tag
                .find(&format!(" {attr}=\""))
                .map(|i| i + attr.len() + 3)
                .or_else(|| tag.starts_with(&format!("{attr}=\"")).then_some(attr.len() + 2))?;
            Some(tag[start..start + tag[start..].find('"')?].to_string())
        })
        .collect()
}

#[test]
fn the_fragment_matches_the_logic() {
    let fragment = repo_file("wix/target-machine.wxs.tera");
    assert_eq!(attribute_values(&fragment, "Column", "Id"), prereq::COLUMNS, "IdmPrerequisite columns");
    assert_eq!(attribute_values(&fragment, "CustomTable", "Id"), [prereq::TABLE]);

    let shims = repo_file("custom-actions/src/ffi/target_machine.rs");
    let exports: BTreeSet<String> = shims
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export_").and_then(|rest| rest.split_once("!(")).map(|(_, r)| r))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let entries: BTreeSet<String> = attribute_values(&fragment, "CustomAction", "DllEntry").into_iter().collect();
    assert_eq!(entries, exports, "each DllEntry of the fragment is exported, and each export is used");
    assert_eq!(
        attribute_values(&fragment, "CustomAction", "Id").into_iter().collect::<BTreeSet<_>>(),
        exports,
        "Id = DllEntry"
    );

    // The password has no default (which actions hide their target follows from what they read:
    // tests/tests/hide_target.rs, on the built MSI).
    let password = fragment.split("<Property Id=\"SERVICE_PASSWORD\"").nth(1).unwrap().split('>').next().unwrap();
    assert!(
        password.contains("Hidden=\"yes\"") && password.contains("Secure=\"yes\"") && !password.contains("Value="),
        "{password}"
    );
    // The CEIP registry value is the one the CEIP module documents.
    assert!(fragment.contains(r#"Name="Enabled" Type="integer" Value="[CEIP_OPTIN_NORMALIZED]""#));
    assert_eq!(ceip::REGISTRY_VALUE, "Enabled");
}
