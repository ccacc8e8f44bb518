//! Service-account validation and the Log-on-as-a-service right (seed step 9).
//!
//! - [`parse_account`]: the format check of `SERVICE_ACCOUNT` (pure; table-tested).
//! - `ValidateServiceAccount` ([`validate_service_account`], the dialog's `DoAction`): format
//!   check, password rules, then a real network logon through [`Logon`]; publishes
//!   `SERVICE_ACCOUNT_VALID=1` or `SERVICE_ACCOUNT_ERROR`, and `SERVICE_LOGON`. Never fails, so
//!   the dialog can show the error.
//! - `CheckServiceAccount` ([`check_service_account`], execute sequence, before any change):
//!   the same, but a problem is a 1603 with a line saying what was wrong (never the password).
//! - `GrantLogonAsServiceData` / `GrantLogonAsService` / `GrantLogonAsServiceRollback`: grant
//!   `SeServiceLogonRight` through [`AccountRights`] (LSA) in a deferred action; the rollback
//!   removes it only if the account did not have it before (recorded in `CustomActionData`).
//!
//! The password is read from `SERVICE_PASSWORD` into a [`Password`] whose `Debug` is redacted
//! and which is zeroized on drop; no log line or property set here contains it.

use std::fmt;

use zeroize::Zeroizing;

use crate::properties::{
    SERVICE_ACCOUNT, SERVICE_ACCOUNT_ERROR, SERVICE_ACCOUNT_VALID, SERVICE_LOGON, SERVICE_PASSWORD,
};
use crate::session::{publish, ActionResult, Commit, Deferred, Rollback, ScriptSession, Session, SessionError};

/// The user right that lets an account run a service (`ntsecapi.h`, `SE_SERVICE_LOGON_NAME`).
pub const SERVICE_LOGON_RIGHT: &str = "SeServiceLogonRight";

/// The `SERVICE_LOGON` (`ServiceInstall.StartName`) for LocalSystem. The MSI SDK
/// ("ServiceInstall Table", StartName) documents `LocalSystem` as the LocalSystem account; an
/// empty formatted `[SERVICE_LOGON]` reaches `CreateServiceW` as `""` rather than NULL (seen
/// under Wine: `ObjectName` stayed empty), so the name is always given explicitly.
pub const LOCAL_SYSTEM: &str = "LocalSystem";

/// Whether a `SERVICE_LOGON` value means LocalSystem (empty, or `LocalSystem` in any case):
/// no password, no Log on as a service right.
pub fn is_local_system(logon_name: &str) -> bool {
    let name = logon_name.trim();
    name.is_empty() || name.eq_ignore_ascii_case(LOCAL_SYSTEM)
}

/// A service logon account, parsed from `SERVICE_ACCOUNT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// Empty or `LocalSystem`: the service runs as LocalSystem (no password).
    LocalSystem,
    /// `DOMAIN\Username`.
    Domain {
        /// NetBIOS domain (or computer) name.
        domain: String,
        /// sAMAccountName.
        user: String,
    },
    /// `user@dns.domain` (user principal name).
    Upn {
        /// The part before `@`.
        user: String,
        /// The DNS domain after `@`.
        domain: String,
    },
    /// `DOMAIN\name$`: a group managed service account (no password).
    Gmsa {
        /// NetBIOS domain name.
        domain: String,
        /// Account name without the trailing `$`.
        name: String,
    },
}

impl Account {
    /// The name given to `ServiceInstall` (`SERVICE_LOGON`): [`LOCAL_SYSTEM`] for LocalSystem.
    pub fn logon_name(&self) -> String {
        match self {
            Account::LocalSystem => LOCAL_SYSTEM.to_string(),
            Account::Domain { domain, user } => format!("{domain}\\{user}"),
            Account::Upn { user, domain } => format!("{user}@{domain}"),
            Account::Gmsa { domain, name } => format!("{domain}\\{name}$"),
        }
    }

    /// Whether the account signs in with a password (a gMSA and LocalSystem do not).
    pub fn needs_password(&self) -> bool {
        matches!(self, Account::Domain { .. } | Account::Upn { .. })
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::LocalSystem => f.write_str("LocalSystem"),
            other => f.write_str(&other.logon_name()),
        }
    }
}

