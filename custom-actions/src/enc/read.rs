//! Reading a package: header checks, key derivation, unwrap, payload decryption, manifest and per-file checks, and the all-or-nothing output.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;
use zip::ZipArchive;

use super::crypto::{derive_key, unwrap_key, Cipher, DeriveError};
use super::header::{Header, HeaderError, HEADER_LEN, TAG_LEN, VERSION, WRAP_AAD_END};
use super::manifest::{FILES_PREFIX, MANIFEST_NAME};
use super::private::{self, HeldSignals};
use super::zipdir;
use super::{hex, Damage, EncError, Manifest, PublicInfo, ReadLimits};

/// Largest `manifest.json` accepted (bytes); far above any real manifest.
const MAX_MANIFEST_LEN: u64 = 64 * 1024 * 1024;
/// Size of the buffer file contents are streamed through (hashing, writing).
const CHUNK: usize = 64 * 1024;

/// Where verified file contents go when extracting: `(package path, reader of exactly the
/// file's bytes)`.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&str, &mut dyn Read) -> Result<(), EncError>;

/// Reads the public header of `package`, without a password: the checks of
/// `docs/enc-format.md` up to (not including) key derivation.
pub fn inspect(package: &Path) -> Result<PublicInfo, EncError> {
    let io = |op, source| EncError::Io { path: package.to_owned(), op, source };
    let file = fs::File::open(package).map_err(|e| io("open", e))?;
    let file_len = file.metadata().map_err(|e| io("read the size of", e))?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    file.take(HEADER_LEN as u64).read_to_end(&mut head).map_err(|e| io("read", e))?;
    let header = decode(package, &head, file_len)?;
    Ok(PublicInfo {
        version: VERSION,
        kdf: "Argon2id v19",
        kdf_params: header.kdf,
        aead: "AES-256-GCM",
        salt_hex: hex(&header.salt),
        payload_len: header.payload_len,
        file_len,
    })
}

/// Decrypts `package` in memory and checks everything (header, KDF limits, password, payload,
/// zip structure, manifest, every file's size and SHA-256); writes nothing. Returns the
/// manifest.
pub fn verify(package: &Path, password: &str, limits: &ReadLimits) -> Result<Manifest, EncError> {
    Ok(Opened::open(package, password, limits)?.manifest)
}

/// Decrypts `package` into the new folder `out_dir` and returns the manifest.
///
/// `out_dir` must not exist, or be an empty folder ([`EncError::Exists`] otherwise); its parent
/// must exist. The whole package is verified in memory first (every file's SHA-256), so
/// nothing is written for a package that fails anywhere. Then the files are written to a
/// private temporary folder beside `out_dir` (0700, files 0600 on Unix), which is renamed to
/// `out_dir` when complete. Termination signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are held
/// while writing: one that arrives makes the write stop, the temporary folder is removed, and
/// the signal then takes effect. On any error nothing is left behind (only a crash or
/// `SIGKILL` can leave the hidden, private `.<name>.<random>.tmp` folder).
pub fn decrypt(package: &Path, password: &str, out_dir: &Path, limits: &ReadLimits) -> Result<Manifest, EncError> {
    let out_io = |op, source| EncError::Io { path: out_dir.to_owned(), op, source };
    let exists_empty = match fs::symlink_metadata(out_dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(out_io("read", e)),
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(out_dir).map_err(|e| out_io("list", e))?;
            if entries.next().is_some() {
                return Err(EncError::Exists { path: out_dir.to_owned() });
            }
            true
        }
        Ok(_) => return Err(EncError::Exists { path: out_dir.to_owned() }),
    };
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };

    // Everything is verified before the first byte of plaintext reaches the disk.
    let opened = Opened::open(package, password, limits)?;

    // Declared before `staging`, so it is dropped after it: on an error or an interruption the
    // temporary folder is removed first, then a held signal takes effect.
    let signals = HeldSignals::hold();
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = private::temp_dir(&parent, &name)?;
    let root = staging.path().to_owned();
    let interrupted = || EncError::Interrupted { path: out_dir.to_owned() };
    opened.extract(&mut |rel: &str, data: &mut dyn Read| {
        if signals.pending() {
            return Err(interrupted());
        }
        test_hook_delay();
        private::write_file(&root, rel, data)
    })?;
    if signals.pending() {
        return Err(interrupted());
    }
    if exists_empty && cfg!(windows) {
        // POSIX rename replaces an empty folder atomically; Windows' MoveFileEx cannot.
        fs::remove_dir(out_dir).map_err(|e| out_io("replace the empty folder", e))?;
    }
    fs::rename(staging.path(), out_dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists || e.kind() == std::io::ErrorKind::DirectoryNotEmpty {
            EncError::Exists { path: out_dir.to_owned() }
        } else {
            out_io("rename the decrypted folder to", e)
        }
    })?;
    // Renamed: there is nothing left at the temporary path to delete.
    let _ = staging.keep();
    private::sync_dir(&parent);
    Ok(opened.manifest)
}

