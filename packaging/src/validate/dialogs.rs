//! The authored user interface: ICE20's standard dialogs, the first control of each dialog, and
//! the properties the dialogs set that the elevated server side must receive.
//!
//! Sources (MSI SDK): "ICE20"; "Dialog Table" (Control_First: the control that has the focus
//! when the dialog is created); "Control Table" (attribute bits Enabled 0x2, Indirect 0x8);
//! "Dialog Style Bits" (Error 0x10000); "SecureCustomProperties Property" (public properties not
//! listed are not passed to the server side in a managed or elevated installation: the log says
//! "Ignoring disallowed property").

use std::collections::{BTreeMap, BTreeSet};

use super::db::Db;
use super::props::{condition_refs, formatted_refs, is_public, RESTRICTED_PUBLIC};
use super::Finding;

/// Control attribute bits (MSI SDK "Control Attributes").
const CONTROL_ENABLED: i32 = 0x0000_0002;
const CONTROL_INDIRECT: i32 = 0x0000_0008;
/// Dialog style bit of the error dialog (MSI SDK "Dialog Style Bits").
const DIALOG_ERROR: i32 = 0x0001_0000;

/// Control types that set their `Property` (the rest only show text or pictures).
const INPUT_CONTROLS: [&str; 12] = [
    "CheckBox",
    "ComboBox",
    "DirectoryCombo",
    "DirectoryList",
    "Edit",
    "ListBox",
    "ListView",
    "MaskedEdit",
    "PathEdit",
    "RadioButtonGroup",
    "SelectionTree",
    "VolumeSelectCombo",
];

/// Control types that never take the focus.
const STATIC_CONTROLS: [&str; 7] = ["Bitmap", "Billboard", "GroupBox", "Icon", "Line", "ProgressBar", "Text"];

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    if db.rows("Dialog").next().is_none() {
        return;
    }
    first_control_enabled(db, out);
    secure_ui_properties(db, out);
    // ICE20 applies to a package with an authored UI that LIMITUI does not switch off.
    if db.property("LIMITUI").is_none() {
        ice20(db, out);
    }
}

/// The `EndDialog` arguments published by the push buttons of `dialog`, by control.
fn end_dialog_args(db: &Db, dialog: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_control: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in db.rows("ControlEvent") {
        if row.str("Dialog_") == Some(dialog) && row.str("Event") == Some("EndDialog") {
            if let (Some(control), Some(arg)) = (row.str("Control_"), row.str("Argument")) {
                by_control.entry(control.to_owned()).or_default().insert(arg.to_owned());
            }
        }
    }
    by_control
}

/// The type of a control, if it exists.
fn control_type<'a>(db: &'a Db, dialog: &str, control: &str) -> Option<&'a str> {
    db.rows("Control")
        .find(|r| r.str("Dialog_") == Some(dialog) && r.str("Control") == Some(control))
        .and_then(|r| r.str("Type"))
}

