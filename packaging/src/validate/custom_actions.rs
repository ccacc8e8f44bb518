//! Custom actions: valid `Type` values (ICE68) and, for DLL actions stored in the `Binary` table,
//! that the `DllEntry` (the `Target` column) is exported by the DLL (project rule `dll-entry`).

use std::collections::BTreeSet;

use object::Object;

use super::db::Db;
use super::Finding;

// The type bits are declared once, in `crate::tables::ca_bits`.
use crate::tables::ca_bits::{ASYNC, COMMIT, CONTINUE, NO_IMPERSONATE, ROLLBACK, SCRIPT_64 as SCRIPT_64BIT, TS_AWARE};
pub(super) use crate::tables::ca_bits::{BASE_MASK, HIDE_TARGET, IN_SCRIPT};

/// The base types Windows Installer defines (MSI SDK, "Summary List of All Custom Action Types").
const VALID_BASE_TYPES: [i32; 20] = [1, 2, 5, 6, 7, 17, 18, 19, 21, 22, 23, 34, 35, 37, 38, 39, 50, 51, 53, 54];
/// Base types that run an executable (the only ones that may be async without waiting).
const EXE_TYPES: [i32; 4] = [2, 18, 34, 50];
/// Base types that run a script (the only ones where the 64-bit script bit means anything).
const SCRIPT_TYPES: [i32; 8] = [5, 6, 21, 22, 37, 38, 53, 54];
/// Base types the installer performs itself: error message, set directory, set property.
const BUILTIN_TYPES: [i32; 3] = [19, 35, 51];

/// "deferred", "rollback" or "commit" for an in-script action's type.
pub(super) fn script_kind(ty: i32) -> &'static str {
    match ty & (ROLLBACK | COMMIT) {
        ROLLBACK => "rollback",
        COMMIT => "commit",
        _ => "deferred",
    }
}

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    ice68(db, out);
    dll_entry(db, out);
}

/// ICE68: the `Type` column is a valid combination of a base type and option bits.
fn ice68(db: &Db, out: &mut Vec<Finding>) {
    for row in db.rows("CustomAction") {
        let Some(action) = row.str("Action") else { continue };
        let Some(ty) = row.int("Type") else { continue };
        let base = ty & BASE_MASK;
        let mut error = |why: String| {
            out.push(Finding::error(
                "ICE68",
                "CustomAction",
                action,
                Some("Type"),
                format!("type {ty} (0x{ty:X}): {why}"),
            ))
        };
        if !VALID_BASE_TYPES.contains(&base) {
            error(format!("base type {base} is not a Windows Installer custom action type"));
            continue;
        }
        let in_script = ty & IN_SCRIPT != 0;
        if in_script && ty & (ROLLBACK | COMMIT) == ROLLBACK | COMMIT {
            error("rollback and commit bits are both set".into());
        }
        if in_script && BUILTIN_TYPES.contains(&base) && base != 19 {
            error(format!("base type {base} is performed by the installer at once and cannot be deferred"));
        }
        if ty & ASYNC != 0 && BUILTIN_TYPES.contains(&base) {
            error(format!("base type {base} cannot run asynchronously"));
        }
        if ty & (ASYNC | CONTINUE) == ASYNC | CONTINUE && !EXE_TYPES.contains(&base) {
            error("asynchronous without waiting is only possible for executables".into());
        }
        if ty & SCRIPT_64BIT != 0 && !SCRIPT_TYPES.contains(&base) {
            error("the 64-bit script bit is set on an action that is not a script".into());
        }
        if !in_script && ty & NO_IMPERSONATE != 0 {
            out.push(Finding::warning(
                "ICE68",
                "CustomAction",
                action,
                Some("Type"),
                format!("type {ty} (0x{ty:X}): no-impersonate has no effect on an immediate action, which always runs as the user"),
            ));
        }
        if !in_script && ty & TS_AWARE != 0 {
            out.push(Finding::warning(
                "ICE68",
                "CustomAction",
                action,
                Some("Type"),
                format!("type {ty} (0x{ty:X}): the terminal-server-aware bit only applies to deferred actions"),
            ));
        }
    }
}

/// The names a PE image exports, or why it is not a PE DLL.
pub fn pe_exports(data: &[u8]) -> Result<BTreeSet<String>, String> {
    let file = object::File::parse(data).map_err(|e| format!("not an executable image ({e})"))?;
    if !matches!(file.format(), object::BinaryFormat::Pe) {
        return Err(format!("a {:?} image, not a Windows PE DLL", file.format()));
    }
    let exports = file.exports().map_err(|e| format!("unreadable export table ({e})"))?;
    Ok(exports.iter().map(|e| String::from_utf8_lossy(e.name()).into_owned()).collect())
}

/// Project rule `dll-entry`: every type-1 action (DLL stored in `Binary`) names a `Binary` row
/// whose stream is a PE DLL exporting the action's `DllEntry`. Windows Installer only finds out at
/// install time (error 1723); under Wine a missing entry is silently skipped.
fn dll_entry(db: &Db, out: &mut Vec<Finding>) {
    let mut cache: std::collections::BTreeMap<&str, Result<BTreeSet<String>, String>> = Default::default();
    for row in db.rows("CustomAction") {
        let (Some(action), Some(ty)) = (row.str("Action"), row.int("Type")) else { continue };
        if ty & BASE_MASK != 1 {
            continue;
        }
        let Some(binary) = row.str("Source") else {
            out.push(Finding::error(
                "dll-entry",
                "CustomAction",
                action,
                Some("Source"),
                "a DLL action without a Binary row",
            ));
            continue;
        };
        let entry = row.str("Target").unwrap_or("");
        let exports = cache.entry(binary).or_insert_with(|| match db.binaries.get(binary) {
            None => Err(format!("Binary row '{binary}' does not exist")),
            Some(None) => Err(format!("the stream of Binary row '{binary}' is missing")),
            Some(Some(data)) => pe_exports(data).map_err(|why| format!("Binary row '{binary}' is {why}")),
        });
        match exports {
            Err(why) => out.push(Finding::error("dll-entry", "CustomAction", action, Some("Source"), why.clone())),
            Ok(names) if !names.contains(entry) => {
                let mut known: Vec<&str> = names.iter().map(String::as_str).collect();
                known.truncate(20);
                out.push(Finding::error(
                    "dll-entry",
                    "CustomAction",
                    action,
                    Some("Target"),
                    format!(
                        "DllEntry '{entry}' is not exported by Binary '{binary}' (exports: {})",
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    ),
                ))
            }
            Ok(_) => {}
        }
    }
}
