//! Customer Experience Improvement Program: detect a previous choice and persist CEIP_OPTIN (seed step 6).
//!
//! The product keeps the choice in the registry, `HKLM\SOFTWARE\VMware, Inc.\VMware Identity
//! Manager\CEIP`, DWORD `Enabled` (1/0), written by a `RegistryValue` of
//! `wix/target-machine.wxs.tera` from `CEIP_OPTIN_NORMALIZED`; the service reads it there.
//! The fragment's `RegistrySearch` puts the previous value in `CEIP_PREVIOUS` (`#1` for a DWORD 1).
//!
//! The checkbox trap: a `CheckBox` control treats any non-empty property as checked and deletes
//! the property when unchecked, so binding it to `CEIP_OPTIN` would show `CEIP_OPTIN=0` as
//! checked. The dialog therefore binds `CEIP_CHECKBOX`:
//!
//! - `PrepareCeip` ([`prepare_ceip`], UI and execute sequences after `AppSearch`): decides the
//!   choice ([`decide`]) and publishes it as `CEIP_OPTIN_NORMALIZED` (`1`/`0`), sets
//!   `CEIP_CHECKBOX` (`1` or empty) and `CEIP_ALREADY_ENABLED=1` when a previous install enabled
//!   CEIP (the dialog is skipped).
//!
//! "`1` unless already decided" (docs/silent-install.md): `CEIP_OPTIN` has no Property-table default, so an
//! empty value means "not given". An explicit `CEIP_OPTIN` (command line, or the checkbox
//! written back by `ApplyCeipCheckbox`) wins; otherwise a previous installation's choice (`#1`
//! or `#0`) is kept; with neither, the default is `1`.
//! - `ApplyCeipCheckbox` ([`apply_ceip_checkbox`], UI sequence just before `ExecuteAction`):
//!   writes the checkbox back into `CEIP_OPTIN` (`1`/`0`), which reaches the execute sequence,
//!   where `PrepareCeip` normalises it again.

use crate::properties::{CEIP_ALREADY_ENABLED, CEIP_CHECKBOX, CEIP_OPTIN, CEIP_OPTIN_NORMALIZED, CEIP_PREVIOUS};
use crate::session::{publish, ActionResult, Session, SessionError};

/// Registry key (below HKLM, 64-bit view) holding the product's CEIP choice.
pub const REGISTRY_KEY: &str = r"SOFTWARE\VMware, Inc.\VMware Identity Manager\CEIP";
/// Its DWORD value name.
pub const REGISTRY_VALUE: &str = "Enabled";

/// The default when nothing was decided, neither now nor by a previous installation.
pub const DEFAULT_ENABLED: bool = true;

/// Reads a yes/no property value: `1`/`yes`/`true`/`on` and `0`/`no`/`false`/`off` (any case).
/// `Some(None)` for an empty value (not given), `None` for anything else.
pub fn parse_choice(value: &str) -> Option<Option<bool>> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Some(None),
        "1" | "yes" | "true" | "on" => Some(Some(true)),
        "0" | "no" | "false" | "off" => Some(Some(false)),
        _ => None,
    }
}

/// The previous installation's choice from `CEIP_PREVIOUS` (a `RegistrySearch` result: `#1` /
/// `#0` for a DWORD, or a plain number): `None` when there was none (or it is unreadable).
pub fn previous_choice(previous: &str) -> Option<bool> {
    let value = previous.trim();
    let value = value.strip_prefix('#').unwrap_or(value);
    value.parse::<u32>().ok().map(|n| n != 0)
}

/// Whether `CEIP_PREVIOUS` says a previous install enabled CEIP.
pub fn previously_enabled(previous: &str) -> bool {
    previous_choice(previous) == Some(true)
}

/// The decision and why, for [`prepare_ceip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Participate (`Enabled`=1).
    pub enabled: bool,
    /// A previous installation enabled it: the dialog is skipped (`CEIP_ALREADY_ENABLED`).
    pub already_enabled: bool,
    /// For the log line.
    pub why: &'static str,
}

/// "`1` unless already decided": an explicit `given` choice wins, then the `previous`
/// installation's, then [`DEFAULT_ENABLED`].
pub fn decide(given: Option<bool>, previous: Option<bool>) -> Decision {
    let already_enabled = previous == Some(true);
    let (enabled, why) = match (given, previous) {
        (Some(true), Some(true)) => (true, "kept: a previous installation enabled it, the question is skipped"),
        (Some(false), Some(true)) => {
            (false, "turned off: a previous installation enabled it, and CEIP_OPTIN=0 was given")
        }
        (Some(true), _) => (true, "participating (CEIP_OPTIN=1)"),
        (Some(false), _) => (false, "not participating (CEIP_OPTIN=0)"),
        (None, Some(true)) => (true, "kept: a previous installation enabled it and CEIP_OPTIN was not given"),
        (None, Some(false)) => (false, "kept off: a previous installation declined it and CEIP_OPTIN was not given"),
        (None, None) => {
            (DEFAULT_ENABLED, "participating (the default; CEIP_OPTIN was not given and nothing was decided before)")
        }
    };
    Decision { enabled, already_enabled, why }
}

