//! The installer's dialogs in the release MSI: every dialog, control, event and condition is present
//! and consistent (tab chains close, events name dialogs and actions that exist, properties that
//! controls use are defined or public, text styles exist), and the seed procedure's dialogs and
//! their properties are there.

use std::collections::{BTreeMap, BTreeSet};

use installer_tests::{skip_or_fail, table_maps, try_release_msi};

type Row = BTreeMap<String, String>;

/// The UI tables of the release MSI, or `None` (after a loud skip) when there is no MSI.
struct Ui {
    dialogs: Vec<Row>,
    controls: Vec<Row>,
    events: Vec<Row>,
    conditions: Vec<Row>,
    mappings: Vec<Row>,
    styles: Vec<Row>,
    check_boxes: Vec<Row>,
    properties: BTreeMap<String, String>,
    custom_actions: BTreeSet<String>,
    ui_sequence: Vec<Row>,
    directories: BTreeSet<String>,
}

fn load() -> Option<Ui> {
    let Some(path) = try_release_msi() else {
        skip_or_fail(&format!(
            "no release MSI in {}: run `cargo xtask dist` first",
            installer_tests::dist_dir().display()
        ));
        return None;
    };
    let mut p = installer_tests::open_msi_at(&path);
    let properties =
        table_maps(&mut p, "Property").into_iter().map(|r| (r["Property"].clone(), r["Value"].clone())).collect();
    let custom_actions = table_maps(&mut p, "CustomAction").into_iter().map(|r| r["Action"].clone()).collect();
    let directories = table_maps(&mut p, "Directory").into_iter().map(|r| r["Directory"].clone()).collect();
    Some(Ui {
        dialogs: table_maps(&mut p, "Dialog"),
        controls: table_maps(&mut p, "Control"),
        events: table_maps(&mut p, "ControlEvent"),
        conditions: table_maps(&mut p, "ControlCondition"),
        mappings: table_maps(&mut p, "EventMapping"),
        styles: table_maps(&mut p, "TextStyle"),
        check_boxes: table_maps(&mut p, "CheckBox"),
        properties,
        custom_actions,
        ui_sequence: table_maps(&mut p, "InstallUISequence"),
        directories,
    })
}

impl Ui {
    fn dialog_names(&self) -> BTreeSet<&str> {
        self.dialogs.iter().map(|d| d["Dialog"].as_str()).collect()
    }
    fn controls_of(&self, dialog: &str) -> Vec<&Row> {
        self.controls.iter().filter(|c| c["Dialog_"] == dialog).collect()
    }
    fn control(&self, dialog: &str, control: &str) -> Option<&Row> {
        self.controls.iter().find(|c| c["Dialog_"] == dialog && c["Control"] == control)
    }
    fn events_of(&self, dialog: &str, control: &str) -> Vec<&Row> {
        let mut e: Vec<&Row> =
            self.events.iter().filter(|e| e["Dialog_"] == dialog && e["Control_"] == control).collect();
        e.sort_by_key(|e| e["Ordering"].parse::<i32>().unwrap_or(0));
        e
    }
}

/// The dialogs of the seed procedure (docs/dialogs.md), each of which must be in the MSI.
const SEED_DIALOGS: &[&str] = &[
    "EmbeddedConnectorDlg",
    "ExportPasswordDlg",
    "ExportDoneDlg",
    "ExportFailedDlg",
    "ExportPasswordErrorDlg",
    "WelcomeDlg",
    "LicenseDlg",
    "CeipDlg",
    "PrerequisitesDlg",
    "InstallFolderDlg",
    "BrowseDlg",
    "ServiceAccountDlg",
    "ReadyDlg",
    "ProgressDlg",
    "ExitDlg",
    "UserExitDlg",
    "FatalErrorDlg",
    "CancelDlg",
    "ErrorDlg",
];

#[test]
fn every_seed_dialog_is_present() {
    let Some(ui) = load() else { return };
    let names = ui.dialog_names();
    let missing: Vec<_> = SEED_DIALOGS.iter().filter(|d| !names.contains(*d)).collect();
    assert!(missing.is_empty(), "dialogs missing from the Dialog table: {missing:?}");
}

