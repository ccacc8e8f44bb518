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
//! - Its `cfb` crate writes large streams in quadratic time, so a large cabinet is compressed
//!   into a temporary file and its sectors are attached to the compound file at the end (see
//!   [`attach_stream`]); small ones are copied into their streams.
//! - `cfb` stamps the current time only into storage entries; an MSI has no sub-storages, and
//!   the root and stream entries carry zero times, so the file is reproducible as is.
//!
//! The package code (summary information revision number) is a GUID derived from a SHA-256 of
//! every table row, every stream's bytes and the summary information, so changing any payload
//! byte changes it and rebuilding the same inputs gives the same bytes.

use super::error::Error;
use super::link::Linked;
use super::model::{Cell, ProductInfo};
use crate::codepage::cp1252;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Name of the summary information stream in the compound file.
const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// `ProductCode` property.
    pub product_code: String,
    /// Package code (summary information revision number), derived from the content.
    pub package_code: String,
    /// `ProductVersion`.
    pub product_version: String,
    /// Number of `File` rows.
    pub files: usize,
    /// Number of embedded cabinets.
    pub cabinets: usize,
    /// Sum of the payload file sizes.
    pub payload_bytes: u64,
    /// Size of the written `.msi`.
    pub msi_bytes: u64,
    /// The `.msi` written.
    pub output: PathBuf,
    /// `<?warning?>` messages of the sources, with their positions.
    pub warnings: Vec<String>,
}

/// Writes the MSI to a temporary file beside `output` and renames it into place.
pub fn write(linked: Linked, product: &ProductInfo, output: &Path, epoch: u64) -> Result<BuildReport, Error> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let tmp =
        tempfile::Builder::new().prefix(".msi-").suffix(".tmp").tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    let file = tmp.reopen().map_err(|e| Error::io(tmp.path(), e))?;
    let (file, content_hash, attach) = write_database(&linked, file, &dir, epoch)?;

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
    let mut file =
        write_summary(file, &summary).map_err(|e| Error::Msi { table: "SummaryInformation".into(), source: e })?;
    for (stream, marker, mut data) in attach {
        attach_stream(&mut file, &marker, &mut data).map_err(|e| Error::Cabinet { cabinet: stream, source: e })?;
    }
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
        warnings: Vec::new(),
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

/// A cabinet written to a temporary file, to be attached in place of its placeholder stream:
/// (stream name, placeholder content, the cabinet).
type Attach = (String, Vec<u8>, File);

/// Writes tables, streams and cabinets with the `msi` crate (large cabinets as placeholders,
/// see [`attach_stream`]); returns the file, a SHA-256 of all of it and the cabinets to attach.
fn write_database(linked: &Linked, file: File, dir: &Path, epoch: u64) -> Result<(File, [u8; 32], Vec<Attach>), Error> {
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
    let mut attach = Vec::new();
    for (i, plan) in linked.cabinets.iter().enumerate() {
        put(&mut h, plan.stream.as_bytes());
        let cab_err = |e| Error::Cabinet { cabinet: plan.stream.clone(), source: e };
        let tmp = tempfile::tempfile_in(dir).map_err(cab_err)?;
        let w = io::BufWriter::with_capacity(1 << 20, tmp);
        let (w, hash) = crate::cabinet::write_cabinet(&plan.entries, w, plan.compress, epoch).map_err(cab_err)?;
        let mut tmp = w.into_inner().map_err(|e| cab_err(e.into_error()))?;
        put(&mut h, &hash);
        let mut s = pkg.write_stream(&plan.stream).map_err(msi_err(&plan.stream))?;
        if tmp.metadata().map_err(cab_err)?.len() < ATTACH_MIN {
            tmp.seek(SeekFrom::Start(0)).map_err(cab_err)?;
            io::copy(&mut tmp, &mut s).map_err(msi_err(&plan.stream))?;
        } else {
            let marker = placeholder(i);
            s.write_all(&marker).map_err(msi_err(&plan.stream))?;
            attach.push((plan.stream.clone(), marker, tmp));
        }
    }
    pkg.flush().map_err(msi_err("(flush)"))?;
    let file = pkg.into_inner().map_err(msi_err("(finish)"))?;
    Ok((file, h.finalize().into(), attach))
}

