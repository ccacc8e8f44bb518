//! The fakes every unit and integration test of the custom actions uses, in one place: the
//! installer session of each execution context ([`FakeSession`] for immediate actions,
//! [`FakeScript`] for deferred, rollback and commit ones), an LSA ([`FakeRights`]) and a domain
//! ([`FakeLogon`]).
//!
//! They answer as Windows does, not as Wine does (docs/windows-behaviour.md): a script session has
//! no properties but `CustomActionData`, `ProductCode` (not in commit) and `UserSID`, and
//! `MsiGetMode` is true only for its own kind ("Obtaining Context Information for Deferred
//! Execution Custom Actions"); an immediate session answers false for the script modes and
//! `MSIRUNMODE_ROLLBACKENABLED` from `RollbackDisabled` ("MsiGetMode", "RollbackDisabled
//! property"). The LSA refuses a filtered token with `STATUS_ACCESS_DENIED`, as
//! `LsaOpenPolicy` with `POLICY_CREATE_ACCOUNT` does for a non-administrator ("Opening a Policy
//! Object Handle": the access rights a caller is granted depend on its token).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use crate::account::{AccountRights, GrantLedger, Logon, LogonFailure, Password, RightsError};
use crate::session::{
    Commit, Deferred, Immediate, Log, Mode, ProductCodeAccess, Rollback, ScriptKind, ScriptMode, ScriptSession,
    Session, SessionError, Token,
};

/// A table of [`FakeSession`]: column names, then rows (a null cell is `None`).
pub type FakeTable = (Vec<String>, Vec<Vec<Option<String>>>);

/// An immediate action's session: properties in a map, log lines in a vector.
#[derive(Debug, Default, Clone)]
pub struct FakeSession {
    /// Current property values.
    pub properties: BTreeMap<String, String>,
    /// Every line logged, in order.
    pub log: Vec<String>,
    /// Tables the package "contains": name -> (column names, rows).
    pub tables: BTreeMap<String, FakeTable>,
    /// Installed products: product code -> version string (for `product_version`).
    pub products: BTreeMap<String, String>,
    /// Client (UI sequence, `DoAction`) or server (execute sequence).
    pub context: Immediate,
    /// The token the action runs with (the user's; filtered under UAC unless elevated).
    pub token: Token,
    /// The machine's `DisableRollback` policy (with the `RollbackDisabled` property, what
    /// `MSIRUNMODE_ROLLBACKENABLED` reflects).
    pub rollback_policy_disabled: bool,
}