#[test]
fn first_default_and_cancel_controls_exist() {
    let Some(ui) = load() else { return };
    for d in &ui.dialogs {
        let name = &d["Dialog"];
        for column in ["Control_First", "Control_Default", "Control_Cancel"] {
            let c = &d[column];
            if column != "Control_First" && c.is_empty() {
                continue;
            }
            assert!(ui.control(name, c).is_some(), "dialog {name}: {column} {c:?} is not one of its controls");
        }
    }
}

#[test]
fn tab_chains_close_into_a_cycle_over_the_dialogs_controls() {
    let Some(ui) = load() else { return };
    for d in &ui.dialogs {
        let name = &d["Dialog"];
        let controls = ui.controls_of(name);
        let next: BTreeMap<&str, &str> = controls
            .iter()
            .filter(|c| !c["Control_Next"].is_empty())
            .map(|c| (c["Control"].as_str(), c["Control_Next"].as_str()))
            .collect();
        let first = d["Control_First"].as_str();
        if next.is_empty() {
            // One focusable control: no chain (as WiX writes it).
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut at = first;
        loop {
            assert!(seen.insert(at), "dialog {name}: the tab chain from {first} loops back to {at}, not to {first}");
            let Some(n) = next.get(at) else {
                panic!("dialog {name}: the tab chain from {first} stops at {at} (no Control_Next)");
            };
            assert!(ui.control(name, n).is_some(), "dialog {name}: {at}.Control_Next names {n}, not a control of it");
            at = n;
            if at == first {
                break;
            }
        }
        let in_chain: BTreeSet<&str> = next.keys().copied().collect();
        assert_eq!(seen, in_chain, "dialog {name}: controls with a Control_Next outside the cycle from {first}");
    }
}

#[test]
fn events_name_dialogs_actions_and_controls_that_exist() {
    let Some(ui) = load() else { return };
    let dialogs = ui.dialog_names();
    assert!(!ui.events.is_empty(), "ControlEvent is empty");
    for e in &ui.events {
        let (d, c, ev, arg) = (&e["Dialog_"], &e["Control_"], &e["Event"], &e["Argument"]);
        assert!(ui.control(d, c).is_some(), "ControlEvent {d}.{c} {ev}: no such control");
        match ev.as_str() {
            "NewDialog" | "SpawnDialog" | "SpawnWaitDialog" => {
                assert!(dialogs.contains(arg.as_str()), "{d}.{c}: {ev} {arg}: no such dialog")
            }
            "DoAction" => assert!(ui.custom_actions.contains(arg), "{d}.{c}: DoAction {arg}: no such custom action"),
            "EndDialog" => assert!(
                ["Exit", "Retry", "Ignore", "Return"].contains(&arg.as_str()) || arg.starts_with("Error"),
                "{d}.{c}: EndDialog {arg} is not an EndDialog argument"
            ),
            _ => {}
        }
    }
    for r in ui.conditions.iter().chain(&ui.mappings) {
        assert!(
            ui.control(&r["Dialog_"], &r["Control_"]).is_some(),
            "ControlCondition/EventMapping row for a missing control: {r:?}"
        );
    }
    for r in &ui.conditions {
        assert!(
            ["Default", "Disable", "Enable", "Hide", "Show"].contains(&r["Action"].as_str()),
            "ControlCondition action {:?} is not one of Default/Disable/Enable/Hide/Show",
            r["Action"]
        );
    }
}

#[test]
fn properties_used_by_controls_are_defined_or_public() {
    let Some(ui) = load() else { return };
    // FileInUseProcess is filled by the installer itself for the files-in-use dialogs (MSI SDK
    // "FilesInUse Dialog", "MsiRMFilesInUse Dialog").
    let public = |p: &str| p.chars().all(|c| !c.is_ascii_lowercase()) || p == "FileInUseProcess";
    for c in &ui.controls {
        let p = &c["Property"];
        if p.is_empty() {
            continue;
        }
        assert!(
            ui.properties.contains_key(p) || public(p),
            "{}.{} uses property {p}, which is neither in the Property table nor public",
            c["Dialog_"],
            c["Control"]
        );
        let indirect = c["Attributes"].parse::<i32>().unwrap_or(0) & 0x8 != 0;
        if indirect {
            let target = ui.properties.get(p).unwrap_or_else(|| {
                panic!("{}.{} is Indirect but {p} has no value naming a property", c["Dialog_"], c["Control"])
            });
            assert!(
                ui.directories.contains(target) || ui.properties.contains_key(target),
                "{}.{}: {p} names {target}, which is neither a directory nor a property",
                c["Dialog_"],
                c["Control"]
            );
        }
    }
    for e in &ui.events {
        if let Some(p) = e["Event"].strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            assert!(
                ui.properties.contains_key(p) || public(p),
                "{}.{} sets property {p}, neither defined nor public",
                e["Dialog_"],
                e["Control_"]
            );
        }
    }
}

