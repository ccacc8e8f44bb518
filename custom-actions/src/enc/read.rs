//! Reading a package: header checks, key derivation, unwrap, payload decryption, manifest and per-file checks, and the all-or-nothing output.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;
use zip::ZipArchive;

use super::crypto::{derive_key, unwrap_key};
use super::header::{Header, HeaderError, HEADER_LEN, TAG_LEN, VERSION, WRAP_AAD_END};
use super::manifest::{FILES_PREFIX, MANIFEST_NAME};
use super::{hex, Damage, EncError, Manifest, PublicInfo};

/// Largest `manifest.json` accepted (bytes); far above any real manifest.
const MAX_MANIFEST_LEN: u64 = 64 * 1024 * 1024;

/// Where verified file contents go: `(package path, contents)`.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&str, &[u8]) -> Result<(), EncError>;

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

/// Decrypts `package` in memory and checks everything (header, password, payload, manifest,
/// every file's size and SHA-256); writes nothing. Returns the manifest.
pub fn verify(package: &Path, password: &str) -> Result<Manifest, EncError> {
    open_and_check(package, password, None)
}

/// Decrypts `package` into the new folder `out_dir` and returns the manifest.
///
/// `out_dir` must not exist, or be an empty folder ([`EncError::Exists`] otherwise); its parent
/// must exist. The files are written to a temporary folder beside `out_dir`, each checked
/// against the manifest, and the folder is renamed to `out_dir` only when all are good: on any
/// error (wrong password, damage, I/O) nothing is left behind.
pub fn decrypt(package: &Path, password: &str, out_dir: &Path) -> Result<Manifest, EncError> {
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
    let name = out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempdir_in(&parent)
        .map_err(|e| EncError::Io { path: parent.clone(), op: "create a temporary folder in", source: e })?;

    let root = staging.path().to_owned();
    let mut write = |rel: &str, data: &[u8]| -> Result<(), EncError> {
        let path = rel.split('/').fold(root.clone(), |p, c| p.join(c));
        let io = |op, source| EncError::Io { path: path.clone(), op, source };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
        }
        let mut f = fs::File::create_new(&path).map_err(|e| io("create", e))?;
        f.write_all(data).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("sync", e))
    };
    let manifest = open_and_check(package, password, Some(&mut write))?;

    if exists_empty {
        fs::remove_dir(out_dir).map_err(|e| out_io("replace the empty folder", e))?;
    }
    fs::rename(staging.path(), out_dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists || out_dir.exists() {
            EncError::Exists { path: out_dir.to_owned() }
        } else {
            out_io("rename the decrypted folder to", e)
        }
    })?;
    // Renamed: there is nothing left at the temporary path to delete.
    let _ = staging.keep();
    Ok(manifest)
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

/// The whole read path; `sink`, when given, receives each file after it is checked.
pub(crate) fn open_and_check(package: &Path, password: &str, sink: Option<Sink<'_>>) -> Result<Manifest, EncError> {
    let damaged = |damage| EncError::Damaged { path: package.to_owned(), damage };
    // The header is checked before the rest is read, so a large file that is not a package
    // (or announces another length) is refused without reading it into memory.
    let io = |op, source| EncError::Io { path: package.to_owned(), op, source };
    let mut file = fs::File::open(package).map_err(|e| io("open", e))?;
    let file_len = file.metadata().map_err(|e| io("read the size of", e))?.len();
    let mut head = Vec::with_capacity(HEADER_LEN);
    (&mut file).take(HEADER_LEN as u64).read_to_end(&mut head).map_err(|e| io("read", e))?;
    let header = decode(package, &head, file_len)?;
    // The buffer holds plaintext after in-place decryption: zeroized on drop, sized up front.
    let total = usize::try_from(file_len).map_err(|_| io("read", std::io::ErrorKind::OutOfMemory.into()))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(total));
    bytes.extend_from_slice(&head);
    (&mut file).take(file_len - HEADER_LEN as u64).read_to_end(&mut bytes).map_err(|e| io("read", e))?;
    if bytes.len() != total {
        // The file changed size while being read.
        return Err(damaged(Damage::Length { expected: file_len, actual: bytes.len() as u64 }));
    }

    let password_key = derive_key(password.as_bytes(), &header.salt, header.kdf).map_err(|_| {
        damaged(Damage::KdfParamsOutOfRange { m_kib: header.kdf.m_kib, t: header.kdf.t, p: header.kdf.p })
    })?;
    let file_key = unwrap_key(&password_key, &header.wrap_nonce, &header.wrapped_key, &bytes[..WRAP_AAD_END])
        .ok_or_else(|| EncError::WrongPassword { path: package.to_owned() })?;
    drop(password_key);

    let (head, rest) = bytes.split_at_mut(HEADER_LEN);
    let (payload, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&file_key[..]));
    cipher
        .decrypt_in_place_detached(Nonce::from_slice(&header.payload_nonce), head, payload, Tag::from_slice(tag))
        .map_err(|_| damaged(Damage::Payload))?;
    drop(cipher);
    drop(file_key);

    check_zip(payload, sink).map_err(damaged_or(package))
}

