//! An in-memory snapshot of an MSI database (tables, rows, `Binary` streams) that the checks read.
//!
//! Loading once and checking a plain snapshot keeps every check a pure function, independent of the
//! reader's file type, and lets unit tests build a snapshot without writing a package.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use msi::{ColumnType, Value};

use super::Error;

/// One column as the database declares it (in `_Columns` / `_Validation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredColumn {
    /// Column name.
    pub name: String,
    /// Storage type (`Int16`, `Int32`, `Str(max_len)`).
    pub coltype: ColumnType,
    /// Whether the database allows null in the column.
    pub nullable: bool,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

/// One table: its declared columns and its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableData {
    /// The columns in database order.
    pub columns: Vec<DeclaredColumn>,
    /// The rows, each value in column order.
    pub rows: Vec<Vec<Value>>,
}

impl TableData {
    /// The index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The rows as lookup-by-name views.
    pub fn rows(&self) -> impl Iterator<Item = RowRef<'_>> + '_ {
        self.rows.iter().map(move |values| RowRef { table: self, values })
    }
}

/// One row with lookup by column name.
#[derive(Clone, Copy, Debug)]
pub struct RowRef<'a> {
    table: &'a TableData,
    values: &'a [Value],
}

impl<'a> RowRef<'a> {
    /// The value of a column, `None` when the table has no such column.
    pub fn get(&self, column: &str) -> Option<&'a Value> {
        self.table.column_index(column).and_then(|i| self.values.get(i))
    }

    /// The string value of a column (`None` for null, a number, or a missing column).
    pub fn str(&self, column: &str) -> Option<&'a str> {
        self.get(column).and_then(Value::as_str)
    }

    /// The integer value of a column (`None` for null, a string, or a missing column).
    pub fn int(&self, column: &str) -> Option<i32> {
        self.get(column).and_then(Value::as_int)
    }

    /// The values in column order.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }

    /// The primary key as text: the key columns' values joined with `/`.
    pub fn key(&self) -> String {
        let parts: Vec<String> = self
            .table
            .columns
            .iter()
            .zip(self.values)
            .filter(|(c, _)| c.primary_key)
            .map(|(_, v)| value_text(v))
            .collect();
        parts.join("/")
    }
}

/// A value as plain text (empty for null).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) => s.clone(),
        Value::Binary => "[Binary]".to_owned(),
    }
}

/// The snapshot every check reads.
#[derive(Clone, Debug, Default)]
pub struct Db {
    /// User tables by name (the system tables `_Tables`, `_Columns`, `_Validation`,
    /// `_Streams`, `_Storages` are left out).
    pub tables: BTreeMap<String, TableData>,
    /// The contents of each `Binary` row's stream, by the row's `Name`; `None` when the stream is
    /// missing or unreadable.
    pub binaries: BTreeMap<String, Option<Vec<u8>>>,
    /// What the summary information stream says that the checks read.
    pub summary: Summary,
}

/// The summary information properties the checks read (MSI SDK "Summary Information Stream
/// Property Set").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The platform part of the Template property (`x64`, `Intel`, `Arm64`, ...).
    pub platform: Option<String>,
    /// The Page Count property: the minimum Windows Installer version times 100.
    pub page_count: Option<i32>,
}

impl Db {
    /// Reads every user table and the `Binary` streams of a package.
    pub fn load<F: Read + Seek>(package: &mut msi::Package<F>) -> Result<Db, Error> {
        let mut db = Db::default();
        let info = package.summary_info();
        db.summary = Summary { platform: info.arch().map(str::to_owned), page_count: info.page_count() };
        let names: Vec<String> =
            package.tables().map(|t| t.name().to_owned()).filter(|n| !n.starts_with('_')).collect();
        for name in names {
            let columns = package
                .get_table(&name)
                .map(|t| {
                    t.columns()
                        .iter()
                        .map(|c| DeclaredColumn {
                            name: c.name().to_owned(),
                            coltype: c.coltype(),
                            nullable: c.is_nullable(),
                            primary_key: c.is_primary_key(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let rows = package
                .select_rows(msi::Select::table(name.as_str()))
                .map_err(|source| Error::ReadTable { table: name.clone(), source })?
                .map(|row| (0..row.len()).map(|i| row[i].clone()).collect())
                .collect();
            db.tables.insert(name, TableData { columns, rows });
        }
        let binary_names: Vec<String> = db
            .table("Binary")
            .map(|t| t.rows().filter_map(|r| r.str("Name").map(str::to_owned)).collect())
            .unwrap_or_default();
        for name in binary_names {
            let data = package.read_stream(&format!("Binary.{name}")).ok().and_then(|mut s| {
                let mut data = Vec::new();
                s.read_to_end(&mut data).ok().map(|_| data)
            });
            db.binaries.insert(name, data);
        }
        Ok(db)
    }

    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&TableData> {
        self.tables.get(name)
    }

    /// The rows of a table (none when the table is absent).
    pub fn rows<'a>(&'a self, table: &str) -> Box<dyn Iterator<Item = RowRef<'a>> + 'a> {
        match self.tables.get(table) {
            Some(t) => Box::new(t.rows()),
            None => Box::new(std::iter::empty()),
        }
    }

    /// A property's value from the `Property` table.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.rows("Property").find(|r| r.str("Property") == Some(name)).and_then(|r| r.str("Value"))
    }

    /// A `;`-separated list property (`SecureCustomProperties`, `MsiHiddenProperties`), split.
    pub fn property_list(&self, name: &str) -> Vec<String> {
        self.property(name)
            .map(|v| v.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The actions of a sequence table with their sequence numbers (null = suppressed, left out),
    /// sorted by sequence.
    pub fn sequence(&self, table: &str) -> Vec<(String, i32)> {
        let mut actions: Vec<(String, i32)> =
            self.rows(table).filter_map(|r| Some((r.str("Action")?.to_owned(), r.int("Sequence")?))).collect();
        actions.sort_by_key(|(_, s)| *s);
        actions
    }
}

/// The sequence tables every sequence check looks at.
pub const SEQUENCE_TABLES: [&str; 6] = [
    "InstallExecuteSequence",
    "InstallUISequence",
    "AdminExecuteSequence",
    "AdminUISequence",
    "AdvtExecuteSequence",
    "AdvtUISequence",
];

/// The execute sequence tables (the ones with a script: InstallInitialize .. InstallFinalize).
pub const EXECUTE_SEQUENCE_TABLES: [&str; 3] =
    ["InstallExecuteSequence", "AdminExecuteSequence", "AdvtExecuteSequence"];