/// Why a `SERVICE_ACCOUNT` value was refused. Each message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountNameError {
    /// Leading or trailing white space.
    #[error("the account name has leading or trailing spaces; remove them")]
    SurroundingSpace,
    /// Neither `\` nor `@`.
    #[error(
        "write the account as DOMAIN\\Username, user@dns.domain or DOMAIN\\gmsa$ (or leave it empty for LocalSystem)"
    )]
    NoDomain,
    /// More than one `\`, or both `\` and `@`.
    #[error("use exactly one form: DOMAIN\\Username or user@dns.domain, not both and with one separator")]
    Ambiguous,
    /// Empty NetBIOS domain.
    #[error("the domain before `\\` is empty")]
    DomainEmpty,
    /// NetBIOS domain longer than 15.
    #[error("the domain \"{0}\" is longer than 15 characters; use the NetBIOS (pre-Windows 2000) domain name, or user@dns.domain")]
    DomainTooLong(String),
    /// Forbidden character in the NetBIOS domain.
    #[error("the domain contains {0}, which a NetBIOS domain name cannot contain")]
    DomainCharacter(String),
    /// NetBIOS domain starting with a period.
    #[error("the domain cannot start with a period (for a local account use COMPUTERNAME\\Username)")]
    DomainPeriod,
    /// Empty user name.
    #[error("the user name is empty")]
    UserEmpty,
    /// sAMAccountName longer than 20.
    #[error("the user name \"{0}\" is longer than 20 characters, the limit for a pre-Windows 2000 logon name (sAMAccountName)")]
    UserTooLong(String),
    /// Forbidden character in the user name.
    #[error("the user name contains {0}, which a logon name cannot contain (\" / \\ [ ] : ; | = , + * ? < > @ and control characters are not allowed)")]
    UserCharacter(String),
    /// User name made of periods and spaces only.
    #[error("the user name cannot consist only of periods and spaces")]
    UserOnlyPeriods,
    /// gMSA name longer than 15 (its sAMAccountName is the name plus `$`).
    #[error("the group managed service account name \"{0}\" is longer than 15 characters (before the `$`)")]
    GmsaTooLong(String),
    /// Bad DNS domain in a UPN.
    #[error("\"{0}\" after `@` is not a DNS domain name like corp.example.com (letters, digits and `-` in dot-separated labels of 1-63 characters)")]
    DnsDomain(String),
}

/// NetBIOS domain names: at most 15 characters (the 16th byte is the NetBIOS suffix), none of
/// `\ / : * ? " < > |` (Microsoft, "Naming conventions in Active Directory for computers,
/// domains, sites, and OUs"), no leading period.
fn check_netbios(domain: &str) -> Result<(), AccountNameError> {
    if domain.is_empty() {
        return Err(AccountNameError::DomainEmpty);
    }
    if let Some(c) = domain.chars().find(|c| "\\/:*?\"<>|".contains(*c) || c.is_control()) {
        return Err(AccountNameError::DomainCharacter(describe(c)));
    }
    if domain.chars().count() > 15 {
        return Err(AccountNameError::DomainTooLong(domain.to_string()));
    }
    if domain.starts_with('.') {
        return Err(AccountNameError::DomainPeriod);
    }
    Ok(())
}

/// sAMAccountName: at most 20 characters (`max` lets the gMSA check reuse it), none of
/// `" / \ [ ] : ; | = , + * ? < >` (Microsoft, "User Naming Attributes": sAMAccountName), no `@`
/// (it would make the name a UPN), not only periods and spaces.
fn check_user(user: &str) -> Result<(), AccountNameError> {
    if user.is_empty() {
        return Err(AccountNameError::UserEmpty);
    }
    if let Some(c) = user.chars().find(|c| "\"/\\[]:;|=,+*?<>@".contains(*c) || c.is_control()) {
        return Err(AccountNameError::UserCharacter(describe(c)));
    }
    if user.chars().all(|c| c == '.' || c == ' ') {
        return Err(AccountNameError::UserOnlyPeriods);
    }
    if user.chars().count() > 20 {
        return Err(AccountNameError::UserTooLong(user.to_string()));
    }
    Ok(())
}

