//! The standard Windows Installer table definitions the backend writes (columns as in the MSI SDK).
//!
//! Each table is declared once, in a compact notation (one string per column), and turned into
//! `msi::Column`s when the database is written. The notation is `Name type flags [Category]`:
//! - `type`: `sN` string of at most N characters (0 = unlimited), `lN` localizable string,
//!   `i2`/`i4` 16/32-bit integer, `v0` binary stream (the value lives in a stream named
//!   `Table.Key`);
//! - `flags`: `K` primary key, `N` nullable, `KN` both, `-` neither;
//! - `Category`: the MSI column data type (`msi::Category` name), used for the `_Validation`
//!   table and to check every value when a row is added.
//!
//! Source of the definitions: the MSI SDK table reference ("Database Tables"), as summarised by
//! WiX v3 in `reference/wix3/tables.xml`; a test compares the two.

use msi::{Category, Column};

/// Column data type of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A string of at most this many characters (0 = unlimited).
    Str(usize),
    /// A localizable string of at most this many characters (0 = unlimited).
    Localized(usize),
    /// A 16-bit integer.
    Int16,
    /// A 32-bit integer.
    Int32,
    /// A binary stream.
    Binary,
}

/// One column of a table definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name.
    pub name: String,
    /// Data type.
    pub kind: ColumnKind,
    /// Part of the primary key.
    pub key: bool,
    /// Accepts null.
    pub nullable: bool,
    /// MSI column data category.
    pub category: Option<Category>,
    /// Allowed integer range (`_Validation` MinValue/MaxValue).
    pub range: Option<(i32, i32)>,
    /// Foreign key: table and 1-based column (`_Validation` KeyTable/KeyColumn).
    pub foreign_key: Option<(String, i32)>,
    /// Allowed values (`_Validation` Set).
    pub set: Vec<String>,
}

impl ColumnDef {
    /// The `msi` crate column for this definition.
    pub fn to_msi(&self) -> Column {
        let mut b = Column::build(self.name.as_str());
        if self.key {
            b = b.primary_key();
        }
        if self.nullable {
            b = b.nullable();
        }
        if matches!(self.kind, ColumnKind::Localized(_)) {
            b = b.localizable();
        }
        if let Some(c) = self.category {
            if self.kind != ColumnKind::Binary {
                b = b.category(c);
            }
        }
        if let Some((lo, hi)) = self.range {
            b = b.range(lo, hi);
        }
        if let Some((t, n)) = &self.foreign_key {
            b = b.foreign_key(t, *n);
        }
        if !self.set.is_empty() {
            let v: Vec<&str> = self.set.iter().map(String::as_str).collect();
            b = b.enum_values(&v);
        }
        match self.kind {
            ColumnKind::Str(n) | ColumnKind::Localized(n) => b.string(n),
            ColumnKind::Int16 => b.int16(),
            ColumnKind::Int32 => b.int32(),
            ColumnKind::Binary => b.binary(),
        }
    }
}

/// A table: name and ordered columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Table name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<ColumnDef>,
}

impl TableDef {
    /// The `msi` crate columns for this table.
    pub fn msi_columns(&self) -> Vec<Column> {
        self.columns.iter().map(ColumnDef::to_msi).collect()
    }

    /// Index of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Number of leading primary-key columns.
    pub fn key_count(&self) -> usize {
        self.columns.iter().filter(|c| c.key).count()
    }
}

/// Parses one column in the notation described at the top of this file.
///
/// # Panics
/// On a malformed spec: the specs are constants of this file and a test parses all of them.
pub fn parse_column(spec: &str) -> ColumnDef {
    let mut parts = spec.split_whitespace();
    let name = parts.next().expect("column name").to_string();
    let ty = parts.next().expect("column type");
    let flags = parts.next().expect("column flags");
    let category = parts.next().map(|c| c.parse::<Category>().expect("category"));
    let n: usize = ty[1..].parse().expect("column length");
    let kind = match &ty[..1] {
        "s" => ColumnKind::Str(n),
        "l" => ColumnKind::Localized(n),
        "i" if n == 2 => ColumnKind::Int16,
        "i" if n == 4 => ColumnKind::Int32,
        "v" => ColumnKind::Binary,
        other => panic!("bad column type {other}"),
    };
    ColumnDef {
        name,
        kind,
        key: flags.contains('K'),
        nullable: flags.contains('N'),
        category,
        range: None,
        foreign_key: None,
        set: Vec::new(),
    }
}