/// Test hook (debug builds only, never in a release binary): sleep this many milliseconds
/// before writing each file, so a test can interrupt a decrypt half-way.
fn test_hook_delay() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("IDM_ENC_TEST_WRITE_DELAY_MS").ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Maps a header refusal to the public error.
fn decode(package: &Path, bytes: &[u8], file_len: u64) -> Result<Header, EncError> {
    Header::decode(bytes, file_len).map_err(|e| match e {
        HeaderError::Damaged(damage) => EncError::Damaged { path: package.to_owned(), damage },
        HeaderError::Version(found) => {
            EncError::UnsupportedVersion { path: package.to_owned(), found, supported: VERSION }
        }
    })
}

/// A package read, decrypted and fully checked in memory.
pub(crate) struct Opened {
    pub(crate) manifest: Manifest,
    /// The whole file with the payload decrypted in place: zeroized on drop.
    bytes: Zeroizing<Vec<u8>>,
}

impl Opened {
    /// The whole read path (docs/enc-format.md, "Reading", steps 1-10).
    pub(crate) fn open(package: &Path, password: &str, limits: &ReadLimits) -> Result<Opened, EncError> {
        let damaged = |damage| EncError::Damaged { path: package.to_owned(), damage };
        // The header is checked before the rest is read, so a large file that is not a package
        // (or announces another length) is refused without reading it into memory.
        let io = |op, source| EncError::Io { path: package.to_owned(), op, source };
        let mut file = fs::File::open(package).map_err(|e| io("open", e))?;
        let file_len = file.metadata().map_err(|e| io("read the size of", e))?.len();
        let mut head = Vec::with_capacity(HEADER_LEN);
        (&mut file).take(HEADER_LEN as u64).read_to_end(&mut head).map_err(|e| io("read", e))?;
        let header = decode(package, &head, file_len)?;
        limits.admit(header.kdf).map_err(|why| EncError::KdfRefused {
            path: package.to_owned(),
            m_kib: header.kdf.m_kib,
            t: header.kdf.t,
            p: header.kdf.p,
            why,
        })?;
        // The buffer holds plaintext after in-place decryption: zeroized on drop, sized up
        // front (no reallocation), and reserved fallibly: the header's length is within the
        // format's limit and equal to the file's, but may still exceed the memory there is.
        let oom = |bytes| EncError::OutOfMemory { path: package.to_owned(), what: "hold the package", bytes };
        let total = usize::try_from(file_len).map_err(|_| oom(file_len))?;
        let mut bytes = Zeroizing::new(Vec::new());
        bytes.try_reserve_exact(total).map_err(|_| oom(file_len))?;
        bytes.extend_from_slice(&head);
        (&mut file).take(file_len - HEADER_LEN as u64).read_to_end(&mut bytes).map_err(|e| io("read", e))?;
        if bytes.len() != total {
            // The file changed size while being read.
            return Err(damaged(Damage::Length { expected: file_len, actual: bytes.len() as u64 }));
        }

        let password_key = derive_key(password.as_bytes(), &header.salt, header.kdf).map_err(|e| match e {
            DeriveError::Memory(bytes) => {
                EncError::OutOfMemory { path: package.to_owned(), what: "derive the key (Argon2id memory)", bytes }
            }
            DeriveError::Params => {
                damaged(Damage::KdfParamsOutOfRange { m_kib: header.kdf.m_kib, t: header.kdf.t, p: header.kdf.p })
            }
        })?;
        let file_key = unwrap_key(&password_key, &header.wrap_nonce, &header.wrapped_key, &bytes[..WRAP_AAD_END])
            .ok_or_else(|| EncError::WrongPassword { path: package.to_owned() })?;
        drop(password_key);

        let (head, rest) = bytes.split_at_mut(HEADER_LEN);
        let (payload, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        let cipher = Cipher::new(&file_key);
        cipher
            .decrypt_in_place_detached(Nonce::from_slice(&header.payload_nonce), head, payload, Tag::from_slice(tag))
            .map_err(|_| damaged(Damage::Payload))?;
        drop(cipher);
        drop(file_key);

        let manifest = check_zip(payload).map_err(damaged)?;
        Ok(Opened { manifest, bytes })
    }

    /// The decrypted zip.
    fn zip(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..self.bytes.len() - TAG_LEN]
    }