/// A DNS domain: at least two dot-separated labels, each 1-63 of letters, digits and `-`, not
/// starting or ending with `-`; at most 255 in all (RFC 1035 section 2.3.1).
fn check_dns(domain: &str) -> Result<(), AccountNameError> {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 255 || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        return Err(AccountNameError::DnsDomain(domain.to_string()));
    }
    Ok(())
}

/// `'x'`, or `U+0001` for an invisible character.
fn describe(c: char) -> String {
    if c.is_control() {
        format!("the control character U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

/// Parses and checks the format of a `SERVICE_ACCOUNT` value.
pub fn parse_account(input: &str) -> Result<Account, AccountNameError> {
    if input.trim() != input {
        return Err(AccountNameError::SurroundingSpace);
    }
    if input.is_empty() || input.eq_ignore_ascii_case("LocalSystem") {
        return Ok(Account::LocalSystem);
    }
    let backslashes = input.matches('\\').count();
    let ats = input.matches('@').count();
    match (backslashes, ats) {
        (0, 0) => Err(AccountNameError::NoDomain),
        (1, 0) => {
            let (domain, user) = input.split_once('\\').expect("one backslash");
            check_netbios(domain)?;
            if let Some(name) = user.strip_suffix('$') {
                check_user(name)?;
                if name.chars().count() > 15 {
                    return Err(AccountNameError::GmsaTooLong(name.to_string()));
                }
                return Ok(Account::Gmsa { domain: domain.to_string(), name: name.to_string() });
            }
            check_user(user)?;
            Ok(Account::Domain { domain: domain.to_string(), user: user.to_string() })
        }
        (0, 1) => {
            let (user, domain) = input.split_once('@').expect("one at sign");
            check_user(user)?;
            check_dns(domain)?;
            Ok(Account::Upn { user: user.to_string(), domain: domain.to_string() })
        }
        _ => Err(AccountNameError::Ambiguous),
    }
}

/// A password read from the session: zeroized on drop, redacted in `Debug`.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: String) -> Self {
        Password(Zeroizing::new(secret))
    }

    /// The secret, for the logon call only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A failed `LogonUserW` call: its Win32 error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogonFailure(pub u32);

impl LogonFailure {
    /// What the code means for the admin (Win32 error codes from `winerror.h`).
    pub fn explain(self) -> String {
        let text = match self.0 {
            1326 => "the user name or password is incorrect",
            1327 => "an account restriction prevents this logon (e.g. blank password or logon hours)",
            1328 => "the account is not allowed to log on at this time",
            1329 => "the account is not allowed to log on to this computer",
            1330 => "the password has expired",
            1331 => "the account is disabled",
            1793 => "the account has expired",
            1907 => "the password must be changed before the first logon",
            1909 => "the account is locked out",
            1311 => "no domain controller is reachable to check the account",
            1355 => "the domain does not exist or cannot be contacted",
            1332 => "no account of that name was found",
            _ => "the logon was refused",
        };
        format!("{text} (Windows error {})", self.0)
    }
}

/// `ERROR_LOGON_TYPE_NOT_GRANTED` (winerror.h): the credentials were right, but this machine's
/// policy does not grant network logon to the account. Irrelevant for a service.
pub const ERROR_LOGON_TYPE_NOT_GRANTED: u32 = 1385;

/// A real credential check (Windows: `LogonUserW`, `LOGON32_LOGON_NETWORK`).
pub trait Logon {
    /// Logs `user` on with `password`; `domain` is `None` for a UPN. Ok when Windows accepted
    /// the credentials.
    fn network_logon(&self, user: &str, domain: Option<&str>, password: &Password) -> Result<(), LogonFailure>;

    /// The `DOMAIN\user` form of a UPN, which is what the service manager takes as a service
    /// account (Windows: `LookupAccountNameW`, then `LookupAccountSidW`).
    fn down_level_name(&self, upn: &str) -> Result<String, LogonFailure>;

    /// Whether this host may use the group managed service account `DOMAIN\name$` (Windows:
    /// `NetIsServiceAccount`, lmaccess.h: true when the account is a service account this
    /// computer can retrieve the password of;
    /// <https://learn.microsoft.com/en-us/windows/win32/api/lmaccess/nf-lmaccess-netisserviceaccount>).
    fn is_service_account(&self, account: &str) -> Result<bool, LogonFailure>;
}

/// Where the deferred grant records that it added the right, so its rollback (a separate script
/// action whose `CustomActionData` was fixed before the grant ran) can find out what to undo, and
/// its commit can clear the record. Windows: values under
/// `HKLM\SOFTWARE\VMware, Inc.\VMware Identity Manager\Installer\LogonRightGrants`, one per run.
pub trait GrantLedger {
    /// Records that run `run` added the right to `account`.
    fn record(&mut self, run: &str, account: &str) -> Result<(), RightsError>;
    /// The account run `run` recorded, if any.
    fn recorded(&self, run: &str) -> Result<Option<String>, RightsError>;
    /// Deletes the record of run `run` (no error when there is none).
    fn forget(&mut self, run: &str) -> Result<(), RightsError>;
}

/// Account rights through LSA (Windows: `LsaOpenPolicy`, `LookupAccountNameW`,
/// `LsaEnumerateAccountRights`, `LsaAddAccountRights`, `LsaRemoveAccountRights`).
pub trait AccountRights {
    /// Whether `account` holds [`SERVICE_LOGON_RIGHT`] directly.
    fn has_service_logon(&self, account: &str) -> Result<bool, RightsError>;
    /// Grants it.
    fn add_service_logon(&mut self, account: &str) -> Result<(), RightsError>;
    /// Removes it.
    fn remove_service_logon(&mut self, account: &str) -> Result<(), RightsError>;
}

/// A failed LSA or account lookup call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} failed with {code:#010x}")]
pub struct RightsError {
    /// The API.
    pub call: &'static str,
    /// NTSTATUS (LSA calls) or Win32 error (`LookupAccountNameW`).
    pub code: u32,
}

/// Why the account cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Format.
    #[error("SERVICE_ACCOUNT \"{input}\": {reason}")]
    Name {
        /// The value as given (a name, not a secret).
        input: String,
        /// Why.
        reason: AccountNameError,
    },
    /// Password given where none is used.
    #[error("{0} is a group managed service account and has no password: leave SERVICE_PASSWORD empty")]
    GmsaWithPassword(String),
    /// A gMSA this host may not use (`NetIsServiceAccount` said no, or could not tell).
    #[error("{account} cannot be used by this computer as a group managed service account ({reason}); add this computer to the account's PrincipalsAllowedToRetrieveManagedPassword (Set-ADServiceAccount) and run Install-ADServiceAccount on it, or choose another account")]
    GmsaUnusable {
        /// The account.
        account: String,
        /// What NetIsServiceAccount answered.
        reason: String,
    },
    /// No password for an account that needs one.
    #[error("SERVICE_PASSWORD is empty; {0} needs its password (or use a group managed service account, or leave SERVICE_ACCOUNT empty for LocalSystem)")]
    PasswordMissing(String),
    /// A UPN that could not be turned into `DOMAIN\user`.
    #[error("{account} cannot be resolved to DOMAIN\\Username for the service ({reason}); enter SERVICE_ACCOUNT as DOMAIN\\Username")]
    Resolve {
        /// The account.
        account: String,
        /// Explanation of the Windows error.
        reason: String,
    },
    /// The logon check failed.
    #[error("{account} cannot log on: {reason}; check SERVICE_ACCOUNT and SERVICE_PASSWORD")]
    Logon {
        /// The account.
        account: String,
        /// Explanation of the Windows error.
        reason: String,
    },
}

/// Checks `SERVICE_ACCOUNT` / `SERVICE_PASSWORD`: format, password rules, logon. Returns the
/// account and the name `ServiceInstall` gets (`SERVICE_LOGON`: `LocalSystem`, a UPN
/// resolved to `DOMAIN\user`).
pub fn check_account(input: &str, password: &Password, logon: &impl Logon) -> Result<(Account, String), AccountError> {
    let account = parse_account(input).map_err(|reason| AccountError::Name { input: input.to_string(), reason })?;
    match &account {
        Account::LocalSystem => {}
        Account::Gmsa { .. } if !password.is_empty() => {
            return Err(AccountError::GmsaWithPassword(account.to_string()))
        }
        Account::Gmsa { .. } => {
            let name = account.logon_name();
            match logon.is_service_account(&name) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(AccountError::GmsaUnusable {
                        account: name,
                        reason: "NetIsServiceAccount: not a service account this computer may use".into(),
                    })
                }
                Err(e) => {
                    return Err(AccountError::GmsaUnusable {
                        account: name,
                        reason: format!("NetIsServiceAccount failed: {}", e.explain()),
                    })
                }
            }
        }
        Account::Domain { .. } | Account::Upn { .. } if password.is_empty() => {
            return Err(AccountError::PasswordMissing(account.to_string()))
        }
        Account::Domain { domain, user } => network_logon(&account, logon, user, Some(domain), password)?,
        Account::Upn { .. } => {
            let upn = account.logon_name();
            network_logon(&account, logon, &upn, None, password)?;
            let name = logon
                .down_level_name(&upn)
                .map_err(|e| AccountError::Resolve { account: upn.clone(), reason: e.explain() })?;
            return Ok((account, name));
        }
    }
    let name = account.logon_name();
    Ok((account, name))
}