#[test]
fn check_boxes_have_values_and_no_property_defaults_to_zero() {
    let Some(ui) = load() else { return };
    let values: BTreeMap<&str, &str> =
        ui.check_boxes.iter().map(|r| (r["Property"].as_str(), r["Value"].as_str())).collect();
    let boxes: Vec<&Row> = ui.controls.iter().filter(|c| c["Type"] == "CheckBox").collect();
    assert!(!boxes.is_empty(), "no CheckBox control at all");
    for c in boxes {
        let p = c["Property"].as_str();
        assert!(values.contains_key(p), "{}.{}: no CheckBox row for {p}", c["Dialog_"], c["Control"]);
        // The checkbox trap: any non-empty value, "0" included, shows as checked.
        assert_ne!(
            ui.properties.get(p).map(String::as_str),
            Some("0"),
            "{}.{}: {p} defaults to \"0\", which a check box shows as checked",
            c["Dialog_"],
            c["Control"]
        );
        assert_ne!(
            p, "CEIP_OPTIN",
            "the CEIP check box must not be bound to CEIP_OPTIN (CEIP_OPTIN=0 would show checked)"
        );
    }
}

#[test]
fn text_styles_referenced_exist() {
    let Some(ui) = load() else { return };
    let styles: BTreeSet<&str> = ui.styles.iter().map(|s| s["TextStyle"].as_str()).collect();
    let font = ui.properties.get("DefaultUIFont").expect("DefaultUIFont property");
    assert!(styles.contains(font.as_str()), "DefaultUIFont {font} is not a TextStyle");
    let texts = ui
        .controls
        .iter()
        // ScrollableText holds RTF, whose groups look like styles but are not.
        .filter(|c| c["Type"] != "ScrollableText")
        .map(|c| (format!("{}.{}", c["Dialog_"], c["Control"]), &c["Text"]))
        .chain(ui.dialogs.iter().map(|d| (d["Dialog"].clone(), &d["Title"])));
    let mut used = 0;
    for (at, text) in texts {
        let mut rest = text.as_str();
        while let Some(i) = rest.find("{\\").or_else(|| rest.find("{&")) {
            let tail = &rest[i + 2..];
            let end = tail.find('}').unwrap_or_else(|| panic!("{at}: unterminated text style in {text:?}"));
            let style = &tail[..end];
            assert!(styles.contains(style), "{at} uses text style {style}, not in TextStyle");
            used += 1;
            rest = &tail[end..];
        }
    }
    assert!(used > 0, "no control uses a text style: the check above proved nothing");
}

#[test]
fn every_dialog_is_reachable_and_the_exit_dialogs_are_sequenced() {
    let Some(ui) = load() else { return };
    let dialogs = ui.dialog_names();
    let seq: BTreeMap<&str, &Row> = ui.ui_sequence.iter().map(|r| (r["Action"].as_str(), r)).collect();
    for (d, n) in [("ExitDlg", "-1"), ("UserExitDlg", "-2"), ("FatalErrorDlg", "-3")] {
        assert_eq!(seq.get(d).map(|r| r["Sequence"].as_str()), Some(n), "{d} must be at {n} in InstallUISequence");
    }
    let error_dialog = ui.properties.get("ErrorDialog").expect("ErrorDialog property");
    assert!(dialogs.contains(error_dialog.as_str()), "ErrorDialog names {error_dialog}, not a dialog");
    let mut reached: BTreeSet<&str> = seq.keys().copied().filter(|a| dialogs.contains(a)).collect();
    reached.insert(error_dialog);
    // The installer shows these by name when files are in use (MSI SDK "FilesInUse Dialog",
    // "MsiRMFilesInUse Dialog"), like the ErrorDialog.
    reached.extend(["FilesInUse", "MsiRMFilesInUse"].into_iter().filter(|d| dialogs.contains(d)));
    loop {
        let before = reached.len();
        for e in &ui.events {
            if reached.contains(e["Dialog_"].as_str())
                && ["NewDialog", "SpawnDialog", "SpawnWaitDialog"].contains(&e["Event"].as_str())
            {
                reached.insert(e["Argument"].as_str());
            }
        }
        if reached.len() == before {
            break;
        }
    }
    let orphans: Vec<_> = dialogs.difference(&reached).collect();
    assert!(orphans.is_empty(), "dialogs no sequence or event leads to: {orphans:?}");
}