/// ICE20: the standard dialogs Windows Installer looks for.
fn ice20(db: &Db, out: &mut Vec<Finding>) {
    let mut err = |table: &str, row: &str, msg: String| out.push(Finding::error("ICE20", table, row, None, msg));
    let dialogs: BTreeSet<&str> = db.rows("Dialog").filter_map(|r| r.str("Dialog")).collect();

    // FilesInUse: a ListBox bound to FileInUseProcess, and push buttons ending the dialog with
    // Ignore, Exit and Retry; the ListBox table must exist (the installer fills it).
    if !dialogs.contains("FilesInUse") {
        err("Dialog", "FilesInUse", "no FilesInUse dialog: add one (ListBox on FileInUseProcess; Retry, Ignore and Exit buttons ending the dialog)".into());
    } else {
        if db.table("ListBox").is_none() {
            err(
                "ListBox",
                "",
                "the ListBox table is missing; the FilesInUse dialog needs it (WiX: <EnsureTable Id=\"ListBox\"/>)"
                    .into(),
            );
        }
        let bound = db.rows("Control").any(|r| {
            r.str("Dialog_") == Some("FilesInUse")
                && r.str("Type") == Some("ListBox")
                && r.str("Property") == Some("FileInUseProcess")
        });
        if !bound {
            err(
                "Control",
                "FilesInUse",
                "the FilesInUse dialog has no ListBox control whose Property is FileInUseProcess".into(),
            );
        }
        let args = end_dialog_args(db, "FilesInUse");
        for want in ["Ignore", "Exit", "Retry"] {
            let found = args
                .iter()
                .any(|(control, a)| a.contains(want) && control_type(db, "FilesInUse", control) == Some("PushButton"));
            if !found {
                err("ControlEvent", "FilesInUse", format!("no push button of FilesInUse publishes EndDialog {want}"));
            }
        }
    }

    // The error dialog: named by ErrorDialog, with the error style bit, ErrorText first, and
    // the seven buttons A, C, I, N, O, R, Y ending it with the matching Error* argument.
    if let Some(name) = db.property("ErrorDialog") {
        match db.rows("Dialog").find(|r| r.str("Dialog") == Some(name)) {
            None => err("Property", "ErrorDialog", format!("ErrorDialog names {name}, which is not a dialog")),
            Some(dialog) => {
                if dialog.int("Attributes").unwrap_or(0) & DIALOG_ERROR == 0 {
                    err("Dialog", name, "the error dialog does not have the Error dialog style bit (0x10000)".into());
                }
                if control_type(db, name, "ErrorText") != Some("Text") {
                    err("Control", name, "the error dialog has no Text control named ErrorText".into());
                }
                if dialog.str("Control_First") != Some("ErrorText") {
                    err("Dialog", name, "the error dialog's Control_First must be ErrorText".into());
                }
                let args = end_dialog_args(db, name);
                for (button, want) in [
                    ("A", "ErrorAbort"),
                    ("C", "ErrorCancel"),
                    ("I", "ErrorIgnore"),
                    ("N", "ErrorNo"),
                    ("O", "ErrorOk"),
                    ("R", "ErrorRetry"),
                    ("Y", "ErrorYes"),
                ] {
                    if !args.get(button).is_some_and(|a| a.contains(want)) {
                        err(
                            "Control",
                            &format!("{name}/{button}"),
                            format!("the error dialog needs a push button {button} publishing EndDialog {want}"),
                        );
                    }
                }
            }
        }
    }

    // Exit (-1), UserExit (-2) and FatalError (-3) dialogs in both UI sequences.
    for table in ["InstallUISequence", "AdminUISequence"] {
        for (seq, what) in [(-1, "Exit"), (-2, "UserExit"), (-3, "FatalError")] {
            let shown = db
                .rows(table)
                .any(|r| r.int("Sequence") == Some(seq) && r.str("Action").is_some_and(|a| dialogs.contains(a)));
            if !shown {
                err(table, "", format!("no dialog at sequence {seq} (the {what} dialog)"));
            }
        }
    }
}

/// The first control of a dialog (where the focus starts) must be enabled; a disabled one
/// leaves the dialog without a focused control for keyboard users.
fn first_control_enabled(db: &Db, out: &mut Vec<Finding>) {
    for dialog in db.rows("Dialog") {
        let (Some(name), Some(first)) = (dialog.str("Dialog"), dialog.str("Control_First")) else { continue };
        let Some(control) =
            db.rows("Control").find(|r| r.str("Dialog_") == Some(name) && r.str("Control") == Some(first))
        else {
            continue; // a dangling Control_First is ICE17's business
        };
        // Only a control that can take the focus: a picture or a text first never gets it (the
        // focus moves on), while a disabled button first leaves the dialog without one.
        if STATIC_CONTROLS.contains(&control.str("Type").unwrap_or("")) {
            continue;
        }
        if control.int("Attributes").unwrap_or(0) & CONTROL_ENABLED == 0 {
            out.push(Finding::warning(
                "first-control-enabled",
                "Dialog",
                name,
                Some("Control_First"),
                format!("the first control, {first}, is disabled, so the dialog opens with no focus; start the tab order at an enabled control (WiX: TabSkip=\"yes\" on disabled ones)"),
            ));
        }
    }
}