fn network_logon(
    account: &Account,
    logon: &impl Logon,
    user: &str,
    domain: Option<&str>,
    password: &Password,
) -> Result<(), AccountError> {
    match logon.network_logon(user, domain, password) {
        Ok(()) => Ok(()),
        Err(LogonFailure(ERROR_LOGON_TYPE_NOT_GRANTED)) => Ok(()),
        Err(failure) => Err(AccountError::Logon { account: account.to_string(), reason: failure.explain() }),
    }
}

/// Runs the check and publishes the result; returns whether the account is usable. A session
/// error (a property that cannot be read or set) is returned, never taken for an answer.
fn validate_and_publish(session: &mut impl Session, logon: &impl Logon, action: &str) -> Result<bool, SessionError> {
    publish(session, action, SERVICE_ACCOUNT_VALID, "")?;
    publish(session, action, SERVICE_ACCOUNT_ERROR, "")?;
    let input = session.property(SERVICE_ACCOUNT)?;
    let password = Password::new(session.property(SERVICE_PASSWORD)?);
    match check_account(&input, &password, logon) {
        Ok((account, logon_name)) => {
            publish(session, action, SERVICE_ACCOUNT_VALID, "1")?;
            publish(session, action, SERVICE_LOGON, &logon_name)?;
            if matches!(account, Account::LocalSystem) {
                // ServiceInstall must never get a password for LocalSystem: clear it
                // unconditionally (an empty property is simply removed).
                publish(session, action, SERVICE_PASSWORD, "")?;
            }
            let how = match &account {
                Account::LocalSystem if !password.is_empty() => "LocalSystem; the SERVICE_PASSWORD given was ignored",
                Account::LocalSystem => "LocalSystem",
                Account::Gmsa { .. } => {
                    "group managed service account this computer may use (NetIsServiceAccount), no password"
                }
                Account::Upn { .. } => {
                    session.log(&format!("{action}: {account} is {logon_name}"));
                    "logon check passed"
                }
                _ => "logon check passed",
            };
            session.log(&format!("{action}: the service will run as {account} ({how})"));
            Ok(true)
        }
        Err(e) => {
            publish(session, action, SERVICE_ACCOUNT_ERROR, &e.to_string())?;
            publish(session, action, SERVICE_LOGON, "")?;
            session.log(&format!("{action}: {e}"));
            Ok(false)
        }
    }
}

