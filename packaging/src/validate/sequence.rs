//! Sequence tables: the standard actions' relative order (ICE27), where RemoveExistingProducts
//! may go (ICE63), and that deferred, rollback and commit custom actions run inside the
//! installation script, between InstallInitialize and InstallFinalize (ICE77); that no two
//! actions share a position or a termination flag, and that the registration and publishing
//! actions come together (ICE82).

use std::collections::BTreeMap;

use super::custom_actions::IN_SCRIPT;
use super::db::{Db, EXECUTE_SEQUENCE_TABLES, SEQUENCE_TABLES};
use super::Finding;
use crate::tables::TERMINATION_FLAGS;

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    for table in SEQUENCE_TABLES {
        if db.table(table).is_some() {
            ice27(db, table, out);
            ice82_numbers(db, table, out);
        }
    }
    ice63(db, out);
    ice82_registration(db, out);
    for table in EXECUTE_SEQUENCE_TABLES {
        if db.table(table).is_some() {
            ice77(db, table, out);
        }
    }
    for table in SEQUENCE_TABLES.iter().filter(|t| !EXECUTE_SEQUENCE_TABLES.contains(t)) {
        ice77_ui(db, table, out);
    }
}

/// ICE77, UI side: a UI sequence has no installation script, so an in-script action there fails.
fn ice77_ui(db: &Db, table: &str, out: &mut Vec<Finding>) {
    let types: BTreeMap<&str, i32> =
        db.rows("CustomAction").filter_map(|r| Some((r.str("Action")?, r.int("Type")?))).collect();
    for (action, _) in db.sequence(table) {
        if let Some(&ty) = types.get(action.as_str()) {
            if ty & IN_SCRIPT != 0 {
                out.push(Finding::error(
                    "ICE77",
                    table,
                    action.as_str(),
                    Some("Sequence"),
                    format!(
                        "{} custom action in a UI sequence, which has no installation script; move it to InstallExecuteSequence",
                        super::custom_actions::script_kind(ty)
                    ),
                ));
            }
        }
    }
}

/// Pairs of standard actions where the first must run before the second whenever both are
/// sequenced (each pair is a "sequence restriction" in the action's MSI SDK page: the costing
/// actions, the script boundaries, files before the services and duplicates that use them).
const ORDER: &[(&str, &str)] = &[
    ("AppSearch", "CostInitialize"),
    ("CCPSearch", "CostInitialize"),
    ("RMCCPSearch", "CostInitialize"),
    ("FindRelatedProducts", "MigrateFeatureStates"),
    ("CostInitialize", "FileCost"),
    ("FileCost", "CostFinalize"),
    ("CostFinalize", "MigrateFeatureStates"),
    ("CostFinalize", "ExecuteAction"),
    ("CostFinalize", "InstallValidate"),
    ("InstallValidate", "InstallInitialize"),
    ("InstallInitialize", "InstallFinalize"),
    ("InstallInitialize", "InstallExecute"),
    ("InstallInitialize", "InstallExecuteAgain"),
    ("RemoveFiles", "InstallFiles"),
    ("InstallFiles", "DuplicateFiles"),
    ("StopServices", "DeleteServices"),
    ("InstallServices", "StartServices"),
    ("InstallFiles", "InstallServices"),
    ("RegisterProduct", "PublishProduct"),
    ("PublishFeatures", "PublishProduct"),
];

/// Standard actions that write the installation script: in an execute sequence they must run
/// between InstallInitialize and InstallFinalize (the execution section of a sequence).
const SCRIPT_ACTIONS: &[&str] = &[
    "AllocateRegistrySpace",
    "ProcessComponents",
    "UnpublishComponents",
    "MsiUnpublishAssemblies",
    "UnpublishFeatures",
    "StopServices",
    "DeleteServices",
    "UnregisterComPlus",
    "SelfUnregModules",
    "UnregisterTypeLibraries",
    "RemoveODBC",
    "UnregisterFonts",
    "RemoveRegistryValues",
    "UnregisterClassInfo",
    "UnregisterExtensionInfo",
    "UnregisterProgIdInfo",
    "UnregisterMIMEInfo",
    "RemoveIniValues",
    "RemoveShortcuts",
    "RemoveEnvironmentStrings",
    "RemoveDuplicateFiles",
    "RemoveFiles",
    "RemoveFolders",
    "CreateFolders",
    "MoveFiles",
    "InstallAdminPackage",
    "InstallFiles",
    "PatchFiles",
    "DuplicateFiles",
    "BindImage",
    "CreateShortcuts",
    "RegisterClassInfo",
    "RegisterExtensionInfo",
    "RegisterProgIdInfo",
    "RegisterMIMEInfo",
    "WriteRegistryValues",
    "WriteIniValues",
    "WriteEnvironmentStrings",
    "RegisterFonts",
    "InstallODBC",
    "RegisterTypeLibraries",
    "SelfRegModules",
    "RegisterComPlus",
    "InstallServices",
    "MsiConfigureServices",
    "StartServices",
    "RegisterUser",
    "RegisterProduct",
    "PublishComponents",
    "MsiPublishAssemblies",
    "PublishFeatures",
    "PublishProduct",
];

