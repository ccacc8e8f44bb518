//! The lowering framework shared by every element family: source positions, attribute access
//! that rejects unknown attributes, `$(var.X)` / `!(loc.X)` substitution, and the table model
//! rows are added to.
//!
//! Contract for a lowering function (one per element family, e.g. `ui::lower_ui`):
//! `fn lower_x(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error>`. It reads attributes
//! with [`Ctx::attrs`] (listing every attribute it supports; any other is an error), walks
//! children with [`Ctx::elements`] (returning [`Ctx::unsupported`] for any child it does not
//! handle), adds rows with [`Ctx::add_row`], and records cross references with
//! [`Ctx::reference`] so the linker can report a dangling `*Ref` with its position.

use super::Error;
use crate::tables::{self, TableDef};
use roxmltree::Node;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The WiX v3 source namespace.
pub const WIX_NS: &str = "http://schemas.microsoft.com/wix/2006/wi";

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
    /// `<MediaTemplate>`, if any.
    pub media_template: Option<MediaTemplate>,
    /// Explicit `<Media>` elements with an embedded cabinet: disk id -> (cabinet stream name,
    /// compressed).
    pub embedded_media: BTreeMap<i32, (String, bool)>,
    /// Component id -> directory id (for default `CreateFolder`/`RemoveFile` directories).
    pub component_dirs: BTreeMap<String, String>,
    /// Line-start offsets per source file, so a position costs a binary search instead of a
    /// scan from the top of the file (`roxmltree::Document::text_pos_at` scans).
    line_starts: std::cell::RefCell<BTreeMap<PathBuf, std::rc::Rc<LineIndex>>>,
}

/// Line-start byte offsets of a file, and whether it is all ASCII (then columns are bytes).
type LineIndex = (Vec<usize>, bool);

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
                if super::writer::cp1252(s).is_none() {
                    let bad: String =
                        s.chars().filter(|c| super::writer::cp1252(&c.to_string()).is_none()).take(5).collect();
                    return Err(loc.error(format!(
                        "{table}.{}: {bad:?} cannot be stored in the database codepage (Windows-1252)",
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

/// The lowering context handed to every element family's lowering function.
pub struct Ctx<'a> {
    /// The `.wxs` file being lowered.
    pub file: &'a Path,
    /// Its directory (relative `Source`/`SourceFile` paths resolve against it).
    pub dir: &'a Path,
    /// Preprocessor variables (`$(var.X)`): the build's variables plus this file's `<?define?>`s.
    pub vars: &'a BTreeMap<String, String>,
    /// Localization strings (`!(loc.X)`).
    pub strings: &'a BTreeMap<String, String>,
    /// The tables and symbols lowered so far.
    pub model: &'a mut Model,
    /// Whether components default to 64-bit (`Package/@Platform="x64"`).
    pub win64: bool,
}

/// The resolved attributes of one element, checked against the list its lowering supports.
#[derive(Debug, Clone)]
pub struct Attrs {
    /// The element name.
    pub element: String,
    /// The element's position.
    pub loc: Loc,
    vals: Vec<(String, String, Loc)>,
}

impl Attrs {
    /// The attribute's value after substitution, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vals.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v.as_str())
    }
    /// Whether the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// The attribute's value as an owned string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
    /// Position of the attribute (or of the element if absent).
    pub fn loc_of(&self, name: &str) -> &Loc {
        self.vals.iter().find(|(n, _, _)| n == name).map_or(&self.loc, |(_, _, l)| l)
    }
    /// An error about attribute `name`.
    pub fn error(&self, name: &str, message: impl std::fmt::Display) -> Error {
        self.loc_of(name).error(format!("<{}> attribute {name}: {message}", self.element))
    }
    /// The attribute's value, or an error saying it is required.
    pub fn required(&self, name: &str) -> Result<String, Error> {
        self.string(name).ok_or_else(|| self.loc.error(format!("<{}> requires the {name} attribute", self.element)))
    }
    /// A `yes`/`no` attribute.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(v) => Err(self.error(name, format!("{v:?} is not \"yes\" or \"no\""))),
        }
    }
    /// A `yes`/`no` attribute that is `true` only when `yes`.
    pub fn is_yes(&self, name: &str) -> Result<bool, Error> {
        Ok(self.yes_no(name)? == Some(true))
    }
    /// An integer attribute.
    pub fn int(&self, name: &str) -> Result<Option<i32>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.parse::<i32>().map(Some).map_err(|_| self.error(name, format!("{v:?} is not an integer"))),
        }
    }
    /// An attribute restricted to `allowed` values.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(self.error(name, format!("{v:?} is not one of: {}", allowed.join(", ")))),
        }
    }
    /// A GUID attribute normalised to `{XXXXXXXX-...}` upper case; `*` is returned as is.
    pub fn guid(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some("*") => Ok(Some("*".to_string())),
            Some(v) => {
                normalize_guid(v).map(Some).ok_or_else(|| self.error(name, format!("{v:?} is not a valid GUID")))
            }
        }
    }
    /// An identifier attribute (MSI `Identifier` rules, at most 72 characters).
    pub fn identifier(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if is_identifier(v) => Ok(Some(v.to_string())),
            Some(v) => Err(self.error(name, format!("{v:?} is not a valid identifier (letters, digits, _ and ., starting with a letter or _; at most 72 characters)"))),
        }
    }
    /// A required identifier attribute.
    pub fn required_id(&self, name: &str) -> Result<String, Error> {
        self.required(name)?;
        Ok(self.identifier(name)?.expect("checked present"))
    }
}