/// `ValidateServiceAccount` (dialog `DoAction`): publishes the result, succeeds unless the
/// session itself fails (the dialog shows `SERVICE_ACCOUNT_ERROR`).
pub fn validate_service_account(session: &mut impl Session, logon: &impl Logon) -> ActionResult {
    match validate_and_publish(session, logon, "ValidateServiceAccount") {
        Ok(_) => ActionResult::Success,
        Err(_) => ActionResult::Failure,
    }
}

/// `CheckServiceAccount` (execute sequence, before any change): 1603 when unusable.
pub fn check_service_account(session: &mut impl Session, logon: &impl Logon) -> ActionResult {
    match validate_and_publish(session, logon, "CheckServiceAccount") {
        Ok(true) => ActionResult::Success,
        Ok(false) => {
            session.log("CheckServiceAccount: nothing was changed; fix SERVICE_ACCOUNT / SERVICE_PASSWORD and run the installer again");
            ActionResult::Failure
        }
        Err(_) => ActionResult::Failure,
    }
}

/// The `CustomActionData` of the grant, its rollback and its commit: the account and an id of
/// this run, `<run id>|DOMAIN\user` (`|` cannot occur in either). The run id names the ledger
/// entry ([`GrantLedger`]) the grant writes when it adds the right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantData {
    /// A random id of this installation run (hex).
    pub run: String,
    /// The account (`SERVICE_LOGON`).
    pub account: String,
}

