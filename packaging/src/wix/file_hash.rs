//! `MsiFileHash` rows for the unversioned payload files.
//!
//! MSI SDK "MsiFileHash Table" (https://learn.microsoft.com/en-us/windows/win32/msi/msifilehash-table):
//! a 128-bit hash of each unversioned source file, split into four 32-bit columns
//! `HashPart1..4`, `Options` 0; the table "can only be used with unversioned files". The hash is
//! the one `MsiGetFileHash` returns (MSIFILEHASHINFO, "MsiGetFileHash function"): the MD5 of the
//! file's bytes, its 16 bytes read as four little-endian 32-bit values (Wine's `MsiGetFileHashW`
//! copies the MD5 digest into `dwData[4]`; WiX's binder fills the table the same way). With it,
//! Windows Installer skips copying an unversioned file whose copy on the machine is identical
//! ("Default File Versioning") instead of comparing dates.
//!
//! The database is written before the cabinets ([`super::writer`]), so the hashes come from a
//! pass of their own over the unversioned files, on all cores, before the tables are built.

use super::error::Error;
use super::model::{Cell, Model};
use md5::{Digest, Md5};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The `File` column that holds the version (MSI SDK "File Table"): null for an unversioned file.
const FILE_VERSION_COLUMN: usize = 4;

/// Adds an `MsiFileHash` row for every `File` row without a `Version` (and none for a versioned
/// file).
pub(super) fn add_file_hashes(model: &mut Model) -> Result<(), Error> {
    let unversioned: Vec<(String, std::path::PathBuf, super::model::Loc)> = model
        .rows("File")
        .iter()
        .filter(|r| {
            matches!(&r.cells[FILE_VERSION_COLUMN], Cell::Null) || r.cells[FILE_VERSION_COLUMN].as_str() == Some("")
        })
        .filter_map(|r| {
            let id = r.cells[0].as_str()?;
            let f = model.files.iter().find(|f| f.id == id)?;
            Some((id.to_string(), f.source.clone(), f.loc.clone()))
        })
        .collect();
    let hashes = hash_all(unversioned.iter().map(|(_, p, _)| p.as_path()).collect())?;
    for ((id, _, loc), hash) in unversioned.iter().zip(hashes) {
        let mut cells = vec![Cell::Str(id.clone()), Cell::Int(0)];
        cells.extend(hash_parts(&hash).into_iter().map(Cell::Int));
        model.add_row(loc, "MsiFileHash", cells)?;
    }
    Ok(())
}

/// `HashPart1..4` of an MD5 digest: its bytes as four little-endian 32-bit integers (stored as
/// the signed `DoubleInteger` the columns are).
pub(super) fn hash_parts(md5: &[u8; 16]) -> [i32; 4] {
    std::array::from_fn(|i| i32::from_le_bytes([md5[4 * i], md5[4 * i + 1], md5[4 * i + 2], md5[4 * i + 3]]))
}

/// One file's MD5, or why it could not be read.
type Hashed = Result<[u8; 16], Error>;

/// The MD5 of each file, in order, hashed on up to 8 threads (results do not depend on the
/// thread count).
fn hash_all(paths: Vec<&Path>) -> Result<Vec<[u8; 16]>, Error> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8).min(paths.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Hashed>>> = Mutex::new((0..paths.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let r = md5_file(path, &mut buf);
                    let failed = r.is_err();
                    results.lock().expect("no thread panics holding the lock")[i] = Some(r);
                    if failed {
                        // Stop handing out work; the first error in file order is reported.
                        next.store(paths.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(paths.len());
    for (i, r) in results.into_inner().expect("no thread panicked").into_iter().enumerate() {
        match r {
            Some(r) => out.push(r?),
            None => return Err(Error::io(paths[i], std::io::Error::other("not hashed after an earlier error"))),
        }
    }
    Ok(out)
}

fn md5_file(path: &Path, buf: &mut [u8]) -> Hashed {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Md5::new();
    loop {
        let n = f.read(buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1321 appendix A.5 test suite: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
    #[test]
    fn hash_parts_are_the_md5_bytes_little_endian() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.txt");
        std::fs::write(&p, b"abc").unwrap();
        let d = hash_all(vec![p.as_path()]).unwrap()[0];
        assert_eq!(d, [0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72]);
        // 0x98500190, 0xb04fd23c, 0x7d3f96d6, 0x727fe128 as signed 32-bit values.
        assert_eq!(hash_parts(&d), [0x9850_0190_u32 as i32, 0xb04f_d23c_u32 as i32, 0x7d3f_96d6, 0x727f_e128]);
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = hash_all(vec![Path::new("/nonexistent/payload.txt")]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/payload.txt"), "{e}");
    }
}