/// Cabinets at least this large are attached to the compound file by [`attach_stream`]
/// instead of being written through the `cfb` crate.
const ATTACH_MIN: u64 = 1 << 20;

/// The placeholder stream content for the `i`th attached cabinet: larger than the mini-stream
/// cutoff (4096 bytes), so it lives in a regular sector chain, and unique in the file.
fn placeholder(i: usize) -> Vec<u8> {
    let mut p = format!("packaging placeholder for cabinet stream {i:08}").into_bytes();
    p.resize(4096 + 61, b'.');
    p
}

// Why a hand-written step: `cfb` 0.10 (under the `msi` crate) re-walks a stream's whole sector
// chain on every 8 KiB it writes and scans the whole FAT for every new sector, which is
// quadratic in the stream size (about 20 s of a 1 GiB build on one thread). A large cabinet
// is therefore written to a temporary file and attached here in one linear pass, after the
// `msi` and `cfb` crates are done with the file: its sectors are appended at the end of the
// compound file (MS-CFB 2.2-2.6), the FAT (and DIFAT) is extended to chain them, the
// placeholder's sectors are freed, and the placeholder's directory entry is pointed at them.

const FREESECT: u32 = 0xFFFF_FFFF;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FATSECT: u32 = 0xFFFF_FFFD;
const DIFSECT: u32 = 0xFFFF_FFFC;
/// DIFAT entries held in the header.
const HEADER_DIFAT: usize = 109;

