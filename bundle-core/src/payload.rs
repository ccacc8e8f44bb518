//! The setup program's payload: the MSI and the prerequisite packages appended to `setup.exe`,
//! each with its SHA-256, and a JSON manifest.
//!
//! Layout of `<name>-setup.exe`:
//!
//! ```text
//! [ the setup program as linked (PE image) ]
//! [ file 0 ][ file 1 ] ...                       <- payload_start; offsets are relative to it
//! [ manifest (JSON, UTF-8) ][ zero padding to a multiple of 8 ]
//! [ trailer: payload_start u64 LE | manifest_offset u64 LE | manifest_len u64 LE |
//!            manifest SHA-256 (32 bytes) | MAGIC (16 bytes) ]
//! [ Authenticode certificate table, when the release is signed ]
//! ```
//!
//! Why appended, not a resource: the setup program is linked once by cargo and the payload is
//! added by `dist` afterwards, on Linux, without relinking and without a resource compiler
//! holding a ~GiB MSI in memory; the MSI is streamed in and out. An Authenticode signature
//! covers the whole file up to its certificate table (the "overlay" included), so signing
//! after appending protects the payload; the reader finds the trailer before the certificate
//! table through the PE header's security directory (PE format, "The Attribute Certificate
//! Table": <https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#the-attribute-certificate-table-image-only>).
//! WiX's Burn does the same (its containers are attached after the image; a `.wixburn`
//! section records where).
//!
//! The manifest's own SHA-256 is in the trailer, and every file's SHA-256 in the manifest: a
//! damaged or altered payload is refused before anything runs ([`PayloadError`]).

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The last 16 bytes of the trailer.
pub const MAGIC: [u8; 16] = *b"IDM-SETUP-PAYLD!";
/// Length of the trailer in bytes.
pub const TRAILER_LEN: u64 = 8 + 8 + 8 + 32 + 16;
/// The manifest format this code reads and writes.
pub const FORMAT: u32 = 1;
/// The manifest may not be larger than this (a guard against reading a bogus length).
const MAX_MANIFEST: u64 = 16 << 20;

/// One file of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Its relative path, `/`-separated: the MSI's file name, or `prerequisites/<file>`.
    pub name: String,
    /// Offset from the payload's start.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// What the setup program knows about the product, written by `dist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The product's display name.
    pub product: String,
    /// Its version.
    pub version: String,
    /// The MSI's entry name in [`Manifest::files`].
    pub msi: String,
    /// The MSI's `MsiHiddenProperties` (`;`-separated in the MSI): never logged by the setup.
    pub hidden_properties: Vec<String>,
    /// The MSI's `IdmPrerequisite` rows, cells in `detect::COLUMNS` order.
    pub prerequisites: Vec<Vec<Option<String>>>,
    /// The files, in payload order.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// The entry called `name`.
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Why a payload cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// There is no payload (the bare setup program, as cargo linked it).
    #[error("this program carries no payload (the bare setup program: `cargo xtask dist` appends the MSI and the prerequisite packages)")]
    Missing,
    /// The payload is there but not intact.
    #[error("the setup program's payload is damaged or was altered: {0}")]
    Damaged(String),
}

