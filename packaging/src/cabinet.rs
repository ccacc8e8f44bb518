//! MSZIP cabinets for the MSI's embedded media, written with the `cab` crate.
//!
//! Files are streamed from disk through the compressor into a temporary file, so memory does
//! not grow with the payload. Every file is stamped with the same fixed time (the build's
//! `SOURCE_DATE_EPOCH`), so the same payload gives byte-identical cabinets. The `cab` crate has
//! no spanning: one cabinet holds one folder of at most 65,535 data blocks of 32 KiB (2 GiB
//! uncompressed) and at most 65,535 files; the linker splits the payload before it gets there.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::PathBuf;

/// Largest number of files the linker puts in one cabinet (the CAB format's limit is 65,535).
pub const MAX_FILES_PER_CABINET: usize = 65_000;

/// One file to put in a cabinet.
#[derive(Debug, Clone)]
pub struct CabEntry {
    /// Name inside the cabinet (the `File` table key).
    pub name: String,
    /// Where the bytes come from.
    pub source: PathBuf,
    /// Expected size (checked while copying: a file that changed during the build is an error).
    pub size: u64,
}

/// Writes a cabinet holding `entries` (in order) to `out`, MSZIP-compressed unless `compress`
/// is false, every file dated `epoch` (seconds since 1970, UTC). Returns the SHA-256 of the
/// names and contents, which the package code is derived from.
pub fn write_cabinet<W: Write + Seek>(
    entries: &[CabEntry],
    out: W,
    compress: bool,
    epoch: u64,
) -> io::Result<(W, [u8; 32])> {
    let when = cab_datetime(epoch);
    let mut builder = cab::CabinetBuilder::new();
    let ctype = if compress { cab::CompressionType::MsZip } else { cab::CompressionType::None };
    let folder = builder.add_folder(ctype);
    for e in entries {
        let f = folder.add_file(e.name.clone());
        f.set_datetime(when);
        f.set_is_archive(true);
    }
    let mut hasher = Sha256::new();
    let mut writer = builder.build(out)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut i = 0;
    while let Some(mut fw) = writer.next_file()? {
        let e = &entries[i];
        i += 1;
        hasher.update((e.name.len() as u64).to_le_bytes());
        hasher.update(e.name.as_bytes());
        let mut src = BufReader::with_capacity(0, File::open(&e.source).map_err(|err| annotate(e, err))?);
        let mut n: u64 = 0;
        loop {
            let k = src.read(&mut buf).map_err(|err| annotate(e, err))?;
            if k == 0 {
                break;
            }
            hasher.update(&buf[..k]);
            fw.write_all(&buf[..k])?;
            n += k as u64;
        }
        if n != e.size {
            return Err(io::Error::other(format!(
                "{} changed during the build ({} bytes expected, {n} read)",
                e.source.display(),
                e.size
            )));
        }
        hasher.update(n.to_le_bytes());
    }
    let out = writer.finish()?;
    Ok((out, hasher.finalize().into()))
}

fn annotate(e: &CabEntry, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", e.source.display()))
}

/// The cabinet date for `epoch`, clamped to what the CAB format stores (1980..2107).
fn cab_datetime(epoch: u64) -> time::PrimitiveDateTime {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch.min(4_354_819_199) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let t = t.max(time::macros::datetime!(1980-01-01 0:00 UTC));
    time::PrimitiveDateTime::new(t.date(), t.time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn round_trip_with_fixed_times() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.bin");
        std::fs::write(&a, b"hello cabinet\n".repeat(1000)).unwrap();
        std::fs::write(&b, (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).unwrap();
        let entries = vec![
            CabEntry { name: "fileA".into(), source: a.clone(), size: 14_000 },
            CabEntry { name: "fileB".into(), source: b.clone(), size: 100_000 },
        ];
        let (c1, h1) = write_cabinet(&entries, Cursor::new(Vec::new()), true, 1_700_000_000).unwrap();
        let (c2, h2) = write_cabinet(&entries, Cursor::new(Vec::new()), true, 1_700_000_000).unwrap();
        assert_eq!(c1.get_ref(), c2.get_ref(), "same input, same bytes");
        assert_eq!(h1, h2);
        let mut cabinet = cab::Cabinet::new(Cursor::new(c1.into_inner())).unwrap();
        let names: Vec<String> = cabinet.folder_entries().flat_map(|f| f.file_entries().map(|e| e.name().to_string())).collect();
        assert_eq!(names, ["fileA", "fileB"]);
        let dt = cabinet.get_file_entry("fileA").unwrap().datetime().unwrap();
        assert_eq!(dt.year(), 2023);
        let mut out = Vec::new();
        cabinet.read_file("fileB").unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, std::fs::read(&b).unwrap());
    }

    #[test]
    fn size_change_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, b"12345").unwrap();
        let entries = vec![CabEntry { name: "a".into(), source: a, size: 4 }];
        let err = write_cabinet(&entries, Cursor::new(Vec::new()), true, 0).unwrap_err();
        assert!(err.to_string().contains("changed during the build"), "{err}");
    }
}
