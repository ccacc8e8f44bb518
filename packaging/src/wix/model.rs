//! The model the lowering fills and the linker and writer read: source positions, cells, rows,
//! tables, symbols, references, payload files, scheduled actions and what `<Product>` says.
//! It sits below every other module of the backend and depends on none of them but the error.

use super::error::Error;
use crate::tables::{self, TableDef};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// Source file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Loc {
    /// An error at this position.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Wix { file: self.file.clone(), line: self.line, column: self.column, message: message.into() }
    }
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    /// Null (empty) value.
    Null,
    /// Integer value.
    Int(i32),
    /// String value.
    Str(String),
    /// Binary column: the file whose bytes become the row's stream (`Table.Key`).
    Stream(PathBuf),
}

impl Cell {
    /// The string value, if this is a string cell.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The integer value, if this is an integer cell.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// Text form used for keys and messages.
    pub fn key_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Str(s) => s.clone(),
            Cell::Stream(p) => p.display().to_string(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Str(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Str(s)
    }
}
impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::Str(s.clone())
    }
}
impl From<i32> for Cell {
    fn from(i: i32) -> Self {
        Cell::Int(i)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Self {
        o.map_or(Cell::Null, Into::into)
    }
}

/// A row and where it came from.
#[derive(Debug, Clone)]
pub struct Row {
    /// Cells, one per column.
    pub cells: Vec<Cell>,
    /// Source position of the element that produced it.
    pub loc: Loc,
}

/// The rows of one table.
pub struct TableData {
    /// Column definitions.
    pub def: TableDef,
    columns: Vec<msi::Column>,
    /// Rows in the order they were added.
    pub rows: Vec<Row>,
    index: HashMap<Vec<Cell>, usize>,
}

impl std::fmt::Debug for TableData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableData").field("def", &self.def).field("rows", &self.rows).finish()
    }
}

impl TableData {
    fn new(def: TableDef) -> Self {
        let columns = def.msi_columns();
        TableData { def, columns, rows: Vec::new(), index: HashMap::new() }
    }

    /// The row whose primary key is `key`.
    pub fn get(&self, key: &[Cell]) -> Option<&Row> {
        self.index.get(key).map(|&i| &self.rows[i])
    }

    /// Mutable access to the row whose primary key is `key`.
    pub fn get_mut(&mut self, key: &[Cell]) -> Option<&mut Row> {
        self.index.get(key).map(|&i| &mut self.rows[i])
    }

    /// Whether a row's first key column equals `first`.
    pub fn has_first_key(&self, first: &str) -> bool {
        if self.def.key_count() == 1 {
            // Single-column keys: a hash lookup (10,000-file payloads have 10,000 references).
            let int_key = first.parse::<i32>().ok().map(Cell::Int);
            return self.index.contains_key(&[Cell::Str(first.to_string())][..])
                || int_key.is_some_and(|k| self.index.contains_key(&[k][..]));
        }
        self.rows.iter().any(|r| r.cells[0].key_text() == first)
    }
}

/// A reference from one element to something another element defines.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Kind of symbol: a table name (matched against its first key column) or a symbol kind
    /// such as `UI`, `ComponentGroup`, `Property`.
    pub kind: String,
    /// Identifier referred to.
    pub id: String,
    /// Where the reference is.
    pub loc: Loc,
}

/// Everything lowered so far: tables with rows, defined symbols and references to check.
#[derive(Debug, Default)]
pub struct Model {
    /// Tables by name (standard ones appear when their first row is added).
    pub tables: BTreeMap<String, TableData>,
    /// Symbols defined without a row of their own (`UI`, `ComponentGroup`, declared properties).
    pub symbols: BTreeMap<(String, String), Loc>,
    /// References to check once everything is lowered.
    pub references: Vec<Reference>,
    /// Tables that must exist even when empty (`EnsureTable`, `CustomTable` without rows).
    pub ensured: BTreeSet<String>,
    /// Payload files (`<File>`), in document order; sequenced and cabbed by the linker.
    pub files: Vec<PayloadFile>,
    /// Feature membership: (feature, member) pairs from `<Feature>` children.
    pub feature_members: Vec<(String, Member, Loc)>,
    /// `<ComponentGroup>` contents.
    pub groups: BTreeMap<String, Vec<(Member, Loc)>>,
    /// Actions scheduled by sequence elements, `SetProperty`, `MajorUpgrade`, ...
    pub actions: Vec<ScheduledAction>,
    /// Properties marked `Secure="yes"` (-> `SecureCustomProperties`).
    pub secure: BTreeSet<String>,
    /// Properties marked `Hidden="yes"` (-> `MsiHiddenProperties`).
    pub hidden: BTreeSet<String>,
    /// Properties marked `Admin="yes"` (-> `AdminProperties`).
    pub admin: BTreeSet<String>,
    /// The database code page (`Product/@Codepage`; `None` until the product is lowered: 1252).
    pub codepage: Option<i32>,
    /// `<WixVariable>`s (`!(wix.Id)`), collected from every source before lowering.
    pub wix_variables: BTreeMap<String, WixVariable>,
    /// `<MediaTemplate>`, if any.
    pub media_template: Option<MediaTemplate>,
    /// Explicit `<Media>` elements with an embedded cabinet: disk id -> (cabinet stream name,
    /// compressed).
    pub embedded_media: BTreeMap<i32, (String, bool)>,
    /// Component id -> directory id (for default `CreateFolder`/`RemoveFile` directories).
    pub component_dirs: BTreeMap<String, String>,
}

