//! The release bundle: a zip of the MSI, SHA256SUMS, the silent-install guide and the support files.
//!
//! The zip is reproducible: entries are sorted by name, every entry has the same timestamp (from
//! `SOURCE_DATE_EPOCH` or a fixed default, chosen by the caller) and the same permissions, and
//! the compression is deterministic. It is written to a temporary file beside the output and
//! renamed into place only when complete, so a failure never leaves a partial bundle.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod setup;

/// The name of the checksum file inside the bundle.
pub const SHA256SUMS: &str = "SHA256SUMS";

/// Errors writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A source file could not be read, or the output written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The zip writer failed.
    #[error("writing {}: {source}", path.display())]
    Zip {
        /// The bundle being written.
        path: PathBuf,
        /// The cause.
        source: zip::result::ZipError,
    },
    /// An entry name is not a plain relative `/`-separated path, or is used twice.
    #[error("bundle entry name `{name}`: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The timestamp cannot be stored in a zip (DOS dates run from 1980 to 2107).
    #[error("timestamp {0} (unix seconds) is outside the zip format's range 1980-2107; set SOURCE_DATE_EPOCH to a later date")]
    Timestamp(u64),
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, streamed (so a large MSI is never held in memory).
    File(PathBuf),
    /// Bytes in memory.
    Bytes(Vec<u8>),
}

/// One entry of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path inside the zip, `/`-separated (e.g. `support/migrateEmbeddedConnector.exe`).
    pub name: String,
    /// Its content.
    pub source: Source,
}

impl Entry {
    /// An entry read from a file.
    pub fn file(name: impl Into<String>, path: impl Into<PathBuf>) -> Entry {
        Entry { name: name.into(), source: Source::File(path.into()) }
    }

    /// An entry from bytes.
    pub fn bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Entry {
        Entry { name: name.into(), source: Source::Bytes(bytes.into()) }
    }

    fn open(&self) -> Result<Box<dyn Read + '_>, BundleError> {
        Ok(match &self.source {
            Source::File(path) => {
                Box::new(File::open(path).map_err(|source| BundleError::Io { path: path.clone(), source })?)
            }
            Source::Bytes(b) => Box::new(&b[..]),
        })
    }

    fn origin(&self) -> PathBuf {
        match &self.source {
            Source::File(p) => p.clone(),
            Source::Bytes(_) => PathBuf::from(&self.name),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// The zip.
    pub output: PathBuf,
    /// Entry names in the order written (sorted), `SHA256SUMS` included.
    pub entries: Vec<String>,
    /// The content of `SHA256SUMS`.
    pub sha256sums: String,
    /// The zip's size in bytes.
    pub bytes: u64,
}

fn check_name(name: &str) -> Result<(), BundleError> {
    let bad = |reason| Err(BundleError::BadName { name: name.to_string(), reason });
    if name.is_empty() || name.starts_with('/') || name.ends_with('/') {
        return bad("must be a non-empty relative path to a file");
    }
    if name.contains('\\') || name.contains(':') {
        return bad("must use `/` separators and no drive");
    }
    if name.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return bad("must not contain empty, `.` or `..` components");
    }
    if name == SHA256SUMS {
        return bad("is reserved for the checksum file the bundle writes itself");
    }
    Ok(())
}

