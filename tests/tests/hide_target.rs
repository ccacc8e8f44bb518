//! HideTarget derived from what the actions do, not from a list: every custom action the DLL
//! exports (read from the `export_*!` lines of custom-actions/src/ffi/) runs against a recording
//! session, and every action that reads a secret property, or whose `CustomActionData` an
//! immediate action fills with a secret, must carry `msidbCustomActionTypeHideTarget` (0x2000)
//! in the release MSI's `CustomAction` table. The secret properties are those the property
//! contract (wix/properties.toml) marks `hidden`; each must be in `MsiHiddenProperties`.
//!
//! MSI SDK "Custom Action Hidden Target Option": with `msidbCustomActionTypeHideTarget` "the
//! installer does not write the value of the Target field or the CustomActionData property to
//! the log" (learn.microsoft.com/en-us/windows/win32/msi/custom-action-hidden-target-option).
//! MSI SDK "MsiHiddenProperties property": the listed properties are not written to the log.
//!
//! The recording session is the fake session (custom-actions' `fakes`) with every property read
//! noted. Each immediate export runs four times: the passwords given directly or through their
//! `*_FILE` properties (the two ways of docs/silent-install.md), under the basic UI (`UILevel` 2,
//! execute sequence) and the full UI (5, client side), with a configuration to export, a domain
//! account, and every prerequisite present, so each action goes as far as it can.

#[path = "../../custom-actions/tests/connector_support/mod.rs"]
mod connector_support;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use bundle_core::fixtures::{self, FakeSystem};
use connector_support::{Product, CHEAP, PASSWORD as EXPORT_PW};
use custom_actions::fakes::{FakeLogon, FakeSession};
use custom_actions::properties as p;
use custom_actions::session::{ActionResult, Immediate, Log, Mode, Session, SessionError};
use custom_actions::{account, ceip, connector, password_file, prereq};
use installer_tests::{open_msi_at, project_root, table_maps, try_release_msi};
use test_support::skip_or_fail;

/// `msidbCustomActionTypeHideTarget` (MSI SDK "Custom Action Hidden Target Option").
const HIDE_TARGET: i64 = 0x2000;

const SERVICE_PW: &str = "Tr0ub4dor&3-hide-target";

/// The fake session, noting the name of every property read.
struct Recording {
    inner: FakeSession,
    read: RefCell<BTreeSet<String>>,
}

impl Log for Recording {
    fn log(&mut self, line: &str) {
        self.inner.log(line);
    }
}

impl Session for Recording {
    fn property(&self, name: &str) -> Result<String, SessionError> {
        self.read.borrow_mut().insert(name.to_string());
        self.inner.property(name)
    }
    fn set_property(&mut self, name: &str, value: &str) -> Result<(), SessionError> {
        self.inner.set_property(name, value)
    }
    fn mode(&self, mode: Mode) -> bool {
        self.inner.mode(mode)
    }
    fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError> {
        self.inner.table(table, columns)
    }
    fn product_version(&self, product_code: &str) -> Option<String> {
        self.inner.product_version(product_code)
    }
}

/// Runs one immediate export's logic (with the machine fakes the tests use; the connector ones
/// with the cheap KDF, which changes no property read).
type Run = fn(&mut Recording) -> ActionResult;

fn logon() -> FakeLogon {
    FakeLogon::one("svc-idm", Some("CORP"), SERVICE_PW)
}

/// Every immediate export and the logic its `export_immediate!` line binds.
fn immediate_runs() -> BTreeMap<&'static str, Run> {
    BTreeMap::from([
        ("DetectEmbeddedConnector", (|s| connector::detect(s)) as Run),
        ("ValidateExportPassword", |s| connector::validate_export_password(s)),
        ("ExportEmbeddedConnector", |s| connector::export_from_ui_with(s, CHEAP)),
        ("ApplyEmbeddedConnectorAction", |s| connector::apply_action_with(s, CHEAP)),
        ("ReadPasswordFiles", |s| password_file::read_password_files(s)),
        ("EvaluatePrerequisites", |s| prereq::evaluate_prerequisites(s, &FakeSystem::healthy())),
        ("InstallPrerequisites", |s| prereq::install_prerequisites(s, &FakeSystem::healthy())),
        ("CheckPrerequisites", |s| prereq::check_prerequisites(s, &FakeSystem::healthy())),
        ("ValidateServiceAccount", |s| account::validate_service_account(s, &logon())),
        ("CheckServiceAccount", |s| account::check_service_account(s, &logon())),
        ("GrantLogonAsServiceData", |s| account::grant_logon_data(s)),
        ("PrepareCeip", |s| ceip::prepare_ceip(s)),
        ("ApplyCeipCheckbox", |s| ceip::apply_ceip_checkbox(s)),
    ])
}

/// `(macro, export name)` of every `export_<context>!(Name => ...)` line in the DLL's sources.
fn exports() -> Vec<(String, String)> {
    let dir = project_root().join("custom-actions/src/ffi");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("export_") else { continue };
            let Some((kind, rest)) = rest.split_once("!(") else { continue };
            let Some((name, _)) = rest.split_once("=>") else { continue };
            out.push((kind.to_string(), name.trim().to_string()));
        }
    }
    out.sort();
    out
}

