//! The installer session as each kind of custom action sees it, one type per execution context,
//! so an action can only ask what Windows Installer answers where it runs. The logic is written
//! against these traits and runs on Linux with the fakes in [`crate::fakes`], on Windows with the
//! `Msi*W` shell in `ffi`.
//!
//! Windows Installer runs a DLL custom action in one of these contexts (MSI SDK "Custom Action
//! In-Script Execution Options", "Custom Action Security"):
//!
//! | context | where | token | session trait |
//! | --- | --- | --- | --- |
//! | immediate, client | `InstallUISequence`, a dialog's `DoAction` | the user's: under UAC an administrator's *filtered* token unless msiexec was started elevated | [`Session`] |
//! | immediate, server | `InstallExecuteSequence`, outside the script | the user's, impersonated (filtered likewise) | [`Session`] |
//! | deferred | the script, between `InstallInitialize` and `InstallFinalize` | LocalSystem with `Impersonate="no"`, else the user's | [`ScriptSession`] + [`ProductCodeAccess`] |
//! | rollback | the script, when the install fails | as deferred | [`ScriptSession`] + [`ProductCodeAccess`] |
//! | commit | the script, when it succeeded | as deferred | [`ScriptSession`] only |
//!
//! What a script action (deferred, rollback, commit) may ask is fixed by Microsoft's page
//! "Obtaining Context Information for Deferred Execution Custom Actions"
//! (<https://learn.microsoft.com/en-us/windows/win32/msi/obtaining-context-information-for-deferred-execution-custom-actions>):
//! `MsiGetProperty` for `CustomActionData`, `ProductCode` and `UserSID` only (commit actions not
//! even `ProductCode`); `MsiGetMode` answers `MSIRUNMODE_SCHEDULED`, `MSIRUNMODE_ROLLBACK` and
//! `MSIRUNMODE_COMMIT` and returns FALSE for every other mode; `MsiProcessMessage` for log and
//! messages. No `MsiSetProperty`, no database. [`ScriptSession`] has exactly those, so a deferred
//! action that asks for anything else does not compile. Wine answers more (any property, any
//! mode, computed from the package) and so is not the judge: docs/windows-behaviour.md.
//!
//! Only [`Log`] is shared by every context.

/// The `MsiGetMode` bits an immediate action may ask about (MSI SDK "MsiGetMode",
/// <https://learn.microsoft.com/en-us/windows/win32/api/msiquery/nf-msiquery-msigetmode>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `MSIRUNMODE_SCHEDULED`: false in an immediate action.
    Scheduled,
    /// `MSIRUNMODE_ROLLBACK`: false in an immediate action.
    Rollback,
    /// `MSIRUNMODE_COMMIT`: false in an immediate action.
    Commit,
    /// `MSIRUNMODE_ROLLBACKENABLED`: rollback is enabled for this installation (no
    /// `RollbackDisabled` property, no `DisableRollback` policy). Immediate actions only.
    RollbackEnabled,
}

/// The only `MsiGetMode` bits a deferred, rollback or commit action gets an answer for
/// ("Obtaining Context Information for Deferred Execution Custom Actions": any other mode is FALSE
/// there, so it is not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptMode {
    /// `MSIRUNMODE_SCHEDULED`: true in a deferred action.
    Scheduled,
    /// `MSIRUNMODE_ROLLBACK`: true in a rollback action.
    Rollback,
    /// `MSIRUNMODE_COMMIT`: true in a commit action.
    Commit,
}

/// Where an immediate action runs (MSI SDK "Client and Server Processes" in "Using Windows
/// Installer with UAC").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Immediate {
    /// The UI sequence and dialog `DoAction`s, in the msiexec the admin started.
    Client,
    /// The execute sequence, in the installer service's process, impersonating the user.
    #[default]
    Server,
}

/// The kind of a script action, as its `CustomAction.Type` in-script bits say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `msidbCustomActionTypeInScript`.
    Deferred,
    /// `msidbCustomActionTypeInScript | msidbCustomActionTypeRollback`.
    Rollback,
    /// `msidbCustomActionTypeInScript | msidbCustomActionTypeCommit`.
    Commit,
}

impl Script {
    /// The one [`ScriptMode`] Windows answers true for in this kind of action.
    pub fn mode(self) -> ScriptMode {
        match self {
            Script::Deferred => ScriptMode::Scheduled,
            Script::Rollback => ScriptMode::Rollback,
            Script::Commit => ScriptMode::Commit,
        }
    }
}

/// Who an action runs as (MSI SDK "Custom Action Security"; "Using Windows Installer with UAC").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Token {
    /// An administrator's UAC-filtered token (or a standard user's): no write access to Program
    /// Files, HKLM\SOFTWARE or the LSA policy.
    Filtered,
    /// An elevated administrator (msiexec started from an elevated prompt, or after consent).
    #[default]
    Elevated,
    /// LocalSystem: deferred `Impersonate="no"` actions, and everything under SCCM/Intune.
    System,
}