/// One `<Fragment>` lowered on its own: the unit the linker takes or leaves
/// (the `sections` module).
#[derive(Debug)]
pub struct Section {
    /// The source file given to the build that holds it (not an included file).
    pub source: PathBuf,
    /// What it defines and references.
    pub model: Model,
}

/// A `<File>` whose bytes go into a cabinet.
#[derive(Debug, Clone)]
pub struct PayloadFile {
    /// `File` table key (also the name inside the cabinet).
    pub id: String,
    /// Where the bytes are read from.
    pub source: PathBuf,
    /// Explicit `DiskId`, if any.
    pub disk_id: Option<i32>,
    /// Size in bytes.
    pub size: u64,
    /// Position of the `<File>`.
    pub loc: Loc,
}

/// Something a feature or component group contains.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    /// A component.
    Component(String),
    /// A component group.
    Group(String),
}

/// `<MediaTemplate>` settings.
#[derive(Debug, Clone)]
pub struct MediaTemplate {
    /// Cabinet name template with `{0}` for the number.
    pub cabinet_template: String,
    /// Split cabinets when the uncompressed size would exceed this many bytes.
    pub max_uncompressed: u64,
    /// `DiskPrompt`, `VolumeLabel`.
    pub disk_prompt: Option<String>,
    /// Volume label.
    pub volume_label: Option<String>,
    /// MSZIP or none.
    pub compress: bool,
    /// Position.
    pub loc: Loc,
}

/// Where a scheduled action goes in its sequence table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Absolute sequence number.
    Sequence(i32),
    /// Just before another action.
    Before(String),
    /// Just after another action.
    After(String),
    /// A standard action at its standard number.
    Default,
    /// Removed from the table (`Suppress="yes"`).
    Suppress,
}

/// An action (custom, dialog, or standard) scheduled in a sequence table.
#[derive(Debug, Clone)]
pub struct ScheduledAction {
    /// `InstallExecuteSequence`, `InstallUISequence`, ...
    pub table: String,
    /// Action name.
    pub action: String,
    /// Condition, if any.
    pub condition: Option<String>,
    /// Placement.
    pub placement: Placement,
    /// Position of the scheduling element.
    pub loc: Loc,
}

impl Model {
    /// Rows of `table` (empty if the table has none).
    pub fn rows(&self, table: &str) -> &[Row] {
        self.tables.get(table).map_or(&[], |t| &t.rows)
    }

    /// Defines a custom table (from `<CustomTable>`).
    pub fn define_table(&mut self, def: TableDef, loc: &Loc) -> Result<(), Error> {
        if tables::standard(&def.name).is_some() || self.tables.contains_key(&def.name) {
            return Err(loc.error(format!("table {} is already defined", def.name)));
        }
        self.ensured.insert(def.name.clone());
        self.tables.insert(def.name.clone(), TableData::new(def));
        Ok(())
    }

    /// Creates an empty table from a standard definition (for `EnsureTable`).
    pub fn define_table_unchecked(&mut self, def: TableDef) {
        self.tables.entry(def.name.clone()).or_insert_with(|| TableData::new(def));
    }

    /// Declares the string column `table`.`column` unlimited in this package (the standard table
    /// is created first if it has no row yet), so a longer value is stored whole.
    pub fn widen_string_column(&mut self, table: &str, column: &str) {
        let Some(t) = self.tables.get_mut(table).map(|t| &mut t.def).cloned().or_else(|| tables::standard(table))
        else {
            return;
        };
        let mut def = t;
        for c in def.columns.iter_mut().filter(|c| c.name == column) {
            c.kind = match c.kind {
                tables::ColumnKind::Str(_) => tables::ColumnKind::Str(0),
                tables::ColumnKind::Localized(_) => tables::ColumnKind::Localized(0),
                other => other,
            };
        }
        match self.tables.get_mut(table) {
            Some(data) => {
                data.columns = def.msi_columns();
                data.def = def;
            }
            None => {
                self.tables.insert(table.to_string(), TableData::new(def));
            }
        }
    }

