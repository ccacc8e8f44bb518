//! The setup program (`<name>-<version>-x64-setup.exe`): the linked setup stub with the MSI and
//! the prerequisite packages appended, in the format of `bundle_core::payload`.
//!
//! The manifest's prerequisite rows and hidden property names are read from the built MSI
//! itself (its `IdmPrerequisite` table and `MsiHiddenProperties`), so the setup program and the
//! MSI detect with the very same rules, and the setup program masks exactly the properties the
//! MSI hides.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use bundle_core::detect::{COLUMNS, PACKAGE_DIR, TABLE};
use bundle_core::payload::{self, Manifest};

use crate::validate::Db;

/// Errors writing the setup program.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The MSI could not be read.
    #[error("reading {}: {reason}", path.display())]
    Msi {
        /// The MSI.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The payload could not be written.
    #[error("writing {}: {source}", path.display())]
    Payload {
        /// The output.
        path: PathBuf,
        /// The cause.
        source: payload::PayloadError,
    },
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupReport {
    /// The setup program.
    pub output: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The `IdmPrerequisite` rows (cells in `COLUMNS` order) and `MsiHiddenProperties` of an MSI,
/// with its `ProductName` and `ProductVersion`.
pub fn manifest_head(msi: &Path) -> Result<Manifest, SetupError> {
    let fail = |reason: String| SetupError::Msi { path: msi.to_path_buf(), reason };
    let file = File::open(msi).map_err(|source| SetupError::Io { path: msi.to_path_buf(), source })?;
    let mut package = msi::Package::open(BufReader::new(file)).map_err(|e| fail(e.to_string()))?;
    let db = Db::load(&mut package).map_err(|e| fail(e.to_string()))?;
    let mut prerequisites = Vec::new();
    if let Some(table) = db.table(TABLE) {
        for row in table.rows() {
            let cells = COLUMNS
                .iter()
                .map(|c| match row.get(c) {
                    Some(msi::Value::Str(s)) if !s.is_empty() => Some(s.clone()),
                    Some(msi::Value::Int(n)) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Vec<Option<String>>>();
            prerequisites.push(cells);
        }
    }
    let name = msi.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| fail("no file name".into()))?;
    Ok(Manifest {
        format: payload::FORMAT,
        product: db.property("ProductName").unwrap_or_default().to_string(),
        version: db.property("ProductVersion").unwrap_or_default().to_string(),
        msi: name,
        hidden_properties: db.property_list("MsiHiddenProperties"),
        prerequisites,
        files: Vec::new(),
    })
}

/// The payload entry name of a prerequisite package: `prerequisites/<file>`.
pub fn package_entry(file: &str) -> String {
    format!("{PACKAGE_DIR}/{file}")
}

/// Writes `output`: `stub` (the linked setup program), then `msi` and each package
/// (`(file name, path)`), then the manifest. Written to a temporary file beside `output` and
/// renamed into place when complete.
pub fn write_setup(
    stub: &Path,
    msi: &Path,
    packages: &[(String, PathBuf)],
    output: &Path,
) -> Result<SetupReport, SetupError> {
    let head = manifest_head(msi)?;
    let mut files: Vec<(String, &Path)> = vec![(head.msi.clone(), msi)];
    files.extend(packages.iter().map(|(name, path)| (package_entry(name), path.as_path())));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SetupError::Io { path, source }
    };
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        output.file_name().map_or_else(|| "setup.exe".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let result = (|| {
        let mut stub_file = BufReader::new(File::open(stub).map_err(io(stub))?);
        let mut out = BufWriter::new(File::create(&tmp).map_err(io(&tmp))?);
        let manifest = payload::write(&mut stub_file, &files, head, &mut out)
            .map_err(|source| SetupError::Payload { path: output.to_path_buf(), source })?;
        out.flush().map_err(io(&tmp))?;
        out.into_inner()
            .map_err(|e| SetupError::Io { path: tmp.clone(), source: e.into_error() })?
            .sync_all()
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, output).map_err(io(output))?;
        Ok(manifest)
    })();
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(output).map_err(io(output))?.len();
    Ok(SetupReport { output: output.to_path_buf(), manifest, bytes })
}
