//! Prerequisite evaluation in the MSI (seed step 7). The MSI detects; it no longer installs.
//!
//! The release engineer's `[[prerequisite]]` list reaches the package as the custom table
//! `IdmPrerequisite` (written by `wix/target-machine.wxs.tera`); the rules and their detection
//! live in `bundle_core::detect`, shared with the setup program (`setup/`), which installs the
//! missing modules before it runs this MSI. Three immediate actions read the table:
//!
//! - `EvaluatePrerequisites` (UI sequence, and the dialog's refresh): detects every module and
//!   publishes `PREREQ_<ID>_STATE` (`present` / `missing`), `PREREQ_<ID>_DETAIL`,
//!   `PREREQUISITES_MISSING` (comma list of names) and `PREREQUISITES_SUMMARY` (dialog text).
//!   Never fails on a missing module: the dialog shows it.
//! - `InstallPrerequisites` (the dialog's button, `DoAction`): installs nothing. Installing a
//!   redistributable from inside an installation cannot work on Windows: Windows Installer runs
//!   one installation at a time (a nested one fails with 1618, `_MSIExecute` mutex:
//!   <https://learn.microsoft.com/en-us/windows/win32/msi/-msiexecute-mutex>), and the dialogs
//!   run without elevation under UAC. It puts in `PREREQUISITES_ERROR` the instruction to run
//!   the setup program. `PREREQUISITES_INSTALLABLE` is never set, so the button stays hidden.
//! - `CheckPrerequisites` (execute sequence, before anything changes): missing modules fail
//!   the installation with 1603 and one line naming them and the setup program.
//!
//! The machine is reached through the [`System`] trait (real Windows implementation
//! `bundle_core::win::WinSystem`, fakes in tests).

pub use bundle_core::detect::{
    parse_rows, Detection, FileProbe, Installer, Module, RegValue, Root, RowError, State, System, SystemError, Version,
    COLUMNS, PACKAGE_DIR, TABLE,
};

use crate::properties::{
    ORIGINAL_DATABASE, PREREQUISITES_ERROR, PREREQUISITES_INSTALLABLE, PREREQUISITES_MISSING, PREREQUISITES_SUMMARY,
};
use crate::session::{publish, ActionResult, Session, SessionError};