impl GrantData {
    /// Serialises to `CustomActionData`.
    pub fn encode(&self) -> String {
        format!("{}|{}", self.run, self.account)
    }

    /// Parses `CustomActionData`.
    pub fn decode(data: &str) -> Option<GrantData> {
        let (run, account) = data.split_once('|')?;
        let run_ok = !run.is_empty() && run.bytes().all(|b| b.is_ascii_hexdigit());
        (run_ok && !account.is_empty()).then(|| GrantData { run: run.to_string(), account: account.to_string() })
    }
}

/// The deferred grant and the actions around it, in the order the script runs them.
pub const GRANT_ACTIONS: [&str; 3] =
    ["GrantLogonAsServiceRollback", "GrantLogonAsService", "GrantLogonAsServiceCommit"];

/// A fresh run id: 16 random bytes in hex.
fn new_run_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `GrantLogonAsServiceData` (immediate, execute sequence, after `InstallInitialize`): sets the
/// `CustomActionData` of the grant, its rollback and its commit ([`GrantData`]). Reads nothing
/// from the LSA: that happens in the deferred grant, which runs as LocalSystem and can read it
/// (an immediate action runs with the user's token, filtered under UAC). Nothing to do for
/// LocalSystem.
pub fn grant_logon_data(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "GrantLogonAsServiceData";
    let account = match session.property(SERVICE_LOGON) {
        Ok(account) => account,
        Err(e) => {
            session.log(&format!("{NAME}: cannot read {SERVICE_LOGON}: {e}"));
            return ActionResult::Failure;
        }
    };
    if is_local_system(&account) {
        session.log(&format!("{NAME}: LocalSystem needs no Log on as a service right"));
        return ActionResult::Success;
    }
    let run = match new_run_id() {
        Ok(run) => run,
        Err(e) => {
            session.log(&format!("{NAME}: cannot make a run id (random source: {e})"));
            return ActionResult::Failure;
        }
    };
    let data = GrantData { run, account: account.clone() }.encode();
    for action in GRANT_ACTIONS {
        if publish(session, NAME, action, &data).is_err() {
            return ActionResult::Failure;
        }
    }
    session.log(&format!("{NAME}: the script will grant {SERVICE_LOGON_RIGHT} to {account} unless it holds it"));
    ActionResult::Success
}

fn read_grant_data(session: &mut impl ScriptSession, action: &str) -> Option<GrantData> {
    let data = match session.custom_action_data() {
        Ok(data) => data,
        Err(e) => {
            session.log(&format!("{action}: cannot read CustomActionData: {e}"));
            return None;
        }
    };
    let parsed = GrantData::decode(&data);
    if parsed.is_none() {
        session.log(&format!(
            "{action}: CustomActionData \"{data}\" is not <run id>|<account>; the package's sequencing is broken"
        ));
    }
    parsed
}