impl FakeSession {
    /// A server-side session (execute sequence, elevated) with the given properties set.
    pub fn with<const N: usize>(props: [(&str, &str); N]) -> Self {
        FakeSession {
            properties: props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }

    /// The same, running in the client (UI sequence or a dialog's `DoAction`).
    pub fn client<const N: usize>(props: [(&str, &str); N]) -> Self {
        FakeSession { context: Immediate::Client, ..FakeSession::with(props) }
    }

    /// Gives the session a `Directory` table (MSI SDK "Directory Table": `Directory`,
    /// `Directory_Parent`, `DefaultDir`), one `(directory, parent, default dir)` per row.
    pub fn with_directory_table(mut self, rows: &[(&str, Option<&str>, &str)]) -> Self {
        let rows =
            rows.iter().map(|(d, p, n)| vec![Some(d.to_string()), p.map(str::to_owned), Some(n.to_string())]).collect();
        let names = vec!["Directory".into(), "Directory_Parent".into(), "DefaultDir".into()];
        self.tables.insert("Directory".into(), (names, rows));
        self
    }
}

impl Log for FakeSession {
    fn log(&mut self, line: &str) {
        self.log.push(line.to_string());
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
    fn mode(&self, mode: Mode) -> bool {
        match mode {
            // "MsiGetMode": the script modes are false outside the script.
            Mode::Scheduled | Mode::Rollback | Mode::Commit => false,
            Mode::RollbackEnabled => {
                !self.rollback_policy_disabled && self.properties.get("RollbackDisabled").is_none_or(|v| v.is_empty())
            }
        }
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

/// A deferred, rollback or commit action's session (`K` is [`Deferred`], [`Rollback`] or
/// [`Commit`]): only `CustomActionData`, `ProductCode` (not in commit), `UserSID`, its own mode
/// and the log.
#[derive(Debug, Clone)]
pub struct FakeScript<K: ScriptKind> {
    /// `CustomActionData`, as the type-51 action set it when the script was written.
    pub data: String,
    /// `ProductCode` (readable in deferred and rollback actions).
    pub product_code: String,
    /// `UserSID` of the user who started the installation.
    pub user_sid: String,
    /// Every line logged, in order.
    pub log: Vec<String>,
    /// LocalSystem for `Impersonate="no"`, else the user's token.
    pub token: Token,
    kind: PhantomData<K>,
}

impl<K: ScriptKind> FakeScript<K> {
    /// A non-impersonated (LocalSystem) script action with this `CustomActionData`.
    pub fn new(data: &str) -> Self {
        FakeScript {
            data: data.to_string(),
            product_code: "{00000000-0000-0000-0000-000000000001}".to_string(),
            user_sid: "S-1-5-21-1-2-3-1001".to_string(),
            log: Vec::new(),
            token: Token::System,
            kind: PhantomData,
        }
    }
}

impl FakeScript<Deferred> {
    /// A deferred, non-impersonated action.
    pub fn deferred(data: &str) -> Self {
        FakeScript::new(data)
    }
}

impl FakeScript<Rollback> {
    /// A rollback, non-impersonated action.
    pub fn rollback(data: &str) -> Self {
        FakeScript::new(data)
    }
}

impl FakeScript<Commit> {
    /// A commit, non-impersonated action.
    pub fn commit(data: &str) -> Self {
        FakeScript::new(data)
    }
}

impl<K: ScriptKind> Log for FakeScript<K> {
    fn log(&mut self, line: &str) {
        self.log.push(line.to_string());
    }
}

impl<K: ScriptKind> ScriptSession for FakeScript<K> {
    type Kind = K;
    fn custom_action_data(&self) -> Result<String, SessionError> {
        Ok(self.data.clone())
    }
    fn user_sid(&self) -> Result<String, SessionError> {
        Ok(self.user_sid.clone())
    }
    fn mode(&self, mode: ScriptMode) -> bool {
        mode == K::KIND.mode()
    }
}

impl ProductCodeAccess for FakeScript<Deferred> {
    fn product_code(&self) -> Result<String, SessionError> {
        Ok(self.product_code.clone())
    }
}

impl ProductCodeAccess for FakeScript<Rollback> {
    fn product_code(&self) -> Result<String, SessionError> {
        Ok(self.product_code.clone())
    }
}

/// `STATUS_ACCESS_DENIED` (ntstatus.h).
pub const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;

/// The local LSA policy and the installer's grant ledger: which accounts hold
/// `SeServiceLogonRight`, what the running token may do, and every call made.
#[derive(Debug, Default)]
pub struct FakeRights {
    /// Accounts holding the right.
    pub held: BTreeSet<String>,
    /// The token of the action calling (set by the test before each action).
    pub token: Cell<Token>,
    /// Makes every LSA call fail with this NTSTATUS (an unreachable or broken policy).
    pub broken: Option<u32>,
    /// Makes `LsaAddAccountRights` fail with this NTSTATUS.
    pub fail_add: Option<u32>,
    /// The ledger: run id -> account whose right that run added.
    pub ledger: BTreeMap<String, String>,
    /// Calls made, in order (`read X`, `add X`, `remove X`, `record id`, `forget id`).
    pub calls: RefCell<Vec<String>>,
}

impl FakeRights {
    /// An LSA where `held` already hold the right.
    pub fn holding(held: &[&str]) -> Self {
        FakeRights { held: held.iter().map(|a| a.to_string()).collect(), ..Default::default() }
    }

    fn check(&self, call: &'static str) -> Result<(), RightsError> {
        if let Some(code) = self.broken {
            return Err(RightsError { call, code });
        }
        if !self.token.get().can_change_machine() {
            return Err(RightsError { call: "LsaOpenPolicy", code: STATUS_ACCESS_DENIED });
        }
        Ok(())
    }
}

impl AccountRights for FakeRights {
    fn has_service_logon(&self, account: &str) -> Result<bool, RightsError> {
        self.calls.borrow_mut().push(format!("read {account}"));
        self.check("LsaEnumerateAccountRights")?;
        Ok(self.held.contains(account))
    }
    fn add_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
        self.calls.borrow_mut().push(format!("add {account}"));
        self.check("LsaAddAccountRights")?;
        if let Some(code) = self.fail_add {
            return Err(RightsError { call: "LsaAddAccountRights", code });
        }
        self.held.insert(account.to_string());
        Ok(())
    }
    fn remove_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
        self.calls.borrow_mut().push(format!("remove {account}"));
        self.check("LsaRemoveAccountRights")?;
        self.held.remove(account);
        Ok(())
    }
}

impl GrantLedger for FakeRights {
    fn record(&mut self, run: &str, account: &str) -> Result<(), RightsError> {
        self.calls.borrow_mut().push(format!("record {run}"));
        if !self.token.get().can_change_machine() {
            return Err(RightsError { call: "RegSetKeyValueW", code: 5 });
        }
        self.ledger.insert(run.to_string(), account.to_string());
        Ok(())
    }
    fn recorded(&self, run: &str) -> Result<Option<String>, RightsError> {
        Ok(self.ledger.get(run).cloned())
    }
    fn forget(&mut self, run: &str) -> Result<(), RightsError> {
        self.calls.borrow_mut().push(format!("forget {run}"));
        if !self.token.get().can_change_machine() {
            return Err(RightsError { call: "RegDeleteKeyValueW", code: 5 });
        }
        self.ledger.remove(run);
        Ok(())
    }
}

/// A domain: accounts with their passwords, gMSAs this host may use, and the logons tried
/// (without the password).
#[derive(Debug, Default)]
pub struct FakeLogon {
    /// `(user, domain)` -> password; a `None` domain is a UPN logon.
    pub accounts: BTreeMap<(String, Option<String>), String>,
    /// What a logon that does not match answers (`winerror.h`; 1326 by default).
    pub other: Option<u32>,
    /// UPN -> `DOMAIN\user`.
    pub down_level: BTreeMap<String, String>,
    /// gMSAs (`DOMAIN\name$`) this host is allowed to retrieve the password of.
    pub usable_gmsa: BTreeSet<String>,
    /// Makes `NetIsServiceAccount` fail with this status.
    pub gmsa_check_fails: Option<u32>,
    /// Logons tried: `(user, domain)`.
    pub calls: RefCell<Vec<(String, Option<String>)>>,
}

impl FakeLogon {
    /// A domain with one account.
    pub fn one(user: &str, domain: Option<&str>, password: &str) -> Self {
        let mut logon = FakeLogon::default();
        logon.accounts.insert((user.to_string(), domain.map(str::to_string)), password.to_string());
        logon
    }
}

impl Logon for FakeLogon {
    fn network_logon(&self, user: &str, domain: Option<&str>, password: &Password) -> Result<(), LogonFailure> {
        self.calls.borrow_mut().push((user.to_string(), domain.map(str::to_string)));
        match self.accounts.get(&(user.to_string(), domain.map(str::to_string))) {
            Some(p) if p == password.expose() => Ok(()),
            _ => Err(LogonFailure(self.other.unwrap_or(1326))),
        }
    }

