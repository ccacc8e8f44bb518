//! The standard actions and their sequence numbers, and the resolution of `Before`/`After`
//! placement into sequence numbers.
//!
//! Numbers and conditions: the MSI SDK "Suggested InstallExecuteSequence" (and UI, Admin, Advt)
//! pages, as listed by WiX v3 in `reference/wix3/actions.xml`. Which standard actions are
//! emitted depends on the tables present, as WiX's linker does.

use super::error::Error;
use super::model::{Loc, Placement, ScheduledAction};
use crate::tables::TERMINATION_FLAGS;
use std::collections::{BTreeMap, BTreeSet};

/// Sequence tables, with their short tags used in [`STANDARD`].
pub const SEQUENCE_TABLES: &[&str] =
    &["InstallExecuteSequence", "InstallUISequence", "AdminExecuteSequence", "AdminUISequence", "AdvtExecuteSequence"];

const IE: u8 = 1; // InstallExecuteSequence
const IU: u8 = 2; // InstallUISequence
const AE: u8 = 4; // AdminExecuteSequence
const AU: u8 = 8; // AdminUISequence
const AV: u8 = 16; // AdvtExecuteSequence

fn table_bit(table: &str) -> u8 {
    match table {
        "InstallExecuteSequence" => IE,
        "InstallUISequence" => IU,
        "AdminExecuteSequence" => AE,
        "AdminUISequence" => AU,
        _ => AV,
    }
}

/// When a standard action is emitted by default.
#[derive(Clone, Copy)]
enum When {
    /// Always (the core of every package).
    Always,
    /// When any of these tables has rows.
    Tables(&'static [&'static str]),
    /// Only when scheduled explicitly (e.g. `<InstallExecute/>` in a sequence).
    Explicit,
}