/// `GrantLogonAsService` (deferred, `Impersonate="no"`: LocalSystem). Reads whether the account
/// holds the right; a read that fails is a failure (1603), never "assume it is there". When it
/// does not hold it: records the grant in the [`GrantLedger`] first (so the rollback finds it
/// even if the grant itself fails halfway), then grants it.
pub fn grant_logon(
    session: &mut impl ScriptSession<Kind = Deferred>,
    rights: &mut (impl AccountRights + GrantLedger),
) -> ActionResult {
    const NAME: &str = "GrantLogonAsService";
    let Some(data) = read_grant_data(session, NAME) else {
        return ActionResult::Failure;
    };
    let held = match rights.has_service_logon(&data.account) {
        Ok(held) => held,
        Err(e) => {
            session.log(&format!(
                "{NAME}: cannot read the rights of {} ({e}); without knowing, the right can neither be granted nor left alone safely. Check that the account exists and that the LSA policy is readable, then run the installer again",
                data.account
            ));
            return ActionResult::Failure;
        }
    };
    if held {
        session.log(&format!("{NAME}: {} already holds {SERVICE_LOGON_RIGHT}; nothing to grant", data.account));
        return ActionResult::Success;
    }
    if let Err(e) = rights.record(&data.run, &data.account) {
        session.log(&format!(
            "{NAME}: cannot record the grant for its rollback ({e}); not granting {SERVICE_LOGON_RIGHT} to {}",
            data.account
        ));
        return ActionResult::Failure;
    }
    match rights.add_service_logon(&data.account) {
        Ok(()) => {
            session.log(&format!("{NAME}: granted {SERVICE_LOGON_RIGHT} to {}", data.account));
            ActionResult::Success
        }
        Err(e) => {
            session.log(&format!(
                "{NAME}: cannot grant {SERVICE_LOGON_RIGHT} (Log on as a service) to {}: {e}; grant it by local or group policy and run the installer again",
                data.account
            ));
            ActionResult::Failure
        }
    }
}

/// `GrantLogonAsServiceRollback` (rollback, scheduled before the grant): removes the right only
/// if the ledger says this run added it, then clears the record. Always succeeds (a rollback's
/// failure cannot be acted on); each problem is logged with what to do by hand.
pub fn revoke_logon_rollback(
    session: &mut impl ScriptSession<Kind = Rollback>,
    rights: &mut (impl AccountRights + GrantLedger),
) -> ActionResult {
    const NAME: &str = "GrantLogonAsServiceRollback";
    let Some(data) = read_grant_data(session, NAME) else {
        return ActionResult::Success;
    };
    let recorded = match rights.recorded(&data.run) {
        Ok(recorded) => recorded,
        Err(e) => {
            session.log(&format!(
                "{NAME}: cannot read the grant record of this run ({e}); if {} did not hold {SERVICE_LOGON_RIGHT} before, remove it by hand",
                data.account
            ));
            return ActionResult::Success;
        }
    };
    let Some(account) = recorded else {
        session.log(&format!("{NAME}: this run granted nothing to {}; left as it was", data.account));
        return ActionResult::Success;
    };
    match rights.remove_service_logon(&account) {
        Ok(()) => session.log(&format!("{NAME}: removed {SERVICE_LOGON_RIGHT} from {account}, which this run had granted")),
        Err(e) => session.log(&format!(
            "{NAME}: could not remove {SERVICE_LOGON_RIGHT} from {account}: {e}; remove it by hand (this run had granted it)"
        )),
    }
    if let Err(e) = rights.forget(&data.run) {
        session.log(&format!("{NAME}: could not delete the grant record {}: {e}", data.run));
    }
    ActionResult::Success
}

/// `GrantLogonAsServiceCommit` (commit): the install succeeded and keeps the right; the record
/// of this run is deleted. A failure is logged and does not fail the committed install.
pub fn grant_logon_commit(
    session: &mut impl ScriptSession<Kind = Commit>,
    rights: &mut impl GrantLedger,
) -> ActionResult {
    const NAME: &str = "GrantLogonAsServiceCommit";
    let Some(data) = read_grant_data(session, NAME) else {
        return ActionResult::Success;
    };
    if let Err(e) = rights.forget(&data.run) {
        session.log(&format!("{NAME}: could not delete the grant record {} ({e}); it is harmless", data.run));
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests;