const SEQUENCE_TABLE: &[&str] = &["Action s72 K Identifier", "Condition s255 N Condition", "Sequence i2 N"];

/// The standard tables, in the notation above.
const STANDARD: &[(&str, &[&str])] = &[
    ("ActionText", &["Action s72 K Identifier", "Description l0 N Text", "Template l0 N Template"]),
    ("AdminExecuteSequence", SEQUENCE_TABLE),
    ("AdminUISequence", SEQUENCE_TABLE),
    ("AdvtExecuteSequence", SEQUENCE_TABLE),
    ("InstallExecuteSequence", SEQUENCE_TABLE),
    ("InstallUISequence", SEQUENCE_TABLE),
    ("AppSearch", &["Property s72 K Identifier", "Signature_ s72 K Identifier"]),
    (
        "BBControl",
        &[
            "Billboard_ s50 K Identifier",
            "BBControl s50 K Identifier",
            "Type s50 - Identifier",
            "X i2 -",
            "Y i2 -",
            "Width i2 -",
            "Height i2 -",
            "Attributes i4 N",
            "Text l50 N Text",
        ],
    ),
    (
        "Billboard",
        &["Billboard s50 K Identifier", "Feature_ s38 - Identifier", "Action s50 N Identifier", "Ordering i2 N"],
    ),
    ("Binary", &["Name s72 K Identifier", "Data v0 - Binary"]),
    ("CheckBox", &["Property s72 K Identifier", "Value s64 N Formatted"]),
    ("ComboBox", &["Property s72 K Identifier", "Order i2 K", "Value s64 - Formatted", "Text l64 N Formatted"]),
    (
        "Component",
        &[
            "Component s72 K Identifier",
            "ComponentId s38 N Guid",
            "Directory_ s72 - Identifier",
            "Attributes i2 -",
            "Condition s255 N Condition",
            "KeyPath s72 N Identifier",
        ],
    ),
    ("Condition", &["Feature_ s38 K Identifier", "Level i2 K", "Condition s255 N Condition"]),
    (
        "Control",
        &[
            "Dialog_ s72 K Identifier",
            "Control s50 K Identifier",
            "Type s20 - Identifier",
            "X i2 -",
            "Y i2 -",
            "Width i2 -",
            "Height i2 -",
            "Attributes i4 N",
            "Property s72 N Identifier",
            "Text l0 N Formatted",
            "Control_Next s50 N Identifier",
            "Help l50 N Text",
        ],
    ),
    (
        "ControlCondition",
        &["Dialog_ s72 K Identifier", "Control_ s50 K Identifier", "Action s50 K", "Condition s255 K Condition"],
    ),
    (
        "ControlEvent",
        &[
            "Dialog_ s72 K Identifier",
            "Control_ s50 K Identifier",
            "Event s50 K Formatted",
            "Argument s255 K Formatted",
            "Condition s255 KN Condition",
            "Ordering i2 N",
        ],
    ),
    ("CreateFolder", &["Directory_ s72 K Identifier", "Component_ s72 K Identifier"]),
    (
        "CustomAction",
        &[
            "Action s72 K Identifier",
            "Type i2 -",
            "Source s72 N CustomSource",
            "Target s255 N Formatted",
            "ExtendedType i4 N",
        ],
    ),
    (
        "Dialog",
        &[
            "Dialog s72 K Identifier",
            "HCentering i2 -",
            "VCentering i2 -",
            "Width i2 -",
            "Height i2 -",
            "Attributes i4 N",
            "Title l128 N Formatted",
            "Control_First s50 - Identifier",
            "Control_Default s50 N Identifier",
            "Control_Cancel s50 N Identifier",
        ],
    ),
    ("Directory", &["Directory s72 K Identifier", "Directory_Parent s72 N Identifier", "DefaultDir l255 - DefaultDir"]),
    ("DrLocator", &["Signature_ s72 K Identifier", "Parent s72 KN Identifier", "Path s255 KN AnyPath", "Depth i2 N"]),
    ("Error", &["Error i2 K", "Message l0 N Template"]),
    (
        "EventMapping",
        &[
            "Dialog_ s72 K Identifier",
            "Control_ s50 K Identifier",
            "Event s50 K Identifier",
            "Attribute s50 - Identifier",
        ],
    ),
    (
        "Feature",
        &[
            "Feature s38 K Identifier",
            "Feature_Parent s38 N Identifier",
            "Title l64 N Text",
            "Description l255 N Text",
            "Display i2 N",
            "Level i2 -",
            "Directory_ s72 N UpperCase",
            "Attributes i2 -",
        ],
    ),
    ("FeatureComponents", &["Feature_ s38 K Identifier", "Component_ s72 K Identifier"]),
    (
        "File",
        &[
            "File s72 K Identifier",
            "Component_ s72 - Identifier",
            "FileName l255 - Filename",
            "FileSize i4 -",
            "Version s72 N Version",
            "Language s20 N Language",
            "Attributes i2 N",
            "Sequence i4 -",
        ],
    ),
    ("Icon", &["Name s72 K Identifier", "Data v0 - Binary"]),
    ("LaunchCondition", &["Condition s255 K Condition", "Description l255 - Formatted"]),
    ("ListBox", &["Property s72 K Identifier", "Order i2 K", "Value s64 - Formatted", "Text l64 N Text"]),
    (
        "ListView",
        &[
            "Property s72 K Identifier",
            "Order i2 K",
            "Value s64 - Formatted",
            "Text l64 N Formatted",
            "Binary_ s72 N Identifier",
        ],
    ),
    (
        "Media",
        &[
            "DiskId i2 K",
            "LastSequence i4 -",
            "DiskPrompt l64 N Text",
            "Cabinet s255 N Cabinet",
            "VolumeLabel s32 N Text",
            "Source s72 N Property",
        ],
    ),
    (
        "MsiFileHash",
        &[
            "File_ s72 K Identifier",
            "Options i2 -",
            "HashPart1 i4 -",
            "HashPart2 i4 -",
            "HashPart3 i4 -",
            "HashPart4 i4 -",
        ],
    ),
    ("Property", &["Property s72 K Identifier", "Value l0 - Text"]),
    (
        "RadioButton",
        &[
            "Property s72 K Identifier",
            "Order i2 K",
            "Value s64 - Formatted",
            "X i2 -",
            "Y i2 -",
            "Width i2 -",
            "Height i2 -",
            "Text l0 N Text",
            "Help l50 N Text",
        ],
    ),
    (
        "RegLocator",
        &["Signature_ s72 K Identifier", "Root i2 -", "Key s255 - RegPath", "Name s255 N Formatted", "Type i2 N"],
    ),
    (
        "Environment",
        &["Environment s72 K Identifier", "Name l255 - Text", "Value l255 N Formatted", "Component_ s72 - Identifier"],
    ),
    (
        "IniFile",
        &[
            "IniFile s72 K Identifier",
            "FileName l255 - Filename",
            "DirProperty s72 N Identifier",
            "Section l96 - Formatted",
            "Key l128 - Formatted",
            "Value l255 - Formatted",
            "Action i2 -",
            "Component_ s72 - Identifier",
        ],
    ),
    (
        "RemoveIniFile",
        &[
            "RemoveIniFile s72 K Identifier",
            "FileName l255 - Filename",
            "DirProperty s72 N Identifier",
            "Section l96 - Formatted",
            "Key l128 - Formatted",
            "Value l255 N Formatted",
            "Action i2 -",
            "Component_ s72 - Identifier",
        ],
    ),
    (
        "MsiShortcutProperty",
        &[
            "MsiShortcutProperty s72 K Identifier",
            "Shortcut_ s72 - Identifier",
            "PropertyKey s0 - Formatted",
            "PropVariantValue s0 - Formatted",
        ],
    ),
    (
        "Shortcut",
        &[
            "Shortcut s72 K Identifier",
            "Directory_ s72 - Identifier",
            "Name l128 - Filename",
            "Component_ s72 - Identifier",
            "Target s72 - Shortcut",
            "Arguments s255 N Formatted",
            "Description l255 N Text",
            "Hotkey i2 N",
            "Icon_ s72 N Identifier",
            "IconIndex i2 N",
            "ShowCmd i2 N",
            "WkDir s72 N Identifier",
            "DisplayResourceDLL s255 N Formatted",
            "DisplayResourceId i2 N",
            "DescriptionResourceDLL s255 N Formatted",
            "DescriptionResourceId i2 N",
        ],
    ),
    (
        "Registry",
        &[
            "Registry s72 K Identifier",
            "Root i2 -",
            "Key l255 - RegPath",
            "Name l255 N Formatted",
            "Value l0 N Formatted",
            "Component_ s72 - Identifier",
        ],
    ),
    (
        "RemoveFile",
        &[
            "FileKey s72 K Identifier",
            "Component_ s72 - Identifier",
            "FileName l255 N WildCardFilename",
            "DirProperty s72 - Identifier",
            "InstallMode i2 -",
        ],
    ),
    (
        "RemoveRegistry",
        &[
            "RemoveRegistry s72 K Identifier",
            "Root i2 -",
            "Key l255 - RegPath",
            "Name l255 N Formatted",
            "Component_ s72 - Identifier",
        ],
    ),
    (
        "ServiceControl",
        &[
            "ServiceControl s72 K Identifier",
            "Name l255 - Formatted",
            "Event i2 -",
            "Arguments l255 N Formatted",
            "Wait i2 N",
            "Component_ s72 - Identifier",
        ],
    ),
    (
        "ServiceInstall",
        &[
            "ServiceInstall s72 K Identifier",
            "Name s255 - Formatted",
            "DisplayName l255 N Formatted",
            "ServiceType i4 -",
            "StartType i4 -",
            "ErrorControl i4 -",
            "LoadOrderGroup s255 N Formatted",
            "Dependencies s255 N Formatted",
            "StartName s255 N Formatted",
            "Password s255 N Formatted",
            "Arguments s255 N Formatted",
            "Component_ s72 - Identifier",
            "Description l255 N Text",
        ],
    ),
    (
        "Signature",
        &[
            "Signature s72 K Identifier",
            "FileName s255 - Text",
            "MinVersion s20 N Text",
            "MaxVersion s20 N Text",
            "MinSize i4 N",
            "MaxSize i4 N",
            "MinDate i4 N",
            "MaxDate i4 N",
            "Languages s255 N Language",
        ],
    ),
    ("TextStyle", &["TextStyle s72 K Identifier", "FaceName s32 - Text", "Size i2 -", "Color i4 N", "StyleBits i2 N"]),
    ("UIText", &["Key s72 K Identifier", "Text l255 N Text"]),
    (
        "Upgrade",
        &[
            "UpgradeCode s38 K Guid",
            "VersionMin s20 KN Text",
            "VersionMax s20 KN Text",
            "Language s255 KN Language",
            "Attributes i4 K",
            "Remove s255 N Formatted",
            "ActionProperty s72 - UpperCase",
        ],
    ),
];