/// (action, sequence, condition, tables it belongs to, when emitted by default).
const STANDARD: &[(&str, i32, Option<&str>, u8, When)] = &[
    ("FindRelatedProducts", 25, None, IE | IU, When::Tables(&["Upgrade"])),
    ("AppSearch", 50, None, IE | IU, When::Tables(&["AppSearch"])),
    ("LaunchConditions", 100, None, IE | IU | AE | AU, When::Tables(&["LaunchCondition"])),
    ("CCPSearch", 500, Some("NOT Installed"), IE | IU, When::Explicit),
    ("RMCCPSearch", 600, Some("NOT Installed"), IE | IU, When::Explicit),
    ("ValidateProductID", 700, None, IE | IU, When::Always),
    ("CostInitialize", 800, None, IE | IU | AE | AU | AV, When::Always),
    ("FileCost", 900, None, IE | IU | AE | AU, When::Always),
    ("IsolateComponents", 950, None, IE | IU, When::Explicit),
    ("CostFinalize", 1000, None, IE | IU | AE | AU | AV, When::Always),
    ("SetODBCFolders", 1100, None, IE, When::Explicit),
    ("MigrateFeatureStates", 1200, None, IE | IU, When::Tables(&["Upgrade"])),
    ("ExecuteAction", 1300, None, IU | AU, When::Always),
    ("InstallValidate", 1400, None, IE | AE | AV, When::Always),
    ("InstallInitialize", 1500, None, IE | AE | AV, When::Always),
    ("AllocateRegistrySpace", 1550, Some("NOT Installed"), IE, When::Explicit),
    ("ProcessComponents", 1600, None, IE, When::Always),
    ("UnpublishComponents", 1700, None, IE, When::Explicit),
    ("MsiUnpublishAssemblies", 1750, None, IE, When::Explicit),
    ("UnpublishFeatures", 1800, None, IE, When::Always),
    ("StopServices", 1900, Some("VersionNT"), IE, When::Tables(&["ServiceControl"])),
    ("DeleteServices", 2000, Some("VersionNT"), IE, When::Tables(&["ServiceControl"])),
    ("UnregisterComPlus", 2100, None, IE, When::Explicit),
    ("SelfUnregModules", 2200, None, IE, When::Explicit),
    ("UnregisterTypeLibraries", 2300, None, IE, When::Explicit),
    ("RemoveODBC", 2400, None, IE, When::Explicit),
    ("UnregisterFonts", 2500, None, IE, When::Explicit),
    ("RemoveRegistryValues", 2600, None, IE, When::Tables(&["Registry", "RemoveRegistry"])),
    ("UnregisterClassInfo", 2700, None, IE, When::Explicit),
    ("UnregisterExtensionInfo", 2800, None, IE, When::Explicit),
    ("UnregisterProgIdInfo", 2900, None, IE, When::Explicit),
    ("UnregisterMIMEInfo", 3000, None, IE, When::Explicit),
    ("RemoveIniValues", 3100, None, IE, When::Tables(&["IniFile", "RemoveIniFile"])),
    ("RemoveShortcuts", 3200, None, IE, When::Tables(&["Shortcut"])),
    ("RemoveEnvironmentStrings", 3300, None, IE, When::Tables(&["Environment"])),
    ("RemoveDuplicateFiles", 3400, None, IE, When::Explicit),
    ("RemoveFiles", 3500, None, IE, When::Tables(&["File", "RemoveFile"])),
    ("RemoveFolders", 3600, None, IE, When::Tables(&["CreateFolder", "RemoveFile"])),
    ("CreateFolders", 3700, None, IE, When::Tables(&["CreateFolder"])),
    ("MoveFiles", 3800, None, IE, When::Explicit),
    ("InstallAdminPackage", 3900, None, AE, When::Always),
    ("InstallFiles", 4000, None, IE | AE, When::Tables(&["File"])),
    ("PatchFiles", 4090, None, IE | AE, When::Explicit),
    ("DuplicateFiles", 4210, None, IE, When::Explicit),
    ("BindImage", 4300, None, IE, When::Explicit),
    ("CreateShortcuts", 4500, None, IE | AV, When::Tables(&["Shortcut"])),
    ("RegisterClassInfo", 4600, None, IE | AV, When::Explicit),
    ("RegisterExtensionInfo", 4700, None, IE | AV, When::Explicit),
    ("RegisterProgIdInfo", 4800, None, IE | AV, When::Explicit),
    ("RegisterMIMEInfo", 4900, None, IE | AV, When::Explicit),
    ("WriteRegistryValues", 5000, None, IE, When::Tables(&["Registry"])),
    ("WriteIniValues", 5100, None, IE, When::Tables(&["IniFile", "RemoveIniFile"])),
    ("WriteEnvironmentStrings", 5200, None, IE, When::Tables(&["Environment"])),
    ("RegisterFonts", 5300, None, IE, When::Explicit),
    ("InstallODBC", 5400, None, IE, When::Explicit),
    ("RegisterTypeLibraries", 5500, None, IE, When::Explicit),
    ("SelfRegModules", 5600, None, IE, When::Explicit),
    ("RegisterComPlus", 5700, None, IE, When::Explicit),
    ("InstallServices", 5800, Some("VersionNT"), IE, When::Tables(&["ServiceInstall"])),
    ("MsiConfigureServices", 5850, Some("VersionNT>=600"), IE, When::Explicit),
    ("StartServices", 5900, Some("VersionNT"), IE, When::Tables(&["ServiceControl"])),
    ("RegisterUser", 6000, None, IE, When::Always),
    ("RegisterProduct", 6100, None, IE, When::Always),
    ("PublishComponents", 6200, None, IE | AV, When::Explicit),
    ("MsiPublishAssemblies", 6250, None, IE | AV, When::Explicit),
    ("PublishFeatures", 6300, None, IE | AV, When::Always),
    ("PublishProduct", 6400, None, IE | AV, When::Always),
    ("InstallExecute", 6500, Some("NOT Installed"), IE, When::Explicit),
    ("InstallExecuteAgain", 6550, Some("NOT Installed"), IE, When::Explicit),
    ("InstallFinalize", 6600, None, IE | AE | AV, When::Always),
];

/// Standard actions without a standard number (placed only where the author says).
const UNNUMBERED: &[&str] = &[
    "RemoveExistingProducts",
    "ScheduleReboot",
    "ForceReboot",
    "ResolveSource",
    "DisableRollback",
    "InstallSFPCatalogFile",
    "MsiConfigureServices",
    "StartServices",
    "SetODBCFolders",
    "InstallODBC",
];

/// Whether `name` is a standard action (so it may appear as an element in a sequence).
pub fn is_standard_action(name: &str) -> bool {
    STANDARD.iter().any(|s| s.0 == name) || UNNUMBERED.contains(&name)
}

fn standard_number(name: &str) -> Option<(i32, Option<&'static str>)> {
    STANDARD.iter().find(|s| s.0 == name).map(|s| (s.1, s.2))
}