/// Whether `s` is an MSI identifier.
pub fn is_identifier(s: &str) -> bool {
    s.len() <= 72
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` upper case, from a GUID with or without braces.
pub fn normalize_guid(v: &str) -> Option<String> {
    let inner = v.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(v);
    if inner.len() != 36 {
        return None;
    }
    let u = uuid::Uuid::parse_str(inner).ok()?;
    Some(format!("{{{}}}", u.hyphenated()).to_ascii_uppercase())
}

impl<'a> Ctx<'a> {
    /// Position of `node` in the current file.
    pub fn loc(&self, node: Node<'_, '_>) -> Loc {
        self.loc_at(node, node.range().start)
    }

    fn loc_at(&self, node: Node<'_, '_>, pos: usize) -> Loc {
        let text = node.document().input_text();
        let starts = {
            let mut cache = self.model.line_starts.borrow_mut();
            cache
                .entry(self.file.to_path_buf())
                .or_insert_with(|| {
                    let mut v = vec![0];
                    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
                    std::rc::Rc::new((v, text.is_ascii()))
                })
                .clone()
        };
        let (starts, ascii) = (&starts.0, starts.1);
        let line = starts.partition_point(|&s| s <= pos);
        let start = starts[line - 1];
        // Columns count characters; for the (usual) ASCII-only file, bytes are characters.
        let column =
            if ascii { pos - start + 1 } else { text.get(start..pos).map_or(pos - start, |t| t.chars().count()) + 1 };
        Loc { file: self.file.to_path_buf(), line: line as u32, column: column as u32 }
    }

    /// An error at `node`.
    pub fn error(&self, node: Node<'_, '_>, message: impl Into<String>) -> Error {
        self.loc(node).error(message)
    }

    /// The error for a child element that `parent`'s lowering does not support.
    pub fn unsupported(&self, child: Node<'_, '_>, supported: &[&str]) -> Error {
        let parent = child.parent_element().map_or("document".to_string(), |p| format!("<{}>", p.tag_name().name()));
        let name = match child.tag_name().namespace() {
            Some(ns) if ns != WIX_NS => format!("{{{ns}}}{}", child.tag_name().name()),
            _ => child.tag_name().name().to_string(),
        };
        self.error(
            child,
            format!(
                "<{name}> is not supported here (supported children of {parent}: {})",
                if supported.is_empty() { "none".to_string() } else { supported.join(", ") }
            ),
        )
    }

    /// The element children of `node`; non-whitespace text, or elements outside the WiX
    /// namespace, are errors. Comments are skipped; processing instructions are rejected
    /// unless they are `<?define?>` (handled when the file is loaded).
    pub fn elements<'n, 'i>(&self, node: Node<'n, 'i>) -> Result<Vec<Node<'n, 'i>>, Error> {
        let mut out = Vec::new();
        for c in node.children() {
            if c.is_element() {
                if c.tag_name().namespace() != Some(WIX_NS) {
                    return Err(self.unsupported(c, &[]));
                }
                out.push(c);
            } else if c.is_text() {
                if !c.text().unwrap_or("").trim().is_empty() {
                    return Err(self.error(c, format!("<{}> does not take text content", node.tag_name().name())));
                }
            } else if let Some(pi) = c.pi() {
                if pi.target != "define" {
                    return Err(self.error(
                        c,
                        format!("preprocessor instruction <?{}?> is not supported (only <?define?>)", pi.target),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The inner text of `node` (e.g. a condition), substituted; `None` if empty. Child
    /// elements are errors.
    pub fn text(&self, node: Node<'_, '_>) -> Result<Option<String>, Error> {
        let mut s = String::new();
        for c in node.children() {
            if c.is_element() {
                return Err(self.error(c, format!("<{}> takes only text content", node.tag_name().name())));
            }
            if c.is_text() {
                s.push_str(c.text().unwrap_or(""));
            }
        }
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            Ok(Some(self.substitute(s, &self.loc(node))?))
        }
    }

    /// Reads `node`'s attributes, substituting `$(var.X)`/`!(loc.X)`; an attribute not in
    /// `supported` (or in another namespace) is an error listing the supported ones.
    pub fn attrs(&self, node: Node<'_, '_>, supported: &[&str]) -> Result<Attrs, Error> {
        let element = node.tag_name().name().to_string();
        let mut vals = Vec::new();
        for a in node.attributes() {
            let loc = self.loc_at(node, a.range().start);
            if a.namespace().is_some() || !supported.contains(&a.name()) {
                let name = match a.namespace() {
                    Some(ns) => format!("{{{ns}}}{}", a.name()),
                    None => a.name().to_string(),
                };
                return Err(loc.error(format!(
                    "attribute {name} of <{element}> is not supported (supported: {})",
                    supported.join(", ")
                )));
            }
            let v = self.substitute(a.value(), &loc)?;
            vals.push((a.name().to_string(), v, loc));
        }
        Ok(Attrs { element, loc: self.loc(node), vals })
    }

    /// Substitutes `$(var.X)` and `!(loc.X)` in `s`; any other `$(...)`/`!(...)` form is an error.
    pub fn substitute(&self, s: &str, loc: &Loc) -> Result<String, Error> {
        substitute(s, self.vars, self.strings, loc)
    }

    /// Adds a row to `table` for `node` (see [`Model::add_row`]).
    pub fn add_row(&mut self, node: Node<'_, '_>, table: &str, cells: Vec<Cell>) -> Result<(), Error> {
        let loc = self.loc(node);
        self.model.add_row(&loc, table, cells)
    }

    /// Records a reference from `node` to the symbol `kind`/`id`, checked after linking.
    pub fn reference(&mut self, node: Node<'_, '_>, kind: &str, id: &str) {
        let loc = self.loc(node);
        self.model.references.push(Reference { kind: kind.to_string(), id: id.to_string(), loc });
    }

    /// Defines the symbol `kind`/`id` at `node` (duplicates are errors).
    pub fn define(&mut self, node: Node<'_, '_>, kind: &str, id: &str) -> Result<(), Error> {
        let loc = self.loc(node);
        let key = (kind.to_string(), id.to_string());
        if let Some(first) = self.model.symbols.get(&key) {
            return Err(loc.error(format!("{kind} {id} is defined twice (first at {first})")));
        }
        self.model.symbols.insert(key, loc);
        Ok(())
    }

    /// A path attribute resolved against the current file's directory.
    pub fn source_path(&self, value: &str) -> PathBuf {
        let p = Path::new(value);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(value.replace('\\', "/"))
        }
    }
}

/// Substitutes `$(var.X)` and `!(loc.X)` in `s`.
pub fn substitute(
    s: &str,
    vars: &BTreeMap<String, String>,
    strings: &BTreeMap<String, String>,
    loc: &Loc,
) -> Result<String, Error> {
    if !s.contains("$(") && !s.contains("!(") {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['$', '!']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        if !tail[1..].starts_with('(') {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        let end = tail.find(')').ok_or_else(|| loc.error(format!("unterminated {}( in {s:?}", &tail[..1])))?;
        let inner = &tail[2..end];
        let value = match (&tail[..1], inner.split_once('.')) {
            ("$", Some(("var", name))) => vars.get(name).ok_or_else(|| {
                loc.error(format!("undefined preprocessor variable $(var.{name}) (define it with <?define?> or the build's variables)"))
            })?,
            ("!", Some(("loc", name))) => strings.get(name).ok_or_else(|| {
                loc.error(format!("undefined localization string !(loc.{name}) (add it to a .wxl file)"))
            })?,
            (sigil, _) => {
                return Err(loc.error(format!(
                    "{sigil}({inner}) is not supported (only $(var.Name) and !(loc.Name))"
                )))
            }
        };
        out.push_str(value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
