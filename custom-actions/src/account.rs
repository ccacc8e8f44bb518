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

use crate::session::{ActionResult, Session};

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
        Account::Gmsa { .. } => {}
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

/// Runs the check and publishes the result; returns whether the account is usable.
fn validate_and_publish(session: &mut impl Session, logon: &impl Logon, action: &str) -> bool {
    let _ = session.set_property("SERVICE_ACCOUNT_VALID", "");
    let _ = session.set_property("SERVICE_ACCOUNT_ERROR", "");
    let input = session.property("SERVICE_ACCOUNT").unwrap_or_default();
    let password = Password::new(session.property("SERVICE_PASSWORD").unwrap_or_default());
    match check_account(&input, &password, logon) {
        Ok((account, logon_name)) => {
            let _ = session.set_property("SERVICE_ACCOUNT_VALID", "1");
            let _ = session.set_property("SERVICE_LOGON", &logon_name);
            if matches!(account, Account::LocalSystem) {
                // ServiceInstall must never get a password for LocalSystem: clear it
                // unconditionally (an empty property is simply removed).
                let _ = session.set_property("SERVICE_PASSWORD", "");
            }
            let how = match &account {
                Account::LocalSystem if !password.is_empty() => "LocalSystem; the SERVICE_PASSWORD given was ignored",
                Account::LocalSystem => "LocalSystem",
                Account::Gmsa { .. } => "group managed service account, no password, logon check skipped",
                Account::Upn { .. } => {
                    session.log(&format!("{action}: {account} is {logon_name}"));
                    "logon check passed"
                }
                _ => "logon check passed",
            };
            session.log(&format!("{action}: the service will run as {account} ({how})"));
            true
        }
        Err(e) => {
            let _ = session.set_property("SERVICE_ACCOUNT_ERROR", &e.to_string());
            let _ = session.set_property("SERVICE_LOGON", "");
            session.log(&format!("{action}: {e}"));
            false
        }
    }
}

/// `ValidateServiceAccount` (dialog `DoAction`): publishes the result, always succeeds.
pub fn validate_service_account(session: &mut impl Session, logon: &impl Logon) -> ActionResult {
    validate_and_publish(session, logon, "ValidateServiceAccount");
    ActionResult::Success
}

/// `CheckServiceAccount` (execute sequence, before any change): 1603 when unusable.
pub fn check_service_account(session: &mut impl Session, logon: &impl Logon) -> ActionResult {
    if validate_and_publish(session, logon, "CheckServiceAccount") {
        ActionResult::Success
    } else {
        session.log("CheckServiceAccount: nothing was changed; fix SERVICE_ACCOUNT / SERVICE_PASSWORD and run the installer again");
        ActionResult::Failure
    }
}

/// The `CustomActionData` of the grant and its rollback: whether the right was already held,
/// and the account: `1|DOMAIN\user` or `0|DOMAIN\user` (`|` cannot occur in an account name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantData {
    /// The account already had the right before this installation.
    pub had_right: bool,
    /// The account (`SERVICE_LOGON`).
    pub account: String,
}

impl GrantData {
    /// Serialises to `CustomActionData`.
    pub fn encode(&self) -> String {
        format!("{}|{}", u8::from(self.had_right), self.account)
    }

