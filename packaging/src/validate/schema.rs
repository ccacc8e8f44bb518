//! Tables against the standard definitions (`crate::tables`, after the MSI SDK / WiX v3
//! `tables.xml`): missing or mistyped columns (ICE06); values of the wrong type, too long, null
//! where not allowed, of the wrong category, or foreign keys that resolve to no row (ICE03).
//!
//! The standard definitions carry no foreign-key column; the MSI tables name a foreign key after
//! the table it refers to (`Directory_`, `Directory_Parent`, `Component_Shared` -> key column 1
//! of `Directory` / `Component`), and that convention is used here, with the few exceptions
//! spelled out in [`foreign_key`].

use std::collections::{BTreeMap, BTreeSet};

use msi::{Category, ColumnType, Value};

use super::db::{value_text, Db, TableData};
use super::{Finding, Severity};
use crate::tables::{self, ColumnDef, ColumnKind};

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    let keys = KeyIndex::new(db);
    for (name, table) in &db.tables {
        let Some(standard) = tables::standard(name) else { continue };
        if !ice06(name, table, &standard.columns, out) {
            continue;
        }
        for row in table.rows() {
            let key = row.key();
            for (def, value) in standard.columns.iter().zip(row.values()) {
                // File.Version holds either a version or the key of a companion file.
                let companion = name == "File"
                    && def.name == "Version"
                    && keys.first_keys.get("File").is_some_and(|k| k.contains(&value_text(value)));
                if !companion {
                    ice03_value(name, &key, def, value, out);
                }
                if let Some(target) = foreign_key(name, &def.name) {
                    keys.check(name, &key, row, &def.name, target, value, out);
                }
            }
        }
    }
}

/// ICE06: every standard column is present, in order, with a compatible storage type. Returns
/// whether the values can be checked column by column.
fn ice06(name: &str, table: &TableData, standard: &[ColumnDef], out: &mut Vec<Finding>) -> bool {
    let mut ok = true;
    for (i, def) in standard.iter().enumerate() {
        let Some(declared) = table.columns.get(i) else {
            out.push(Finding::error(
                "ICE06",
                name,
                "",
                Some(&def.name),
                format!("column {} ({}) of the standard table is missing", i + 1, def.name),
            ));
            ok = false;
            continue;
        };
        if declared.name != def.name {
            out.push(Finding::error(
                "ICE06",
                name,
                "",
                Some(&declared.name),
                format!("column {} is named '{}'; the standard table has '{}' there", i + 1, declared.name, def.name),
            ));
            ok = false;
            continue;
        }
        let compatible = matches!(
            (def.kind, declared.coltype),
            (ColumnKind::Int16, ColumnType::Int16)
                | (ColumnKind::Int32, ColumnType::Int32)
                | (ColumnKind::Str(_) | ColumnKind::Localized(_), ColumnType::Str(_))
                | (ColumnKind::Binary, ColumnType::Binary)
        );
        if !compatible {
            out.push(Finding::error(
                "ICE06",
                name,
                "",
                Some(&def.name),
                format!("column is declared {:?}; the standard type is {}", declared.coltype, kind_text(def.kind)),
            ));
            ok = false;
        }
        if declared.primary_key != def.key {
            out.push(Finding::error(
                "ICE06",
                name,
                "",
                Some(&def.name),
                format!(
                    "column is {}a primary key column; in the standard table it is {}",
                    if declared.primary_key { "" } else { "not " },
                    if def.key { "one" } else { "not" }
                ),
            ));
        }
    }
    for extra in table.columns.iter().skip(standard.len()) {
        out.push(Finding::warning(
            "ICE06",
            name,
            "",
            Some(&extra.name),
            "column is not part of the standard table definition",
        ));
    }
    ok
}