fn cfb_bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("compound file: {what}"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Replaces the content of the stream whose content is `marker` with the bytes of `data`.
fn attach_stream(file: &mut File, marker: &[u8], data: &mut File) -> io::Result<()> {
    let mut hdr = [0u8; 512];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut hdr)?;
    if hdr[..8] != [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
        return Err(cfb_bad("bad signature".into()));
    }
    let shift = u16::from_le_bytes([hdr[30], hdr[31]]);
    if shift != 9 && shift != 12 {
        return Err(cfb_bad(format!("sector shift {shift}")));
    }
    let ss = 1usize << shift;
    let per = ss / 4;
    let off = |id: u32| (id as u64 + 1) * ss as u64;
    let nfat = u32_at(&hdr, 44) as usize;
    let dir_start = u32_at(&hdr, 48);
    let mut sector = vec![0u8; ss];
    let read_sector = |file: &mut File, id: u32, buf: &mut Vec<u8>| -> io::Result<()> {
        file.seek(SeekFrom::Start(off(id)))?;
        file.read_exact(buf)
    };

    // The FAT sector ids: the header's DIFAT, then the DIFAT sector chain.
    let mut fat_ids: Vec<u32> = (0..nfat.min(HEADER_DIFAT)).map(|k| u32_at(&hdr, 76 + 4 * k)).collect();
    let mut difat_ids = Vec::new();
    let mut d = u32_at(&hdr, 68);
    while fat_ids.len() < nfat {
        if d >= DIFSECT || difat_ids.len() > nfat {
            return Err(cfb_bad("short DIFAT chain".into()));
        }
        difat_ids.push(d);
        read_sector(file, d, &mut sector)?;
        let want = (nfat - fat_ids.len()).min(per - 1);
        fat_ids.extend((0..want).map(|k| u32_at(&sector, 4 * k)));
        d = u32_at(&sector, ss - 4);
    }
    let mut fat = Vec::with_capacity(nfat * per);
    for &id in &fat_ids {
        read_sector(file, id, &mut sector)?;
        fat.extend((0..per).map(|k| u32_at(&sector, 4 * k)));
    }
    let len = file.metadata()?.len();
    if len % ss as u64 != 0 || len < ss as u64 {
        return Err(cfb_bad(format!("length {len} is not a whole number of sectors")));
    }
    let nsect = (len / ss as u64 - 1) as usize;
    if nsect > fat.len() || fat[nsect..].iter().any(|&v| v != FREESECT) {
        return Err(cfb_bad("FAT does not match the file length".into()));
    }
    fat.truncate(nsect);
    let next = |fat: &[u32], id: u32| -> io::Result<u32> {
        fat.get(id as usize).copied().ok_or_else(|| cfb_bad(format!("sector {id} out of range")))
    };

    // The placeholder's directory entry.
    let mut found = None;
    let mut s = dir_start;
    let mut steps = 0;
    while s != ENDOFCHAIN && found.is_none() {
        steps += 1;
        if steps > nsect {
            return Err(cfb_bad("directory chain loops".into()));
        }
        read_sector(file, s, &mut sector)?;
        for k in 0..ss / 128 {
            let e = &sector[k * 128..(k + 1) * 128];
            let size = u64::from_le_bytes(e[120..128].try_into().expect("8 bytes"));
            if e[66] == 2 && size == marker.len() as u64 {
                let start = u32_at(e, 116);
                let mut head = vec![0u8; marker.len().min(ss)];
                file.seek(SeekFrom::Start(off(start)))?;
                file.read_exact(&mut head)?;
                if head == marker[..head.len()] {
                    found = Some((off(s) + 128 * k as u64, start));
                    break;
                }
            }
        }
        s = next(&fat, s)?;
    }
    let Some((entry_at, old_start)) = found else {
        return Err(cfb_bad("placeholder stream not found".into()));
    };
    let mut s = old_start;
    while s != ENDOFCHAIN {
        let n = next(&fat, s)?;
        fat[s as usize] = FREESECT;
        s = n;
    }

    // Layout after the existing sectors: the data, then new FAT sectors, then new DIFAT sectors.
    let size = data.metadata()?.len();
    let m = size.div_ceil(ss as u64) as usize;
    let (mut nf, mut nd);
    loop {
        nf = fat_ids.len().max(nfat);
        nd = difat_ids.len().max(nf.saturating_sub(HEADER_DIFAT).div_ceil(per - 1));
        let total = nsect + m + (nf - nfat) + (nd - difat_ids.len());
        let need = total.div_ceil(per);
        if need <= nf {
            break;
        }
        fat_ids.push(0); // placeholder id, assigned below
    }
    let first_new_fat = nsect + m;
    let first_new_difat = first_new_fat + (nf - nfat);
    let total = first_new_difat + (nd - difat_ids.len());
    if total as u64 > 0xFFFF_FFFA {
        return Err(cfb_bad("too many sectors".into()));
    }
    fat.resize(nf * per, FREESECT);
    for i in 0..m {
        fat[nsect + i] = if i + 1 == m { ENDOFCHAIN } else { (nsect + i + 1) as u32 };
    }
    for (k, id) in fat_ids.iter_mut().skip(nfat).enumerate() {
        *id = (first_new_fat + k) as u32;
        fat[*id as usize] = FATSECT;
    }
    for (id, entry) in fat.iter_mut().enumerate().take(total).skip(first_new_difat) {
        *entry = DIFSECT;
        difat_ids.push(id as u32);
    }

    // Data, padded to whole sectors.
    file.seek(SeekFrom::Start(off(nsect as u32)))?;
    data.seek(SeekFrom::Start(0))?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut *file);
        let copied = io::copy(data, &mut w)?;
        if copied != size {
            return Err(io::Error::other(format!("cabinet temporary file: {copied} of {size} bytes read")));
        }
        io::copy(&mut io::repeat(0).take(m as u64 * ss as u64 - size), &mut w)?;
        w.flush()?;
    }
    // FAT sectors (all of them: existing ones changed where the placeholder was freed).
    for (k, &id) in fat_ids.iter().enumerate() {
        let bytes: Vec<u8> = fat[k * per..(k + 1) * per].iter().flat_map(|v| v.to_le_bytes()).collect();
        file.seek(SeekFrom::Start(off(id)))?;
        file.write_all(&bytes)?;
    }
    // DIFAT sectors.
    for (j, &id) in difat_ids.iter().enumerate() {
        let mut bytes = Vec::with_capacity(ss);
        for k in 0..per - 1 {
            let v = fat_ids.get(HEADER_DIFAT + j * (per - 1) + k).copied().unwrap_or(FREESECT);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&difat_ids.get(j + 1).copied().unwrap_or(ENDOFCHAIN).to_le_bytes());
        file.seek(SeekFrom::Start(off(id)))?;
        file.write_all(&bytes)?;
    }
    // Header: FAT count, DIFAT start and count, the first 109 DIFAT entries.
    hdr[44..48].copy_from_slice(&(nf as u32).to_le_bytes());
    hdr[68..72].copy_from_slice(&difat_ids.first().copied().unwrap_or(ENDOFCHAIN).to_le_bytes());
    hdr[72..76].copy_from_slice(&(difat_ids.len() as u32).to_le_bytes());
    for k in 0..HEADER_DIFAT {
        let v = fat_ids.get(k).copied().unwrap_or(FREESECT);
        hdr[76 + 4 * k..80 + 4 * k].copy_from_slice(&v.to_le_bytes());
    }
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&hdr)?;
    // The directory entry: start sector and size.
    file.seek(SeekFrom::Start(entry_at + 116))?;
    file.write_all(&(nsect as u32).to_le_bytes())?;
    file.write_all(&size.to_le_bytes())?;
    let end = off(total as u32 - 1) + ss as u64;
    if file.metadata()?.len() != end {
        return Err(cfb_bad(format!("length {} after attaching, {end} expected", file.metadata()?.len())));
    }
    Ok(())
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
fn write_summary(file: File, bytes: &[u8]) -> io::Result<File> {
    let mut comp = cfb::CompoundFile::open(file)?;
    {
        let mut s = comp.create_stream(SUMMARY_STREAM)?;
        s.write_all(bytes)?;
    }
    // No fsync: the file is renamed into place only after everything was written, so a
    // failed build never leaves a partial MSI at the output path; durability across a power
    // loss is the caller's concern (and costs seconds on a 1 GiB package).
    comp.flush()?;
    Ok(comp.into_inner())
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
    let s = |field: &str, v: &str| {
        cp1252(v).map(V::Str).ok_or_else(|| p.loc.error(format!("{field} {v:?} has characters outside Windows-1252")))
    };
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
        (
            6,
            s(
                "comments",
                p.comments.as_deref().unwrap_or(
                    "This installer database contains the logic and data required to install [ProductName].",
                ),
            )?,
        ),
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
    out.extend_from_slice(&[
        0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
    ]);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a compound file with a small stream and a placeholder, attaches `n` bytes and
    /// reads everything back with `cfb` in strict mode.
    fn attach_round_trip(version: cfb::Version, n: usize) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cfb");
        let marker = placeholder(3);
        {
            let mut comp = cfb::CompoundFile::create_with_version(version, File::create(&path).unwrap()).unwrap();
            comp.create_stream("small").unwrap().write_all(b"small stream").unwrap();
            comp.create_stream("before").unwrap().write_all(&vec![7u8; 20_000]).unwrap();
            comp.create_stream("cab").unwrap().write_all(&marker).unwrap();
            comp.create_stream("after").unwrap().write_all(&vec![9u8; 9_000]).unwrap();
            comp.flush().unwrap();
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&data).unwrap();
        let mut file = File::options().read(true).write(true).open(&path).unwrap();
        attach_stream(&mut file, &marker, &mut tmp).unwrap();
        drop(file);
        let mut comp = cfb::CompoundFile::open_strict(File::open(&path).unwrap()).unwrap();
        let mut read = |name: &str| {
            let mut v = Vec::new();
            comp.open_stream(name).unwrap().read_to_end(&mut v).unwrap();
            v
        };
        assert!(read("cab") == data, "attached stream differs");
        assert_eq!(read("small"), b"small stream");
        assert_eq!(read("before"), vec![7u8; 20_000]);
        assert_eq!(read("after"), vec![9u8; 9_000]);
    }

    #[test]
    fn attached_stream_reads_back() {
        attach_round_trip(cfb::Version::V4, 3 * 1024 * 1024 + 123);
    }

    #[test]
    fn attached_stream_needing_difat_sectors_reads_back() {
        // 512-byte sectors: more than 109 FAT sectors (7 MB) needs DIFAT sectors.
        attach_round_trip(cfb::Version::V3, 9 * 1024 * 1024 + 5);
    }

    #[test]
    fn missing_placeholder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cfb");
        {
            let mut comp = cfb::CompoundFile::create(File::create(&path).unwrap()).unwrap();
            comp.create_stream("other").unwrap().write_all(&vec![1u8; 5000]).unwrap();
            comp.flush().unwrap();
        }
        let mut file = File::options().read(true).write(true).open(&path).unwrap();
        let err = attach_stream(&mut file, &placeholder(0), &mut tempfile::tempfile().unwrap()).unwrap_err();
        assert!(err.to_string().contains("placeholder stream not found"), "{err}");
    }
}
