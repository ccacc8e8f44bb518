//! Component checks: duplicate component GUIDs (ICE08), components outside every feature (ICE21),
//! a file installed twice into one folder (ICE30).

use std::collections::{BTreeMap, BTreeSet};

use super::db::Db;
use super::Finding;

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    ice08(db, out);
    ice21(db, out);
    ice30(db, out);
}

/// ICE08: two components with the same `ComponentId` GUID would share one installation state
/// (and one reference count) on the target machine.
fn ice08(db: &Db, out: &mut Vec<Finding>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for row in db.rows("Component") {
        let (Some(component), Some(guid)) = (row.str("Component"), row.str("ComponentId")) else {
            continue;
        };
        match seen.get(&guid.to_ascii_uppercase()) {
            Some(first) => out.push(Finding::error(
                "ICE08",
                "Component",
                component,
                Some("ComponentId"),
                format!(
                    "component GUID {guid} is also used by component '{first}'; every component \
                     needs its own GUID"
                ),
            )),
            None => {
                seen.insert(guid.to_ascii_uppercase(), component.to_owned());
            }
        }
    }
}

/// ICE21: a component that belongs to no feature is never installed.
fn ice21(db: &Db, out: &mut Vec<Finding>) {
    let in_feature: BTreeSet<&str> = db.rows("FeatureComponents").filter_map(|r| r.str("Component_")).collect();
    for row in db.rows("Component") {
        let Some(component) = row.str("Component") else { continue };
        if !in_feature.contains(component) {
            out.push(Finding::error(
                "ICE21",
                "Component",
                component,
                None,
                "the component belongs to no feature (no FeatureComponents row), so it is never \
                 installed; add a ComponentRef to a Feature",
            ));
        }
    }
}

/// The long name of a `Filename`/`DefaultDir` value (`short|long` -> `long`), lower-cased
/// (file names on Windows compare case-insensitively).
fn long_name(name: &str) -> String {
    name.rsplit('|').next().unwrap_or(name).to_lowercase()
}

/// The short name of a `short|long` value, when it has one.
fn short_name(name: &str) -> Option<String> {
    name.split_once('|').map(|(short, _)| short.to_lowercase())
}

/// A directory's target path built from names (`TARGETDIR/pfiles/vmware/...`), lower-cased, so that
/// two `Directory` rows that resolve to the same folder compare equal.
fn directory_paths(db: &Db) -> BTreeMap<String, String> {
    let mut parents: BTreeMap<&str, (Option<&str>, &str)> = BTreeMap::new();
    for row in db.rows("Directory") {
        if let Some(dir) = row.str("Directory") {
            parents.insert(dir, (row.str("Directory_Parent"), row.str("DefaultDir").unwrap_or(".")));
        }
    }
    let mut paths = BTreeMap::new();
    for &dir in parents.keys() {
        let mut parts = Vec::new();
        let mut current = dir;
        // Guard against a parent cycle (itself an ICE03-style error, reported elsewhere).
        for _ in 0..=parents.len() {
            match parents.get(current) {
                Some((Some(parent), default_dir)) if *parent != current => {
                    let target = default_dir.split(':').next().unwrap_or(default_dir);
                    let name = long_name(target);
                    if name != "." {
                        parts.push(name);
                    }
                    current = parent;
                }
                _ => {
                    parts.push(current.to_owned());
                    break;
                }
            }
        }
        parts.reverse();
        paths.insert(dir.to_owned(), parts.join("/"));
    }
    paths
}

/// ICE30: two `File` rows that land on the same path overwrite each other and break reference
/// counting on uninstall.
fn ice30(db: &Db, out: &mut Vec<Finding>) {
    let paths = directory_paths(db);
    let components: BTreeMap<&str, (Option<&str>, Option<&str>)> = db
        .rows("Component")
        .filter_map(|r| Some((r.str("Component")?, (r.str("Directory_"), r.str("Condition")))))
        .collect();
    // (folder, name) -> first file key
    let mut seen: BTreeMap<(String, String), (String, Option<&str>)> = BTreeMap::new();
    for row in db.rows("File") {
        let (Some(file), Some(component), Some(name)) = (row.str("File"), row.str("Component_"), row.str("FileName"))
        else {
            continue;
        };
        let Some((Some(dir), condition)) = components.get(component) else { continue };
        let folder = paths.get(*dir).cloned().unwrap_or_else(|| dir.to_string());
        let mut names = vec![long_name(name)];
        names.extend(short_name(name));
        for name in names {
            let key = (folder.clone(), name.clone());
            if let Some((first, first_condition)) = seen.get(&key) {
                if first == file {
                    continue;
                }
                let message = format!(
                    "file '{name}' is also installed into the same folder ({folder}) by file \
                     '{first}'; the two overwrite each other"
                );
                // Two conditioned components may be mutually exclusive: only a warning then.
                if condition.is_some() && first_condition.is_some() {
                    out.push(Finding::warning("ICE30", "File", file, Some("FileName"), message));
                } else {
                    out.push(Finding::error("ICE30", "File", file, Some("FileName"), message));
                }
            } else {
                seen.insert(key, (file.to_owned(), *condition));
            }
        }
    }
}
