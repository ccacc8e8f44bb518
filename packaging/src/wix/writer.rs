//! Writes the linked tables, streams, cabinets and summary information with the `msi` crate.
//!
//! Notes on the `msi` crate (0.8) and how this file works around its gaps:
//! - It creates databases with the UTF-8 codepage, which Windows Installer refuses: the
//!   database codepage is set to 1252.
//! - Its `SummaryInfo` has no keywords, page count (minimum installer version), last-saved
//!   time or security properties, all of which Windows Installer and WiX write. The summary
//!   information stream is therefore written here (a hand-written OLE property set, see
//!   [`summary_stream`]) through the `cfb` crate once the `msi` crate is done.
//! - Binary (stream) columns: the table cell only marks "has a stream" (Windows stores 1); the
//!   bytes live in a stream named `Table.Key`. The crate has no stream-valued cells, so the cell
//!   is written as that stream name (a non-null string reference, which every reader treats as
//!   "stream present") and the stream is written with `write_stream`.
//! - It validates each value against the column category; rows were already checked with the
//!   same rules when they were added (with source positions), so a failure here is a bug.
//! - Cabinets are compressed straight into their streams (the stream writer seeks), so the
//!   payload is read once and written once.
//! - `cfb` stamps the current time only into storage entries; an MSI has no sub-storages, and
//!   the root and stream entries carry zero times, so the file is reproducible as is.
//!
//! The package code (summary information revision number) is a GUID derived from a SHA-256 of
//! every table row, every stream's bytes and the summary information, so changing any payload
//! byte changes it and rebuilding the same inputs gives the same bytes.

use super::context::Cell;
use super::link::Linked;
use super::lower::ProductInfo;
use super::{BuildReport, Error};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Name of the summary information stream in the compound file.
const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

/// Writes the MSI to a temporary file beside `output` and renames it into place.
pub fn write(linked: Linked, product: &ProductInfo, output: &Path, epoch: u64) -> Result<BuildReport, Error> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".msi-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    let file = tmp.reopen().map_err(|e| Error::io(tmp.path(), e))?;
    let (file, content_hash) = write_database(&linked, file, epoch)?;

    // Package code: a hash of everything in the package (rows, streams, summary information).
    let mut h = Sha256::new();
    h.update(content_hash);
    h.update(summary_stream(product, "{00000000-0000-0000-0000-000000000000}", epoch)?);
    let digest: [u8; 32] = h.finalize().into();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40; // RFC 4122 version and variant bits, so it is a well-formed GUID
    b[8] = (b[8] & 0x3f) | 0x80;
    let package_code = format!("{{{}}}", uuid::Uuid::from_bytes(b).hyphenated()).to_ascii_uppercase();

    let summary = summary_stream(product, &package_code, epoch)?;
    write_summary(file, &summary).map_err(|e| Error::Msi { table: "SummaryInformation".into(), source: e })?;
    tmp.persist(output).map_err(|e| Error::io(output, e.error))?;
    let msi_bytes = std::fs::metadata(output).map_err(|e| Error::io(output, e))?.len();
    Ok(BuildReport {
        product_code: product.product_code.clone(),
        package_code,
        product_version: product.version.clone(),
        files: linked.model.rows("File").len(),
        cabinets: linked.cabinets.len(),
        payload_bytes: linked.payload_bytes,
        msi_bytes,
        output: output.to_path_buf(),
    })
}

fn msi_err(table: &str) -> impl Fn(io::Error) -> Error + '_ {
    move |e| Error::Msi { table: table.to_string(), source: e }
}

