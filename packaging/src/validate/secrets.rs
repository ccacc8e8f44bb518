//! Project rules for secrets (passwords) in the database: a password-carrying property is hidden
//! from logs (`hidden-secret`) and secure (`secure-secret`), every custom action that can carry it
//! in its target or CustomActionData hides its target (`hide-target`), and the Property table holds
//! no default value for it (`secret-default`).
//!
//! A property is password-carrying when its name contains `PASSWORD` (any case), it is listed in
//! `MsiHiddenProperties`, or it is the property of a masked (password) edit control. Messages never
//! include a secret's value.

use std::collections::{BTreeMap, BTreeSet};

use super::custom_actions::{BASE_MASK, HIDE_TARGET};
use super::db::Db;
use super::props::formatted_refs;
use super::Finding;

/// The password-carrying properties named anywhere in the database.
pub fn secret_properties(db: &Db) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut consider = |name: &str| {
        if name.to_ascii_uppercase().contains("PASSWORD") {
            names.insert(name.to_owned());
        }
    };
    for row in db.rows("Property") {
        row.str("Property").map(&mut consider);
    }
    for list in ["SecureCustomProperties", "MsiHiddenProperties"] {
        db.property_list(list).iter().for_each(|n| consider(n));
    }
    for table in ["Control", "AppSearch"] {
        for row in db.rows(table) {
            row.str("Property").map(&mut consider);
        }
    }
    // The property behind a masked edit control (msidbControlAttributesPassword, 0x200000, MSI
    // SDK "Edit Control") holds a password whatever its name.
    let masked: Vec<String> = db
        .rows("Control")
        .filter(|r| r.str("Type") == Some("Edit") && r.int("Attributes").unwrap_or(0) & 0x20_0000 != 0)
        .filter_map(|r| r.str("Property").map(str::to_owned))
        .collect();
    for row in db.rows("CustomAction") {
        if row.int("Type").map(|t| t & BASE_MASK) == Some(51) {
            row.str("Source").map(&mut consider);
        }
        row.str("Target").map(formatted_refs).unwrap_or_default().into_iter().for_each(&mut consider);
    }
    for row in db.rows("ServiceInstall") {
        row.str("Password").map(formatted_refs).unwrap_or_default().into_iter().for_each(&mut consider);
    }
    names.extend(db.property_list("MsiHiddenProperties"));
    names.extend(masked);
    names
}

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    let secrets = secret_properties(db);
    if secrets.is_empty() {
        return;
    }
    let hidden: BTreeSet<String> = db.property_list("MsiHiddenProperties").into_iter().collect();
    let secure: BTreeSet<String> = db.property_list("SecureCustomProperties").into_iter().collect();
    for name in &secrets {
        if !hidden.contains(name) {
            out.push(Finding::error(
                "hidden-secret",
                "Property",
                "MsiHiddenProperties",
                Some("Value"),
                format!("password-carrying property {name} is not listed, so a verbose log shows its value (WiX: Hidden=\"yes\")"),
            ));
        }
        if !secure.contains(name) {
            out.push(Finding::error(
                "secure-secret",
                "Property",
                "SecureCustomProperties",
                Some("Value"),
                format!(
                    "password-carrying property {name} is not listed, so a value given on the command line or in the \
                     dialogs does not reach the elevated execute sequence (WiX: Secure=\"yes\")"
                ),
            ));
        }
    }
    for row in db.rows("Property") {
        let (Some(name), Some(value)) = (row.str("Property"), row.str("Value")) else { continue };
        if secrets.contains(name) && !value.is_empty() {
            out.push(Finding::error(
                "secret-default",
                "Property",
                name,
                Some("Value"),
                format!(
                    "password-carrying property {name} has a default value in the package (value not shown); remove it"
                ),
            ));
        }
    }
    hide_target(db, &secrets, out);
}

/// Every custom action whose target or CustomActionData can carry a secret must have HideTarget.
fn hide_target(db: &Db, secrets: &BTreeSet<String>, out: &mut Vec<Finding>) {
    let types: BTreeMap<&str, i32> =
        db.rows("CustomAction").filter_map(|r| Some((r.str("Action")?, r.int("Type")?))).collect();
    // action -> why it carries a secret
    let mut carriers: BTreeMap<String, String> = BTreeMap::new();
    let carried = |text: &str| formatted_refs(text).into_iter().find(|r| secrets.contains(*r)).map(str::to_owned);
    for row in db.rows("CustomAction") {
        let Some(action) = row.str("Action") else { continue };
        let ty = row.int("Type").unwrap_or(0);
        let source = row.str("Source").unwrap_or("");
        let from_target = row.str("Target").and_then(carried);
        if ty & BASE_MASK == 51 && secrets.contains(source) {
            carriers.entry(action.to_owned()).or_insert(format!("sets {source}"));
        }
        if let Some(secret) = &from_target {
            carriers.entry(action.to_owned()).or_insert(format!("its Target contains [{secret}]"));
            // A type-51 action setting a property named after another action writes that action's
            // CustomActionData.
            if ty & BASE_MASK == 51 && types.contains_key(source) {
                carriers
                    .entry(source.to_owned())
                    .or_insert(format!("its CustomActionData, set by '{action}', contains [{secret}]"));
            }
        }
    }
    // CustomActionData given as a Property row named after the action.
    for row in db.rows("Property") {
        let (Some(name), Some(value)) = (row.str("Property"), row.str("Value")) else { continue };
        if types.contains_key(name) {
            if let Some(secret) = carried(value) {
                carriers.entry(name.to_owned()).or_insert(format!("its CustomActionData property contains [{secret}]"));
            }
        }
    }
    for (action, why) in carriers {
        let ty = types.get(action.as_str()).copied().unwrap_or(0);
        if ty & HIDE_TARGET == 0 {
            out.push(Finding::error(
                "hide-target",
                "CustomAction",
                action,
                Some("Type"),
                format!("{why}, but type {ty} lacks the HideTarget bit (0x2000), so a verbose log shows the secret (WiX: HideTarget=\"yes\")"),
            ));
        }
    }
}