/// `PrepareCeip`. Fails (1603) on a `CEIP_OPTIN` that is neither empty, yes nor no, or when the
/// session fails (logged).
pub fn prepare_ceip(session: &mut impl Session) -> ActionResult {
    match try_prepare_ceip(session) {
        Ok(result) => result,
        Err(e) => {
            session.log(&format!("PrepareCeip: {e}"));
            ActionResult::Failure
        }
    }
}

fn try_prepare_ceip(session: &mut impl Session) -> Result<ActionResult, SessionError> {
    const NAME: &str = "PrepareCeip";
    let optin = session.property(CEIP_OPTIN)?;
    let Some(given) = parse_choice(&optin) else {
        session.log(&format!("{NAME}: CEIP_OPTIN=\"{optin}\" is not valid; use CEIP_OPTIN=1 (participate) or CEIP_OPTIN=0 (do not), or leave it out (keeps a previous choice, else 1)"));
        return Ok(ActionResult::Failure);
    };
    let previous = previous_choice(&session.property(CEIP_PREVIOUS)?);
    let Decision { enabled, already_enabled, why } = decide(given, previous);
    publish(session, NAME, CEIP_ALREADY_ENABLED, if already_enabled { "1" } else { "" })?;
    // The dialog's checkbox starts from the decision: a previous "no" shows it cleared.
    publish(session, NAME, CEIP_CHECKBOX, if enabled { "1" } else { "" })?;
    publish(session, NAME, CEIP_OPTIN_NORMALIZED, if enabled { "1" } else { "0" })?;
    session.log(&format!(
        "{NAME}: Customer Experience Improvement Program {why}; persisting Enabled={}",
        u8::from(enabled)
    ));
    Ok(ActionResult::Success)
}

