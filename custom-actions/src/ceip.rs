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
//! - `PrepareCeip` ([`prepare_ceip`], UI and execute sequences after `AppSearch`): normalises
//!   `CEIP_OPTIN` to `CEIP_OPTIN_NORMALIZED` (`1`/`0`), sets `CEIP_CHECKBOX` (`1` or empty) and
//!   `CEIP_ALREADY_ENABLED=1` when a previous install enabled CEIP (the dialog is skipped).
//! - `ApplyCeipCheckbox` ([`apply_ceip_checkbox`], UI sequence just before `ExecuteAction`):
//!   writes the checkbox back into `CEIP_OPTIN` (`1`/`0`), which reaches the execute sequence,
//!   where `PrepareCeip` normalises it again.

use crate::session::{ActionResult, Session};

/// Registry key (below HKLM, 64-bit view) holding the product's CEIP choice.
pub const REGISTRY_KEY: &str = r"SOFTWARE\VMware, Inc.\VMware Identity Manager\CEIP";
/// Its DWORD value name.
pub const REGISTRY_VALUE: &str = "Enabled";

/// Reads a yes/no property value: `1`/`yes`/`true`/`on` and `0`/`no`/`false`/`off` (any case),
/// empty = no (an unchecked checkbox). `None` for anything else.
pub fn parse_choice(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Whether `CEIP_PREVIOUS` (a `RegistrySearch` result: `#1` for a DWORD, or a string) says a
/// previous install enabled CEIP.
pub fn previously_enabled(previous: &str) -> bool {
    let value = previous.trim();
    let value = value.strip_prefix('#').unwrap_or(value);
    value.parse::<u32>().is_ok_and(|n| n != 0)
}

/// `PrepareCeip`. Fails (1603) only on a `CEIP_OPTIN` that is neither yes nor no.
pub fn prepare_ceip(session: &mut impl Session) -> ActionResult {
    let optin = session.property("CEIP_OPTIN").unwrap_or_default();
    let Some(choice) = parse_choice(&optin) else {
        session.log(&format!("PrepareCeip: CEIP_OPTIN=\"{optin}\" is not valid; use CEIP_OPTIN=1 (participate) or CEIP_OPTIN=0 (do not)"));
        return ActionResult::Failure;
    };
    let previous = previously_enabled(&session.property("CEIP_PREVIOUS").unwrap_or_default());
    // CEIP_OPTIN defaults to 1 in the Property table, so a 0 here was asked for explicitly (the
    // command line, or the checkbox written back by ApplyCeipCheckbox): it wins even over a
    // previous "enabled". A 1 on a machine that already participates just keeps the choice.
    let (enabled, already, why) = match (previous, choice) {
        (true, true) => (
            true,
            true,
            "kept: a previous installation enabled it, the question is skipped",
        ),
        (true, false) => (
            false,
            true,
            "turned off: a previous installation enabled it, and CEIP_OPTIN=0 was given",
        ),
        (false, true) => (true, false, "participating (CEIP_OPTIN=1)"),
        (false, false) => (false, false, "not participating (CEIP_OPTIN=0)"),
    };
    let _ = session.set_property("CEIP_ALREADY_ENABLED", if already { "1" } else { "" });
    let _ = session.set_property("CEIP_CHECKBOX", if enabled { "1" } else { "" });
    let _ = session.set_property("CEIP_OPTIN_NORMALIZED", if enabled { "1" } else { "0" });
    session.log(&format!(
        "PrepareCeip: Customer Experience Improvement Program {why}; persisting Enabled={}",
        u8::from(enabled)
    ));
    ActionResult::Success
}

/// `ApplyCeipCheckbox`: `CEIP_OPTIN` = `1` when `CEIP_CHECKBOX` is set, else `0`. Skipped when
/// the question was not asked (`CEIP_ALREADY_ENABLED`).
pub fn apply_ceip_checkbox(session: &mut impl Session) -> ActionResult {
    if !session
        .property("CEIP_ALREADY_ENABLED")
        .unwrap_or_default()
        .is_empty()
    {
        return ActionResult::Success;
    }
    // Any non-empty value is "checked", exactly as the CheckBox control reads it.
    let checked = !session
        .property("CEIP_CHECKBOX")
        .unwrap_or_default()
        .is_empty();
    let value = if checked { "1" } else { "0" };
    let _ = session.set_property("CEIP_OPTIN", value);
    session.log(&format!(
        "ApplyCeipCheckbox: the CEIP checkbox is {}; CEIP_OPTIN={value}",
        if checked { "checked" } else { "cleared" }
    ));
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::FakeSession;

    #[test]
    fn choices_parse_including_the_zero_trap() {
        for yes in ["1", "yes", "TRUE", " on "] {
            assert_eq!(parse_choice(yes), Some(true), "{yes}");
        }
        for no in ["0", "No", "false", "OFF", ""] {
            assert_eq!(parse_choice(no), Some(false), "{no}");
        }
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
        assert!(
            !s.properties.contains_key("CEIP_CHECKBOX"),
            "0 must leave the checkbox unchecked"
        );
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

        // A previous "no" asks again, defaulting to yes.
        let mut s = FakeSession::with([("CEIP_OPTIN", "1"), ("CEIP_PREVIOUS", "#0")]);
        assert_eq!(prepare_ceip(&mut s), ActionResult::Success);
        assert!(!s.properties.contains_key("CEIP_ALREADY_ENABLED"));
        assert_eq!(s.properties["CEIP_CHECKBOX"], "1");
    }

    #[test]
    fn dialog_round_trip_through_the_checkbox() {
        // UI sequence: prepare, the admin clears the box, the choice is written back ...
        let mut ui = FakeSession::with([("CEIP_OPTIN", "1")]);
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
    }
}