    fn down_level_name(&self, upn: &str) -> Result<String, LogonFailure> {
        self.down_level.get(upn).cloned().ok_or(LogonFailure(1332))
    }

    fn is_service_account(&self, account: &str) -> Result<bool, LogonFailure> {
        if let Some(code) = self.gmsa_check_fails {
            return Err(LogonFailure(code));
        }
        Ok(self.usable_gmsa.contains(account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediate_sessions_answer_modes_as_windows_does() {
        let s = FakeSession::default();
        assert!(!s.mode(Mode::Scheduled) && !s.mode(Mode::Rollback) && !s.mode(Mode::Commit));
        assert!(s.mode(Mode::RollbackEnabled));
        let s = FakeSession::with([("RollbackDisabled", "1")]);
        assert!(!s.mode(Mode::RollbackEnabled));
        let s = FakeSession { rollback_policy_disabled: true, ..Default::default() };
        assert!(!s.mode(Mode::RollbackEnabled));
    }

    #[test]
    fn script_sessions_answer_only_their_own_mode() {
        let d = FakeScript::deferred("x");
        assert!(d.mode(ScriptMode::Scheduled) && !d.mode(ScriptMode::Rollback) && !d.mode(ScriptMode::Commit));
        let r = FakeScript::rollback("x");
        assert!(!r.mode(ScriptMode::Scheduled) && r.mode(ScriptMode::Rollback) && !r.mode(ScriptMode::Commit));
        let c = FakeScript::commit("x");
        assert!(!c.mode(ScriptMode::Scheduled) && !c.mode(ScriptMode::Rollback) && c.mode(ScriptMode::Commit));
        assert_eq!(d.custom_action_data().unwrap(), "x");
        assert!(d.product_code().unwrap().starts_with('{'));
        assert!(r.product_code().is_ok());
        assert!(c.user_sid().unwrap().starts_with("S-1-5-"));
    }

    #[test]
    fn the_lsa_refuses_a_filtered_token() {
        let mut lsa = FakeRights::default();
        lsa.token.set(Token::Filtered);
        assert_eq!(lsa.has_service_logon("A").unwrap_err().code, STATUS_ACCESS_DENIED);
        assert!(lsa.add_service_logon("A").is_err());
        assert!(lsa.record("run", "A").is_err());
        lsa.token.set(Token::System);
        assert!(!lsa.has_service_logon("A").unwrap());
        lsa.add_service_logon("A").unwrap();
        assert!(lsa.held.contains("A"));
    }
}
