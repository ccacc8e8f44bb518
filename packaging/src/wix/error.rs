//! The backend's error type: a source problem at `file:line:col`, an I/O failure naming the
//! file, a link problem without one position, and the `msi`/cabinet writers' failures.

use std::path::{Path, PathBuf};

/// A build failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem in a source file, at a position.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Wix {
        /// Source file.
        file: PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong and what to do.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A problem that has no single source position (e.g. nothing defines a `<Product>`).
    #[error("{0}")]
    Link(String),
    /// The `msi` crate refused something while writing the database.
    #[error("writing MSI table {table}: {source}")]
    Msi {
        /// Table (or stream) being written.
        table: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Building a cabinet failed.
    #[error("cabinet {cabinet}: {source}")]
    Cabinet {
        /// Cabinet name.
        cabinet: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_path_buf(), source }
    }
}