/// One resolved row of a sequence table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceRow {
    /// Action name.
    pub action: String,
    /// Condition.
    pub condition: Option<String>,
    /// Sequence number.
    pub sequence: i32,
}

/// The largest number the Sequence column holds: it is an Integer column (MSI SDK
/// "InstallExecuteSequence Table"), a 16-bit integer ("Column Data Types"), whose smallest value
/// -32768 is the null marker, so -32767..=32767.
const LAST_POSITION: i32 = i16::MAX as i32;

fn fits_sequence_column(n: i32) -> bool {
    (-LAST_POSITION..=LAST_POSITION).contains(&n)
}

/// Resolves every sequence table: default standard actions (for the tables with rows), the
/// author's scheduled actions, and `Before`/`After` chains. Returns table -> rows by sequence.
pub fn resolve(
    scheduled: &[ScheduledAction],
    tables_with_rows: &BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<SequenceRow>>, Error> {
    let mut out = BTreeMap::new();
    for &table in SEQUENCE_TABLES {
        let bit = table_bit(table);
        // action -> (placement, condition, loc)
        let mut entries: BTreeMap<String, (Placement, Option<String>, Option<Loc>)> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for &(name, _, cond, tabs, when) in STANDARD {
            if tabs & bit == 0 {
                continue;
            }
            let on = match when {
                When::Always => true,
                When::Tables(ts) => ts.iter().any(|t| tables_with_rows.contains(*t)),
                When::Explicit => false,
            };
            if on {
                entries.insert(name.to_string(), (Placement::Default, cond.map(str::to_string), None));
                order.push(name.to_string());
            }
        }
        let mine: Vec<&ScheduledAction> = scheduled.iter().filter(|s| s.table == table).collect();
        if mine.is_empty() && !entries.contains_key("CostInitialize") {
            continue;
        }
        for s in &mine {
            let std = standard_number(&s.action);
            if s.placement == Placement::Default && std.is_none() {
                return Err(s
                    .loc
                    .error(format!("{} has no standard sequence number; give After, Before or Sequence", s.action)));
            }
            if let Some((_, _, Some(first))) = entries.get(&s.action) {
                if s.placement != Placement::Default {
                    return Err(s.loc.error(format!("{} is scheduled twice in {table} (first at {first})", s.action)));
                }
                continue;
            }
            let cond = s.condition.clone().or_else(|| std.and_then(|x| x.1).map(str::to_string));
            if !entries.contains_key(&s.action) {
                order.push(s.action.clone());
            }
            entries.insert(s.action.clone(), (s.placement.clone(), cond, Some(s.loc.clone())));
        }
        entries.retain(|_, e| e.0 != Placement::Suppress);
        // A standard action used as an anchor is pulled in at its standard number (as WiX
        // does), e.g. `After="InstallExecute"` adds InstallExecute.
        let anchors: Vec<String> = entries
            .values()
            .filter_map(|e| match &e.0 {
                Placement::After(x) | Placement::Before(x) => Some(x.clone()),
                _ => None,
            })
            .collect();
        for x in anchors {
            if entries.contains_key(&x) {
                continue;
            }
            if let Some(&(name, _, cond, tabs, _)) = STANDARD.iter().find(|s| s.0 == x) {
                if tabs & bit != 0 {
                    entries.insert(name.to_string(), (Placement::Default, cond.map(str::to_string), None));
                    order.push(name.to_string());
                }
            }
        }
        order.retain(|a| entries.contains_key(a));
        // Absolute numbers first.
        let mut seq: BTreeMap<String, i32> = BTreeMap::new();
        for a in &order {
            match &entries[a].0 {
                Placement::Sequence(n) => {
                    if !fits_sequence_column(*n) {
                        let loc = entries[a].2.clone().expect("numbers come from sources");
                        return Err(loc.error(format!(
                            "{a} has sequence {n} in {table}, outside {}..={LAST_POSITION}, what the Sequence column (a 16-bit Integer) holds",
                            -LAST_POSITION
                        )));
                    }
                    seq.insert(a.clone(), *n);
                }
                Placement::Default => {
                    seq.insert(a.clone(), standard_number(a).expect("checked").0);
                }
                _ => {}
            }
        }
        // Relative placements: children of each anchor, in authoring order.
        let mut after: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut before: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in &order {
            let (p, _, loc) = &entries[a];
            let (map, anchor) = match p {
                Placement::After(x) => (&mut after, x),
                Placement::Before(x) => (&mut before, x),
                _ => continue,
            };
            if !entries.contains_key(anchor) {
                let loc = loc.clone().expect("relative placements come from sources");
                return Err(loc.error(format!("{a} is scheduled relative to {anchor}, which is not in {table}")));
            }
            map.entry(anchor.clone()).or_default().push(a.clone());
        }
        // Expand chains into execution order, keeping authoring order among siblings: the
        // actions after `x` are, for each child k in order, (what runs before k, k, what runs
        // after k); likewise before `x`. Each relative action has exactly one anchor and a
        // numbered action has none, so what hangs below a numbered action is a tree: a cycle
        // (A after B, B after A) is never reached from one, and its actions are reported as
        // unplaced below. An explicit stack instead of recursion: a chain as long as the
        // Sequence column allows (i2, up to 32767) cannot exhaust the thread's stack.
        enum Step<'a> {
            Expand(&'a str, bool),
            Emit(&'a str),
        }
        fn expand<'a>(
            x: &'a str,
            after: &'a BTreeMap<String, Vec<String>>,
            before: &'a BTreeMap<String, Vec<String>>,
            dir_after: bool,
        ) -> Vec<String> {
            let mut out = Vec::new();
            let mut stack = vec![Step::Expand(x, dir_after)];
            while let Some(step) = stack.pop() {
                match step {
                    Step::Emit(k) => out.push(k.to_string()),
                    Step::Expand(x, dir_after) => {
                        let kids = if dir_after { after.get(x) } else { before.get(x) };
                        // Pushed in reverse so that they pop in authoring order.
                        for k in kids.into_iter().flatten().rev() {
                            stack.push(Step::Expand(k, true));
                            stack.push(Step::Emit(k));
                            stack.push(Step::Expand(k, false));
                        }
                    }
                }
            }
            out
        }
        let absolutes: Vec<(String, i32)> = {
            let mut v: Vec<(String, i32)> = seq.iter().map(|(a, n)| (a.clone(), *n)).collect();
            v.sort_by_key(|x| x.1);
            v
        };
        for (a, n) in &absolutes {
            let after_list = expand(a, &after, &before, true);
            let before_list = expand(a, &after, &before, false);
            // A negative number is a termination flag or "never run": no position, so nothing
            // runs right before or after it (WiX v3 refuses this too). Placing the action anyway
            // would give it 0 or a negative number: never run, silently.
            if *n < 0 {
                if let Some(x) = before.get(a).into_iter().chain(after.get(a)).flatten().next() {
                    let loc = entries[x].2.clone().expect("relative placements come from sources");
                    return Err(loc.error(format!(
                        "{x} is placed relative to {a}, which has the negative sequence number {n} in {table} \
                         (a termination flag or never run): nothing runs right before or after it; give {x} \
                         a position of its own"
                    )));
                }
            }
            let next = absolutes.iter().map(|x| x.1).filter(|m| m > n).min();
            let prev = absolutes.iter().map(|x| x.1).filter(|m| m < n).max();
            for (i, x) in after_list.iter().enumerate() {
                let s = n + 1 + i as i32;
                let past_end = s > LAST_POSITION;
                if next.is_some_and(|m| s >= m) || past_end || seq.contains_key(x) {
                    let loc = entries[x].2.clone().expect("relative placements come from sources");
                    let why = if past_end {
                        format!(": it would take {s}, past {LAST_POSITION}, the largest the Sequence column holds")
                    } else {
                        String::new()
                    };
                    return Err(loc.error(format!("no room to schedule {x} after {a} ({n}) in {table}{why}")));
                }
                seq.insert(x.clone(), s);
            }
            let len = before_list.len() as i32;
            for (i, x) in before_list.iter().enumerate() {
                let s = n - len + i as i32;
                if prev.is_some_and(|m| s <= m) || s < 1 || seq.contains_key(x) {
                    let loc = entries[x].2.clone().expect("relative placements come from sources");
                    return Err(loc.error(format!("no room to schedule {x} before {a} ({n}) in {table}")));
                }
                seq.insert(x.clone(), s);
            }
        }
        let mut rows = Vec::new();
        for a in &order {
            let Some(&n) = seq.get(a) else {
                let loc = entries[a].2.clone().expect("unplaced actions are relative");
                return Err(loc.error(format!(
                    "{a} in {table} is placed After/Before a cycle of After/Before placements that never reaches a numbered action"
                )));
            };
            rows.push(SequenceRow { action: a.clone(), condition: entries[a].1.clone(), sequence: n });
        }
        rows.sort_by(|x, y| x.sequence.cmp(&y.sequence).then(x.action.cmp(&y.action)));
        // A positive number is a position (two actions there have no defined order, ICE82); a
        // termination flag belongs to one action (`TERMINATION_FLAGS`).
        let unique = |n: i32| n > 0 || TERMINATION_FLAGS.contains(&n);
        for w in rows.windows(2) {
            if w[0].sequence == w[1].sequence && unique(w[0].sequence) {
                let culprit = entries[&w[1].action].2.clone().or_else(|| entries[&w[0].action].2.clone());
                let msg =
                    format!("{} and {} both have sequence {} in {table}", w[0].action, w[1].action, w[0].sequence);
                return Err(match culprit {
                    Some(l) => l.error(msg),
                    None => Error::Link(msg),
                });
            }
        }
        out.insert(table.to_string(), rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(table: &str, action: &str, p: Placement) -> ScheduledAction {
        ScheduledAction {
            table: table.into(),
            action: action.into(),
            condition: None,
            placement: p,
            loc: Loc { file: PathBuf::from("t.wxs"), line: 1, column: 1 },
        }
    }

    fn num(rows: &[SequenceRow], a: &str) -> i32 {
        rows.iter().find(|r| r.action == a).unwrap_or_else(|| panic!("{a} missing")).sequence
    }

    #[test]
    fn chains_before_and_after() {
        let t = "InstallExecuteSequence";
        let s = vec![
            at(t, "RemoveExistingProducts", Placement::After("InstallValidate".into())),
            at(t, "DeferredA", Placement::After("InstallFiles".into())),
            at(t, "DeferredB", Placement::After("DeferredA".into())),
            at(t, "RollbackA", Placement::Before("DeferredA".into())),
            at(t, "LastOne", Placement::Before("InstallFinalize".into())),
            at(t, "Early", Placement::Sequence(10)),
            at(t, "FirstBefore", Placement::Before("InstallValidate".into())),
            at(t, "SecondBefore", Placement::Before("InstallValidate".into())),
        ];
        let tables: BTreeSet<String> = ["File".to_string()].into();
        let r = resolve(&s, &tables).unwrap();
        let ie = &r[t];
        assert_eq!(num(ie, "RemoveExistingProducts"), 1401);
        assert_eq!(num(ie, "InstallFiles"), 4000);
        assert_eq!(num(ie, "RollbackA"), 4001);
        assert_eq!(num(ie, "DeferredA"), 4002);
        assert_eq!(num(ie, "DeferredB"), 4003);
        assert_eq!(num(ie, "LastOne"), 6599);
        assert_eq!(num(ie, "Early"), 10);
        // Siblings keep their authoring order on both sides of the anchor.
        assert!(
            num(ie, "DeferredB") > num(ie, "InstallInitialize") && num(ie, "DeferredB") < num(ie, "InstallFinalize")
        );
        assert_eq!((num(ie, "FirstBefore"), num(ie, "SecondBefore")), (1398, 1399));
        assert!(!ie.iter().any(|r| r.action == "WriteRegistryValues"));
        assert_eq!(num(&r["InstallUISequence"], "ExecuteAction"), 1300);
    }

    #[test]
    fn standard_anchor_is_pulled_in() {
        let s = vec![at("InstallExecuteSequence", "X", Placement::After("InstallExecute".into()))];
        let r = resolve(&s, &BTreeSet::new()).unwrap();
        let ie = &r["InstallExecuteSequence"];
        assert_eq!(num(ie, "InstallExecute"), 6500);
        assert_eq!(num(ie, "X"), 6501);
        // Not an InstallUISequence action: still an error there.
        let s = vec![at("InstallUISequence", "X", Placement::After("InstallFiles".into()))];
        assert!(resolve(&s, &BTreeSet::new()).is_err());
    }

    #[test]
    fn unknown_anchor_is_an_error() {
        let s = vec![at("InstallExecuteSequence", "X", Placement::After("Nope".into()))];
        let e = resolve(&s, &BTreeSet::new()).unwrap_err().to_string();
        assert!(e.contains("t.wxs:1:1") && e.contains("Nope"), "{e}");
    }
}