    /// Hands each file (already checked by [`Opened::open`]) to `sink`, streamed, in manifest
    /// order; the bytes are hashed again on the way and must still match.
    pub(crate) fn extract(&self, sink: Sink<'_>) -> Result<(), EncError> {
        let package = PathBuf::from("<decrypted package>");
        let damaged = |damage| EncError::Damaged { path: package.clone(), damage };
        let zip_bytes = self.zip();
        let mut zip = ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| damaged(Damage::Zip(e.to_string())))?;
        for f in &self.manifest.files {
            let name = format!("{FILES_PREFIX}{}", f.path);
            let entry = entry_reader(&mut zip, zip_bytes, &name, &f.path).map_err(damaged)?;
            let mut reader = HashingReader { inner: entry.take(f.size), hasher: Sha256::new(), count: 0 };
            sink(&f.path, &mut reader)?;
            if reader.count != f.size || hex(&reader.hasher.finalize()) != f.sha256 {
                return Err(damaged(Damage::Mismatch { path: f.path.clone(), what: "SHA-256 on the second read" }));
            }
        }
        Ok(())
    }
}

/// The contents of the entry `name`, as a reader. A *Stored* entry is read straight from the
/// zip buffer (its bytes are the plaintext): the `zip` crate would pass it through an 8 KiB
/// `BufReader` that it frees unwiped (issue 14 finding 9). A deflated entry goes through the
/// crate's decompressor, whose buffers are a documented limit (docs/enc-format.md, "Secrets").
fn entry_reader<'a>(
    zip: &'a mut ZipArchive<Cursor<&[u8]>>,
    zip_bytes: &'a [u8],
    name: &str,
    path: &str,
) -> Result<Box<dyn Read + 'a>, Damage> {
    let entry =
        zip.by_name(name).map_err(|_| Damage::Entry { path: path.to_owned(), problem: "missing from the zip" })?;
    if entry.compression() == zip::CompressionMethod::Stored && !entry.encrypted() {
        let start = usize::try_from(entry.data_start()).ok();
        let len = usize::try_from(entry.compressed_size()).ok();
        let range = start.zip(len).and_then(|(s, l)| Some(s..s.checked_add(l)?)).filter(|r| r.end <= zip_bytes.len());
        let range = range.ok_or_else(|| Damage::Zip(format!("{path}: stored data out of range")))?;
        return Ok(Box::new(&zip_bytes[range]));
    }
    Ok(Box::new(entry))
}

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Checks the decrypted zip against its manifest: the central directory has no duplicate
/// names (the zip crate would merge them silently), exactly the listed entries, each file's
/// size and SHA-256 (streamed through a fixed buffer: no allocation sized by the file).
fn check_zip(zip_bytes: &[u8]) -> Result<Manifest, Damage> {
    zipdir::check_unique_names(zip_bytes)?;
    let zip_err = |e: zip::result::ZipError| Damage::Zip(e.to_string());
    let mut zip = ZipArchive::new(Cursor::new(zip_bytes)).map_err(zip_err)?;

    let manifest = {
        let entry = zip
            .by_name(MANIFEST_NAME)
            .map_err(|_| Damage::Entry { path: MANIFEST_NAME.to_owned(), problem: "missing from the zip" })?;
        let mut json = Vec::new();
        entry.take(MAX_MANIFEST_LEN).read_to_end(&mut json).map_err(|e| Damage::Zip(e.to_string()))?;
        Manifest::parse(&json)?
    };

    let listed: BTreeSet<String> =
        manifest.files.iter().map(|f| format!("{FILES_PREFIX}{}", f.path)).chain([MANIFEST_NAME.to_owned()]).collect();
    for name in zip.file_names() {
        if !listed.contains(name) {
            return Err(Damage::Entry { path: name.to_owned(), problem: "not in the manifest" });
        }
    }

    let mut chunk = Zeroizing::new(vec![0u8; CHUNK]);
    for f in &manifest.files {
        let name = format!("{FILES_PREFIX}{}", f.path);
        let entry = entry_reader(&mut zip, zip_bytes, &name, &f.path)?;
        let mut reader = HashingReader { inner: entry.take(f.size.saturating_add(1)), hasher: Sha256::new(), count: 0 };
        loop {
            match reader.read(&mut chunk[..]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(Damage::Zip(format!("{}: {e}", f.path))),
            }
        }
        if reader.count != f.size {
            return Err(Damage::Mismatch { path: f.path.clone(), what: "size" });
        }
        if hex(&reader.hasher.finalize()) != f.sha256 {
            return Err(Damage::Mismatch { path: f.path.clone(), what: "SHA-256" });
        }
    }
    Ok(manifest)
}