fn kind_text(kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Str(0) | ColumnKind::Localized(0) => "an unlimited string".to_owned(),
        ColumnKind::Str(n) | ColumnKind::Localized(n) => format!("a string of at most {n} characters"),
        ColumnKind::Int16 => "a 16-bit integer".to_owned(),
        ColumnKind::Int32 => "a 32-bit integer".to_owned(),
        ColumnKind::Binary => "a binary stream".to_owned(),
    }
}

/// ICE03: one value against its standard column.
fn ice03_value(table: &str, key: &str, def: &ColumnDef, value: &Value, out: &mut Vec<Finding>) {
    let mut add = |severity: Severity, message: String| {
        out.push(Finding::new("ICE03", severity, table, key, Some(&def.name), message))
    };
    match (value, def.kind) {
        (Value::Null, _) => {
            if !def.nullable && def.kind != ColumnKind::Binary {
                add(Severity::Error, "null value in a column that does not allow null".to_owned());
            }
        }
        (Value::Int(_), ColumnKind::Int16 | ColumnKind::Int32) => {}
        (Value::Str(s), ColumnKind::Str(max) | ColumnKind::Localized(max)) => {
            let len = s.chars().count();
            if max > 0 && len > max {
                // A warning, as ICE03's "String overflow" is when WiX's light runs it (LGHT1076):
                // Windows Installer stores and uses the whole value.
                add(
                    Severity::Warning,
                    format!("string overflow: the value is {len} characters long; the column allows {max}"),
                );
            }
            if let Some(category) = def.category {
                if let Err(why) = category_ok(category, s) {
                    // Never echo a value that may be a secret (a password column, a property value).
                    if table == "Property" || def.name.contains("Password") {
                        add(Severity::Error, format!("the value is not a valid {category}: {why}"));
                    } else {
                        add(Severity::Error, format!("'{}' is not a valid {category}: {why}", shorten(s)));
                    }
                }
            }
        }
        (Value::Binary, ColumnKind::Binary) => {}
        (other, kind) => add(Severity::Error, format!("value {} does not fit {}", value_text(other), kind_text(kind))),
    }
}

/// The first 60 characters of a value, for messages.
fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Checks a string against its column category: the `msi` crate's validators, plus cheap syntax
/// checks for conditions (balanced parentheses and quotes) and formatted text (balanced brackets).
fn category_ok(category: Category, s: &str) -> Result<(), &'static str> {
    match category {
        Category::Condition => {
            let mut depth = 0i32;
            let mut in_string = false;
            for c in s.chars() {
                match c {
                    '"' => in_string = !in_string,
                    '(' if !in_string => depth += 1,
                    ')' if !in_string => {
                        depth -= 1;
                        if depth < 0 {
                            return Err("unbalanced parentheses");
                        }
                    }
                    _ => {}
                }
            }
            if in_string {
                Err("unterminated string literal")
            } else if depth != 0 {
                Err("unbalanced parentheses")
            } else {
                Ok(())
            }
        }
        Category::Formatted | Category::Template => {
            let opens = s.matches('[').count();
            let closes = s.matches(']').count();
            // `[\[]` / `[\]]` escape a bracket; count them out.
            let escaped_open = s.matches("[\\[]").count();
            let escaped_close = s.matches("[\\]]").count();
            if opens - escaped_open != closes - escaped_close {
                Err("unbalanced [ ]")
            } else {
                Ok(())
            }
        }
        other if other.validate(s) => Ok(()),
        Category::Identifier => Err("an identifier starts with a letter or _ and holds only letters, digits, _ and ."),
        Category::Guid => Err("a GUID is written {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} in upper case"),
        Category::Version => Err("a version is up to four dot-separated numbers up to 65535"),
        Category::Language => Err("a language is a comma-separated list of numeric LANGIDs"),
        Category::UpperCase => Err("the value must not contain lower-case letters"),
        Category::Property => Err("a property name is an identifier, optionally prefixed with %"),
        _ => Err("malformed"),
    }
}