/// A `Damage` becomes [`EncError::Damaged`]; an error from the sink passes through.
fn damaged_or(package: &Path) -> impl Fn(ZipCheckError) -> EncError + '_ {
    move |e| match e {
        ZipCheckError::Damage(damage) => EncError::Damaged { path: package.to_owned(), damage },
        ZipCheckError::Sink(e) => e,
    }
}

enum ZipCheckError {
    Damage(Damage),
    Sink(EncError),
}

impl From<Damage> for ZipCheckError {
    fn from(d: Damage) -> Self {
        ZipCheckError::Damage(d)
    }
}

/// Checks the decrypted zip against its manifest: exactly the listed entries, each file's
/// size and SHA-256; hands each checked file to `sink`.
fn check_zip(zip_bytes: &[u8], mut sink: Option<Sink<'_>>) -> Result<Manifest, ZipCheckError> {
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
    let mut present = BTreeSet::new();
    for name in zip.file_names() {
        if !listed.contains(name) {
            return Err(Damage::Entry { path: name.to_owned(), problem: "not in the manifest" }.into());
        }
        if !present.insert(name.to_owned()) {
            return Err(Damage::Entry { path: name.to_owned(), problem: "in the zip twice" }.into());
        }
    }

    for f in &manifest.files {
        let name = format!("{FILES_PREFIX}{}", f.path);
        let entry =
            zip.by_name(&name).map_err(|_| Damage::Entry { path: f.path.clone(), problem: "missing from the zip" })?;
        // Reserve at most what both the manifest and the zip announce, so the buffer does not
        // grow (un-zeroized copies) and a lying size cannot reserve gigabytes.
        let cap = f.size.min(entry.size()).min(zip_bytes.len() as u64 * 1032);
        let mut data = Zeroizing::new(Vec::with_capacity(usize::try_from(cap).unwrap_or(0)));
        entry
            .take(f.size.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| Damage::Zip(format!("{}: {e}", f.path)))?;
        if data.len() as u64 != f.size {
            return Err(Damage::Mismatch { path: f.path.clone(), what: "size" }.into());
        }
        if hex(&Sha256::digest(&data[..])) != f.sha256 {
            return Err(Damage::Mismatch { path: f.path.clone(), what: "SHA-256" }.into());
        }
        if let Some(sink) = sink.as_mut() {
            sink(&f.path, &data).map_err(ZipCheckError::Sink)?;
        }
    }
    Ok(manifest)
}

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
        let mut got = Vec::new();
        let mut sink = |p: &str, d: &[u8]| {
            got.push((p.to_owned(), d.to_vec()));
            Ok(())
        };
        match check_zip(bytes, Some(&mut sink)) {
            Ok(_) => Ok(got),
            Err(ZipCheckError::Damage(d)) => Err(d),
            Err(ZipCheckError::Sink(e)) => panic!("sink failed: {e}"),
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

    #[test]
    fn paths_that_escape_are_refused_before_anything_is_written() {
        for evil in ["../x", "/etc/x", "a/../../x", "C:/x", "a\\\\..\\\\x"] {
            let m = manifest(&[(evil, 3, SHA_ABC)]);
            let name = format!("files/{evil}");
            let z = zip(&[(name.as_str(), b"abc"), ("manifest.json", m.as_bytes())]);
            assert!(matches!(check(&z), Err(Damage::Manifest(_))), "{evil}");
        }
    }
}