/// Length-prefixed hashing, so concatenations cannot collide.
fn put(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

/// Writes tables, streams and cabinets (compressed straight into their streams) with the
/// `msi` crate; returns the file and a SHA-256 of all of it.
fn write_database(linked: &Linked, file: File, epoch: u64) -> Result<(File, [u8; 32]), Error> {
    let mut h = Sha256::new();
    put(&mut h, b"packaging-msi-v1");
    put(&mut h, &epoch.to_le_bytes());
    let mut pkg = msi::Package::create(msi::PackageType::Installer, file).map_err(msi_err("(create)"))?;
    pkg.set_database_codepage(msi::CodePage::Windows1252);
    for (name, t) in &linked.model.tables {
        put(&mut h, name.as_bytes());
        for c in &t.def.columns {
            put(&mut h, format!("{c:?}").as_bytes());
        }
        pkg.create_table(name.clone(), t.def.msi_columns()).map_err(msi_err(name))?;
        if t.rows.is_empty() {
            continue;
        }
        let nkeys = t.def.key_count();
        let mut rows = Vec::with_capacity(t.rows.len());
        for r in &t.rows {
            let key: Vec<String> = r.cells[..nkeys].iter().map(Cell::key_text).collect();
            let mut vals = Vec::with_capacity(r.cells.len());
            for cell in &r.cells {
                vals.push(match cell {
                    // An empty string is a null cell in an MSI (MSI SDK "Null values"); the msi
                    // crate would instead add "" to the string pool, which readers reject as a
                    // corrupt string table.
                    Cell::Null => {
                        put(&mut h, b"N");
                        msi::Value::Null
                    }
                    Cell::Str(s) if s.is_empty() => {
                        put(&mut h, b"N");
                        msi::Value::Null
                    }
                    Cell::Int(i) => {
                        put(&mut h, &i.to_le_bytes());
                        msi::Value::Int(*i)
                    }
                    Cell::Str(s) => {
                        put(&mut h, s.as_bytes());
                        msi::Value::Str(s.clone())
                    }
                    Cell::Stream(p) => {
                        let stream = format!("{name}.{}", key.join("."));
                        let w = pkg.write_stream(&stream).map_err(|e| r.loc.error(format!("stream {stream}: {e}")))?;
                        let mut w = HashingWriter { inner: w, hash: Sha256::new() };
                        let mut f = File::open(p).map_err(|e| Error::io(p, e))?;
                        io::copy(&mut f, &mut w).map_err(|e| Error::io(p, e))?;
                        put(&mut h, &w.hash.finalize());
                        msi::Value::Str(stream)
                    }
                });
            }
            rows.push(vals);
        }
        pkg.insert_rows(msi::Insert::into(name.clone()).rows(rows)).map_err(msi_err(name))?;
    }
    for plan in &linked.cabinets {
        put(&mut h, plan.stream.as_bytes());
        let w = pkg.write_stream(&plan.stream).map_err(msi_err(&plan.stream))?;
        let w = io::BufWriter::with_capacity(1 << 20, w);
        let (mut w, hash) = crate::cabinet::write_cabinet(&plan.entries, w, plan.compress, epoch)
            .map_err(|e| Error::Cabinet { cabinet: plan.stream.clone(), source: e })?;
        w.flush().map_err(msi_err(&plan.stream))?;
        put(&mut h, &hash);
    }
    pkg.flush().map_err(msi_err("(flush)"))?;
    let file = pkg.into_inner().map_err(msi_err("(finish)"))?;
    Ok((file, h.finalize().into()))
}

/// A writer that hashes what passes through.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Replaces the summary information stream.
fn write_summary(file: File, bytes: &[u8]) -> io::Result<()> {
    let mut comp = cfb::CompoundFile::open(file)?;
    {
        let mut s = comp.create_stream(SUMMARY_STREAM)?;
        s.write_all(bytes)?;
    }
    // No fsync: the file is renamed into place only after everything was written, so a
    // failed build never leaves a partial MSI at the output path; durability across a power
    // loss is the caller's concern (and costs seconds on a 1 GiB package).
    comp.flush()
}

/// Encodes `s` in Windows-1252 (the database and summary information codepage).
pub fn cp1252(s: &str) -> Option<Vec<u8>> {
    // The 0x80..0x9F block of Windows-1252 (MS "Windows-1252" code page table).
    const HIGH: [(char, u8); 27] = [
        ('€', 0x80), ('‚', 0x82), ('ƒ', 0x83), ('„', 0x84), ('…', 0x85), ('†', 0x86), ('‡', 0x87),
        ('ˆ', 0x88), ('‰', 0x89), ('Š', 0x8A), ('‹', 0x8B), ('Œ', 0x8C), ('Ž', 0x8E), ('‘', 0x91),
        ('’', 0x92), ('“', 0x93), ('”', 0x94), ('•', 0x95), ('–', 0x96), ('—', 0x97), ('˜', 0x98),
        ('™', 0x99), ('š', 0x9A), ('›', 0x9B), ('œ', 0x9C), ('ž', 0x9E), ('Ÿ', 0x9F),
    ];
    s.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => Some(c as u32 as u8),
            _ => HIGH.iter().find(|(h, _)| *h == c).map(|(_, b)| *b),
        })
        .collect()
}

