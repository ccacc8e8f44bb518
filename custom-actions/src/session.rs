//! The small session interface every custom action is written against, so the logic runs on Linux
//! with [`FakeSession`] and on Windows with the `Msi*W` shell in `ffi`.

use std::collections::BTreeMap;

/// The engine mode bits a deferred action may ask about (`MsiGetMode`, MSI SDK "MsiGetMode").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Running deferred (in the execute script).
    Scheduled,
    /// Running as a rollback action.
    Rollback,
    /// Running as a commit action.
    Commit,
    /// Rollback is enabled for this installation (`MSIRUNMODE_ROLLBACKENABLED`).
    RollbackEnabled,
}

/// What an action returns to the installer. The numbers are the Win32 codes that
/// `msiexec` turns into its exit code (MSI SDK "Custom Action Return Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionResult {
    /// `ERROR_SUCCESS` (0).
    Success,
    /// `ERROR_INSTALL_USEREXIT` (1602): stopped on purpose.
    UserExit,
    /// `ERROR_INSTALL_FAILURE` (1603).
    Failure,
}

impl ActionResult {
    /// The Win32 code the exported function returns.
    pub fn code(self) -> u32 {
        match self {
            ActionResult::Success => 0,
            ActionResult::UserExit => 1602,
            ActionResult::Failure => 1603,
        }
    }
}

/// Runs one action's logic as the DLL exports do: a panic becomes 1603 with a log line naming
/// the action (the panic message is logged; the logic never puts a secret in one), and the
/// result becomes its Win32 code. Platform-independent so the guard itself is tested on Linux.
pub fn run_guarded<S: Session>(name: &str, session: &mut S, logic: impl FnOnce(&mut S) -> ActionResult) -> u32 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| logic(&mut *session))) {
        Ok(result) => result.code(),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            session.log(&format!("{name}: internal error ({what}); the action failed and reports 1603"));
            ActionResult::Failure.code()
        }
    }
}

/// Error talking to the installer session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A `Msi*` call failed.
    #[error("{call} failed with Windows error {code}")]
    Api {
        /// The API called.
        call: &'static str,
        /// Its return code.
        code: u32,
    },
}

/// An installer session as the custom actions see it.
pub trait Session {
    /// `MsiGetPropertyW`; an undefined property is the empty string. In a deferred action only
    /// `CustomActionData`, `ProductCode` and `UserSID` are readable.
    fn property(&self, name: &str) -> Result<String, SessionError>;
    /// `MsiSetPropertyW` (immediate actions only).
    fn set_property(&mut self, name: &str, value: &str) -> Result<(), SessionError>;
    /// Writes one line to the verbose log (`MsiProcessMessage`, `INSTALLMESSAGE_INFO`).
    /// Never pass a secret.
    fn log(&mut self, line: &str);
    /// `MsiGetMode`.
    fn mode(&self, mode: Mode) -> bool;
    /// Every row of `SELECT <columns> FROM <table>` on the running package's database
    /// (`MsiGetActiveDatabase`, immediate actions only); a null cell is `None`.
    fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError>;
    /// The version string of an installed product (`MsiGetProductInfoW`, `VersionString`), or
    /// `None` when it is not installed or cannot be read.
    fn product_version(&self, product_code: &str) -> Option<String> {
        let _ = product_code;
        None
    }
}

/// A table of [`FakeSession`]: column names, then rows (a null cell is `None`).
pub type FakeTable = (Vec<String>, Vec<Vec<Option<String>>>);

/// In-memory session for unit tests of the logic: properties in a map, log lines in a vector.
#[derive(Debug, Default, Clone)]
pub struct FakeSession {
    /// Current property values.
    pub properties: BTreeMap<String, String>,
    /// Every line logged, in order.
    pub log: Vec<String>,
    /// Modes that `mode` answers `true` for.
    pub modes: Vec<Mode>,
    /// Tables the package "contains": name -> (column names, rows).
    pub tables: BTreeMap<String, FakeTable>,
    /// Installed products: product code -> version string (for `product_version`).
    pub products: BTreeMap<String, String>,
}

impl FakeSession {
    /// A session with the given properties set.
    pub fn with<const N: usize>(props: [(&str, &str); N]) -> Self {
        FakeSession {
            properties: props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }
}

impl Session for FakeSession {
    fn product_version(&self, product_code: &str) -> Option<String> {
        self.products.get(product_code).cloned()
    }
    fn property(&self, name: &str) -> Result<String, SessionError> {
        Ok(self.properties.get(name).cloned().unwrap_or_default())
    }
    fn set_property(&mut self, name: &str, value: &str) -> Result<(), SessionError> {
        if value.is_empty() {
            self.properties.remove(name);
        } else {
            self.properties.insert(name.to_string(), value.to_string());
        }
        Ok(())
    }
    fn log(&mut self, line: &str) {
        self.log.push(line.to_string());
    }
    fn mode(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }
    fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError> {
        let Some((names, rows)) = self.tables.get(table) else {
            // What MsiDatabaseOpenView returns for a missing table: ERROR_BAD_QUERY_SYNTAX.
            return Err(SessionError::Api { call: "MsiDatabaseOpenViewW", code: 1615 });
        };
        let index: Vec<usize> = columns
            .iter()
            .map(|c| {
                names.iter().position(|n| n == c).ok_or(SessionError::Api { call: "MsiDatabaseOpenViewW", code: 1615 })
            })
            .collect::<Result<_, _>>()?;
        Ok(rows.iter().map(|row| index.iter().map(|&i| row[i].clone()).collect()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_guarded_maps_results_and_turns_panics_into_1603() {
        let mut s = FakeSession::default();
        assert_eq!(run_guarded("A", &mut s, |_| ActionResult::Success), 0);
        assert_eq!(run_guarded("A", &mut s, |_| ActionResult::UserExit), 1602);
        assert_eq!(run_guarded("A", &mut s, |_| ActionResult::Failure), 1603);
        assert!(s.log.is_empty());
        assert_eq!(run_guarded("Boom", &mut s, |_| panic!("index out of range")), 1603);
        assert_eq!(s.log, ["Boom: internal error (index out of range); the action failed and reports 1603"]);
        let n = 3;
        assert_eq!(run_guarded("Fmt", &mut s, |_| panic!("bad row {n}")), 1603);
        assert!(s.log[1].contains("bad row 3"));
    }
}
