//! The built MSI's action order replayed in the three situations the package meets on real
//! Windows, with the token Windows gives each action there, against the rules of
//! docs/windows-behaviour.md. Wine cannot show any of this (no UAC: every action may write
//! anywhere), so it is checked here from the package's own tables.
//!
//! The token model (Microsoft Learn: "Custom Action Security", "Using Windows Installer with UAC",
//! "Privileged property", "MsiRunningElevated property"):
//! - immediate actions (UI sequence, dialog `DoAction`s, execute sequence outside the script) run
//!   with the token of the user who started msiexec: an administrator who double-clicks the MSI
//!   under UAC has the *filtered* token there; `Privileged`/`AdminUser` are set anyway,
//!   `MsiRunningElevated` is not;
//! - deferred, rollback and commit actions with `msidbCustomActionTypeNoImpersonate` run as
//!   LocalSystem; without it, with the user's token.
//!
//! The three situations: a domain administrator double-clicking the MSI (UAC on, full UI), an
//! administrator running `msiexec /qn` from an elevated prompt, and SYSTEM (SCCM, Intune).

use std::collections::{BTreeMap, BTreeSet};

use installer_tests::{open_msi_at, skip_or_fail, table_maps, try_release_msi};
use packaging::tables::ca_bits::{BASE_MASK, COMMIT, DLL, IN_SCRIPT, NO_IMPERSONATE, ROLLBACK};

/// The DLL actions that change the machine (files under Program Files, HKLM, the LSA policy), as
/// their logic does (custom-actions/src/connector/backup.rs, custom-actions/src/account.rs). Each
/// must run as LocalSystem in the script and have its undo scheduled before it.
const MACHINE_CHANGES: &[(&str, Option<&str>)] = &[
    ("MoveEmbeddedConnector", Some("RestoreEmbeddedConnector")),
    ("RestoreEmbeddedConnector", None),
    ("DeleteEmbeddedConnectorBackup", None),
    ("GrantLogonAsService", Some("GrantLogonAsServiceRollback")),
    ("GrantLogonAsServiceRollback", None),
    ("GrantLogonAsServiceCommit", None),
];

/// The DLL actions that write the `.enc` package the admin asked for (an output file, in the
/// product folder by default): immediate by design (the `export` choice stops with 1602 before the
/// script), so they must only ever run with a token that may write there.
const WRITES_OUTPUT: &[&str] = &["ExportEmbeddedConnector", "ApplyEmbeddedConnectorAction"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Filtered,
    Elevated,
    System,
}

struct Situation {
    name: &'static str,
    /// Full UI (the UI sequence runs) or `/qn`.
    ui: bool,
    /// The token of the process that started msiexec, which immediate actions get.
    user: Token,
    /// Properties Windows sets for this situation that the launch conditions read.
    props: &'static [&'static str],
}

const SITUATIONS: [Situation; 3] = [
    Situation {
        name: "domain admin double-clicks the MSI under UAC",
        ui: true,
        user: Token::Filtered,
        props: &["Privileged", "AdminUser"],
    },
    Situation {
        name: "msiexec /qn from an elevated prompt",
        ui: false,
        user: Token::Elevated,
        props: &["Privileged", "AdminUser", "MsiRunningElevated"],
    },
    Situation {
        name: "SYSTEM (SCCM, Intune)",
        ui: false,
        user: Token::System,
        props: &["Privileged", "AdminUser", "MsiRunningElevated"],
    },
];

/// A condition of the `LaunchCondition` table, evaluated with the given properties set (true)
/// and all others unset: `OR`, `AND`, `NOT`, parentheses and property names, which is all this
/// package uses. Anything else fails the test loudly, so a new condition is never skipped.
fn eval(condition: &str, set: &BTreeSet<&str>) -> bool {
    let spaced = condition.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let value = or(&tokens, &mut pos, set, condition);
    assert_eq!(pos, tokens.len(), "cannot evaluate launch condition {condition:?}");
    value
}

fn or(t: &[&str], pos: &mut usize, set: &BTreeSet<&str>, c: &str) -> bool {
    let mut v = and(t, pos, set, c);
    while t.get(*pos).is_some_and(|w| w.eq_ignore_ascii_case("OR")) {
        *pos += 1;
        v |= and(t, pos, set, c);
    }
    v
}

fn and(t: &[&str], pos: &mut usize, set: &BTreeSet<&str>, c: &str) -> bool {
    let mut v = not(t, pos, set, c);
    while t.get(*pos).is_some_and(|w| w.eq_ignore_ascii_case("AND")) {
        *pos += 1;
        v &= not(t, pos, set, c);
    }
    v
}

fn not(t: &[&str], pos: &mut usize, set: &BTreeSet<&str>, c: &str) -> bool {
    match t.get(*pos) {
        Some(w) if w.eq_ignore_ascii_case("NOT") => {
            *pos += 1;
            !not(t, pos, set, c)
        }
        Some(&"(") => {
            *pos += 1;
            let v = or(t, pos, set, c);
            assert_eq!(t.get(*pos), Some(&")"), "unbalanced launch condition {c:?}");
            *pos += 1;
            v
        }
        Some(w) if w.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') => {
            *pos += 1;
            set.contains(w)
        }
        other => panic!("cannot evaluate launch condition {c:?} at {other:?}"),
    }
}

#[test]
fn the_condition_evaluator_follows_the_documented_operators() {
    let set: BTreeSet<&str> = ["A", "B"].into();
    assert!(eval("A OR C", &set) && eval("NOT C", &set) && eval("(C OR A) AND B", &set));
    assert!(!eval("C", &set) && !eval("NOT A", &set) && !eval("A AND C", &set));
}