/// Why the prerequisite list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The table is absent or the query failed.
    #[error("cannot read the {TABLE} table ({0}); the package is damaged or was built without it")]
    Unreadable(#[from] SessionError),
    /// A row is malformed.
    #[error(transparent)]
    Row(#[from] RowError),
}

/// Reads and parses the whole table, ordered by its `Sequence` column.
pub fn read_modules(session: &impl Session) -> Result<Vec<Module>, TableError> {
    let rows = session.table(TABLE, &COLUMNS)?;
    Ok(parse_rows(&rows)?)
}

/// Expands `[Property]` references from the session (unknown ones become empty).
pub fn expand(session: &impl Session, text: &str) -> String {
    bundle_core::detect::expand(&|p| session.property(p).ok(), text)
}

/// Detects one module, file paths expanded from the session.
pub fn detect(session: &impl Session, system: &impl System, module: &Module) -> State {
    bundle_core::detect::detect(&|p| session.property(p).ok(), system, module)
}

/// The property holding a module's state: `PREREQ_<ID uppercased>_STATE`.
pub fn state_property(id: &str) -> String {
    format!("PREREQ_{}_STATE", id.to_ascii_uppercase())
}

/// The property holding a module's detail text: `PREREQ_<ID uppercased>_DETAIL`.
pub fn detail_property(id: &str) -> String {
    format!("PREREQ_{}_DETAIL", id.to_ascii_uppercase())
}

/// The setup program's file name: `dist` names it after the MSI (`<stem>.msi` ->
/// `<stem>-setup.exe`, beside it in `target/dist` and in the release zip).
pub fn setup_program(session: &impl Session) -> String {
    let original = session.property(ORIGINAL_DATABASE).unwrap_or_default();
    let file = original.rsplit(['\\', '/']).next().unwrap_or_default();
    match file
        .len()
        .checked_sub(4)
        .filter(|&cut| file.is_char_boundary(cut) && file[cut..].eq_ignore_ascii_case(".msi"))
    {
        Some(cut) if cut > 0 => format!("{}-setup.exe", &file[..cut]),
        _ => "the product's -setup.exe".to_string(),
    }
}

/// Detects every module, logs each state and publishes the properties listed in the module
/// docs (as `action`). Returns each module with its state, or the first property that could not
/// be set (logged by [`publish`]).
pub fn evaluate_and_publish(
    session: &mut impl Session,
    system: &impl System,
    modules: &[Module],
    action: &str,
) -> Result<Vec<(Module, State)>, SessionError> {
    let states: Vec<(Module, State)> = modules.iter().map(|m| (m.clone(), detect(session, system, m))).collect();
    let setup = setup_program(session);
    let mut summary = Vec::new();
    let mut missing = Vec::new();
    for (m, state) in &states {
        session.log(&format!("Prerequisite {} ({}): {} ({})", m.name, m.id, state.word(), state.detail()));
        publish(session, action, &state_property(&m.id), state.word())?;
        publish(session, action, &detail_property(&m.id), state.detail())?;
        let line = match (state, &m.install) {
            (State::Present(_), _) => format!("{}: installed", m.name),
            (State::Missing(_), Some(_)) => {
                missing.push(m.name.clone());
                format!("{}: missing; {setup} installs it", m.name)
            }
            (State::Missing(_), None) => {
                missing.push(m.name.clone());
                format!("{}: missing, install it before running this installer", m.name)
            }
        };
        summary.push(line);
    }
    publish(session, action, PREREQUISITES_MISSING, &missing.join(", "))?;
    publish(session, action, PREREQUISITES_SUMMARY, &summary.join("\r\n"))?;
    publish(session, action, PREREQUISITES_INSTALLABLE, "")?;
    if missing.is_empty() {
        session.log(&format!("Prerequisites: all {} present", states.len()));
    } else {
        session.log(&format!("Prerequisites missing: {}", missing.join(", ")));
    }
    Ok(states)
}

/// The instruction for missing modules: run the setup program.
fn use_setup(session: &impl Session, missing: &str) -> String {
    format!(
        "missing prerequisites: {missing}. This installer does not install them: run {} (beside this MSI in the release bundle) as an administrator; it installs the missing modules and then this product. Nothing was changed.",
        setup_program(session)
    )
}

/// `EvaluatePrerequisites`: detect and publish. Fails only when the table cannot be read.
pub fn evaluate_prerequisites(session: &mut impl Session, system: &impl System) -> ActionResult {
    match read_modules(session) {
        Ok(modules) => match evaluate_and_publish(session, system, &modules, "EvaluatePrerequisites") {
            Ok(_) => ActionResult::Success,
            Err(_) => ActionResult::Failure,
        },
        Err(e) => {
            session.log(&format!("EvaluatePrerequisites: {e}"));
            ActionResult::Failure
        }
    }
}

/// `InstallPrerequisites` (dialog button): detects again and, when something is missing, puts
/// the instruction to use the setup program in `PREREQUISITES_ERROR`. Returns success, so the
/// dialog stays open.
pub fn install_prerequisites(session: &mut impl Session, system: &impl System) -> ActionResult {
    const ACTION: &str = "InstallPrerequisites";
    if publish(session, ACTION, PREREQUISITES_ERROR, "").is_err() {
        return ActionResult::Failure;
    }
    let modules = match read_modules(session) {
        Ok(m) => m,
        Err(e) => {
            session.log(&format!("InstallPrerequisites: {e}"));
            return ActionResult::Failure;
        }
    };
    let states = match evaluate_and_publish(session, system, &modules, ACTION) {
        Ok(states) => states,
        Err(_) => return ActionResult::Failure,
    };
    let missing: Vec<&str> = states.iter().filter(|(_, s)| !s.is_present()).map(|(m, _)| m.name.as_str()).collect();
    if !missing.is_empty() {
        let text = use_setup(session, &missing.join(", "));
        session.log(&format!("{ACTION}: {text}"));
        if publish(session, ACTION, PREREQUISITES_ERROR, &text).is_err() {
            return ActionResult::Failure;
        }
    }
    ActionResult::Success
}

/// `CheckPrerequisites` (execute sequence, before any change): fails with 1603 when modules
/// are missing, naming them and the setup program.
pub fn check_prerequisites(session: &mut impl Session, system: &impl System) -> ActionResult {
    let modules = match read_modules(session) {
        Ok(m) => m,
        Err(e) => {
            session.log(&format!("CheckPrerequisites: {e}"));
            return ActionResult::Failure;
        }
    };
    let Ok(states) = evaluate_and_publish(session, system, &modules, "CheckPrerequisites") else {
        return ActionResult::Failure;
    };
    let missing: Vec<&str> = states.iter().filter(|(_, s)| !s.is_present()).map(|(m, _)| m.name.as_str()).collect();
    if missing.is_empty() {
        return ActionResult::Success;
    }
    let text = use_setup(session, &missing.join(", "));
    session.log(&format!("CheckPrerequisites: {text}"));
    ActionResult::Failure
}

#[cfg(test)]
mod tests {
    use bundle_core::fixtures::{self, FakeSystem, VC_KEY};

    use super::*;
    use crate::fakes::FakeSession;

    const MSI_DIR: &str = r"C:\media\idm\";

    /// The default product list, as `wix/target-machine.wxs.tera` writes it (rows deliberately
    /// out of sequence order).
    fn session(props: &[(&str, &str)]) -> FakeSession {
        let mut s = FakeSession::default();
        s.properties.insert("OriginalDatabase".into(), format!("{MSI_DIR}idm-1.0.0-x64.msi"));
        for (k, v) in props {
            s.properties.insert(k.to_string(), v.to_string());
        }
        s.tables.insert(TABLE.into(), fixtures::table(fixtures::default_rows()));
        s
    }

    #[test]
    fn table_rows_are_read_in_sequence_order() {
        let modules = read_modules(&session(&[])).unwrap();
        let ids: Vec<&str> = modules.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["WindowsServer2016", "NetFx48", "VCRedist2022x64"]);
    }

    #[test]
    fn a_bad_row_or_missing_table_names_the_problem() {
        let mut s = session(&[]);
        s.tables.get_mut(TABLE).unwrap().1[0][3] = Some("wmi".into());
        assert!(read_modules(&s).unwrap_err().to_string().contains("column Detect"));
        s.tables.clear();
        assert_eq!(check_prerequisites(&mut s, &FakeSystem::healthy()), ActionResult::Failure);
        assert!(s.log.iter().any(|l| l.contains("cannot read the IdmPrerequisite table")), "{:?}", s.log);
    }

    #[test]
    fn all_present_publishes_states_and_passes() {
        let mut s = session(&[]);
        assert_eq!(check_prerequisites(&mut s, &FakeSystem::healthy()), ActionResult::Success);
        assert_eq!(s.properties["PREREQ_NETFX48_STATE"], "present");
        assert_eq!(s.properties["PREREQ_VCREDIST2022X64_STATE"], "present");
        assert_eq!(s.properties["PREREQ_WINDOWSSERVER2016_STATE"], "present");
        assert!(s.properties["PREREQ_NETFX48_DETAIL"].contains("528449"));
        assert!(!s.properties.contains_key("PREREQUISITES_MISSING"));
        assert!(s.properties["PREREQUISITES_SUMMARY"].contains(".NET Framework 4.8: installed"));
        assert!(s.log.iter().any(|l| l == "Prerequisites: all 3 present"));
    }

    #[test]
    fn file_paths_are_expanded_from_the_session() {
        let s = session(&[("System64Folder", r"C:\Windows\system32\")]);
        let mut sys = FakeSystem::healthy();
        let module = Module {
            id: "Iis".into(),
            name: "IIS".into(),
            detect: Detection::File { path: r"[System64Folder]inetsrv\w3wp.exe".into(), min: None },
            install: None,
        };
        assert_eq!(detect(&s, &sys, &module), State::Missing(r"C:\Windows\system32\inetsrv\w3wp.exe not found".into()));
        sys.files.insert(r"C:\Windows\system32\inetsrv\w3wp.exe".into(), FileProbe::NoVersion);
        assert!(detect(&s, &sys, &module).is_present());
        assert_eq!(expand(&s, "[NoSuch]x[y z]"), "x[y z]");
    }

    #[test]
    fn silent_with_missing_modules_fails_naming_them_and_the_setup_program() {
        let mut s = session(&[("UILevel", "2"), ("INSTALL_PREREQUISITES", "1")]);
        let mut sys = FakeSystem::healthy();
        sys.registry.clear();
        assert_eq!(check_prerequisites(&mut s, &sys), ActionResult::Failure);
        assert_eq!(
            s.properties["PREREQUISITES_MISSING"],
            ".NET Framework 4.8, Visual C++ 2015-2022 Redistributable (x64)"
        );
        let line = s
            .log
            .iter()
            .find(|l| l.starts_with("CheckPrerequisites: missing prerequisites"))
            .expect("the failure line");
        assert!(line.contains(".NET Framework 4.8, Visual C++ 2015-2022 Redistributable (x64)"), "{line}");
        assert!(line.contains("run idm-1.0.0-x64-setup.exe"), "{line}");
        assert!(line.contains("Nothing was changed"), "{line}");
        assert!(!s.properties.contains_key("PREREQUISITES_INSTALLABLE"), "the dialog's Install button stays hidden");
    }

    #[test]
    fn the_dialog_button_points_to_the_setup_program() {
        let mut s = session(&[("UILevel", "5")]);
        let mut sys = FakeSystem::healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        assert_eq!(evaluate_prerequisites(&mut s, &sys), ActionResult::Success);
        assert_eq!(s.properties["PREREQUISITES_MISSING"], "Visual C++ 2015-2022 Redistributable (x64)");
        assert!(s.properties["PREREQUISITES_SUMMARY"]
            .contains("Visual C++ 2015-2022 Redistributable (x64): missing; idm-1.0.0-x64-setup.exe installs it"));
        assert_eq!(install_prerequisites(&mut s, &sys), ActionResult::Success);
        assert!(s.properties["PREREQUISITES_ERROR"].contains("run idm-1.0.0-x64-setup.exe"));
        sys.registry.insert((VC_KEY.into(), "Version".into()), RegValue::Text("14.40".into()));
        assert_eq!(install_prerequisites(&mut s, &sys), ActionResult::Success);
        assert!(!s.properties.contains_key("PREREQUISITES_ERROR"));
    }

    #[test]
    fn the_setup_program_is_named_after_the_msi() {
        assert_eq!(setup_program(&session(&[])), "idm-1.0.0-x64-setup.exe");
        let s = FakeSession::with([("OriginalDatabase", r"D:\share\Product.MSI")]);
        assert_eq!(setup_program(&s), "Product-setup.exe");
        let s = FakeSession::with([("OriginalDatabase", "")]);
        assert_eq!(setup_program(&s), "the product's -setup.exe");
    }

    /// A session whose `MsiSetPropertyW` fails (`ERROR_FUNCTION_FAILED`, one of the codes the
    /// "MsiSetProperty function" page lists).
    struct Refusing(FakeSession);

    impl crate::session::Log for Refusing {
        fn log(&mut self, line: &str) {
            self.0.log(line);
        }
    }

    impl Session for Refusing {
        fn property(&self, name: &str) -> Result<String, SessionError> {
            self.0.property(name)
        }
        fn set_property(&mut self, _: &str, _: &str) -> Result<(), SessionError> {
            Err(SessionError::Api { call: "MsiSetPropertyW", code: 1627 })
        }
        fn mode(&self, mode: crate::session::Mode) -> bool {
            self.0.mode(mode)
        }
        fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError> {
            self.0.table(table, columns)
        }
    }

    #[test]
    fn a_property_that_cannot_be_set_fails_the_action_and_is_named() {
        for (name, action) in [
            ("EvaluatePrerequisites", evaluate_prerequisites as fn(&mut Refusing, &FakeSystem) -> ActionResult),
            ("InstallPrerequisites", install_prerequisites),
            ("CheckPrerequisites", check_prerequisites),
        ] {
            let mut s = Refusing(session(&[]));
            assert_eq!(action(&mut s, &FakeSystem::healthy()), ActionResult::Failure, "{name}");
            let named = format!("{name}: cannot set PREREQ");
            assert!(s.0.log.iter().any(|l| l.starts_with(&named)), "{name}: {:?}", s.0.log);
        }
    }
}
