//! Product identity and properties: ProductCode/ProductVersion/ProductLanguage (ICE24), property
//! names differing only by case (ICE46), the Upgrade table (ICE61).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::db::Db;
use super::props::{condition_refs, formatted_refs, is_public};
use super::Finding;

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    ice24(db, out);
    ice46(db, out);
    ice61(db, out);
}

/// True for a GUID in the registry form MSI wants: `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`,
/// upper case (MSI SDK, "GUID" column data type).
pub(super) fn is_msi_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b[0] == b'{'
        && b[37] == b'}'
        && b[1..37].iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
        })
}

/// Parses a product version `major.minor.build[.revision]`; the limits (255, 255, 65535) are the
/// MSI SDK's ("ProductVersion property"). The error says what is wrong.
pub(super) fn parse_version(s: &str) -> Result<Vec<u32>, String> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return Err(format!("'{s}' has {} fields; at most 4 (major.minor.build.revision)", parts.len()));
    }
    let limits = [255u32, 255, 65535, 65535];
    parts
        .iter()
        .zip(limits)
        .enumerate()
        .map(|(i, (part, limit))| {
            let n: u32 = part
                .parse()
                .ok()
                .filter(|_| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| format!("'{s}': field {} ('{part}') is not a number", i + 1))?;
            if n > limit {
                Err(format!("'{s}': field {} is {n}, above its limit {limit}", i + 1))
            } else {
                Ok(n)
            }
        })
        .collect()
}