/// The properties wix/properties.toml marks `hidden`.
fn hidden_properties() -> BTreeSet<String> {
    let text = std::fs::read_to_string(project_root().join("wix/properties.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    ["public", "internal"]
        .iter()
        .filter_map(|k| doc.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter(|e| e.get("hidden").and_then(|h| h.as_bool()) == Some(true))
        .filter_map(|e| e.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect()
}

/// A session with everything an action may need; passwords given directly or as files.
fn session(product: &Product, files: bool, ui: bool, dir: &std::path::Path) -> Recording {
    let mut s = product.session([
        (p::EMBEDDED_CONNECTOR_ACTION, "export-continue"),
        (p::IDM_DOMAIN_NAME, "corp.example.com"),
        (p::SERVICE_ACCOUNT, r"CORP\svc-idm"),
        (p::SERVICE_LOGON, r"CORP\svc-idm"),
        (p::EXPORT_PASSWORD_CONFIRM, EXPORT_PW),
        (p::ORIGINAL_DATABASE, r"C:\media\idm-3.3.2-x64.msi"),
        ("CEIP_OPTIN", "1"),
        ("CEIP_CHECKBOX", "1"),
    ]);
    if files {
        for (prop, value) in [(p::EXPORT_PASSWORD_FILE, EXPORT_PW), (p::SERVICE_PASSWORD_FILE, SERVICE_PW)] {
            let path = dir.join(prop);
            std::fs::write(&path, value).unwrap();
            s.properties.insert(prop.to_string(), path.to_string_lossy().into_owned());
        }
    } else {
        s.properties.insert(p::EXPORT_PASSWORD.into(), EXPORT_PW.into());
        s.properties.insert(p::SERVICE_PASSWORD.into(), SERVICE_PW.into());
    }
    if ui {
        s.properties.insert(p::UI_LEVEL.into(), "5".into());
        s.context = Immediate::Client;
    }
    s.tables.insert(prereq::TABLE.into(), fixtures::table(fixtures::default_rows()));
    Recording { inner: s, read: RefCell::new(BTreeSet::new()) }
}

/// For each export: why it needs HideTarget (the secrets it reads, or the secret its
/// CustomActionData receives), derived from the runs.
fn carriers() -> BTreeMap<String, String> {
    let secrets = hidden_properties();
    let all = exports();
    let runs = immediate_runs();
    let immediate: BTreeSet<&str> = all.iter().filter(|(k, _)| k == "immediate").map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        immediate,
        runs.keys().copied().collect::<BTreeSet<_>>(),
        "each export_immediate! of custom-actions/src/ffi needs a run here (and only those)"
    );
    let mut why: BTreeMap<String, String> = BTreeMap::new();
    for (name, run) in &runs {
        for (files, ui) in [(false, false), (true, false), (false, true), (true, true)] {
            let product = Product::with_config();
            let tmp = tempfile::tempdir().unwrap();
            let mut s = session(&product, files, ui, tmp.path());
            run(&mut s);
            let read: Vec<String> = s.read.borrow().intersection(&secrets).cloned().collect();
            if !read.is_empty() {
                why.entry(name.to_string()).or_insert(format!("reads {}", read.join(", ")));
            }
            // A property named after a script action is its CustomActionData.
            for (kind, target) in &all {
                let data = s.inner.properties.get(target).cloned().unwrap_or_default();
                let secret_values = [EXPORT_PW, SERVICE_PW];
                if kind != "immediate" && secret_values.iter().any(|v| data.contains(v)) {
                    why.entry(target.clone()).or_insert(format!("its CustomActionData, set by {name}, holds a secret"));
                }
            }
        }
    }
    why
}

#[test]
fn every_action_that_reads_a_secret_hides_its_target() {
    let why = carriers();
    eprintln!("derived from the runs: {why:#?}");
    // The derivation found the password readers (a run that reads nothing would pass vacuously).
    assert!(why.keys().any(|a| a == "ValidateServiceAccount"), "{why:?}");
    assert!(why.keys().any(|a| a == "ValidateExportPassword"), "{why:?}");
    let Some(msi) = try_release_msi() else {
        skip_or_fail("no release MSI in the dist folder; run `cargo xtask dist` first (or `cargo xtask test`)");
        return;
    };
    let mut package = open_msi_at(&msi);
    // DLL actions (base type 1, "Custom Action Types"): Target is the export they call; several
    // actions may call one export, and each of them must hide its target.
    let mut calls: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for r in table_maps(&mut package, "CustomAction") {
        let ty: i64 = r["Type"].parse().expect("integer Type");
        if ty & 0x3F == 1 {
            calls.entry(r["Target"].clone()).or_default().push((r["Action"].clone(), ty));
        }
    }
    let mut missing = Vec::new();
    for (export, reason) in &why {
        let Some(rows) = calls.get(export) else {
            missing.push(format!("{export}: {reason}, but no CustomAction calls it in {}", msi.display()));
            continue;
        };
        for (action, ty) in rows.iter().filter(|(_, ty)| ty & HIDE_TARGET == 0) {
            missing.push(format!("{action} (calls {export}): {reason}, but its type {ty} lacks HideTarget (0x2000)"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    let hidden: BTreeSet<String> = table_maps(&mut package, "Property")
        .into_iter()
        .find(|r| r["Property"] == "MsiHiddenProperties")
        .map(|r| r["Value"].split(';').map(str::to_string).collect())
        .unwrap_or_default();
    let unlisted: Vec<String> = hidden_properties().into_iter().filter(|s| !hidden.contains(s)).collect();
    assert!(unlisted.is_empty(), "secret properties missing from MsiHiddenProperties: {unlisted:?}");
}

#[test]
fn the_export_scan_finds_every_context() {
    let all = exports();
    for kind in ["immediate", "deferred", "rollback", "commit"] {
        assert!(all.iter().any(|(k, _)| k == kind), "no export_{kind}! found: {all:?}");
    }
    assert!(all.iter().any(|(_, n)| n == "RestoreEmbeddedConnector"));
}