/// A FILETIME (100 ns since 1601-01-01) for a Unix time.
fn filetime(epoch: u64) -> u64 {
    (epoch + 11_644_473_600) * 10_000_000
}

/// The summary information property set (MS-OLEPS "PropertySetStream", one section with the
/// FMTID_SummaryInformation format id; property ids from the MSI SDK "Summary Information
/// Stream Property Set").
pub fn summary_stream(p: &ProductInfo, package_code: &str, epoch: u64) -> Result<Vec<u8>, Error> {
    enum V {
        I2(i16),
        I4(i32),
        Str(Vec<u8>),
        Time(u64),
    }
    let s = |field: &str, v: &str| cp1252(v).map(V::Str).ok_or_else(|| p.loc.error(format!("{field} {v:?} has characters outside Windows-1252")));
    let mut word_count = 0; // bit 1: long names; bit 2: compressed; bit 8: no elevation
    if p.compressed {
        word_count |= 2;
    }
    if p.limited_privileges {
        word_count |= 8;
    }
    let props: Vec<(u32, V)> = vec![
        (1, V::I2(1252)),
        (2, s("title", "Installation Database")?),
        (3, s("subject", p.description.as_deref().unwrap_or(&p.name))?),
        (4, s("author", &p.author)?),
        (5, s("keywords", &p.keywords)?),
        (6, s("comments", p.comments.as_deref().unwrap_or("This installer database contains the logic and data required to install [ProductName]."))?),
        (7, s("template", &format!("{};{}", if p.win64 { "x64" } else { "Intel" }, p.languages))?),
        (9, s("package code", package_code)?),
        (12, V::Time(filetime(epoch))),
        (13, V::Time(filetime(epoch))),
        (14, V::I4(p.installer_version)),
        (15, V::I4(word_count)),
        (18, s("creating application", concat!("packaging ", env!("CARGO_PKG_VERSION"), " (WiX v3 backend in Rust)"))?),
        (19, V::I4(p.security)), // 2 = read-only recommended, WiX's default
    ];
    let mut body: Vec<u8> = Vec::new();
    let mut index: Vec<(u32, u32)> = Vec::new();
    let header_len = 8 + 8 * props.len() as u32;
    for (id, v) in &props {
        index.push((*id, header_len + body.len() as u32));
        match v {
            V::I2(x) => {
                body.extend_from_slice(&2u32.to_le_bytes());
                body.extend_from_slice(&x.to_le_bytes());
                body.extend_from_slice(&[0, 0]);
            }
            V::I4(x) => {
                body.extend_from_slice(&3u32.to_le_bytes());
                body.extend_from_slice(&x.to_le_bytes());
            }
            V::Str(b) => {
                body.extend_from_slice(&30u32.to_le_bytes());
                body.extend_from_slice(&(b.len() as u32 + 1).to_le_bytes());
                body.extend_from_slice(b);
                body.push(0);
                while body.len() % 4 != 0 {
                    body.push(0);
                }
            }
            V::Time(t) => {
                body.extend_from_slice(&64u32.to_le_bytes());
                body.extend_from_slice(&t.to_le_bytes());
            }
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
    out.extend_from_slice(&0u16.to_le_bytes()); // format version
    out.extend_from_slice(&0x0002_0006u32.to_le_bytes()); // OS: Win32, version 6
    out.extend_from_slice(&[0u8; 16]); // CLSID
    out.extend_from_slice(&1u32.to_le_bytes()); // one section
    // FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9}, little-endian fields.
    out.extend_from_slice(&[0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9]);
    out.extend_from_slice(&48u32.to_le_bytes()); // section offset
    out.extend_from_slice(&(header_len + body.len() as u32).to_le_bytes());
    out.extend_from_slice(&(props.len() as u32).to_le_bytes());
    for (id, off) in index {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&off.to_le_bytes());
    }
    out.extend_from_slice(&body);
    Ok(out)
}