/// The fuzz engine shared with the other fuzz tests (used by `tests::fuzz_inner_zip`).
#[cfg(test)]
#[path = "../../../fuzz/mutate.rs"]
mod mutate;

#[cfg(test)]
mod tests {
    //! The inner-zip checks, on zips built by hand (a real package cannot carry them without
    //! the file key, so these are the cases a buggy or hostile writer could produce).

    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    const SHA_EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SHA_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn manifest(files: &[(&str, u64, &str)]) -> String {
        let files: Vec<String> =
            files.iter().map(|(p, s, h)| format!(r#"{{"path":"{p}","size":{s},"sha256":"{h}"}}"#)).collect();
        format!(
            r#"{{"format":"idm-embedded-connector-configuration","cluster":"c","host":"h","domain":"d","source_version":"1","created":"2026-01-01T00:00:00Z","files":[{}]}}"#,
            files.join(",")
        )
    }

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut z = zip::ZipWriter::new(Cursor::new(&mut buf));
        for (name, data) in entries {
            z.start_file(*name, SimpleFileOptions::default()).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
        buf
    }

    fn check(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Damage> {
        let manifest = check_zip(bytes)?;
        let mut whole = Zeroizing::new(vec![0u8; HEADER_LEN]);
        whole.extend_from_slice(bytes);
        whole.extend_from_slice(&[0u8; TAG_LEN]);
        let opened = Opened { manifest, bytes: whole };
        let mut got = Vec::new();
        let mut sink = |p: &str, d: &mut dyn Read| {
            let mut data = Vec::new();
            d.read_to_end(&mut data).unwrap();
            got.push((p.to_owned(), data));
            Ok(())
        };
        opened.extract(&mut sink).unwrap();
        Ok(got)
    }

    /// Issue 14 finding 11: the zip crate keeps one of two entries with the same name, so a
    /// package with `files/a` twice (wrong content first) must be refused from the central
    /// directory itself. The zip writer refuses duplicates, so the name is patched in.
    #[test]
    fn duplicate_entries_are_damage() {
        let m = manifest(&[("a", 3, SHA_ABC)]);
        let mut z = zip(&[("files/b", b"xyz"), ("files/a", b"abc"), ("manifest.json", m.as_bytes())]);
        let mut patched = 0;
        for i in 0..z.len() - 7 {
            if &z[i..i + 7] == b"files/b" {
                z[i + 6] = b'a';
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "local and central header");
        match check(&z) {
            Err(Damage::Entry { problem, .. }) => assert_eq!(problem, "in the zip twice"),
            other => panic!("a duplicate entry must be damage, got {other:?}"),
        }
    }

    #[test]
    fn a_good_zip_passes_and_feeds_the_sink() {
        let m = manifest(&[("a/b.txt", 3, SHA_ABC), ("e", 0, SHA_EMPTY)]);
        let z = zip(&[("files/a/b.txt", b"abc"), ("files/e", b""), ("manifest.json", m.as_bytes())]);
        assert_eq!(check(&z).unwrap(), vec![("a/b.txt".into(), b"abc".to_vec()), ("e".into(), vec![])]);
    }

    #[test]
    fn each_inconsistency_is_damage() {
        let m1 = manifest(&[("a", 3, SHA_ABC)]);
        type Case = (&'static str, Vec<u8>, fn(&Damage) -> bool);
        let cases: Vec<Case> = vec![
            ("not a zip", b"garbage".to_vec(), |d| matches!(d, Damage::Zip(_))),
            ("no manifest", zip(&[("files/a", b"abc")]), |d| matches!(d, Damage::Entry { .. })),
            ("manifest not JSON", zip(&[("manifest.json", b"{")]), |d| matches!(d, Damage::Manifest(_))),
            ("extra entry", zip(&[("files/a", b"abc"), ("files/evil", b"x"), ("manifest.json", m1.as_bytes())]), |d| {
                matches!(d, Damage::Entry { problem: "not in the manifest", .. })
            }),
            ("missing entry", zip(&[("manifest.json", m1.as_bytes())]), |d| {
                matches!(d, Damage::Entry { problem: "missing from the zip", .. })
            }),
            ("wrong hash", zip(&[("files/a", b"abd"), ("manifest.json", m1.as_bytes())]), |d| {
                matches!(d, Damage::Mismatch { what: "SHA-256", .. })
            }),
            ("longer", zip(&[("files/a", b"abcd"), ("manifest.json", m1.as_bytes())]), |d| {
                matches!(d, Damage::Mismatch { what: "size", .. })
            }),
            ("shorter", zip(&[("files/a", b"ab"), ("manifest.json", m1.as_bytes())]), |d| {
                matches!(d, Damage::Mismatch { what: "size", .. })
            }),
        ];
        for (what, bytes, ok) in cases {
            let d = check(&bytes).expect_err(what);
            assert!(ok(&d), "{what}: {d:?}");
        }
    }

    /// A manifest is read whole however it is laid out: 2 MiB (what a tree of some 15,000 files
    /// lists, here a small manifest padded with JSON whitespace, as a pretty-printer may write
    /// it) is far below the reader's "far above any real manifest" cap and must not be cut short.
    #[test]
    fn a_two_mib_manifest_is_read_whole() {
        let m = manifest(&[("a", 3, SHA_ABC)]);
        let padded = format!("{{{}{}", " ".repeat(2 << 20), &m[1..]);
        assert!(padded.len() > 2 << 20);
        let z = zip(&[("files/a", b"abc"), ("manifest.json", padded.as_bytes())]);
        assert_eq!(check(&z).unwrap(), vec![("a".into(), b"abc".to_vec())]);
    }

    #[test]
    fn paths_that_escape_are_refused_before_anything_is_written() {
        for evil in ["../x", "/etc/x", "a/../../x", "C:/x", "a\\\\..\\\\x"] {
            let m = manifest(&[(evil, 3, SHA_ABC)]);
            let name = format!("files/{evil}");
            let z = zip(&[(name.as_str(), b"abc"), ("manifest.json", m.as_bytes())]);
            assert!(matches!(check(&z), Err(Damage::Manifest(_))), "{evil}");
        }
    }

    use super::mutate;

    /// Fuzzing behind the encryption (issue 14): mutated zips with manifests through the
    /// central-directory walk, the zip checks and the extraction; none may panic or allocate
    /// without bound. Engine and budget: `fuzz/mutate.rs`; results: docs/fuzzing.md.
    #[test]
    fn fuzz_inner_zip() {
        let m = manifest(&[("a/b.txt", 3, SHA_ABC), ("e", 0, SHA_EMPTY)]);
        let good = zip(&[("files/a/b.txt", b"abc"), ("files/e", b""), ("manifest.json", m.as_bytes())]);
        let stored = {
            let mut buf = Vec::new();
            let mut z = zip::ZipWriter::new(Cursor::new(&mut buf));
            let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            for (name, data) in [("files/a/b.txt", &b"abc"[..]), ("files/e", b""), ("manifest.json", m.as_bytes())] {
                z.start_file(name, opts).unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
            buf
        };
        assert!(check(&good).is_ok() && check(&stored).is_ok());
        let dictionary: &[&[u8]] = &[
            b"PK\x03\x04",
            b"PK\x01\x02",
            b"PK\x05\x06",
            b"PK\x06\x06",
            b"PK\x06\x07",
            b"files/",
            b"manifest.json",
            b"\"size\":18446744073709551615",
            b"\"path\":\"../x\"",
            b"\xff\xff\xff\xff",
        ];
        let mut ok = 0u64;
        let tried = mutate::run("inner-zip", &[good, stored], dictionary, |input| {
            if let Ok(manifest) = check_zip(input) {
                ok += 1;
                let mut whole = Zeroizing::new(vec![0u8; HEADER_LEN]);
                whole.extend_from_slice(input);
                whole.extend_from_slice(&[0u8; TAG_LEN]);
                let opened = Opened { manifest, bytes: whole };
                let mut sink = |_: &str, d: &mut dyn Read| {
                    std::io::copy(d, &mut std::io::sink()).map(drop).map_err(|e| EncError::Io {
                        path: "sink".into(),
                        op: "read",
                        source: e,
                    })
                };
                opened.extract(&mut sink).expect("a zip that checks extracts");
            }
        });
        println!("fuzz inner-zip: {ok} of {tried} inputs passed every check");
        assert!(tried > 100);
    }
}