/// `ApplyCeipCheckbox`: `CEIP_OPTIN` = `1` when `CEIP_CHECKBOX` is set, else `0`. Skipped when
/// the question was not asked (`CEIP_ALREADY_ENABLED`).
pub fn apply_ceip_checkbox(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "ApplyCeipCheckbox";
    let outcome = (|| -> Result<(), SessionError> {
        if !session.property(CEIP_ALREADY_ENABLED)?.is_empty() {
            return Ok(());
        }
        // Any non-empty value is "checked", exactly as the CheckBox control reads it.
        let checked = !session.property(CEIP_CHECKBOX)?.is_empty();
        let value = if checked { "1" } else { "0" };
        publish(session, NAME, CEIP_OPTIN, value)?;
        session.log(&format!(
            "{NAME}: the CEIP checkbox is {}; CEIP_OPTIN={value}",
            if checked { "checked" } else { "cleared" }
        ));
        Ok(())
    })();
    match outcome {
        Ok(()) => ActionResult::Success,
        Err(e) => {
            session.log(&format!("{NAME}: {e}"));
            ActionResult::Failure
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakeSession;

    #[test]
    fn choices_parse_including_the_zero_trap() {
        for yes in ["1", "yes", "TRUE", " on "] {
            assert_eq!(parse_choice(yes), Some(Some(true)), "{yes}");
        }
        for no in ["0", "No", "false", "OFF"] {
            assert_eq!(parse_choice(no), Some(Some(false)), "{no}");
        }
        assert_eq!(parse_choice(""), Some(None), "empty = not given");
        assert_eq!(parse_choice("  "), Some(None));
        assert_eq!(previous_choice("#0"), Some(false));
        assert_eq!(previous_choice("#1"), Some(true));
        assert_eq!(previous_choice(""), None);
        assert_eq!(previous_choice("garbage"), None);
        assert_eq!(parse_choice("2"), None);
        assert_eq!(parse_choice("maybe"), None);
        assert!(previously_enabled("#1"));
        assert!(previously_enabled("1"));
        assert!(!previously_enabled("#0"));
        assert!(!previously_enabled(""));
        assert!(!previously_enabled("garbage"));
    }

    #[test]
    fn silent_zero_means_no() {
        let mut s = FakeSession::with([("CEIP_OPTIN", "0")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "0");
        assert!(!s.properties.contains_key("CEIP_CHECKBOX"), "0 must leave the checkbox unchecked");
        assert!(!s.properties.contains_key("CEIP_ALREADY_ENABLED"));
        assert!(s.log[0].contains("not participating (CEIP_OPTIN=0)"));
    }

    #[test]
    fn default_one_means_yes_and_checks_the_box() {
        let mut s = FakeSession::with([("CEIP_OPTIN", "1")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "1");
        assert_eq!(s.properties["CEIP_CHECKBOX"], "1");
        assert!(s.log[0].contains("Enabled=1"));
    }

    #[test]
    fn invalid_value_fails_with_a_fix() {
        let mut s = FakeSession::with([("CEIP_OPTIN", "2")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Failure);
        assert!(s.log[0].contains("use CEIP_OPTIN=1"));
        assert!(!s.properties.contains_key("CEIP_OPTIN_NORMALIZED"));
    }

    #[test]
    fn previous_enable_is_kept_and_skips_the_dialog_unless_explicitly_refused() {
        let mut s = FakeSession::with([("CEIP_OPTIN", "1"), ("CEIP_PREVIOUS", "#1")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_ALREADY_ENABLED"], "1");
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "1");
        assert!(s.log[0].contains("kept"));

        let mut s = FakeSession::with([("CEIP_OPTIN", "0"), ("CEIP_PREVIOUS", "#1")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "0");
        assert!(s.log[0].contains("turned off"));

        // A previous "no" with an explicit 1: the command line wins.
        let mut s = FakeSession::with([("CEIP_OPTIN", "1"), ("CEIP_PREVIOUS", "#0")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert!(!s.properties.contains_key("CEIP_ALREADY_ENABLED"));
        assert_eq!(s.properties["CEIP_CHECKBOX"], "1");
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "1");
    }

    #[test]
    fn not_given_keeps_the_previous_decision_else_defaults_to_one() {
        // Upgrade without CEIP_OPTIN after an opt-out: stays 0; the dialog (asked again, as
        // CEIP is not enabled) shows the box cleared.
        let mut s = FakeSession::with([("CEIP_PREVIOUS", "#0")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "0");
        assert!(!s.properties.contains_key("CEIP_CHECKBOX"));
        assert!(!s.properties.contains_key("CEIP_ALREADY_ENABLED"));
        assert!(s.log[0].contains("kept off"), "{:?}", s.log);

        // After an opt-in: stays 1, the dialog is skipped.
        let mut s = FakeSession::with([("CEIP_PREVIOUS", "#1")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "1");
        assert_eq!(s.properties["CEIP_ALREADY_ENABLED"], "1");

        // Nothing decided before, nothing given: the default 1, box checked.
        let mut s = FakeSession::default();
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert_eq!(s.properties["CEIP_OPTIN_NORMALIZED"], "1");
        assert_eq!(s.properties["CEIP_CHECKBOX"], "1");
        assert!(s.log[0].contains("the default"), "{:?}", s.log);

        // The whole table, so each cell is pinned.
        for (given, previous, enabled) in [
            (None, None, true),
            (None, Some(false), false),
            (None, Some(true), true),
            (Some(true), None, true),
            (Some(true), Some(false), true),
            (Some(false), None, false),
            (Some(false), Some(true), false),
        ] {
            assert_eq!(decide(given, previous).enabled, enabled, "{given:?} {previous:?}");
            assert_eq!(decide(given, previous).already_enabled, previous == Some(true));
        }
    }

    #[test]
    fn dialog_round_trip_through_the_checkbox() {
        // UI sequence: prepare (nothing given: box checked), the admin clears the box, the
        // choice is written back ...
        let mut ui = FakeSession::default();
        prepare_ceip(&mut ui);
        ui.set_property("CEIP_CHECKBOX", "").unwrap(); // what an unchecked CheckBox does
        assert_eq!(apply_ceip_checkbox(&mut ui), ActionResult::Success);
        assert_eq!(ui.properties["CEIP_OPTIN"], "0");
        // ... and the execute sequence, which only sees CEIP_OPTIN, persists 0.
        let mut exec = FakeSession::with([("CEIP_OPTIN", ui.properties["CEIP_OPTIN"].as_str())]);
        prepare_ceip(&mut exec);
        assert_eq!(exec.properties["CEIP_OPTIN_NORMALIZED"], "0");

        // Checked again: 1.
        ui.set_property("CEIP_CHECKBOX", "1").unwrap();
        apply_ceip_checkbox(&mut ui);
        assert_eq!(ui.properties["CEIP_OPTIN"], "1");

        // Skipped dialog: CEIP_OPTIN untouched.
        let mut ui = FakeSession::with([("CEIP_OPTIN", "1"), ("CEIP_ALREADY_ENABLED", "1")]);
        apply_ceip_checkbox(&mut ui);
        assert_eq!(ui.properties["CEIP_OPTIN"], "1");
        assert!(ui.log.is_empty());
        // ... and with nothing given the execute sequence keeps the previous "enabled".
        let mut exec = FakeSession::with([("CEIP_PREVIOUS", "#1")]);
        prepare_ceip(&mut exec);
        assert_eq!(exec.properties["CEIP_OPTIN_NORMALIZED"], "1");

        // A previous opt-out: the dialog starts cleared; checking it opts in explicitly.
        let mut ui = FakeSession::with([("CEIP_PREVIOUS", "#0")]);
        prepare_ceip(&mut ui);
        assert!(!ui.properties.contains_key("CEIP_CHECKBOX"));
        ui.set_property("CEIP_CHECKBOX", "1").unwrap();
        apply_ceip_checkbox(&mut ui);
        let mut exec =
            FakeSession::with([("CEIP_OPTIN", ui.properties["CEIP_OPTIN"].as_str()), ("CEIP_PREVIOUS", "#0")]);
        prepare_ceip(&mut exec);
        assert_eq!(exec.properties["CEIP_OPTIN_NORMALIZED"], "1");
    }
}