/// Standard actions of the search, costing and selection sections: they must run before the
/// script starts (before InstallInitialize).
const BEFORE_SCRIPT_ACTIONS: &[&str] = &[
    "FindRelatedProducts",
    "AppSearch",
    "LaunchConditions",
    "CCPSearch",
    "RMCCPSearch",
    "ValidateProductID",
    "CostInitialize",
    "FileCost",
    "IsolateComponents",
    "CostFinalize",
    "SetODBCFolders",
    "MigrateFeatureStates",
    "InstallValidate",
];

/// ICE27: the standard actions keep their required relative order and sections.
fn ice27(db: &Db, table: &str, out: &mut Vec<Finding>) {
    let seq: BTreeMap<String, i32> = db.sequence(table).into_iter().collect();
    for (first, second) in ORDER {
        if let (Some(a), Some(b)) = (seq.get(*first), seq.get(*second)) {
            if a >= b {
                out.push(Finding::error(
                    "ICE27",
                    table,
                    *second,
                    Some("Sequence"),
                    format!("{second} ({b}) must come after {first} ({a})"),
                ));
            }
        }
    }
    if !table.ends_with("ExecuteSequence") {
        for action in SCRIPT_ACTIONS {
            if seq.contains_key(*action) {
                out.push(Finding::error(
                    "ICE27",
                    table,
                    *action,
                    Some("Sequence"),
                    format!("{action} writes the installation script and belongs in an execute sequence, not {table}"),
                ));
            }
        }
        return;
    }
    let (Some(&init), Some(&fin)) = (seq.get("InstallInitialize"), seq.get("InstallFinalize")) else {
        for action in SCRIPT_ACTIONS {
            if seq.contains_key(*action) {
                out.push(Finding::error(
                    "ICE27",
                    table,
                    *action,
                    Some("Sequence"),
                    format!("{action} needs InstallInitialize and InstallFinalize in {table}, which are missing"),
                ));
            }
        }
        return;
    };
    for action in SCRIPT_ACTIONS {
        if let Some(&s) = seq.get(*action) {
            if s <= init || s >= fin {
                out.push(Finding::error(
                    "ICE27",
                    table,
                    *action,
                    Some("Sequence"),
                    format!("{action} ({s}) must be between InstallInitialize ({init}) and InstallFinalize ({fin})"),
                ));
            }
        }
    }
    for action in BEFORE_SCRIPT_ACTIONS {
        if let Some(&s) = seq.get(*action) {
            if s >= init {
                out.push(Finding::error(
                    "ICE27",
                    table,
                    *action,
                    Some("Sequence"),
                    format!("{action} ({s}) must come before InstallInitialize ({init})"),
                ));
            }
        }
    }
}

/// ICE63: RemoveExistingProducts may run between InstallValidate and InstallInitialize, right
/// after InstallInitialize, InstallExecute or InstallExecuteAgain, or after InstallFinalize.
fn ice63(db: &Db, out: &mut Vec<Finding>) {
    const TABLE: &str = "InstallExecuteSequence";
    const REP: &str = "RemoveExistingProducts";
    let actions = db.sequence(TABLE);
    let Some(&(_, rep)) = actions.iter().find(|(a, _)| a == REP) else { return };
    let at = |name: &str| actions.iter().find(|(a, _)| a == name).map(|(_, s)| *s);
    let (Some(validate), Some(init), Some(fin)) =
        (at("InstallValidate"), at("InstallInitialize"), at("InstallFinalize"))
    else {
        out.push(Finding::error(
            "ICE63",
            TABLE,
            REP,
            Some("Sequence"),
            "RemoveExistingProducts is sequenced but InstallValidate, InstallInitialize or InstallFinalize is missing",
        ));
        return;
    };
    if rep <= validate {
        out.push(Finding::error(
            "ICE63",
            TABLE,
            REP,
            Some("Sequence"),
            format!("RemoveExistingProducts ({rep}) runs before InstallValidate ({validate}); move it after InstallValidate"),
        ));
    } else if rep > init && rep < fin {
        let previous = actions.iter().rev().find(|(_, s)| *s < rep).map(|(a, _)| a.as_str()).unwrap_or("");
        if !matches!(previous, "InstallInitialize" | "InstallExecute" | "InstallExecuteAgain") {
            out.push(Finding::error(
                "ICE63",
                TABLE,
                REP,
                Some("Sequence"),
                format!(
                    "RemoveExistingProducts ({rep}) runs inside the script right after '{previous}'; inside the script it must \
                     follow InstallInitialize, InstallExecute or InstallExecuteAgain immediately, or the removal is mixed \
                     with this install's script operations"
                ),
            ));
        }
    } else if rep > fin {
        out.push(Finding::warning(
            "ICE63",
            TABLE,
            REP,
            Some("Sequence"),
            format!(
                "RemoveExistingProducts ({rep}) runs after InstallFinalize ({fin}): the old version is removed outside \
                 this install's transaction, so a failed removal cannot roll the upgrade back (wixl places it here; \
                 WiX's MajorUpgrade default is right after InstallValidate)"
            ),
        ));
    }
}