#[test]
fn the_embedded_connector_paths_set_the_public_properties() {
    let Some(ui) = load() else { return };
    let seq: BTreeMap<&str, &Row> = ui.ui_sequence.iter().map(|r| (r["Action"].as_str(), r)).collect();
    let prompt = seq.get("EmbeddedConnectorDlg").expect("EmbeddedConnectorDlg in InstallUISequence");
    assert!(
        prompt["Condition"].contains("EMBEDDED_CONNECTOR_FOUND"),
        "the prompt must be shown only when a configuration was found"
    );
    let sets = |d: &str, c: &str, p: &str| -> Vec<String> {
        ui.events_of(d, c).iter().filter(|e| e["Event"] == format!("[{p}]")).map(|e| e["Argument"].clone()).collect()
    };
    assert_eq!(sets("EmbeddedConnectorDlg", "Yes", "EMBEDDED_CONNECTOR_ACTION"), ["discard"]);
    assert_eq!(sets("EmbeddedConnectorDlg", "No", "EMBEDDED_CONNECTOR_ACTION"), ["export"]);
    // The password fields are masked.
    for c in ["Password", "Confirm"] {
        let row = ui.control("ExportPasswordDlg", c).unwrap_or_else(|| panic!("ExportPasswordDlg.{c}"));
        let bits: i32 = row["Attributes"].parse().unwrap();
        assert_ne!(bits & 0x20_0000, 0, "ExportPasswordDlg.{c} is not a Password edit");
    }
    assert_eq!(ui.control("ExportPasswordDlg", "Password").unwrap()["Property"], "EXPORT_PASSWORD");
    let pwd: i32 =
        ui.control("ServiceAccountDlg", "Password").expect("ServiceAccountDlg.Password")["Attributes"].parse().unwrap();
    assert_ne!(pwd & 0x20_0000, 0, "the service password is not masked");
    // Export validates, then exports, in that order.
    let export: Vec<String> = ui
        .events_of("ExportPasswordDlg", "Export")
        .iter()
        .map(|e| format!("{} {}", e["Event"], e["Argument"]))
        .collect();
    let validate =
        export.iter().position(|e| e == "DoAction ValidateExportPassword").expect("Export validates the password");
    let run = export
        .iter()
        .position(|e| e.starts_with("DoAction ") && !e.ends_with("ValidateExportPassword"))
        .expect("Export runs the export");
    assert!(validate < run, "the password must be validated before the export runs: {export:?}");
}

#[test]
fn the_ceip_choice_is_written_to_the_public_property() {
    let Some(ui) = load() else { return };
    let next = ui.events_of("CeipDlg", "Next");
    let writes: Vec<(String, String)> = next
        .iter()
        .filter(|e| e["Event"] == "[CEIP_OPTIN]")
        .map(|e| (e["Argument"].clone(), e["Condition"].clone()))
        .collect();
    let values: BTreeSet<&str> = writes.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(values, BTreeSet::from(["0", "1"]), "CeipDlg.Next must set CEIP_OPTIN to 1 or 0: {writes:?}");
    let seq: BTreeMap<&str, &Row> = ui.ui_sequence.iter().map(|r| (r["Action"].as_str(), r)).collect();
    assert!(seq.contains_key("WelcomeDlg"), "WelcomeDlg is not sequenced");
    let to_ceip = ui
        .events
        .iter()
        .find(|e| e["Event"] == "NewDialog" && e["Argument"] == "CeipDlg" && e["Dialog_"] == "LicenseDlg")
        .expect("LicenseDlg leads to CeipDlg");
    assert!(
        to_ceip["Condition"].contains("NOT CEIP_ALREADY_ENABLED"),
        "CeipDlg must be skipped when CEIP is already enabled"
    );
}