/// The SHA-256 of everything `reader` yields, as lowercase hex.
pub fn sha256_hex(mut reader: impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a setup program: `stub` (the linked PE), then each `(name, path)` file, the manifest
/// (`head` with its `files` filled in) and the trailer, to `out`. Returns the manifest written.
pub fn write(
    stub: &mut dyn Read,
    files: &[(String, &Path)],
    mut head: Manifest,
    out: &mut dyn Write,
) -> Result<Manifest, PayloadError> {
    let payload_start = io::copy(stub, out)?;
    let mut offset = 0u64;
    head.files.clear();
    for (name, path) in files {
        let mut reader = HashingReader { inner: std::fs::File::open(path)?, hasher: Sha256::new() };
        let size = io::copy(&mut reader, out)?;
        head.files.push(FileEntry { name: name.clone(), offset, size, sha256: hex(&reader.hasher.finalize()) });
        offset += size;
    }
    head.format = FORMAT;
    let manifest = serde_json::to_vec(&head).map_err(|e| PayloadError::Io(io::Error::other(e)))?;
    out.write_all(&manifest)?;
    let end = payload_start + offset + manifest.len() as u64;
    let pad = (8 - (end + TRAILER_LEN) % 8) % 8;
    out.write_all(&vec![0u8; pad as usize])?;
    out.write_all(&payload_start.to_le_bytes())?;
    out.write_all(&offset.to_le_bytes())?;
    out.write_all(&(manifest.len() as u64).to_le_bytes())?;
    out.write_all(&Sha256::digest(&manifest))?;
    out.write_all(&MAGIC)?;
    Ok(head)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A located, manifest-checked payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Absolute offset of the payload in the file.
    pub start: u64,
    /// The manifest (its SHA-256 matched the trailer's).
    pub manifest: Manifest,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Where the signed part of a PE file ends: the file offset of its Authenticode certificate
/// table when it has one (security directory, data directory index 4, whose "address" is a
/// file offset), else `len`.
fn content_end(file: &mut (impl Read + Seek), len: u64) -> io::Result<u64> {
    let mut dos = [0u8; 64];
    file.seek(SeekFrom::Start(0))?;
    if len < 64 || file.read_exact(&mut dos).is_err() || &dos[..2] != b"MZ" {
        return Ok(len);
    }
    let pe = u64::from(u32_at(&dos, 0x3c));
    let mut head = [0u8; 24 + 112 + 5 * 8];
    if pe + head.len() as u64 > len {
        return Ok(len);
    }
    file.seek(SeekFrom::Start(pe))?;
    file.read_exact(&mut head)?;
    if &head[..4] != b"PE\0\0" {
        return Ok(len);
    }
    let optional = 24;
    let (count_at, dirs_at) = match u16::from_le_bytes([head[optional], head[optional + 1]]) {
        0x10b => (optional + 92, optional + 96),
        0x20b => (optional + 108, optional + 112),
        _ => return Ok(len),
    };
    if u32_at(&head, count_at) <= 4 || dirs_at + 5 * 8 > head.len() {
        return Ok(len);
    }
    let (cert_offset, cert_size) = (u64::from(u32_at(&head, dirs_at + 32)), u64::from(u32_at(&head, dirs_at + 36)));
    if cert_size != 0 && cert_offset >= TRAILER_LEN && cert_offset + cert_size <= len {
        Ok(cert_offset)
    } else {
        Ok(len)
    }
}

/// Finds and checks the payload of the setup program in `file`: the trailer (before a
/// certificate table, past at most 7 bytes of alignment padding), the manifest's SHA-256 and
/// every entry's bounds. File contents are checked when they are extracted ([`extract`]).
pub fn locate(file: &mut (impl Read + Seek)) -> Result<Payload, PayloadError> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut end = content_end(file, len)?;
    // Signing tools pad the file to 8 bytes before the certificate table.
    let tail_len = end.min(TRAILER_LEN + 7);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(end - tail_len))?;
    file.read_exact(&mut tail)?;
    while tail.len() as u64 > TRAILER_LEN && tail.last() == Some(&0) {
        tail.pop();
        end -= 1;
    }
    if tail.len() < TRAILER_LEN as usize || tail[tail.len() - 16..] != MAGIC {
        return Err(PayloadError::Missing);
    }
    let t = &tail[tail.len() - TRAILER_LEN as usize..];
    let (start, manifest_offset, manifest_len) = (u64_at(t, 0), u64_at(t, 8), u64_at(t, 16));
    let trailer_at = end - TRAILER_LEN;
    let manifest_at = start.checked_add(manifest_offset);
    let fits = manifest_len <= MAX_MANIFEST
        && manifest_at.and_then(|m| m.checked_add(manifest_len)).is_some_and(|e| e <= trailer_at);
    if !fits {
        return Err(PayloadError::Damaged("the trailer points outside the file".into()));
    }
    let mut manifest = vec![0u8; manifest_len as usize];
    file.seek(SeekFrom::Start(start + manifest_offset))?;
    file.read_exact(&mut manifest)?;
    if Sha256::digest(&manifest)[..] != t[24..56] {
        return Err(PayloadError::Damaged("the manifest does not match its SHA-256".into()));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|e| PayloadError::Damaged(format!("the manifest cannot be read: {e}")))?;
    if manifest.format != FORMAT {
        return Err(PayloadError::Damaged(format!(
            "manifest format {} (this program reads {FORMAT})",
            manifest.format
        )));
    }
    for f in &manifest.files {
        if f.offset.checked_add(f.size).is_none_or(|e| e > manifest_offset) {
            return Err(PayloadError::Damaged(format!("{} lies outside the payload", f.name)));
        }
        let plain = !f.name.is_empty()
            && !f.name.contains(['\\', ':'])
            && f.name.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
        if !plain {
            return Err(PayloadError::Damaged(format!("entry name {:?} is not a plain relative path", f.name)));
        }
    }
    if manifest.file(&manifest.msi).is_none() {
        return Err(PayloadError::Damaged(format!("the MSI {} is not in the payload", manifest.msi)));
    }
    Ok(Payload { start, manifest })
}