/// The SHA-256 of everything `reader` yields, as lowercase hex.
pub fn sha256_hex(mut reader: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Converts unix seconds to a zip (DOS) timestamp, in UTC.
fn dos_time(unix: u64) -> Result<zip::DateTime, BundleError> {
    // Days-to-civil conversion (Howard Hinnant's algorithm), hand-written to avoid a date
    // dependency in the library for one conversion.
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let year = u16::try_from(year).map_err(|_| BundleError::Timestamp(unix))?;
    zip::DateTime::from_date_and_time(year, month, day, (secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8)
        .map_err(|_| BundleError::Timestamp(unix))
}

/// Writes the bundle: every entry plus a `SHA256SUMS` of them (`sha256sum -c` format), sorted
/// by name, stamped with `timestamp` (unix seconds), to `output` via a temporary file.
pub fn write_bundle(entries: &[Entry], output: &Path, timestamp: u64) -> Result<BundleReport, BundleError> {
    let mtime = dos_time(timestamp)?;
    let mut by_name: BTreeMap<&str, &Entry> = BTreeMap::new();
    for e in entries {
        check_name(&e.name)?;
        if by_name.insert(&e.name, e).is_some() {
            return Err(BundleError::BadName { name: e.name.clone(), reason: "is given twice" });
        }
    }
    let mut sums = String::new();
    for (name, e) in &by_name {
        let hex = sha256_hex(e.open()?).map_err(|source| BundleError::Io { path: e.origin(), source })?;
        sums.push_str(&format!("{hex}  {name}\n"));
    }
    let sums_entry = Entry::bytes(SHA256SUMS, sums.clone().into_bytes());
    by_name.insert(SHA256SUMS, &sums_entry);

    let dir = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| BundleError::Io { path: dir.to_path_buf(), source })?;
    let file_name = output.file_name().map_or_else(|| "bundle.zip".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = write_zip(&by_name, &tmp, mtime).and_then(|()| {
        std::fs::rename(&tmp, output).map_err(|source| BundleError::Io { path: output.to_path_buf(), source })
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let bytes =
        std::fs::metadata(output).map_err(|source| BundleError::Io { path: output.to_path_buf(), source })?.len();
    Ok(BundleReport {
        output: output.to_path_buf(),
        entries: by_name.keys().map(|s| s.to_string()).collect(),
        sha256sums: sums,
        bytes,
    })
}

fn write_zip(entries: &BTreeMap<&str, &Entry>, path: &Path, mtime: zip::DateTime) -> Result<(), BundleError> {
    let io_err = |source| BundleError::Io { path: path.to_path_buf(), source };
    let zip_err = |source| BundleError::Zip { path: path.to_path_buf(), source };
    let file = File::create(path).map_err(io_err)?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(mtime)
        .unix_permissions(0o644)
        .large_file(false);
    for (name, entry) in entries {
        let size = match &entry.source {
            Source::File(p) => {
                std::fs::metadata(p).map_err(|source| BundleError::Io { path: p.clone(), source })?.len()
            }
            Source::Bytes(b) => b.len() as u64,
        };
        // Zip64 only where the format needs it, so small bundles stay plain zip.
        let options = options.large_file(size >= 0xFFFF_FFFF);
        zip.start_file(*name, options).map_err(zip_err)?;
        std::io::copy(&mut entry.open()?, &mut zip)
            .map_err(|source| BundleError::Io { path: entry.origin(), source })?;
    }
    let mut inner = zip.finish().map_err(zip_err)?;
    inner.flush().map_err(io_err)?;
    let file = inner.into_inner().map_err(|e| io_err(e.into_error()))?;
    file.sync_all().map_err(io_err)?;
    Ok(())
}

/// Reads a bundle back: entry names and contents, in the zip's order (for tests and checks).
pub fn read_bundle(path: &Path) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let file = File::open(path).map_err(|source| BundleError::Io { path: path.to_path_buf(), source })?;
    read_zip(file, path)
}

fn read_zip(reader: impl Read + Seek, path: &Path) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let zip_err = |source| BundleError::Zip { path: path.to_path_buf(), source };
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_err)?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(zip_err)?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|source| BundleError::Io { path: path.to_path_buf(), source })?;
        out.push((f.name().to_string(), bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<Entry> {
        let msi = dir.join("p.msi");
        std::fs::write(&msi, vec![7u8; 100_000]).unwrap();
        vec![
            Entry::file("support/tool.exe", dir.join("p.msi")),
            Entry::bytes("silent-install.md", "# guide\n"),
            Entry::file("p-1.0.0-x64.msi", msi),
        ]
    }

    #[test]
    fn sorted_with_sums_and_identical_twice() {
        let t = tempfile::tempdir().unwrap();
        let e = entries(t.path());
        let a = write_bundle(&e, &t.path().join("a.zip"), 1_577_836_800).unwrap();
        let mut reversed = e.clone();
        reversed.reverse();
        let b = write_bundle(&reversed, &t.path().join("b.zip"), 1_577_836_800).unwrap();
        assert_eq!(std::fs::read(&a.output).unwrap(), std::fs::read(&b.output).unwrap());
        assert_eq!(a.entries, ["SHA256SUMS", "p-1.0.0-x64.msi", "silent-install.md", "support/tool.exe"]);
        let read = read_bundle(&a.output).unwrap();
        let names: Vec<_> = read.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, a.entries);
        let sums = String::from_utf8(read[0].1.clone()).unwrap();
        assert_eq!(sums, a.sha256sums);
        let guide_hash = sha256_hex(&b"# guide\n"[..]).unwrap();
        assert!(sums.contains(&format!("{guide_hash}  silent-install.md\n")), "{sums}");
        assert_eq!(sums.lines().count(), 3);
        assert_eq!(read[1].1, vec![7u8; 100_000]);
        // No temporary file is left beside the output.
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }

    #[test]
    fn timestamp_changes_bytes_and_is_checked() {
        let t = tempfile::tempdir().unwrap();
        let e = entries(t.path());
        let a = write_bundle(&e, &t.path().join("a.zip"), 1_577_836_800).unwrap();
        let b = write_bundle(&e, &t.path().join("b.zip"), 1_600_000_000).unwrap();
        assert_ne!(std::fs::read(a.output).unwrap(), std::fs::read(b.output).unwrap());
        assert!(matches!(write_bundle(&e, &t.path().join("c.zip"), 0), Err(BundleError::Timestamp(0))));
        assert!(!t.path().join("c.zip").exists());
    }

    #[test]
    fn dos_time_is_utc_civil_time() {
        let d = dos_time(1_577_836_800).unwrap(); // 2020-01-01T00:00:00Z
        assert_eq!((d.year(), d.month(), d.day(), d.hour(), d.minute(), d.second()), (2020, 1, 1, 0, 0, 0));
        let d = dos_time(951_827_696).unwrap(); // 2000-02-29T12:34:56Z
        assert_eq!((d.year(), d.month(), d.day(), d.hour(), d.minute(), d.second()), (2000, 2, 29, 12, 34, 56));
    }

    #[test]
    fn bad_names_and_missing_files() {
        let t = tempfile::tempdir().unwrap();
        for name in ["../x", "/abs", "a\\b", "a//b", "SHA256SUMS", "dir/"] {
            let e = [Entry::bytes(name, "x")];
            assert!(
                matches!(write_bundle(&e, &t.path().join("x.zip"), 1_577_836_800), Err(BundleError::BadName { .. })),
                "{name}"
            );
        }
        let dup = [Entry::bytes("a", "1"), Entry::bytes("a", "2")];
        assert!(matches!(write_bundle(&dup, &t.path().join("x.zip"), 1_577_836_800), Err(BundleError::BadName { .. })));
        let missing = [Entry::file("m.msi", t.path().join("nope.msi"))];
        let err = write_bundle(&missing, &t.path().join("x.zip"), 1_577_836_800).unwrap_err();
        assert!(err.to_string().contains("nope.msi"), "{err}");
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0, "no zip and no temporary file left");
    }
}
