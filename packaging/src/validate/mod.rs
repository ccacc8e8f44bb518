//! ICE-style validation of any MSI database, without Windows.
//!
//! Microsoft's ICE validators need a working Windows Installer; these checks read the database with
//! the `msi` crate and run on any host, on any MSI (the project's own or one built by another tool,
//! such as wixl). Each check lives in its own module; the numbers follow the MSI SDK's "ICE
//! Reference" where a check has an ICE counterpart, and the project's own rules (secret hygiene,
//! custom-action DLL exports) carry a descriptive rule name instead.
//!
//! ```no_run
//! let report = packaging::validate::validate_file("target/dist/idm-1.0.0-x64.msi").unwrap();
//! for finding in &report.findings {
//!     eprintln!("{finding}");
//! }
//! assert!(!report.has_errors());
//! ```

mod components;
mod custom_actions;
mod db;
mod dialogs;
mod product;
mod props;
mod schema;
mod secrets;
mod sequence;
mod summary;

use std::fmt;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use custom_actions::pe_exports;
pub use db::{Db, DeclaredColumn, RowRef, Summary, TableData};
pub use secrets::secret_properties;

/// How serious a finding is: an error fails `cargo xtask validate` and `cargo xtask dist`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The package is broken or unsafe: an install would fail, misbehave or leak a secret.
    Error,
    /// Likely a mistake, but Windows Installer accepts the package.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a database, located by table, row and (where it applies) column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The ICE number of the check, when the check has a Microsoft counterpart.
    pub ice: Option<u16>,
    /// The check's name: `"ICE77"` for ICE checks, a descriptive name (`"hidden-secret"`) for the
    /// project's own rules.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The table the finding is about (`_SummaryInformation` for the summary stream).
    pub table: String,
    /// The row's primary key as text (several key columns joined with `/`); empty for a finding
    /// about a whole table.
    pub row: String,
    /// The column, when the finding is about one value.
    pub column: Option<String>,
    /// What is wrong and, where it is not obvious, how to fix it.
    pub message: String,
}

impl Finding {
    /// A finding of `rule` (whose ICE number, if any, is taken from the rule name).
    pub(crate) fn new(
        rule: &'static str,
        severity: Severity,
        table: impl Into<String>,
        row: impl Into<String>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let ice = rule.strip_prefix("ICE").and_then(|n| n.parse().ok());
        Finding {
            ice,
            rule,
            severity,
            table: table.into(),
            row: row.into(),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An error finding.
    pub(crate) fn error(
        rule: &'static str,
        table: impl Into<String>,
        row: impl Into<String>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(rule, Severity::Error, table, row, column, message)
    }

    /// A warning finding.
    pub(crate) fn warning(
        rule: &'static str,
        table: impl Into<String>,
        row: impl Into<String>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(rule, Severity::Warning, table, row, column, message)
    }
}

impl fmt::Display for Finding {
    /// `ICE77 error: InstallExecuteSequence row 'Foo' column 'Sequence': message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.rule, self.severity, self.table)?;
        if !self.row.is_empty() {
            write!(f, " row '{}'", self.row)?;
        }
        if let Some(column) = &self.column {
            write!(f, " column '{column}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything the checks found in one database, errors first, then by rule, table and row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The findings; empty for a clean database.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when at least one finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The number of error findings.
    pub fn error_count(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }

    /// The number of warning findings.
    pub fn warning_count(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    /// The findings of one rule (`"ICE77"`, `"hide-target"`, ...).
    pub fn by_rule<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// The report as pretty-printed JSON (`{"findings": [{"ice": 77, "rule": "ICE77", ...}]}`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// Why a database could not be validated at all (findings are not errors of this kind).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is missing or is not an MSI (OLE compound file with an MSI database).
    #[error("{}: cannot open as an MSI database: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the `msi` crate reported.
        source: std::io::Error,
    },
    /// A table exists but its rows cannot be read.
    #[error("cannot read table `{table}`: {source}")]
    ReadTable {
        /// The table.
        table: String,
        /// What the `msi` crate reported.
        source: std::io::Error,
    },
}

/// Opens the MSI at `path` read-only and runs every check on it.
pub fn validate_file(path: impl AsRef<Path>) -> Result<Report, Error> {
    let path = path.as_ref();
    let mut package = msi::open(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    validate(&mut package)
}

/// Runs every check on an open package (read-only: nothing is written).
pub fn validate<F: Read + Seek>(package: &mut msi::Package<F>) -> Result<Report, Error> {
    let db = Db::load(package)?;
    Ok(validate_db(&db))
}

/// Runs every check on a loaded database snapshot.
pub fn validate_db(db: &Db) -> Report {
    let mut findings = Vec::new();
    schema::check(db, &mut findings);
    components::check(db, &mut findings);
    product::check(db, &mut findings);
    sequence::check(db, &mut findings);
    custom_actions::check(db, &mut findings);
    secrets::check(db, &mut findings);
    dialogs::check(db, &mut findings);
    summary::check(db, &mut findings);
    findings.sort_by(|a, b| {
        (a.severity, a.rule, &a.table, &a.row, &a.column).cmp(&(b.severity, b.rule, &b.table, &b.row, &b.column))
    });
    findings.dedup();
    Report { findings }
}