/// Copies entry `entry` out of `file` into `out`, hashing on the way; fails (after writing)
/// when its SHA-256 differs from the manifest's. The caller removes what was written.
pub fn extract(
    file: &mut (impl Read + Seek),
    payload: &Payload,
    entry: &FileEntry,
    out: &mut dyn Write,
) -> Result<(), PayloadError> {
    file.seek(SeekFrom::Start(payload.start + entry.offset))?;
    let mut reader = HashingReader { inner: file.take(entry.size), hasher: Sha256::new() };
    let copied = io::copy(&mut reader, out)?;
    out.flush()?;
    if copied != entry.size {
        return Err(PayloadError::Damaged(format!("{} is truncated", entry.name)));
    }
    let got = hex(&reader.hasher.finalize());
    if got != entry.sha256 {
        return Err(PayloadError::Damaged(format!(
            "{} has SHA-256 {got}, the manifest says {}",
            entry.name, entry.sha256
        )));
    }
    Ok(())
}

/// Checks a file on disk against an entry's SHA-256 (just before it is run).
pub fn verify_file(path: &Path, entry: &FileEntry) -> Result<(), PayloadError> {
    let got = sha256_hex(std::fs::File::open(path)?)?;
    if got == entry.sha256 {
        Ok(())
    } else {
        Err(PayloadError::Damaged(format!(
            "{} changed after extraction: SHA-256 {got}, the manifest says {}",
            path.display(),
            entry.sha256
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn head() -> Manifest {
        Manifest {
            format: 0,
            product: "P".into(),
            version: "1.2.3".into(),
            msi: "p.msi".into(),
            hidden_properties: vec!["EXPORT_PASSWORD".into()],
            prerequisites: vec![vec![Some("A".into()), None]],
            files: vec![],
        }
    }

    /// A stub, two files; returns the whole setup program and the files' contents.
    fn build(stub: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let t = tempfile::tempdir().unwrap();
        let msi: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let pkg = b"@echo off\r\nexit /b 0\r\n".to_vec();
        std::fs::write(t.path().join("p.msi"), &msi).unwrap();
        std::fs::write(t.path().join("x.cmd"), &pkg).unwrap();
        let mut out = Vec::new();
        let files = [
            ("p.msi".to_string(), t.path().join("p.msi")),
            ("prerequisites/x.cmd".to_string(), t.path().join("x.cmd")),
        ];
        let files: Vec<(String, &Path)> = files.iter().map(|(n, p)| (n.clone(), p.as_path())).collect();
        write(&mut &stub[..], &files, head(), &mut out).unwrap();
        (out, msi, pkg)
    }

    #[test]
    fn round_trip_with_known_hashes() {
        let (exe, msi, pkg) = build(b"MZ not really a PE, 33 bytes long");
        assert_eq!(exe.len() % 8, 0);
        let payload = locate(&mut Cursor::new(&exe)).unwrap();
        assert_eq!(payload.start, 33);
        assert_eq!(payload.manifest.format, FORMAT);
        let names: Vec<&str> = payload.manifest.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["p.msi", "prerequisites/x.cmd"]);
        // SHA-256 of the package text, computed independently with `sha256sum`.
        assert_eq!(
            payload.manifest.files[1].sha256,
            "8d44f071a98f78308f761d1c01d0187a653cc4280c3e699ee02cbab88e0bfdf6"
        );
        for (entry, want) in payload.manifest.files.iter().zip([&msi, &pkg]) {
            let mut out = Vec::new();
            extract(&mut Cursor::new(&exe), &payload, entry, &mut out).unwrap();
            assert_eq!(&out, want);
        }
    }

    #[test]
    fn a_bare_program_has_no_payload() {
        assert!(matches!(locate(&mut Cursor::new(b"MZ just a program".to_vec())), Err(PayloadError::Missing)));
        assert!(matches!(locate(&mut Cursor::new(Vec::new())), Err(PayloadError::Missing)));
    }

    #[test]
    fn every_flipped_byte_is_caught() {
        let (exe, _, _) = build(b"MZ stub");
        let payload = locate(&mut Cursor::new(&exe)).unwrap();
        // A byte of a file: located fine, refused at extraction.
        for entry in &payload.manifest.files {
            let mut bad = exe.clone();
            bad[(payload.start + entry.offset + entry.size / 2) as usize] ^= 1;
            let p = locate(&mut Cursor::new(&bad)).unwrap();
            let err = extract(&mut Cursor::new(&bad), &p, entry, &mut Vec::new()).unwrap_err();
            assert!(matches!(err, PayloadError::Damaged(ref m) if m.contains(&entry.name)), "{err}");
        }
        // A byte of the manifest or of the trailer's hash: refused when located.
        let manifest_byte = exe.len() - TRAILER_LEN as usize - 20;
        let hash_byte = exe.len() - 30;
        for at in [manifest_byte, hash_byte] {
            let mut bad = exe.clone();
            bad[at] ^= 0x20;
            assert!(matches!(locate(&mut Cursor::new(&bad)), Err(PayloadError::Damaged(_))), "byte {at}");
        }
        // Truncated: no trailer.
        assert!(locate(&mut Cursor::new(&exe[..exe.len() - 1])).is_err());
    }

    #[test]
    fn a_certificate_table_after_the_payload_is_skipped() {
        // A minimal PE32+ header whose security directory points at a table appended after
        // the payload, as signtool/osslsigncode write it (8-byte aligned).
        let mut stub = vec![0u8; 0x200];
        stub[..2].copy_from_slice(b"MZ");
        stub[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        stub[0x80..0x84].copy_from_slice(b"PE\0\0");
        let opt = 0x80 + 24;
        stub[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes());
        stub[opt + 108..opt + 112].copy_from_slice(&16u32.to_le_bytes());
        let (mut exe, msi, _) = build(&stub);
        let cert_at = exe.len() as u32;
        let cert = vec![0xA5u8; 1000];
        exe.extend_from_slice(&cert);
        exe[opt + 112 + 32..opt + 112 + 36].copy_from_slice(&cert_at.to_le_bytes());
        exe[opt + 112 + 36..opt + 112 + 40].copy_from_slice(&(cert.len() as u32).to_le_bytes());
        let payload = locate(&mut Cursor::new(&exe)).unwrap();
        let mut out = Vec::new();
        extract(&mut Cursor::new(&exe), &payload, &payload.manifest.files[0], &mut out).unwrap();
        assert_eq!(out, msi);
    }

    #[test]
    fn names_that_escape_the_folder_are_refused() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("a"), b"x").unwrap();
        for name in ["../evil.exe", "C:/x", "a\\b", "/abs"] {
            let mut h = head();
            h.msi = name.into();
            let mut out = Vec::new();
            write(&mut &b"MZ"[..], &[(name.to_string(), &t.path().join("a"))], h, &mut out).unwrap();
            assert!(matches!(locate(&mut Cursor::new(&out)), Err(PayloadError::Damaged(_))), "{name}");
        }
    }
}