    /// Parses `CustomActionData`.
    pub fn decode(data: &str) -> Option<GrantData> {
        let (had, account) = data.split_once('|')?;
        let had_right = match had {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        (!account.is_empty()).then(|| GrantData { had_right, account: account.to_string() })
    }
}

/// `GrantLogonAsServiceData` (immediate, execute sequence): records whether `SERVICE_LOGON`
/// already holds the right and sets the `CustomActionData` of `GrantLogonAsService` and
/// `GrantLogonAsServiceRollback`. Nothing to do for LocalSystem.
pub fn grant_logon_data(session: &mut impl Session, rights: &impl AccountRights) -> ActionResult {
    let account = session.property("SERVICE_LOGON").unwrap_or_default();
    if is_local_system(&account) {
        session.log("GrantLogonAsServiceData: LocalSystem needs no Log on as a service right");
        return ActionResult::Success;
    }
    let had_right = match rights.has_service_logon(&account) {
        Ok(had) => had,
        Err(e) => {
            // Unknown: act as if it was there, so a rollback never removes a right it did not add.
            session.log(&format!("GrantLogonAsServiceData: cannot read the rights of {account} ({e}); a rollback will leave the right in place"));
            true
        }
    };
    let data = GrantData { had_right, account: account.clone() }.encode();
    for action in ["GrantLogonAsService", "GrantLogonAsServiceRollback"] {
        if let Err(e) = session.set_property(action, &data) {
            session.log(&format!("GrantLogonAsServiceData: cannot set {action}: {e}"));
            return ActionResult::Failure;
        }
    }
    session.log(&format!(
        "GrantLogonAsServiceData: {account} {} {SERVICE_LOGON_RIGHT}",
        if had_right { "already holds" } else { "does not hold" }
    ));
    ActionResult::Success
}

fn read_grant_data(session: &mut impl Session, action: &str) -> Option<GrantData> {
    let data = session.property("CustomActionData").unwrap_or_default();
    let parsed = GrantData::decode(&data);
    if parsed.is_none() {
        session.log(&format!(
            "{action}: CustomActionData \"{data}\" is not <0|1>|<account>; the package's sequencing is broken"
        ));
    }
    parsed
}

/// `GrantLogonAsService` (deferred, no impersonation): grants the right unless already held.
pub fn grant_logon(session: &mut impl Session, rights: &mut impl AccountRights) -> ActionResult {
    let Some(data) = read_grant_data(session, "GrantLogonAsService") else {
        return ActionResult::Failure;
    };
    if data.had_right {
        session.log(&format!("GrantLogonAsService: {} already holds {SERVICE_LOGON_RIGHT}", data.account));
        return ActionResult::Success;
    }
    match rights.add_service_logon(&data.account) {
        Ok(()) => {
            session.log(&format!("GrantLogonAsService: granted {SERVICE_LOGON_RIGHT} to {}", data.account));
            ActionResult::Success
        }
        Err(e) => {
            session.log(&format!(
                "GrantLogonAsService: cannot grant {SERVICE_LOGON_RIGHT} (Log on as a service) to {}: {e}; grant it by local or group policy and run the installer again",
                data.account
            ));
            ActionResult::Failure
        }
    }
}

/// `GrantLogonAsServiceRollback`: removes the right only if this installation added it.
/// Always succeeds (a rollback's failure cannot be acted on); problems are logged.
pub fn revoke_logon_rollback(session: &mut impl Session, rights: &mut impl AccountRights) -> ActionResult {
    let Some(data) = read_grant_data(session, "GrantLogonAsServiceRollback") else {
        return ActionResult::Success;
    };
    if data.had_right {
        session.log(&format!(
            "GrantLogonAsServiceRollback: {} held {SERVICE_LOGON_RIGHT} before; left in place",
            data.account
        ));
        return ActionResult::Success;
    }
    match rights.remove_service_logon(&data.account) {
        Ok(()) => session.log(&format!("GrantLogonAsServiceRollback: removed {SERVICE_LOGON_RIGHT} from {}", data.account)),
        Err(e) => session.log(&format!("GrantLogonAsServiceRollback: could not remove {SERVICE_LOGON_RIGHT} from {}: {e}; remove it by hand if the grant had happened", data.account)),
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;
    use crate::session::FakeSession;
    use AccountNameError as E;

    const SECRET: &str = "S3cr3t!pässwörd";

    #[test]
    fn accepted_names() {
        let cases: [(&str, Account); 9] = [
            ("", Account::LocalSystem),
            ("LocalSystem", Account::LocalSystem),
            (r"CORP\svc-idm", Account::Domain { domain: "CORP".into(), user: "svc-idm".into() }),
            (r"CORP-EMEA-01234\a", Account::Domain { domain: "CORP-EMEA-01234".into(), user: "a".into() }),
            (r"corp.local\svc", Account::Domain { domain: "corp.local".into(), user: "svc".into() }),
            (r"CORP\idm service.acct", Account::Domain { domain: "CORP".into(), user: "idm service.acct".into() }),
            (
                r"CORP\12345678901234567890",
                Account::Domain { domain: "CORP".into(), user: "12345678901234567890".into() },
            ),
            ("svc-idm@corp.example.com", Account::Upn { user: "svc-idm".into(), domain: "corp.example.com".into() }),
            (r"CORP\gmsa-idm$", Account::Gmsa { domain: "CORP".into(), name: "gmsa-idm".into() }),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_account(input), Ok(expected.clone()), "{input}");
            if input.is_empty() {
                // Empty means LocalSystem, which ServiceInstall gets by name.
                assert_eq!(expected.logon_name(), LOCAL_SYSTEM);
            } else {
                assert_eq!(expected.logon_name(), input, "logon name round-trips");
            }
        }
    }

    #[test]
    fn refused_names_with_reasons() {
        let cases: Vec<(&str, E, &str)> = vec![
            (" CORP\\svc", E::SurroundingSpace, "leading or trailing spaces"),
            ("svc-idm", E::NoDomain, "DOMAIN\\Username"),
            (r"CORP\sub\svc", E::Ambiguous, "exactly one form"),
            (r"CORP\svc@corp.com", E::Ambiguous, "exactly one form"),
            ("a@b@corp.com", E::Ambiguous, "exactly one form"),
            (r"\svc", E::DomainEmpty, "domain before"),
            (r"CORPORATEDOMAIN1\svc", E::DomainTooLong("CORPORATEDOMAIN1".into()), "longer than 15"),
            (r"CO:RP\svc", E::DomainCharacter("':'".into()), "NetBIOS"),
            (r"CO*RP\svc", E::DomainCharacter("'*'".into()), "NetBIOS"),
            (r"CO|RP\svc", E::DomainCharacter("'|'".into()), "NetBIOS"),
            ("CO\"RP\\svc", E::DomainCharacter("'\"'".into()), "NetBIOS"),
            (r"CO<RP\svc", E::DomainCharacter("'<'".into()), "NetBIOS"),
            (r"CO/RP\svc", E::DomainCharacter("'/'".into()), "NetBIOS"),
            (r".\svc", E::DomainPeriod, "start with a period"),
            (r"CORP\", E::UserEmpty, "user name is empty"),
            (r"CORP\123456789012345678901", E::UserTooLong("123456789012345678901".into()), "longer than 20"),
            (r"CORP\svc[1]", E::UserCharacter("'['".into()), "cannot contain"),
            (r"CORP\svc;x", E::UserCharacter("';'".into()), "cannot contain"),
            (r"CORP\svc=x", E::UserCharacter("'='".into()), "cannot contain"),
            (r"CORP\svc,x", E::UserCharacter("','".into()), "cannot contain"),
            (r"CORP\svc+x", E::UserCharacter("'+'".into()), "cannot contain"),
            (r"CORP\svc?", E::UserCharacter("'?'".into()), "cannot contain"),
            (r"CORP\svc>", E::UserCharacter("'>'".into()), "cannot contain"),
            ("CORP\\svc\u{1}", E::UserCharacter("the control character U+0001".into()), "cannot contain"),
            (r"CORP\...", E::UserOnlyPeriods, "only of periods"),
            (r"CORP\. .", E::UserOnlyPeriods, "only of periods"),
            (r"CORP\gmsa-idm-cluster1$", E::GmsaTooLong("gmsa-idm-cluster1".into()), "longer than 15"),
            (r"CORP\$", E::UserEmpty, "user name is empty"),
            ("svc@corp", E::DnsDomain("corp".into()), "DNS domain"),
            ("svc@corp..com", E::DnsDomain("corp..com".into()), "DNS domain"),
            ("svc@-corp.com", E::DnsDomain("-corp.com".into()), "DNS domain"),
            ("svc@corp_x.com", E::DnsDomain("corp_x.com".into()), "DNS domain"),
            ("@corp.com", E::UserEmpty, "user name is empty"),
            ("sv/c@corp.com", E::UserCharacter("'/'".into()), "cannot contain"),
        ];
        for (input, expected, words) in cases {
            let err = parse_account(input).expect_err(input);
            assert_eq!(err, expected, "{input}");
            assert!(err.to_string().contains(words), "{input}: {err}");
        }
    }

    /// Accepts one user/password pair, answers others with a scripted code; records calls
    /// without the password.
    struct FakeLogon {
        user: &'static str,
        password: &'static str,
        other: u32,
        calls: RefCell<Vec<(String, Option<String>)>>,
    }

    impl Logon for FakeLogon {
        fn network_logon(&self, user: &str, domain: Option<&str>, password: &Password) -> Result<(), LogonFailure> {
            self.calls.borrow_mut().push((user.to_string(), domain.map(str::to_string)));
            if user == self.user && password.expose() == self.password {
                Ok(())
            } else {
                Err(LogonFailure(self.other))
            }
        }

        fn down_level_name(&self, upn: &str) -> Result<String, LogonFailure> {
            match upn.split_once('@') {
                Some((user, "corp.example.com")) => Ok(format!("CORP\\{user}")),
                _ => Err(LogonFailure(1332)),
            }
        }
    }

    fn logon(other: u32) -> FakeLogon {
        FakeLogon { user: "svc-idm", password: SECRET, other, calls: RefCell::new(Vec::new()) }
    }

    fn assert_no_secret(s: &FakeSession) {
        for line in &s.log {
            assert!(!line.contains(SECRET), "password in log line: {line}");
        }
        for (name, value) in &s.properties {
            if name != "SERVICE_PASSWORD" {
                assert!(!value.contains(SECRET), "password in property {name}");
            }
        }
    }

    #[test]
    fn valid_domain_account_publishes_logon_name() {
        let l = logon(1326);
        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\svc-idm"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Success);
        assert_eq!(s.properties["SERVICE_ACCOUNT_VALID"], "1");
        assert_eq!(s.properties["SERVICE_LOGON"], r"CORP\svc-idm");
        assert!(!s.properties.contains_key("SERVICE_ACCOUNT_ERROR"));
        assert_eq!(*l.calls.borrow(), [("svc-idm".to_string(), Some("CORP".to_string()))]);
        assert_no_secret(&s);
    }

    #[test]
    fn wrong_password_fails_silently_with_1603_and_in_the_dialog_with_a_message() {
        let l = logon(1326);
        let mut s =
            FakeSession::with([("SERVICE_ACCOUNT", r"CORP\svc-idm"), ("SERVICE_PASSWORD", "wrong-S3cr3t!pässwörd")]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Failure);
        let error = s.properties["SERVICE_ACCOUNT_ERROR"].clone();
        assert!(error.contains("user name or password is incorrect (Windows error 1326)"), "{error}");
        assert!(s.log.iter().any(|l| l.contains(&error)));
        assert!(!s.properties.contains_key("SERVICE_ACCOUNT_VALID"));
        assert!(!s.properties.contains_key("SERVICE_LOGON"));
        assert!(s.log.iter().all(|l| !l.contains("wrong-S3cr3t")));

        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\svc-idm"), ("SERVICE_PASSWORD", "nope")]);
        assert_eq!(validate_service_account(&mut s, &logon(1909)), ActionResult::Success);
        assert!(s.properties["SERVICE_ACCOUNT_ERROR"].contains("locked out"));
    }

    #[test]
    fn logon_type_not_granted_means_the_credentials_were_right() {
        let l = logon(ERROR_LOGON_TYPE_NOT_GRANTED);
        let mut s = FakeSession::with([("SERVICE_ACCOUNT", "other@corp.example.com"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Success);
        assert_eq!(*l.calls.borrow(), [("other@corp.example.com".to_string(), None)]);
        assert_eq!(s.properties["SERVICE_LOGON"], r"CORP\other", "a UPN is resolved for the SCM");
        assert!(s.log[0].contains(r"other@corp.example.com is CORP\other"), "{:?}", s.log);

        let mut s =
            FakeSession::with([("SERVICE_ACCOUNT", "other@elsewhere.example.org"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Failure);
        let error = &s.properties["SERVICE_ACCOUNT_ERROR"];
        assert!(error.contains(r"enter SERVICE_ACCOUNT as DOMAIN\Username"), "{error}");
        assert!(error.contains("Windows error 1332"), "{error}");
        assert!(!s.properties.contains_key("SERVICE_LOGON"));
    }

    #[test]
    fn password_rules() {
        let l = logon(1326);
        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\gmsa-idm$"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Failure);
        assert!(s.properties["SERVICE_ACCOUNT_ERROR"].contains("has no password"));
        assert_no_secret(&s);

        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\gmsa-idm$")]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Success);
        assert_eq!(s.properties["SERVICE_LOGON"], r"CORP\gmsa-idm$");
        assert!(l.calls.borrow().is_empty(), "no logon check for a gMSA");

        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\svc-idm")]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Failure);
        assert!(s.properties["SERVICE_ACCOUNT_ERROR"].contains("SERVICE_PASSWORD is empty"));

        let mut s = FakeSession::with([("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Success);
        assert_eq!(
            s.properties["SERVICE_LOGON"], "LocalSystem",
            "LocalSystem is named explicitly (an empty StartName reached CreateServiceW as \"\")"
        );
        assert!(!s.properties.contains_key("SERVICE_PASSWORD"), "a password without an account is dropped");
        assert!(s.log.iter().any(|l| l.contains("LocalSystem; the SERVICE_PASSWORD given was ignored")));
        assert_no_secret(&s);

        // "LocalSystem" typed explicitly: same result, never a password.
        let mut s = FakeSession::with([("SERVICE_ACCOUNT", "localsystem"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &l), ActionResult::Success);
        assert_eq!(s.properties["SERVICE_LOGON"], "LocalSystem");
        assert!(!s.properties.contains_key("SERVICE_PASSWORD"));
        assert!(l.calls.borrow().is_empty(), "no logon check for LocalSystem");
    }

    #[test]
    fn a_bad_name_is_reported_with_its_reason() {
        let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\svc[1]"), ("SERVICE_PASSWORD", SECRET)]);
        assert_eq!(check_service_account(&mut s, &logon(0)), ActionResult::Failure);
        let error = &s.properties["SERVICE_ACCOUNT_ERROR"];
        assert!(error.starts_with(r#"SERVICE_ACCOUNT "CORP\svc[1]": the user name contains '['"#), "{error}");
        assert!(s.log.last().unwrap().contains("nothing was changed"));
        assert_no_secret(&s);
    }

    #[test]
    fn password_debug_is_redacted() {
        assert_eq!(format!("{:?}", Password::new(SECRET.into())), "Password(<redacted>)");
    }

    #[derive(Default)]
    struct FakeRights {
        held: BTreeSet<String>,
        fail_add: bool,
        unreadable: bool,
        calls: Vec<String>,
    }

    impl AccountRights for FakeRights {
        fn has_service_logon(&self, account: &str) -> Result<bool, RightsError> {
            if self.unreadable {
                return Err(RightsError { call: "LsaEnumerateAccountRights", code: 0xC000_0022 });
            }
            Ok(self.held.contains(account))
        }
        fn add_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
            self.calls.push(format!("add {account}"));
            if self.fail_add {
                return Err(RightsError { call: "LsaAddAccountRights", code: 0xC000_0034 });
            }
            self.held.insert(account.to_string());
            Ok(())
        }
        fn remove_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
            self.calls.push(format!("remove {account}"));
            self.held.remove(account);
            Ok(())
        }
    }

    /// Runs Data (immediate), then the deferred grant and the rollback with the data it set.
    fn run(rights: &mut FakeRights, logon_name: &str, rollback: bool) -> (ActionResult, FakeSession) {
        let mut s = FakeSession::with([("SERVICE_LOGON", logon_name)]);
        assert_eq!(grant_logon_data(&mut s, rights), ActionResult::Success);
        let data = s.properties.get("GrantLogonAsService").cloned().unwrap_or_default();
        assert_eq!(s.properties.get("GrantLogonAsServiceRollback"), s.properties.get("GrantLogonAsService"));
        let mut deferred = FakeSession::with([("CustomActionData", data.as_str())]);
        let result = grant_logon(&mut deferred, rights);
        if rollback {
            assert_eq!(revoke_logon_rollback(&mut deferred, rights), ActionResult::Success);
        }
        (result, deferred)
    }

    #[test]
    fn grant_then_rollback_removes_only_what_was_added() {
        let mut rights = FakeRights::default();
        let (result, s) = run(&mut rights, r"CORP\svc-idm", true);
        assert_eq!(result, ActionResult::Success);
        assert_eq!(rights.calls, [r"add CORP\svc-idm", r"remove CORP\svc-idm"]);
        assert!(rights.held.is_empty());
        assert!(s.log.iter().any(|l| l.contains("granted SeServiceLogonRight")));

        let mut rights = FakeRights { held: [r"CORP\svc-idm".to_string()].into(), ..Default::default() };
        let (result, _) = run(&mut rights, r"CORP\svc-idm", true);
        assert_eq!(result, ActionResult::Success);
        assert!(rights.calls.is_empty(), "held before: neither added nor removed");
        assert!(rights.held.contains(r"CORP\svc-idm"));
    }

    #[test]
    fn unreadable_rights_are_never_removed_and_a_failed_grant_fails() {
        let mut rights = FakeRights { unreadable: true, ..Default::default() };
        let (_, _) = run(&mut rights, r"CORP\svc-idm", true);
        assert!(!rights.calls.iter().any(|c| c.starts_with("remove")));

        let mut rights = FakeRights { fail_add: true, ..Default::default() };
        let (result, s) = run(&mut rights, r"CORP\svc-idm", false);
        assert_eq!(result, ActionResult::Failure);
        assert!(s.log.last().unwrap().contains("grant it by local or group policy"), "{:?}", s.log);
    }

    #[test]
    fn local_system_needs_no_right_and_bad_data_is_reported() {
        let mut s = FakeSession::default();
        assert_eq!(grant_logon_data(&mut s, &FakeRights::default()), ActionResult::Success);
        assert!(!s.properties.contains_key("GrantLogonAsService"));
        // What CheckServiceAccount now publishes for LocalSystem: still nothing to grant.
        for name in ["LocalSystem", "localsystem"] {
            let mut s = FakeSession::with([("SERVICE_LOGON", name)]);
            let rights = FakeRights::default();
            assert_eq!(grant_logon_data(&mut s, &rights), ActionResult::Success);
            assert!(!s.properties.contains_key("GrantLogonAsService"), "{name}");
            assert!(rights.calls.is_empty(), "{name}: no LSA call");
        }
        assert!(is_local_system("") && is_local_system(" LOCALSYSTEM "));
        assert!(!is_local_system(r"CORP\LocalSystem"));
        let mut s = FakeSession::with([("CustomActionData", "yes|x")]);
        assert_eq!(grant_logon(&mut s, &mut FakeRights::default()), ActionResult::Failure);
        assert_eq!(GrantData::decode(r"0|CORP\a"), Some(GrantData { had_right: false, account: r"CORP\a".into() }));
        assert_eq!(GrantData::decode("1|"), None);
    }
}