/// ICE77: a deferred, rollback or commit custom action only runs from the script, which exists
/// between InstallInitialize and InstallFinalize; anywhere else it never runs (or fails).
fn ice77(db: &Db, table: &str, out: &mut Vec<Finding>) {
    let types: BTreeMap<&str, i32> =
        db.rows("CustomAction").filter_map(|r| Some((r.str("Action")?, r.int("Type")?))).collect();
    let seq: BTreeMap<String, i32> = db.sequence(table).into_iter().collect();
    let init = seq.get("InstallInitialize").copied();
    let fin = seq.get("InstallFinalize").copied();
    for (action, &s) in &seq {
        let Some(&ty) = types.get(action.as_str()) else { continue };
        if ty & IN_SCRIPT == 0 {
            continue;
        }
        let kind = super::custom_actions::script_kind(ty);
        match (init, fin) {
            (Some(init), Some(fin)) if s > init && s < fin => {}
            (Some(init), Some(fin)) => out.push(Finding::error(
                "ICE77",
                table,
                action.as_str(),
                Some("Sequence"),
                format!(
                    "{kind} custom action at {s} is outside InstallInitialize ({init}) .. InstallFinalize ({fin}), \
                     so it never runs; sequence it between them"
                ),
            )),
            _ => out.push(Finding::error(
                "ICE77",
                table,
                action.as_str(),
                Some("Sequence"),
                format!("{kind} custom action in a sequence without InstallInitialize and InstallFinalize never runs"),
            )),
        }
    }
}

/// ICE82 (MSI SDK "ICE82"), numbers: two actions at one position have no defined order between
/// them (a warning, as ICE82 posts it); two actions on one termination flag break the sequence
/// table's rule that each flag belongs to at most one action (an error: which one runs when the
/// installation ends that way is undefined).
fn ice82_numbers(db: &Db, table: &str, out: &mut Vec<Finding>) {
    let actions = db.sequence(table);
    for w in actions.windows(2) {
        let ((first, n), (second, m)) = (&w[0], &w[1]);
        if n != m {
            continue;
        }
        if *n > 0 {
            out.push(Finding::warning(
                "ICE82",
                table,
                second.as_str(),
                Some("Sequence"),
                format!("{second} has the same sequence number {n} as {first}: the order between them is undefined"),
            ));
        } else if TERMINATION_FLAGS.contains(n) {
            out.push(Finding::error(
                "ICE82",
                table,
                second.as_str(),
                Some("Sequence"),
                format!("{second} and {first} both take termination flag {n}, which belongs to at most one action"),
            ));
        }
    }
}

/// ICE82, registration: RegisterProduct, RegisterUser, PublishProduct and PublishFeatures come
/// together in InstallExecuteSequence: all four absent is a warning (the product is not
/// registered, so it cannot be repaired, upgraded or removed), some of them absent an error.
fn ice82_registration(db: &Db, out: &mut Vec<Finding>) {
    const TABLE: &str = "InstallExecuteSequence";
    const FOUR: [&str; 4] = ["RegisterProduct", "RegisterUser", "PublishProduct", "PublishFeatures"];
    if db.table(TABLE).is_none() {
        return;
    }
    let actions = db.sequence(TABLE);
    let (present, missing): (Vec<&str>, Vec<&str>) = FOUR.iter().partition(|a| actions.iter().any(|(x, _)| x == *a));
    if missing.is_empty() {
        return;
    }
    let missing_list = missing.join(", ");
    if present.is_empty() {
        out.push(Finding::warning(
            "ICE82",
            TABLE,
            FOUR[0],
            None,
            format!("none of {missing_list} is sequenced: the product is not registered with Windows Installer"),
        ));
    } else {
        out.push(Finding::error(
            "ICE82",
            TABLE,
            missing[0],
            None,
            format!("{} sequenced without {missing_list}: these four come together or not at all", present.join(", ")),
        ));
    }
}
