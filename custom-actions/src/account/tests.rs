//! Unit tests of the service-account actions, on the fake session (crate::fakes).

use super::*;
use crate::fakes::{FakeLogon, FakeRights, FakeScript, FakeSession};
use crate::session::Token;
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
        (r"CORP\12345678901234567890", Account::Domain { domain: "CORP".into(), user: "12345678901234567890".into() }),
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

/// A domain with `CORP\svc-idm` (password [`SECRET`]) and `other@corp.example.com`; other
/// logons answer `other`.
fn logon(other: u32) -> FakeLogon {
    let mut l = FakeLogon::one("svc-idm", Some("CORP"), SECRET);
    l.down_level.insert("other@corp.example.com".into(), r"CORP\other".into());
    l.usable_gmsa.insert(r"CORP\gmsa-idm$".into());
    l.other = Some(other);
    l
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

    let mut s = FakeSession::with([("SERVICE_ACCOUNT", "other@elsewhere.example.org"), ("SERVICE_PASSWORD", SECRET)]);
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

    // A gMSA this computer may not retrieve: refused before anything changes (it would
    // otherwise fail only at StartServices), and when NetIsServiceAccount cannot tell.
    let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\gmsa-other$")]);
    assert_eq!(check_service_account(&mut s, &l), ActionResult::Failure);
    let error = &s.properties["SERVICE_ACCOUNT_ERROR"];
    assert!(error.contains("PrincipalsAllowedToRetrieveManagedPassword"), "{error}");
    assert!(!s.properties.contains_key("SERVICE_LOGON"));
    let broken = FakeLogon { gmsa_check_fails: Some(1355), ..logon(1326) };
    let mut s = FakeSession::with([("SERVICE_ACCOUNT", r"CORP\gmsa-idm$")]);
    assert_eq!(check_service_account(&mut s, &broken), ActionResult::Failure);
    assert!(s.properties["SERVICE_ACCOUNT_ERROR"].contains("Windows error 1355"));

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

/// Replays the grant as the script does: Data (immediate, server), then the deferred grant
/// as LocalSystem, then (when `fail_after`) the rollback, else the commit.
fn run(rights: &mut FakeRights, logon_name: &str, fail_after: bool) -> (ActionResult, Vec<String>) {
    let mut s = FakeSession::with([("SERVICE_LOGON", logon_name)]);
    rights.token.set(s.token);
    assert_eq!(grant_logon_data(&mut s), ActionResult::Success);
    let data = s.properties.get("GrantLogonAsService").cloned().unwrap_or_default();
    for action in GRANT_ACTIONS {
        assert_eq!(s.properties.get(action), s.properties.get("GrantLogonAsService"), "{action}");
    }
    rights.token.set(Token::System);
    let mut deferred = FakeScript::deferred(&data);
    let result = grant_logon(&mut deferred, rights);
    let mut log = deferred.log;
    if fail_after || result != ActionResult::Success {
        let mut rollback = FakeScript::rollback(&data);
        assert_eq!(revoke_logon_rollback(&mut rollback, rights), ActionResult::Success);
        log.extend(rollback.log);
    } else {
        let mut commit = FakeScript::commit(&data);
        assert_eq!(grant_logon_commit(&mut commit, rights), ActionResult::Success);
        log.extend(commit.log);
    }
    (result, log)
}

#[test]
fn grant_then_rollback_removes_only_what_was_added() {
    let mut rights = FakeRights::default();
    let (result, log) = run(&mut rights, r"CORP\svc-idm", true);
    assert_eq!(result, ActionResult::Success);
    let calls = rights.calls.borrow().clone();
    assert_eq!(calls[0], r"read CORP\svc-idm", "the read happens in the deferred action: {calls:?}");
    assert!(calls[1].starts_with("record ") && calls[2] == r"add CORP\svc-idm", "{calls:?}");
    assert_eq!(calls[3], r"remove CORP\svc-idm");
    assert!(calls[4].starts_with("forget "));
    assert!(rights.held.is_empty() && rights.ledger.is_empty());
    assert!(log.iter().any(|l| l.contains("granted SeServiceLogonRight")));

    // Held before: nothing added, nothing recorded, nothing removed by the rollback.
    let mut rights = FakeRights::holding(&[r"CORP\svc-idm"]);
    let (result, log) = run(&mut rights, r"CORP\svc-idm", true);
    assert_eq!(result, ActionResult::Success);
    assert_eq!(*rights.calls.borrow(), [r"read CORP\svc-idm"]);
    assert!(rights.held.contains(r"CORP\svc-idm"));
    assert!(log.iter().any(|l| l.contains("granted nothing")), "{log:?}");

    // Success: the right stays, the record is cleared by the commit.
    let mut rights = FakeRights::default();
    let (result, _) = run(&mut rights, r"CORP\svc-idm", false);
    assert_eq!(result, ActionResult::Success);
    assert!(rights.held.contains(r"CORP\svc-idm") && rights.ledger.is_empty());
}

#[test]
fn an_unreadable_policy_is_a_failure_never_an_assumption() {
    let mut rights = FakeRights { broken: Some(0xC000_0022), ..Default::default() };
    let (result, log) = run(&mut rights, r"CORP\svc-idm", false);
    assert_eq!(result, ActionResult::Failure);
    assert!(log[0].contains("cannot read the rights"), "{log:?}");
    assert!(!rights.calls.borrow().iter().any(|c| c.starts_with("add") || c.starts_with("remove")));

    // A failed grant: 1603, and its rollback removes what the record says (the call may
    // have half-happened), then clears the record.
    let mut rights = FakeRights { fail_add: Some(0xC000_0034), ..Default::default() };
    let (result, log) = run(&mut rights, r"CORP\svc-idm", false);
    assert_eq!(result, ActionResult::Failure);
    assert!(log.iter().any(|l| l.contains("grant it by local or group policy")), "{log:?}");
    assert!(rights.calls.borrow().iter().any(|c| c == r"remove CORP\svc-idm"));
    assert!(rights.ledger.is_empty());
}

#[test]
fn a_filtered_token_cannot_do_what_the_old_immediate_read_did() {
    // What finding 4 was: the LSA read in an immediate action under a UAC-filtered token is
    // refused. The data action no longer reads the LSA at all.
    let rights = FakeRights::default();
    rights.token.set(Token::Filtered);
    assert!(rights.has_service_logon(r"CORP\svc-idm").is_err());
    let mut s = FakeSession { token: Token::Filtered, ..FakeSession::with([("SERVICE_LOGON", r"CORP\svc-idm")]) };
    assert_eq!(grant_logon_data(&mut s), ActionResult::Success);
    assert_eq!(rights.calls.borrow().len(), 1, "grant_logon_data made no LSA call");
}

#[test]
fn local_system_needs_no_right_and_bad_data_is_reported() {
    let mut s = FakeSession::default();
    assert_eq!(grant_logon_data(&mut s), ActionResult::Success);
    assert!(!s.properties.contains_key("GrantLogonAsService"));
    for name in ["LocalSystem", "localsystem"] {
        let mut s = FakeSession::with([("SERVICE_LOGON", name)]);
        assert_eq!(grant_logon_data(&mut s), ActionResult::Success);
        assert!(!s.properties.contains_key("GrantLogonAsService"), "{name}");
    }
    assert!(is_local_system("") && is_local_system(" LOCALSYSTEM "));
    assert!(!is_local_system(r"CORP\LocalSystem"));
    let mut s = FakeScript::deferred("yes|x");
    assert_eq!(grant_logon(&mut s, &mut FakeRights::default()), ActionResult::Failure);
    assert_eq!(GrantData::decode(r"0a1f|CORP\a"), Some(GrantData { run: "0a1f".into(), account: r"CORP\a".into() }));
    assert_eq!(GrantData::decode("0a1f|"), None);
    assert_eq!(GrantData::decode(r"|CORP\a"), None);
}

#[test]
fn run_ids_are_fresh() {
    let (a, b) = (new_run_id().unwrap(), new_run_id().unwrap());
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
}