/// A public property the dialogs set and the server side reads must be in
/// `SecureCustomProperties`, or a managed or elevated install silently drops the user's choice.
fn secure_ui_properties(db: &Db, out: &mut Vec<Finding>) {
    let secure: BTreeSet<String> = db.property_list("SecureCustomProperties").into_iter().collect();
    let resolve = |name: &str, indirect: bool| -> Option<String> {
        if indirect {
            db.property(name).map(str::to_owned)
        } else {
            Some(name.to_owned())
        }
    };
    // (property, where the UI sets it)
    let mut set: BTreeMap<String, String> = BTreeMap::new();
    for row in db.rows("Control") {
        let (Some(dialog), Some(control), Some(kind), Some(prop)) =
            (row.str("Dialog_"), row.str("Control"), row.str("Type"), row.str("Property"))
        else {
            continue;
        };
        if !INPUT_CONTROLS.contains(&kind) {
            continue;
        }
        let indirect = row.int("Attributes").unwrap_or(0) & CONTROL_INDIRECT != 0;
        if let Some(p) = resolve(prop, indirect) {
            set.entry(p).or_insert_with(|| format!("Control {dialog}/{control}"));
        }
    }
    for row in db.rows("ControlEvent") {
        let (Some(dialog), Some(control), Some(event)) = (row.str("Dialog_"), row.str("Control_"), row.str("Event"))
        else {
            continue;
        };
        let target = if let Some(p) = event.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
            Some(p.to_owned())
        } else if event == "SetTargetPath" {
            // The argument names the directory, directly or as [Property] holding its name.
            row.str("Argument").and_then(|a| match a.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
                Some(p) => resolve(p, true),
                None => Some(a.to_owned()),
            })
        } else {
            None
        };
        if let Some(p) = target {
            set.entry(p).or_insert_with(|| format!("ControlEvent {dialog}/{control} {event}"));
        }
    }

    let read = server_reads(db);
    for (prop, place) in set {
        if !is_public(&prop) || secure.contains(&prop) || RESTRICTED_PUBLIC.contains(&prop.as_str()) {
            continue;
        }
        if let Some(reader) = read.get(&prop) {
            out.push(Finding::error(
                "secure-ui-property",
                "Property",
                "SecureCustomProperties",
                Some("Value"),
                format!(
                    "public property {prop} is set by the dialogs ({place}) and used by the installation ({reader}) \
                     but is not listed: in a managed or elevated install Windows Installer ignores it on the \
                     server side (\"Ignoring disallowed property\") and the user's choice is lost (WiX: \
                     <Property Id=\"{prop}\" Secure=\"yes\"/>)"
                ),
            ));
        }
    }
}