    /// Adds a row to `table`, checking column count, each value against the column's type and
    /// category, and primary-key uniqueness. Errors point at `loc`.
    pub fn add_row(&mut self, loc: &Loc, table: &str, cells: Vec<Cell>) -> Result<(), Error> {
        if !self.tables.contains_key(table) {
            let def = tables::standard(table).ok_or_else(|| {
                loc.error(format!(
                    "table {table} is not a standard table known to this backend and no <CustomTable> defines it"
                ))
            })?;
            self.tables.insert(table.to_string(), TableData::new(def));
        }
        let t = self.tables.get_mut(table).expect("inserted above");
        if let Some(i) = tables::overflow_tolerated(table).and_then(|c| t.def.column_index(c)) {
            let width = match t.def.columns[i].kind {
                tables::ColumnKind::Str(n) | tables::ColumnKind::Localized(n) => n,
                _ => 0,
            };
            if matches!(cells.get(i), Some(Cell::Str(s)) if width > 0 && s.chars().count() > width) {
                let column = t.def.columns[i].name.clone();
                self.widen_string_column(table, &column);
            }
        }
        let t = self.tables.get_mut(table).expect("inserted above");
        if cells.len() != t.def.columns.len() {
            return Err(loc.error(format!(
                "{table} row has {} values, the table has {} columns",
                cells.len(),
                t.def.columns.len()
            )));
        }
        for (i, cell) in cells.iter().enumerate() {
            let def = &t.def.columns[i];
            let col = &t.columns[i];
            let ok = match cell {
                Cell::Stream(_) => def.kind == tables::ColumnKind::Binary,
                Cell::Null => def.nullable,
                Cell::Int(v) => col.is_valid_value(&msi::Value::Int(*v)),
                Cell::Str(s) if def.kind == tables::ColumnKind::Binary => s.is_empty() && def.nullable,
                Cell::Str(s) => col.is_valid_value(&msi::Value::Str(s.clone())),
            };
            if let Cell::Str(s) = cell {
                let cp = self.codepage.unwrap_or(crate::codepage::WINDOWS_1252);
                if crate::codepage::encode(cp, s).is_none() {
                    let bad: String =
                        s.chars().filter(|c| crate::codepage::encode(cp, &c.to_string()).is_none()).take(5).collect();
                    return Err(loc.error(format!(
                        "{table}.{}: {bad:?} cannot be stored in the database code page Windows-{cp} (set the .wxl's Codepage, or Product/@Codepage)",
                        def.name
                    )));
                }
            }
            if !ok {
                return Err(loc.error(format!(
                    "invalid value {:?} for column {table}.{} ({:?}{}{})",
                    cell.key_text(),
                    def.name,
                    def.kind,
                    def.category.map(|c| format!(", category {c}")).unwrap_or_default(),
                    if def.nullable { "" } else { ", not nullable" }
                )));
            }
        }
        let key: Vec<Cell> = cells[..t.def.key_count()].to_vec();
        if let Some(&i) = t.index.get(&key) {
            let first = &t.rows[i].loc;
            return Err(loc.error(format!(
                "duplicate {table} row with key {:?} (first defined at {first})",
                key.iter().map(Cell::key_text).collect::<Vec<_>>().join("/")
            )));
        }
        t.index.insert(key, t.rows.len());
        t.rows.push(Row { cells, loc: loc.clone() });
        Ok(())
    }

    /// Whether the symbol `kind`/`id` is defined (as a symbol or as the first key of a row).
    pub fn is_defined(&self, kind: &str, id: &str) -> bool {
        self.symbols.contains_key(&(kind.to_string(), id.to_string()))
            || self.tables.get(kind).is_some_and(|t| t.has_first_key(id))
    }
}

/// What the `<Product>` and `<Package>` elements say.
#[derive(Debug, Clone)]
pub struct ProductInfo {
    /// Position of `<Product>`.
    pub loc: Loc,
    /// `ProductCode` (`*` resolved to a GUID derived from the upgrade code and version).
    pub product_code: String,
    /// `UpgradeCode`, if any.
    pub upgrade_code: Option<String>,
    /// `ProductName`.
    pub name: String,
    /// `ProductVersion`.
    pub version: String,
    /// `ProductLanguage`.
    pub language: i32,
    /// Package description (summary information subject).
    pub description: Option<String>,
    /// Package comments.
    pub comments: Option<String>,
    /// Package keywords.
    pub keywords: String,
    /// Summary information author (`Package/@Manufacturer`, else the product's).
    pub author: String,
    /// Minimum installer version (summary information page count).
    pub installer_version: i32,
    /// Package platform is x64.
    pub win64: bool,
    /// Files are compressed (word count bit 2).
    pub compressed: bool,
    /// Per-user package that needs no elevation (word count bit 8).
    pub limited_privileges: bool,
    /// Languages of the summary information template (`Package/@Languages`, else the
    /// product language).
    pub languages: String,
    /// The database code page (`Product/@Codepage`).
    pub codepage: i32,
    /// The summary information code page (`Package/@SummaryCodepage`, default 1252 as in WiX).
    pub summary_codepage: i32,
    /// Summary information security: 0 none, 2 read-only recommended (default), 4 enforced.
    pub security: i32,
}

/// `Shortcut.Target` of an advertised shortcut until the linker writes the feature of its
/// component there (WiX v3 does the same with an empty GUID).
pub const ADVERTISED_TARGET: &str = "{00000000-0000-0000-0000-000000000000}";

/// A `<WixVariable>`: a bind-time variable (`!(wix.Id)`).
#[derive(Debug, Clone)]
pub struct WixVariable {
    /// Its value.
    pub value: String,
    /// `Overridable="yes"`: another, non-overridable definition replaces it.
    pub overridable: bool,
    /// Where it is defined.
    pub loc: Loc,
}