/// Where a foreign-key column points: `(table, key column index)`; `None` for a column that is
/// not a foreign key. Exceptions to the naming convention: `Signature_` (AppSearch, CCPSearch)
/// may name a row of any locator table; `Control_*` columns point at column 2 of `Control` (the
/// control within the row's dialog); `Component.KeyPath` names a File, Registry or ODBCDataSource
/// row; `DigitalCertificate_` points at `MsiDigitalCertificate`; patch tables are skipped.
fn foreign_key(table: &str, column: &str) -> Option<ForeignKey> {
    if table.starts_with("Patch") || table.starts_with("Module") || table.starts_with("Wix") {
        return None;
    }
    match (table, column) {
        ("AppSearch" | "CCPSearch", "Signature_") => {
            Some(ForeignKey::AnyOf(&["Signature", "RegLocator", "IniLocator", "DrLocator", "CompLocator"]))
        }
        (_, "Signature_") => None,
        ("Component", "KeyPath") => Some(ForeignKey::AnyOf(&["File", "Registry", "ODBCDataSource"])),
        (_, c) if c.starts_with("Control_") => Some(ForeignKey::Control),
        (_, "DigitalCertificate_") => Some(ForeignKey::Table("MsiDigitalCertificate")),
        (_, c) => {
            let (target, _) = c[1..].split_once('_')?;
            let target = &c[..target.len() + 1];
            Some(ForeignKey::Table(tables::standard_names().find(|n| *n == target)?))
        }
    }
}

/// The kinds of reference [`foreign_key`] knows.
#[derive(Clone, Copy, Debug)]
enum ForeignKey {
    /// Key column 1 of this table.
    Table(&'static str),
    /// Key column 1 of any of these tables.
    AnyOf(&'static [&'static str]),
    /// A control of the row's dialog (`Control` table, columns Dialog_ + Control).
    Control,
}

/// The first key column's values of every table, and the controls of each dialog.
struct KeyIndex<'a> {
    first_keys: BTreeMap<&'a str, BTreeSet<String>>,
    controls: BTreeSet<(String, String)>,
}

impl<'a> KeyIndex<'a> {
    fn new(db: &'a Db) -> Self {
        let first_keys = db
            .tables
            .iter()
            .map(|(name, t)| (name.as_str(), t.rows.iter().filter_map(|r| r.first()).map(value_text).collect()))
            .collect();
        let controls = db
            .rows("Control")
            .filter_map(|r| Some((r.str("Dialog_")?.to_owned(), r.str("Control")?.to_owned())))
            .collect();
        KeyIndex { first_keys, controls }
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        table: &str,
        key: &str,
        row: super::db::RowRef<'_>,
        column: &str,
        target: ForeignKey,
        value: &Value,
        out: &mut Vec<Finding>,
    ) {
        if value.is_null() {
            return;
        }
        let text = value_text(value);
        let found = match target {
            ForeignKey::Table(t) => self.first_keys.get(t).is_some_and(|k| k.contains(&text)),
            ForeignKey::AnyOf(ts) => ts.iter().any(|t| self.first_keys.get(t).is_some_and(|k| k.contains(&text))),
            ForeignKey::Control => {
                let dialog = if table == "Dialog" { row.str("Dialog") } else { row.str("Dialog_") };
                dialog.is_some_and(|d| self.controls.contains(&(d.to_owned(), text.clone())))
            }
        };
        // Component.KeyPath may also name nothing when the component's directory is its key path
        // (null, handled above); Directory_Parent may equal the row itself for a root.
        let self_root = table == "Directory" && column == "Directory_Parent" && key == text;
        if !found && !self_root {
            let target_text = match target {
                ForeignKey::Table(t) => format!("table {t}"),
                ForeignKey::AnyOf(ts) => format!("any of the tables {}", ts.join(", ")),
                ForeignKey::Control => "the controls of the row's dialog".to_owned(),
            };
            out.push(Finding::error(
                "ICE03",
                table,
                key,
                Some(column),
                format!("'{}' does not match a row of {target_text}", shorten(&text)),
            ));
        }
    }
}