/// The string column of `table` that may hold a value longer than its standard width, as WiX v3
/// builds it: `CustomAction.Target` (255 characters in the MSI SDK "CustomAction Table" and
/// WiX's tables.xml). WiX checks no string length when it fills a row
/// (`ColumnDefinition.ValidateValue` in WiX v3.14) and builds a longer Target (a long
/// CustomActionData, an inline script); light's ICE03 reports "String overflow" as a warning
/// (LGHT1076) and Windows Installer stores and runs the whole value. A package with such a
/// value gets the column declared unlimited (other packages keep the standard width), so the
/// `msi` crate stores it whole; `validate` reports the same ICE03 warning. Every other column
/// refuses an overflow (stricter than WiX, which lets any column overflow).
pub fn overflow_tolerated(table: &str) -> Option<&'static str> {
    (table == "CustomAction").then_some("Target")
}

/// The definition of the standard table `name`, if this backend knows it.
pub fn standard(name: &str) -> Option<TableDef> {
    STANDARD
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, cols)| TableDef { name: (*n).to_string(), columns: cols.iter().map(|c| parse_column(c)).collect() })
}

/// The names of every standard table this backend knows.
pub fn standard_names() -> impl Iterator<Item = &'static str> {
    STANDARD.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_parses_and_has_a_key() {
        for name in standard_names() {
            let t = standard(name).unwrap();
            assert!(t.key_count() > 0, "{name} has no primary key");
            // Primary-key columns come first, as Windows Installer requires.
            let first_non_key = t.columns.iter().position(|c| !c.key).unwrap_or(t.columns.len());
            assert!(t.columns[first_non_key..].iter().all(|c| !c.key), "{name}: key columns not leading");
            let _ = t.msi_columns();
        }
    }

    /// Compares the definitions with WiX v3's `tables.xml` (names, types, lengths, nullability,
    /// primary keys) when the reference is present.
    #[test]
    fn definitions_match_wix3_tables_xml() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference/wix3/tables.xml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                test_support::skip_or_fail(&format!("{} not readable ({e})", path.display()));
                return;
            }
        };
        let doc = roxmltree::Document::parse(&text).unwrap();
        let mut checked = 0;
        for t in doc.descendants().filter(|n| n.has_tag_name("tableDefinition")) {
            let name = t.attribute("name").unwrap();
            let Some(ours) = standard(name) else { continue };
            let theirs: Vec<_> = t.children().filter(|n| n.has_tag_name("columnDefinition")).collect();
            assert_eq!(ours.columns.len(), theirs.len(), "{name}: column count");
            for (o, c) in ours.columns.iter().zip(&theirs) {
                let cname = c.attribute("name").unwrap();
                assert_eq!(o.name, cname, "{name}: column name");
                let len: usize = c.attribute("length").unwrap().parse().unwrap();
                let want = match c.attribute("type").unwrap() {
                    "string" => ColumnKind::Str(len),
                    "localized" => ColumnKind::Localized(len),
                    "number" if len == 2 => ColumnKind::Int16,
                    "number" => ColumnKind::Int32,
                    "object" => ColumnKind::Binary,
                    other => panic!("{name}.{cname}: type {other}"),
                };
                assert_eq!(o.kind, want, "{name}.{cname}: type/length");
                assert_eq!(o.key, c.attribute("primaryKey") == Some("yes"), "{name}.{cname}: key");
                assert_eq!(o.nullable, c.attribute("nullable") == Some("yes"), "{name}.{cname}: nullable");
            }
            checked += 1;
        }
        assert_eq!(checked, standard_names().count(), "every table found in tables.xml");
    }
}