/// The properties the server side (the execute sequence) reads, with one place each: the
/// directories, the execute sequence's conditions and custom actions, component and feature
/// conditions, and the formatted columns of the tables the server writes from.
fn server_reads(db: &Db) -> BTreeMap<String, String> {
    let mut read: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |name: &str, place: String| {
        read.entry(name.to_owned()).or_insert(place);
    };
    for row in db.rows("Directory") {
        if let Some(d) = row.str("Directory") {
            add(d, "a directory of the Directory table".into());
        }
    }
    let executed: BTreeSet<&str> = db.rows("InstallExecuteSequence").filter_map(|r| r.str("Action")).collect();
    for row in db.rows("InstallExecuteSequence") {
        for name in row.str("Condition").map(condition_refs).unwrap_or_default() {
            add(name, format!("InstallExecuteSequence condition of {}", row.str("Action").unwrap_or("?")));
        }
    }
    for row in db.rows("CustomAction") {
        let Some(action) = row.str("Action") else { continue };
        if executed.contains(action) {
            for name in row.str("Target").map(formatted_refs).unwrap_or_default() {
                add(name, format!("custom action {action}"));
            }
        }
    }
    for (table, column) in [("Component", "Condition"), ("Condition", "Condition")] {
        for row in db.rows(table) {
            for name in row.str(column).map(condition_refs).unwrap_or_default() {
                add(name, format!("{table} condition"));
            }
        }
    }
    for (table, columns) in [
        ("Registry", &["Key", "Name", "Value"][..]),
        ("ServiceInstall", &["Arguments", "StartName", "Password"][..]),
        ("IniFile", &["Value"][..]),
        ("Environment", &["Value"][..]),
    ] {
        for row in db.rows(table) {
            for column in columns {
                for name in row.str(column).map(formatted_refs).unwrap_or_default() {
                    add(name, format!("{table}.{column}"));
                }
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    //! A minimal authored UI that meets ICE20 (MSI SDK "ICE20"), then one change per rule.
    use super::*;
    use crate::validate::db::{DeclaredColumn, TableData};
    use msi::Value;

    fn s(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
    fn i(v: i32) -> Value {
        Value::Int(v)
    }
    const N: Value = Value::Null;

    fn put(db: &mut Db, table: &str, rows: Vec<Vec<Value>>) {
        let def = crate::tables::standard(table).unwrap();
        let columns = def
            .columns
            .iter()
            .map(|c| DeclaredColumn {
                name: c.name.clone(),
                coltype: msi::ColumnType::Str(0),
                nullable: c.nullable,
                primary_key: c.key,
            })
            .collect();
        db.tables.entry(table.to_owned()).or_insert(TableData { columns, rows: Vec::new() }).rows.extend(rows);
    }

    /// Dialog row: name, attributes, first control.
    fn dialog(name: &str, attrs: i32, first: &str) -> Vec<Value> {
        vec![s(name), i(50), i(50), i(370), i(270), i(attrs), N, s(first), N, N]
    }
    /// Control row: dialog, name, type, attributes, property.
    fn control(d: &str, c: &str, kind: &str, attrs: i32, prop: Option<&str>) -> Vec<Value> {
        vec![s(d), s(c), s(kind), i(0), i(0), i(10), i(10), i(attrs), prop.map_or(N, s), N, N, N]
    }
    fn end_dialog(d: &str, c: &str, arg: &str) -> Vec<Value> {
        vec![s(d), s(c), s("EndDialog"), s(arg), s("1"), N]
    }

    fn clean() -> Db {
        let mut db = Db::default();
        let enabled = CONTROL_ENABLED | 1; // visible and enabled
        let mut dialogs = vec![
            dialog("FilesInUse", 3, "Retry"),
            dialog("ErrorDlg", 3 | DIALOG_ERROR, "ErrorText"),
            dialog("FolderDlg", 3, "Path"),
        ];
        let mut controls = vec![
            control("FilesInUse", "Retry", "PushButton", enabled, None),
            control("FilesInUse", "Ignore", "PushButton", enabled, None),
            control("FilesInUse", "Exit", "PushButton", enabled, None),
            control("FilesInUse", "List", "ListBox", enabled, Some("FileInUseProcess")),
            control("ErrorDlg", "ErrorText", "Text", enabled, None),
            control("FolderDlg", "Path", "PathEdit", enabled | CONTROL_INDIRECT, Some("_BrowseProperty")),
            control("FolderDlg", "Accept", "CheckBox", enabled, Some("LICENSE_ACCEPTED")),
        ];
        let mut events = vec![
            end_dialog("FilesInUse", "Retry", "Retry"),
            end_dialog("FilesInUse", "Ignore", "Ignore"),
            end_dialog("FilesInUse", "Exit", "Exit"),
        ];
        for (b, arg) in [
            ("A", "ErrorAbort"),
            ("C", "ErrorCancel"),
            ("I", "ErrorIgnore"),
            ("N", "ErrorNo"),
            ("O", "ErrorOk"),
            ("R", "ErrorRetry"),
            ("Y", "ErrorYes"),
        ] {
            controls.push(control("ErrorDlg", b, "PushButton", enabled, None));
            events.push(end_dialog("ErrorDlg", b, arg));
        }
        let mut ui_sequence = Vec::new();
        for (name, seq) in [("ExitDlg", -1), ("UserExitDlg", -2), ("FatalErrorDlg", -3)] {
            dialogs.push(dialog(name, 3, "Finish"));
            controls.push(control(name, "Finish", "PushButton", enabled, None));
            events.push(end_dialog(name, "Finish", "Return"));
            ui_sequence.push(vec![s(name), N, i(seq)]);
        }
        put(&mut db, "Dialog", dialogs);
        put(&mut db, "Control", controls);
        put(&mut db, "ControlEvent", events);
        put(&mut db, "InstallUISequence", ui_sequence.clone());
        put(&mut db, "AdminUISequence", ui_sequence);
        put(&mut db, "ListBox", Vec::new());
        put(
            &mut db,
            "Directory",
            vec![vec![s("TARGETDIR"), N, s("SourceDir")], vec![s("INSTALLFOLDER"), s("TARGETDIR"), s("App")]],
        );
        put(
            &mut db,
            "Property",
            vec![
                vec![s("ErrorDialog"), s("ErrorDlg")],
                vec![s("_BrowseProperty"), s("INSTALLFOLDER")],
                vec![s("SecureCustomProperties"), s("INSTALLFOLDER")],
            ],
        );
        db
    }

    fn findings(db: &Db) -> Vec<Finding> {
        let mut out = Vec::new();
        check(db, &mut out);
        out
    }

    fn rules(db: &Db) -> Vec<(&'static str, String)> {
        findings(db).into_iter().map(|f| (f.rule, f.message)).collect()
    }

    #[test]
    fn a_complete_ui_has_no_findings() {
        assert!(findings(&clean()).is_empty(), "{:?}", rules(&clean()));
    }

    #[test]
    fn ice20_wants_the_files_in_use_dialog() {
        let mut db = clean();
        db.tables.get_mut("Dialog").unwrap().rows.retain(|r| r[0] != s("FilesInUse"));
        let found = rules(&db);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "ICE20");
        assert!(found[0].1.contains("no FilesInUse dialog"), "{found:?}");
    }

    #[test]
    fn ice20_wants_each_files_in_use_button_and_the_list_box_table() {
        let mut db = clean();
        db.tables.get_mut("ControlEvent").unwrap().rows.retain(|r| r[3] != s("Ignore"));
        db.tables.remove("ListBox");
        let found = rules(&db);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| f.1.contains("EndDialog Ignore")), "{found:?}");
        assert!(found.iter().any(|f| f.1.contains("ListBox table is missing")), "{found:?}");
    }

    #[test]
    fn ice20_wants_exit_dialogs_in_the_admin_ui_sequence() {
        let mut db = clean();
        db.tables.get_mut("AdminUISequence").unwrap().rows.clear();
        let found = rules(&db);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|f| f.0 == "ICE20" && f.1.contains("sequence -")), "{found:?}");
    }

    #[test]
    fn ice20_checks_the_error_dialog() {
        let mut db = clean();
        db.tables.get_mut("ControlEvent").unwrap().rows.retain(|r| r[1] != s("Y"));
        db.tables
            .get_mut("Dialog")
            .unwrap()
            .rows
            .iter_mut()
            .filter(|r| r[0] == s("ErrorDlg"))
            .for_each(|r| r[5] = i(3));
        let found = rules(&db);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| f.1.contains("push button Y")), "{found:?}");
        assert!(found.iter().any(|f| f.1.contains("Error dialog style bit")), "{found:?}");
    }

    #[test]
    fn ice20_is_off_under_limitui() {
        let mut db = clean();
        db.tables.get_mut("Dialog").unwrap().rows.retain(|r| r[0] != s("FilesInUse"));
        put(&mut db, "Property", vec![vec![s("LIMITUI"), s("1")]]);
        assert!(findings(&db).is_empty());
    }

    #[test]
    fn a_disabled_first_control_is_a_warning() {
        let mut db = clean();
        for r in db.tables.get_mut("Control").unwrap().rows.iter_mut().filter(|r| r[1] == s("Retry")) {
            r[7] = i(1); // visible, not enabled
        }
        let found = findings(&db);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].rule, found[0].severity, found[0].row.as_str()),
            ("first-control-enabled", super::super::Severity::Warning, "FilesInUse")
        );
    }

    #[test]
    fn a_directory_the_dialogs_set_must_be_secure() {
        let mut db = clean();
        db.tables.get_mut("Property").unwrap().rows.retain(|r| r[0] != s("SecureCustomProperties"));
        let found = findings(&db);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "secure-ui-property");
        assert!(
            found[0].message.contains("INSTALLFOLDER") && found[0].message.contains("FolderDlg/Path"),
            "{}",
            found[0].message
        );
        // LICENSE_ACCEPTED is set by the dialogs too, but nothing on the server side reads it.
        assert!(!found[0].message.contains("LICENSE_ACCEPTED"));
    }

    #[test]
    fn a_property_set_by_an_event_and_read_by_a_deferred_action_must_be_secure() {
        let mut db = clean();
        put(&mut db, "ControlEvent", vec![vec![s("FolderDlg"), s("Accept"), s("[MODE]"), s("fast"), s("1"), N]]);
        put(&mut db, "CustomAction", vec![vec![s("SetData"), i(51), s("Run"), s("[MODE]"), N]]);
        put(&mut db, "InstallExecuteSequence", vec![vec![s("SetData"), N, i(1000)]]);
        let found = findings(&db);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("MODE") && found[0].message.contains("custom action SetData"),
            "{}",
            found[0].message
        );
    }

    /// ALLUSERS is on Windows Installer's default list of restricted public properties (MSI SDK
    /// "Restricted Public Properties"): it reaches the server without SecureCustomProperties.
    #[test]
    fn a_default_restricted_public_property_needs_no_listing() {
        let mut db = clean();
        put(&mut db, "ControlEvent", vec![vec![s("FolderDlg"), s("Accept"), s("[ALLUSERS]"), s("1"), s("1"), N]]);
        put(&mut db, "CustomAction", vec![vec![s("SetData"), i(51), s("Run"), s("[ALLUSERS]"), N]]);
        put(&mut db, "InstallExecuteSequence", vec![vec![s("SetData"), N, i(1000)]]);
        assert!(findings(&db).is_empty(), "{:?}", findings(&db));
    }
}