impl Token {
    /// Whether this token may change system locations (Program Files, HKLM, the LSA policy).
    pub fn can_change_machine(self) -> bool {
        !matches!(self, Token::Filtered)
    }
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
pub fn run_guarded<S: Log>(name: &str, session: &mut S, logic: impl FnOnce(&mut S) -> ActionResult) -> u32 {
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

/// The verbose log, available in every context (`MsiProcessMessage`, `INSTALLMESSAGE_INFO`).
pub trait Log {
    /// Writes one line to the verbose log. Never pass a secret.
    fn log(&mut self, line: &str);
}

/// An immediate action's session (client or server): properties, the package's tables, every
/// `MsiGetMode` bit. Machine changes do not belong here: immediate actions run with the user's
/// token, filtered under UAC ([`Token::Filtered`]).
pub trait Session: Log {
    /// `MsiGetPropertyW`; an undefined property is the empty string.
    fn property(&self, name: &str) -> Result<String, SessionError>;
    /// `MsiSetPropertyW`.
    fn set_property(&mut self, name: &str, value: &str) -> Result<(), SessionError>;
    /// `MsiGetMode`. Windows answers false for [`Mode::Scheduled`], [`Mode::Rollback`] and
    /// [`Mode::Commit`] here.
    fn mode(&self, mode: Mode) -> bool;
    /// Every row of `SELECT <columns> FROM <table>` on the running package's database
    /// (`MsiGetActiveDatabase`); a null cell is `None`.
    fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError>;
    /// The version string of an installed product (`MsiGetProductInfoW`, `VersionString`), or
    /// `None` when it is not installed or cannot be read.
    fn product_version(&self, product_code: &str) -> Option<String> {
        let _ = product_code;
        None
    }
}

/// A deferred, rollback or commit action's session: only what "Obtaining Context Information for
/// Deferred Execution Custom Actions" allows there.
pub trait ScriptSession: Log {
    /// Which kind of script action this is ([`Deferred`], [`Rollback`] or [`Commit`]), so logic
    /// written for one kind cannot be handed the session of another.
    type Kind: ScriptKind;
    /// `MsiGetPropertyW(CustomActionData)`: the value the immediate type-51 action gave the
    /// property named after this action when the script was written.
    fn custom_action_data(&self) -> Result<String, SessionError>;
    /// `MsiGetPropertyW(UserSID)`: the SID of the user who started the installation.
    fn user_sid(&self) -> Result<String, SessionError>;
    /// `MsiGetMode` for the three bits Windows answers in script actions.
    fn mode(&self, mode: ScriptMode) -> bool;
}

/// `MsiGetPropertyW(ProductCode)`: deferred and rollback actions only; "Commit custom actions
/// cannot use the MsiGetProperty function to obtain the ProductCode property".
pub trait ProductCodeAccess: ScriptSession {
    /// The product code of the package being installed.
    fn product_code(&self) -> Result<String, SessionError>;
}

/// Marker for [`Script::Deferred`] (used by the fakes and the Windows shell).
#[derive(Debug, Clone, Copy, Default)]
pub struct Deferred;
/// Marker for [`Script::Rollback`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Rollback;
/// Marker for [`Script::Commit`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Commit;

/// A script-context marker type: which [`Script`] kind it stands for.
pub trait ScriptKind: Copy + Default {
    /// The kind.
    const KIND: Script;
    /// Whether `ProductCode` is readable ([`ProductCodeAccess`]).
    const HAS_PRODUCT_CODE: bool;
}
impl ScriptKind for Deferred {
    const KIND: Script = Script::Deferred;
    const HAS_PRODUCT_CODE: bool = true;
}
impl ScriptKind for Rollback {
    const KIND: Script = Script::Rollback;
    const HAS_PRODUCT_CODE: bool = true;
}
impl ScriptKind for Commit {
    const KIND: Script = Script::Commit;
    const HAS_PRODUCT_CODE: bool = false;
}

/// Sets a property an immediate action publishes; on failure logs it (naming the action and the
/// property) and returns the error, so callers propagate it with `?` instead of discarding it.
pub fn publish(session: &mut impl Session, action: &str, name: &str, value: &str) -> Result<(), SessionError> {
    session.set_property(name, value).inspect_err(|e| {
        session.log(&format!("{action}: cannot set {name}: {e}"));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakeSession;

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

    #[test]
    fn each_script_kind_answers_only_its_own_mode() {
        assert_eq!(Script::Deferred.mode(), ScriptMode::Scheduled);
        assert_eq!(Script::Rollback.mode(), ScriptMode::Rollback);
        assert_eq!(Script::Commit.mode(), ScriptMode::Commit);
        const { assert!(Deferred::HAS_PRODUCT_CODE && Rollback::HAS_PRODUCT_CODE && !Commit::HAS_PRODUCT_CODE) };
        assert!(!Token::Filtered.can_change_machine());
        assert!(Token::Elevated.can_change_machine() && Token::System.can_change_machine());
    }
}