/// The termination flags of a sequence table's Sequence column: -1 success, -2 user exit, -3
/// fatal error, -4 suspend; "each termination flag (negative value) can be used with no more
/// than one action" (MSI SDK "InstallExecuteSequence Table", "InstallUISequence Table"). Zero and
/// the other negatives mean "never run" and may be shared.
pub const TERMINATION_FLAGS: std::ops::RangeInclusive<i32> = -4..=-1;

/// Custom action type bits (MSI SDK "Custom Action Types", "... Return Processing Options",
/// "... In-Script Execution Options", "... Scheduling Options", "... Hidden Target Option"),
/// declared once for the lowering (`wix::lower`, `wix::link`) and the validation (`validate`).
pub mod ca_bits {
    /// Low 6 bits: the base type (source location and target kind).
    pub const BASE_MASK: i32 = 0x3F;
    pub const DLL: i32 = 1;
    pub const EXE: i32 = 2;
    pub const TEXT: i32 = 3;
    pub const JSCRIPT: i32 = 5;
    pub const VBSCRIPT: i32 = 6;
    pub const SOURCE_FILE: i32 = 0x10;
    pub const DIRECTORY: i32 = 0x20;
    pub const PROPERTY: i32 = 0x30;
    pub const CONTINUE: i32 = 0x40;
    pub const ASYNC: i32 = 0x80;
    pub const FIRST_SEQUENCE: i32 = 0x100;
    pub const ONCE_PER_PROCESS: i32 = 0x200;
    pub const CLIENT_REPEAT: i32 = 0x300;
    pub const IN_SCRIPT: i32 = 0x400;
    pub const ROLLBACK: i32 = 0x100;
    pub const COMMIT: i32 = 0x200;
    pub const NO_IMPERSONATE: i32 = 0x800;
    pub const SCRIPT_64: i32 = 0x1000;
    pub const HIDE_TARGET: i32 = 0x2000;
    pub const TS_AWARE: i32 = 0x4000;
    /// ExtendedType: msidbCustomActionTypePatchUninstall.
    pub const PATCH_UNINSTALL: i32 = 0x8000;
}