#[test]
fn three_situations_replayed_with_the_tokens_windows_gives() {
    let Some(path) = try_release_msi() else {
        skip_or_fail("no release MSI in the dist folder; run `cargo xtask dist` first (or `cargo xtask test`)");
        return;
    };
    let mut msi = open_msi_at(&path);
    let actions: BTreeMap<String, i32> = table_maps(&mut msi, "CustomAction")
        .into_iter()
        .map(|r| (r["Action"].clone(), r["Type"].parse().expect("integer Type")))
        .collect();
    let dll = |a: &str| actions.get(a).is_some_and(|t| t & BASE_MASK == DLL);
    let ordered = |rows: Vec<BTreeMap<String, String>>| {
        let mut v: Vec<(i64, String)> = rows
            .into_iter()
            .filter_map(|r| r["Sequence"].parse::<i64>().ok().filter(|n| *n > 0).map(|n| (n, r["Action"].clone())))
            .collect();
        v.sort();
        v.into_iter().map(|(_, a)| a).collect::<Vec<_>>()
    };
    let ui_sequence = ordered(table_maps(&mut msi, "InstallUISequence"));
    let execute_sequence = ordered(table_maps(&mut msi, "InstallExecuteSequence"));
    let dialogs: BTreeSet<String> = table_maps(&mut msi, "Dialog").into_iter().map(|r| r["Dialog"].clone()).collect();
    let do_actions: BTreeSet<String> = table_maps(&mut msi, "ControlEvent")
        .into_iter()
        .filter(|r| r["Event"] == "DoAction")
        .map(|r| r["Argument"].clone())
        .collect();
    let launch: Vec<(String, String)> = table_maps(&mut msi, "LaunchCondition")
        .into_iter()
        .map(|r| (r["Condition"].clone(), r["Description"].clone()))
        .collect();

    // Every machine change: in the script, as LocalSystem, with its undo scheduled before it.
    for (action, undo) in MACHINE_CHANGES {
        let ty = *actions.get(*action).unwrap_or_else(|| panic!("no CustomAction {action}"));
        assert_ne!(ty & IN_SCRIPT, 0, "{action} changes the machine and must be in the script");
        assert_ne!(ty & NO_IMPERSONATE, 0, "{action} changes the machine and must run as LocalSystem");
        if let Some(undo) = undo {
            let undo_ty = actions[*undo];
            assert_eq!(
                undo_ty & (IN_SCRIPT | ROLLBACK | COMMIT),
                IN_SCRIPT | ROLLBACK,
                "{undo} must be a rollback action"
            );
            let at =
                |a: &str| execute_sequence.iter().position(|x| x == a).unwrap_or_else(|| panic!("{a} not sequenced"));
            assert!(at(undo) < at(action), "{undo} must be scheduled before {action}");
        }
    }

    for situation in &SITUATIONS {
        let set: BTreeSet<&str> = situation.props.iter().copied().collect();
        let passes = |log: &mut Vec<String>| {
            for (condition, message) in &launch {
                if !eval(condition, &set) {
                    log.push(format!("LaunchConditions stops: {message}"));
                    return false;
                }
            }
            true
        };
        // Runs `sequence` in order; returns the DLL actions that ran with their token, or stops.
        let mut trace: Vec<String> = Vec::new();
        let mut ran: Vec<(String, Token)> = Vec::new();
        let mut stopped = false;
        if situation.ui {
            for action in &ui_sequence {
                if action == "LaunchConditions" && !passes(&mut trace) {
                    stopped = true;
                    break;
                }
                if dialogs.contains(action) {
                    trace.push(format!("first dialog {action}"));
                    break;
                }
                if dll(action) {
                    ran.push((action.clone(), situation.user));
                }
            }
            if !stopped {
                // The dialogs' DoActions run in the client, with the user's token.
                ran.extend(do_actions.iter().filter(|a| dll(a)).map(|a| (a.clone(), situation.user)));
            }
        }
        if !stopped {
            for action in &execute_sequence {
                if action == "LaunchConditions" && !passes(&mut trace) {
                    stopped = true;
                    break;
                }
                if dll(action) {
                    let ty = actions[action];
                    let token =
                        if ty & IN_SCRIPT != 0 && ty & NO_IMPERSONATE != 0 { Token::System } else { situation.user };
                    ran.push((action.clone(), token));
                }
            }
        }
        let name = situation.name;
        if situation.user == Token::Filtered {
            // Stopped before the first dialog, with what to do, and nothing that writes ran.
            assert!(stopped, "{name}: not stopped: {trace:?}");
            let message = trace.last().expect("a stop message");
            assert!(message.contains("msiexec /i") && message.contains("setup.exe"), "{name}: {message}");
            assert!(!trace.iter().any(|t| t.starts_with("first dialog")), "{name}: a dialog showed first: {trace:?}");
            for (action, _) in &ran {
                assert!(
                    !MACHINE_CHANGES.iter().any(|(a, _)| a == action) && !WRITES_OUTPUT.contains(&action.as_str()),
                    "{name}: {action} ran before the launch conditions stopped the install"
                );
            }
            continue;
        }
        assert!(!stopped, "{name}: stopped: {trace:?}");
        for (action, token) in &ran {
            if MACHINE_CHANGES.iter().any(|(a, _)| a == action) {
                assert_eq!(*token, Token::System, "{name}: {action}");
            }
            if WRITES_OUTPUT.contains(&action.as_str()) {
                assert_ne!(*token, Token::Filtered, "{name}: {action} writes with a filtered token");
            }
        }
        let names: BTreeSet<&str> = ran.iter().map(|(a, _)| a.as_str()).collect();
        for (action, _) in MACHINE_CHANGES {
            assert!(names.contains(action), "{name}: {action} never ran in the replay");
        }
    }
}
