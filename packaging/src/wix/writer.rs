//! Writes the linked tables, streams, cabinets and summary information with the `msi` crate
//! into a version-3 compound file ([`crate::compound`]).
//!
//! Notes on the `msi` crate (0.11) and how this file works around its gaps:
//! - It creates databases with the UTF-8 codepage, which Windows Installer refuses: the
//!   database codepage is set to 1252.
//! - It creates version-4 compound files, and rewrites its table streams in place (freeing and
//!   reusing sectors): the database is built in memory and written once into a fresh
//!   version-3 file (see [`crate::compound`]), the cabinets compressed straight into it.
//! - Its `SummaryInfo` writes its own selection of properties; the summary information stream
//!   is written here once the `msi` crate is done ([`crate::summary_info`]), because the
//!   package code in it is a hash of everything else.
//! - Binary (stream) columns hold `Value::Binary` (stored as 1, as Windows does); the bytes
//!   live in a stream named `Table.Key`.
//! - It validates each value against the column category; rows were already checked with the
//!   same rules when they were added (with source positions), so a failure here is a bug.
//! - `cfb` stamps the current time only into storage entries; an MSI has no sub-storages, and
//!   the root and stream entries carry zero times, so the file is reproducible as is.
//!
//! The package code (summary information revision number) is a GUID derived from a SHA-256 of
//! every table row, every stream's bytes and the summary information, so changing any payload
//! byte changes it and rebuilding the same inputs gives the same bytes.

use super::error::Error;
use super::link::Linked;
use super::model::{Cell, ProductInfo};
use crate::compound::{self, SizeGuard};
use crate::summary_info::{self, SummaryInformation};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    let (mut comp, content_hash) = write_database(&linked, file, epoch, product.codepage)?;

    // Package code: a hash of everything in the package (rows, streams, summary information).
    let mut h = Sha256::new();
    h.update(content_hash);
    h.update(summary(product, "{00000000-0000-0000-0000-000000000000}", epoch)?);
    let digest: [u8; 32] = h.finalize().into();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40; // RFC 4122 version and variant bits, so it is a well-formed GUID
    b[8] = (b[8] & 0x3f) | 0x80;
    let package_code = format!("{{{}}}", uuid::Uuid::from_bytes(b).hyphenated()).to_ascii_uppercase();

    let summary = summary(product, &package_code, epoch)?;
    comp.create_stream(summary_info::STREAM_NAME)
        .and_then(|mut s| s.write_all(&summary))
        .map_err(msi_err("SummaryInformation"))?;
    // No fsync: the file is renamed into place only after everything was written, so a
    // failed build never leaves a partial MSI at the output path; durability across a power
    // loss is the caller's concern (and costs seconds on a 1 GiB package).
    comp.flush().map_err(msi_err("SummaryInformation"))?;
    let file = comp.into_inner();
    let len = file.metadata().map_err(|e| Error::io(tmp.path(), e))?.len();
    compound::check_len(len, compound::MAX_V3_BYTES).map_err(msi_err("(size)"))?;
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

/// Writes the tables and small streams with the `msi` crate in memory, then everything into a
/// version-3 compound file, the cabinets compressed straight into their streams; returns the
/// compound file (the summary information still to be added) and a SHA-256 of all of it.
fn write_database(
    linked: &Linked,
    file: File,
    epoch: u64,
    codepage: i32,
) -> Result<(cfb::CompoundFile<File>, [u8; 32]), Error> {
    let mut h = Sha256::new();
    put(&mut h, b"packaging-msi-v1");
    put(&mut h, &epoch.to_le_bytes());
    let mut pkg =
        msi::Package::create(msi::PackageType::Installer, io::Cursor::new(Vec::new())).map_err(msi_err("(create)"))?;
    pkg.set_database_codepage(msi::CodePage::from_id(codepage).unwrap_or(msi::CodePage::Windows1252));
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
                        msi::Value::Binary
                    }
                });
            }
            rows.push(vals);
        }
        pkg.insert_rows(msi::Insert::into(name.clone()).rows(rows)).map_err(msi_err(name))?;
    }
    // Each cabinet is a placeholder here (the `msi` crate gives its stream its encoded name);
    // the copy into the output file compresses the cabinet into that stream instead.
    let markers: Vec<Vec<u8>> = (0..linked.cabinets.len()).map(placeholder).collect();
    for (plan, marker) in linked.cabinets.iter().zip(&markers) {
        pkg.write_stream(&plan.stream).and_then(|mut s| s.write_all(marker)).map_err(msi_err(&plan.stream))?;
    }
    let image = pkg.into_inner().map_err(msi_err("(finish)"))?.into_inner();
    let mut hashes: Vec<Option<[u8; 32]>> = vec![None; markers.len()];
    let comp = compound::create_v3_with(
        image,
        file,
        |path, bytes| {
            if path.file_name().is_some_and(|n| n == summary_info::STREAM_NAME) {
                compound::Copy::Skip // written once the package code is known
            } else if markers.iter().any(|m| m == bytes) {
                compound::Copy::Fill
            } else {
                compound::Copy::Bytes
            }
        },
        |marker, stream, base| {
            let i = markers.iter().position(|m| m == marker).expect("a marker");
            let plan = &linked.cabinets[i];
            let named = |e: io::Error| io::Error::new(e.kind(), format!("cabinet {}: {e}", plan.stream));
            let w = io::BufWriter::with_capacity(1 << 20, SizeGuard::new(stream, base, compound::MAX_V3_BYTES));
            let (w, hash) = crate::cabinet::write_cabinet(&plan.entries, w, plan.compress, epoch).map_err(named)?;
            w.into_inner().map_err(|e| named(e.into_error()))?;
            hashes[i] = Some(hash);
            Ok(())
        },
    )
    .map_err(msi_err("(compound file)"))?;
    for (plan, hash) in linked.cabinets.iter().zip(hashes) {
        let hash = hash.ok_or_else(|| Error::Link(format!("cabinet {} was not written", plan.stream)))?;
        put(&mut h, plan.stream.as_bytes());
        put(&mut h, &hash);
    }
    Ok((comp, h.finalize().into()))
}

/// The placeholder content of the `i`th cabinet's stream, unique in the package.
fn placeholder(i: usize) -> Vec<u8> {
    format!("packaging placeholder for cabinet {i:08}").into_bytes()
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

/// The summary information stream of `p` with `package_code` (MSI SDK "Summary Information
/// Stream Property Set"; the WiX `Package` element's attributes).
pub fn summary(p: &ProductInfo, package_code: &str, epoch: u64) -> Result<Vec<u8>, Error> {
    let mut word_count = 0;
    if p.compressed {
        word_count |= summary_info::word_count::COMPRESSED;
    }
    if p.limited_privileges {
        word_count |= summary_info::word_count::NO_ELEVATION;
    }
    SummaryInformation {
        title: "Installation Database".into(),
        subject: p.description.clone().unwrap_or_else(|| p.name.clone()),
        author: p.author.clone(),
        keywords: p.keywords.clone(),
        comments: p.comments.clone().unwrap_or_else(|| {
            "This installer database contains the logic and data required to install [ProductName].".into()
        }),
        template: format!("{};{}", if p.win64 { "x64" } else { "Intel" }, p.languages),
        revision_number: package_code.into(),
        time: epoch,
        page_count: p.installer_version,
        word_count,
        creating_application: concat!("packaging ", env!("CARGO_PKG_VERSION"), " (WiX v3 backend in Rust)").into(),
        security: p.security,
        codepage: p.summary_codepage,
    }
    .to_bytes()
    .map_err(|e| p.loc.error(e))
}