/// Compares two parsed versions, missing fields counting as 0.
fn compare_versions(a: &[u32], b: &[u32]) -> Ordering {
    (0..4).map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

/// ICE24: the identity properties Windows Installer parses must be well formed.
fn ice24(db: &Db, out: &mut Vec<Finding>) {
    let missing = |name: &str| {
        Finding::error(
            "ICE24",
            "Property",
            name,
            Some("Value"),
            format!("required property {name} is missing or empty"),
        )
    };
    match db.property("ProductCode") {
        None => out.push(missing("ProductCode")),
        Some(code) if !is_msi_guid(code) => out.push(Finding::error(
            "ICE24",
            "Property",
            "ProductCode",
            Some("Value"),
            format!("'{code}' is not a GUID in upper-case registry form {{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}}"),
        )),
        Some(_) => {}
    }
    match db.property("ProductVersion") {
        None => out.push(missing("ProductVersion")),
        Some(version) => {
            if let Err(why) = parse_version(version) {
                out.push(Finding::error("ICE24", "Property", "ProductVersion", Some("Value"), why));
            }
        }
    }
    match db.property("ProductLanguage") {
        None => out.push(missing("ProductLanguage")),
        Some(language) if language.parse::<u16>().is_err() => out.push(Finding::error(
            "ICE24",
            "Property",
            "ProductLanguage",
            Some("Value"),
            format!("'{language}' is not one numeric language id (LANGID, for example 1033)"),
        )),
        Some(_) => {}
    }
}

/// Properties Windows Installer itself sets; a reference differing from one of these by case only is
/// a typo (a short list of the commonly referenced ones, MSI SDK "Property Reference").
const BUILTIN_PROPERTIES: [&str; 16] = [
    "Installed",
    "REMOVE",
    "REINSTALL",
    "UILevel",
    "VersionNT",
    "VersionNT64",
    "Privileged",
    "AdminUser",
    "ProductCode",
    "ProductVersion",
    "UPGRADINGPRODUCTCODE",
    "WIX_UPGRADE_DETECTED",
    "TARGETDIR",
    "ALLUSERS",
    "MsiNTProductType",
    "CustomActionData",
];

/// ICE46: a property referenced with a different case from its definition is a different
/// property (names are case-sensitive), so the reference reads an empty value.
fn ice46(db: &Db, out: &mut Vec<Finding>) {
    let mut defined: BTreeSet<String> = BUILTIN_PROPERTIES.iter().map(|s| s.to_string()).collect();
    let mut define = |name: Option<&str>| {
        if let Some(name) = name {
            defined.insert(name.to_owned());
        }
    };
    for row in db.rows("Property") {
        define(row.str("Property"));
    }
    for row in db.rows("AppSearch") {
        define(row.str("Property"));
    }
    for row in db.rows("Upgrade") {
        define(row.str("ActionProperty"));
    }
    for table in ["Control", "RadioButton", "CheckBox", "ComboBox", "ListBox", "ListView"] {
        for row in db.rows(table) {
            define(row.str("Property"));
        }
    }
    for row in db.rows("CustomAction") {
        if row.int("Type").map(|t| t & 0x3F) == Some(51) {
            define(row.str("Source"));
        }
    }
    for row in db.rows("Directory") {
        define(row.str("Directory"));
    }

    // Two definitions that differ only by case.
    let mut by_folded: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for name in &defined {
        by_folded.entry(name.to_ascii_uppercase()).or_default().push(name);
    }
    for names in by_folded.values().filter(|n| n.len() > 1) {
        for name in &names[1..] {
            if db.property(name).is_some() {
                out.push(Finding::warning(
                    "ICE46",
                    "Property",
                    name.as_str(),
                    Some("Property"),
                    format!("property '{name}' differs only by case from '{}'", names[0]),
                ));
            }
        }
    }

    // References that match a definition only when case is ignored.
    let mut check_ref = |table: &str, row: String, column: &str, name: &str| {
        if defined.contains(name) {
            return;
        }
        if let Some(found) = defined.iter().find(|d| d.eq_ignore_ascii_case(name)) {
            out.push(Finding::warning(
                "ICE46",
                table,
                row,
                Some(column),
                format!("references property '{name}', which is defined as '{found}' (names are case-sensitive)"),
            ));
        }
    };
    for (table, condition_columns, formatted_columns) in REFERENCE_COLUMNS {
        for row in db.rows(table) {
            for column in *condition_columns {
                for name in row.str(column).map(condition_refs).unwrap_or_default() {
                    check_ref(table, row.key(), column, name);
                }
            }
            for column in *formatted_columns {
                for name in row.str(column).map(formatted_refs).unwrap_or_default() {
                    check_ref(table, row.key(), column, name);
                }
            }
        }
    }
}

/// (table, condition columns, formatted columns) scanned for property references.
const REFERENCE_COLUMNS: &[(&str, &[&str], &[&str])] = &[
    ("InstallExecuteSequence", &["Condition"], &[]),
    ("InstallUISequence", &["Condition"], &[]),
    ("AdminExecuteSequence", &["Condition"], &[]),
    ("AdminUISequence", &["Condition"], &[]),
    ("AdvtExecuteSequence", &["Condition"], &[]),
    ("LaunchCondition", &["Condition"], &["Description"]),
    ("Component", &["Condition"], &[]),
    ("Condition", &["Condition"], &[]),
    ("ControlCondition", &["Condition"], &[]),
    ("ControlEvent", &["Condition"], &["Argument"]),
    ("CustomAction", &[], &["Target"]),
    ("Registry", &[], &["Value"]),
    ("ServiceInstall", &[], &["StartName", "Password", "Arguments"]),
    ("Shortcut", &[], &["Arguments"]),
    ("IniFile", &[], &["Value"]),
    ("Environment", &[], &["Value"]),
];

/// The Upgrade table's `Attributes` bits (MSI SDK, "Upgrade Table").
const ONLY_DETECT: i32 = 0x2;
const VERSION_MIN_INCLUSIVE: i32 = 0x100;
const VERSION_MAX_INCLUSIVE: i32 = 0x200;

/// ICE61: each Upgrade row must describe a range, set a public, secure property, and must not
/// remove the product being installed.
fn ice61(db: &Db, out: &mut Vec<Finding>) {
    let secure: BTreeSet<String> = db.property_list("SecureCustomProperties").into_iter().collect();
    let upgrade_code = db.property("UpgradeCode").map(str::to_ascii_uppercase);
    let current = db.property("ProductVersion").and_then(|v| parse_version(v).ok());
    for row in db.rows("Upgrade") {
        let key = row.key();
        let attributes = row.int("Attributes").unwrap_or(0);
        let min = row.str("VersionMin").filter(|s| !s.is_empty());
        let max = row.str("VersionMax").filter(|s| !s.is_empty());
        if min.is_none() && max.is_none() {
            out.push(Finding::error(
                "ICE61",
                "Upgrade",
                key.clone(),
                Some("VersionMin"),
                "VersionMin and VersionMax are both empty: the row matches no version range",
            ));
        }
        let mut parsed = |column: &str, value: Option<&str>| -> Option<Vec<u32>> {
            let value = value?;
            match parse_version(value) {
                Ok(v) => Some(v),
                Err(why) => {
                    out.push(Finding::error("ICE61", "Upgrade", key.clone(), Some(column), why));
                    None
                }
            }
        };
        let min_v = parsed("VersionMin", min);
        let max_v = parsed("VersionMax", max);
        if let (Some(lo), Some(hi)) = (&min_v, &max_v) {
            if compare_versions(lo, hi) == Ordering::Greater {
                out.push(Finding::error(
                    "ICE61",
                    "Upgrade",
                    key.clone(),
                    Some("VersionMax"),
                    "VersionMax is below VersionMin: the range is empty",
                ));
            }
        }
        match row.str("ActionProperty") {
            Some(property) => {
                if !is_public(property) {
                    out.push(Finding::error(
                        "ICE61",
                        "Upgrade",
                        key.clone(),
                        Some("ActionProperty"),
                        format!(
                            "'{property}' is not a public (upper-case) property, so FindRelatedProducts cannot set it"
                        ),
                    ));
                }
                if !secure.contains(property) {
                    out.push(Finding::error(
                        "ICE61",
                        "Upgrade",
                        key.clone(),
                        Some("ActionProperty"),
                        format!("'{property}' is not listed in SecureCustomProperties, so a per-machine install does not pass it to the execute sequence"),
                    ));
                }
            }
            None => out.push(Finding::error(
                "ICE61",
                "Upgrade",
                key.clone(),
                Some("ActionProperty"),
                "ActionProperty is empty",
            )),
        }
        // The row must not match the version being installed unless it only detects.
        let same_product = row.str("UpgradeCode").map(str::to_ascii_uppercase) == upgrade_code;
        if let (true, Some(current)) = (same_product && attributes & ONLY_DETECT == 0, &current) {
            let above_min = match &min_v {
                None => true,
                Some(lo) => match compare_versions(current, lo) {
                    Ordering::Greater => true,
                    Ordering::Equal => attributes & VERSION_MIN_INCLUSIVE != 0,
                    Ordering::Less => false,
                },
            };
            let below_max = match &max_v {
                None => true,
                Some(hi) => match compare_versions(current, hi) {
                    Ordering::Less => true,
                    Ordering::Equal => attributes & VERSION_MAX_INCLUSIVE != 0,
                    Ordering::Greater => false,
                },
            };
            if above_min && below_max {
                out.push(Finding::warning(
                    "ICE61",
                    "Upgrade",
                    key.clone(),
                    Some("VersionMax"),
                    "the range includes this product's own ProductVersion and the row is not \
                     detect-only: the upgrade removes the version being installed",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_form() {
        assert!(is_msi_guid("{8BEC4714-203A-4852-8525-E7E2046149FC}"));
        assert!(!is_msi_guid("{8bec4714-203a-4852-8525-e7e2046149fc}"));
        assert!(!is_msi_guid("8BEC4714-203A-4852-8525-E7E2046149FC"));
        assert!(!is_msi_guid("{8BEC4714X203A-4852-8525-E7E2046149FC}"));
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.2.3"), Ok(vec![1, 2, 3]));
        assert!(parse_version("256.0.0").is_err());
        assert!(parse_version("1.0.65536").is_err());
        assert!(parse_version("1.0.x").is_err());
        assert!(parse_version("1.0.0.0.0").is_err());
        assert!(parse_version("1..0").is_err());
        assert_eq!(compare_versions(&[1, 2], &[1, 2, 0]), Ordering::Equal);
    }
}
