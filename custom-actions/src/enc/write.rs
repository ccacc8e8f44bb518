//! Writing a package: collect the files, zip them with a manifest, encrypt, write a temporary file, verify it by decrypting, rename into place.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::Nonce;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::crypto::{derive_key, wrap_key, Cipher};
use super::header::{Header, KEY_LEN, MAX_PAYLOAD_LEN, NONCE_LEN, SALT_LEN, TAG_LEN, WRAP_AAD_END};
use super::manifest::{check_rel_path, utc_seconds, FILES_PREFIX, MANIFEST_NAME};
use super::private::sync_dir;
use super::read::Opened;
use super::source;
use super::wipe::WipingBuf;
use super::{check_password, hex, EncError, ExportMeta, KdfParams, Manifest, ManifestEntry, ReadLimits, EXTENSION};

/// The package's file name: `<cluster>-<host>-<domain>-conn-<YYYYMMDDTHHMMSSZ>.enc`.
///
/// Each part keeps ASCII letters, digits, `.`, `_` and `-`; any other character becomes `_`,
/// leading and trailing dots are dropped (Windows strips trailing dots; a leading one hides the
/// file on Unix), an empty part becomes `unknown`, and each part is cut to 64 characters. The
/// timestamp is `created` in UTC, without `:` (not allowed in Windows file names).
pub fn package_file_name(meta: &ExportMeta) -> String {
    let ts = utc_seconds(meta.created)
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .expect("a UTC timestamp with a 4-digit year formats");
    format!("{}-{}-{}-conn-{ts}.{EXTENSION}", safe_part(&meta.cluster), safe_part(&meta.host), safe_part(&meta.domain))
}

fn safe_part(s: &str) -> String {
    let mapped: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    let trimmed: String = mapped.trim_matches('.').chars().take(64).collect();
    let trimmed = trimmed.trim_end_matches('.');
    if trimmed.is_empty() {
        "unknown".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A file to export: where it is on disk, its path in the package, its size when listed.
struct Source {
    full: PathBuf,
    rel: String,
    size: u64,
}

/// Exports `relative_paths` (files or folders under `source_root`; all of `source_root` when
/// empty) to a new package in `out_dir`, named by [`package_file_name`], and returns its path.
///
/// The package is written to a temporary file in `out_dir`, flushed and synced, decrypted
/// again with `password` and compared with the manifest of the source, and only then renamed
/// to its final name; an existing file of that name is never overwritten ([`EncError::Exists`]).
/// On any error no file is left behind. `password` must have at least
/// [`super::MIN_PASSWORD_LEN`] characters; `params` must be within the reader caps.
/// Symbolic links are refused; empty folders are not recorded.
pub fn export(
    source_root: &Path,
    relative_paths: &[PathBuf],
    meta: &ExportMeta,
    password: &str,
    out_dir: &Path,
    params: KdfParams,
) -> Result<PathBuf, EncError> {
    check_password(password)?;
    params.check()?;
    let final_path = out_dir.join(package_file_name(meta));
    if fs::symlink_metadata(&final_path).is_ok() {
        return Err(EncError::Exists { path: final_path });
    }

    // The password key depends only on the password and a fresh salt, not on the files: derive
    // it on a second thread while this one reads, hashes and compresses (the KDF and the zip
    // are the two big costs of an export).
    let mut salt = [0u8; SALT_LEN];
    getrandom::getrandom(&mut salt).map_err(EncError::Random)?;
    let (password_key, zipped) = std::thread::scope(|scope| {
        let kdf = scope.spawn(|| derive_key(password.as_bytes(), &salt, params));
        let zipped = collect(source_root, relative_paths).and_then(|sources| build_zip(source_root, meta, &sources));
        (kdf.join(), zipped)
    });
    let (manifest, mut payload) = zipped?;
    let password_key = password_key.unwrap_or_else(|panic| std::panic::resume_unwind(panic)).map_err(|e| match e {
        super::crypto::DeriveError::Memory(bytes) => {
            EncError::OutOfMemory { path: out_dir.to_owned(), what: "derive the key (Argon2id memory)", bytes }
        }
        super::crypto::DeriveError::Params => EncError::KdfParams { m_kib: params.m_kib, t: params.t, p: params.p },
    })?;
    if payload.len() as u64 > MAX_PAYLOAD_LEN {
        return Err(EncError::TooLarge { size: payload.len() as u64, limit: MAX_PAYLOAD_LEN });
    }
    let (header, tag) = encrypt(&password_key, params, salt, &mut payload)?;
    drop(password_key);

    let name = final_path.file_name().expect("joined a file name").to_string_lossy().into_owned();
    let io = |op, source| EncError::Io { path: out_dir.to_owned(), op, source };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(out_dir)
        .map_err(|e| io("create a temporary file in", e))?;
    let tmp_name = tmp.path().to_owned();
    let tmp_io = |op, source| EncError::Io { path: tmp_name.clone(), op, source };
    tmp.write_all(&header).map_err(|e| tmp_io("write", e))?;
    tmp.write_all(&payload).map_err(|e| tmp_io("write", e))?;
    tmp.write_all(&tag).map_err(|e| tmp_io("write", e))?;
    tmp.flush().map_err(|e| tmp_io("flush", e))?;
    tmp.as_file().sync_all().map_err(|e| tmp_io("sync", e))?;
    drop(payload);

    // Read back what reached the disk, with the password, as a reader would.
    match Opened::open(tmp.path(), password, &ReadLimits::DEFAULT.accepting(params)).map(|o| o.manifest) {
        Ok(read_back) if read_back == manifest => {}
        Ok(_) => {
            return Err(EncError::VerifyFailed {
                path: final_path,
                reason: "the decrypted manifest differs from the exported files".into(),
            })
        }
        Err(e) => {
            return Err(EncError::VerifyFailed {
                path: final_path,
                reason: format!("reading back {}: {e}", tmp_name.display()),
            })
        }
    }

    tmp.persist_noclobber(&final_path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            EncError::Exists { path: final_path.clone() }
        } else {
            EncError::Io { path: final_path.clone(), op: "rename the verified package to", source: e.error }
        }
        // `e.file` is dropped here, which deletes the temporary file.
    })?;
    sync_dir(out_dir);
    Ok(final_path)
}

/// Resolves the paths to export into a sorted, de-duplicated list of regular files.
fn collect(source_root: &Path, relative_paths: &[PathBuf]) -> Result<Vec<Source>, EncError> {
    let whole = [PathBuf::new()];
    let roots = if relative_paths.is_empty() { &whole[..] } else { relative_paths };
    let mut out = BTreeMap::new();
    for rel in roots {
        check_input_path(rel)?;
        // No link or junction in any component of the given path, the last one included
        // (issue 14 finding 4); below it the walk does not follow links either.
        let components: Vec<&str> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_str().ok_or_else(|| EncError::InvalidPath {
                    path: rel.to_owned(),
                    reason: "file name is not valid Unicode",
                })),
                _ => None,
            })
            .collect::<Result<_, _>>()?;
        let full = source_root.join(rel);
        source::check_no_links(source_root, &components).map_err(|e| link_or_io(&full, e))?;
        let walker = walkdir::WalkDir::new(&full).follow_links(false).follow_root_links(false).sort_by_file_name();
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&full).to_owned();
                EncError::Io { path, op: "read", source: e.into() }
            })?;
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            if !ft.is_file() {
                return Err(EncError::UnsupportedFileType { path: entry.path().to_owned() });
            }
            let rel = to_package_path(source_root, entry.path())?;
            let size = entry.metadata().map_err(|e| EncError::Io {
                path: entry.path().to_owned(),
                op: "read the size of",
                source: e.into(),
            })?;
            out.insert(rel.clone(), Source { full: entry.path().to_owned(), rel, size: size.len() });
        }
    }
    // Readers refuse names equal but for case (one file on Windows): refuse them here already.
    let mut folded = BTreeMap::new();
    for s in out.values() {
        if folded.insert(path_rules::fold(&s.rel), ()).is_some() {
            return Err(EncError::InvalidPath {
                path: s.full.clone(),
                reason: "differs from another file's path only in case (one file on Windows)",
            });
        }
    }
    Ok(out.into_values().collect())
}

/// A link met where none may be is "not a regular file or folder"; anything else is I/O.
fn link_or_io(path: &Path, e: std::io::Error) -> EncError {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        EncError::UnsupportedFileType { path: path.to_owned() }
    } else {
        EncError::Io { path: path.to_owned(), op: "open", source: e }
    }
}

/// An input path must be relative, with only normal components (no `..`, no root, no drive).
fn check_input_path(rel: &Path) -> Result<(), EncError> {
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            _ => {
                return Err(EncError::InvalidPath {
                    path: rel.to_owned(),
                    reason: "must be relative to the source folder, without '..'",
                })
            }
        }
    }
    Ok(())
}

/// `full` relative to `root`, `/`-separated, checked with [`check_rel_path`].
fn to_package_path(root: &Path, full: &Path) -> Result<String, EncError> {
    let invalid = |reason| EncError::InvalidPath { path: full.to_owned(), reason };
    let rel = full.strip_prefix(root).map_err(|_| invalid("not under the source folder"))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().ok_or_else(|| invalid("file name is not valid Unicode"))?),
            Component::CurDir => {}
            _ => return Err(invalid("must be relative to the source folder, without '..'")),
        }
    }
    let joined = parts.join("/");
    check_rel_path(&joined).map_err(|e| invalid(e.reason))?;
    Ok(joined)
}

/// Builds the zip in memory: each file under `files/`, then `manifest.json`.
///
/// The buffer is reserved up front from the files' sizes and names, and it is a [`WipingBuf`]:
/// if the estimate is short, growing it wipes the old allocation (issue 14 finding 9). Each
/// file is opened without following links ([`source::open_no_links`]) and read through that
/// handle into a zeroized buffer of its listed size.
fn build_zip(
    source_root: &Path,
    meta: &ExportMeta,
    sources: &[Source],
) -> Result<(Manifest, Zeroizing<Vec<u8>>), EncError> {
    let sizes: u64 = sources.iter().map(|s| s.size).sum();
    // Stored/deflated data never exceeds the input by more than a few bytes per 64 KiB block;
    // each entry costs a local and a central header with its name (30 + 46 bytes, ZIP64 extras
    // up to 60 more) and a manifest line (name, size, hash: about 150 bytes).
    let names: u64 = sources.iter().map(|s| 3 * (FILES_PREFIX.len() + s.rel.len()) as u64 + 400).sum();
    let reserve = sizes + sizes / 256 + names + 64 * 1024;
    let oom = |bytes| EncError::Io {
        path: PathBuf::from("<zip in memory>"),
        op: "reserve memory for",
        source: std::io::Error::new(std::io::ErrorKind::OutOfMemory, format!("{bytes} bytes")),
    };
    let buf = WipingBuf::with_capacity(usize::try_from(reserve).unwrap_or(usize::MAX)).map_err(|_| oom(reserve))?;
    let zip_err = |e: zip::result::ZipError| EncError::Io {
        path: PathBuf::from("<zip in memory>"),
        op: "build",
        source: std::io::Error::other(e),
    };
    let mut files = Vec::with_capacity(sources.len());
    let mut zip = ZipWriter::new(buf);
    for s in sources {
        let io = |op, source| EncError::Io { path: s.full.clone(), op, source };
        let components: Vec<&str> = s.rel.split('/').collect();
        let file = source::open_no_links(source_root, &components).map_err(|e| link_or_io(&s.full, e))?;
        let mut data = Zeroizing::new(Vec::new());
        let want = usize::try_from(s.size).map_err(|_| oom(s.size))?;
        data.try_reserve_exact(want.saturating_add(1)).map_err(|_| oom(s.size))?;
        file.take(s.size + 1).read_to_end(&mut data).map_err(|e| io("read", e))?;
        if data.len() as u64 != s.size {
            return Err(io("read", std::io::Error::other("the file changed size while being exported")));
        }
        let sha256 = hex(&Sha256::digest(&data[..]));
        zip.start_file(format!("{FILES_PREFIX}{}", s.rel), file_options(&data)).map_err(zip_err)?;
        zip.write_all(&data).map_err(|e| zip_err(e.into()))?;
        files.push(ManifestEntry { path: s.rel.clone(), size: data.len() as u64, sha256 });
    }
    let manifest = Manifest::new(meta, files);
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    zip.start_file(MANIFEST_NAME, SimpleFileOptions::default().compression_method(CompressionMethod::Deflated))
        .map_err(zip_err)?;
    zip.write_all(&json).map_err(|e| zip_err(e.into()))?;
    let buf = zip.finish().map_err(zip_err)?;
    Ok((manifest, buf.into_inner()))
}

/// Per-file zip options: fixed timestamp and permissions (reproducible bytes), ZIP64 for
/// files of 4 GiB or more, and deflate unless a quick sample shows the data does not compress
/// (already compressed or random: storing it is faster and no bigger).
fn file_options(data: &[u8]) -> SimpleFileOptions {
    let base = SimpleFileOptions::default().unix_permissions(0o644).large_file(data.len() as u64 >= u32::MAX as u64);
    if looks_incompressible(data) {
        base.compression_method(CompressionMethod::Stored)
    } else {
        // Level 1: on the benchmark's configuration text (zlib, 5.9 MB) it gives 10.4 % of the
        // input against 8.7 % for level 6, about 3 times faster; the 50 MiB in under 3 s
        // target favours speed over that 1.7 % of the input.
        base.compression_method(CompressionMethod::Deflated).compression_level(Some(1))
    }
}

/// Whether `data` looks already compressed or random, from three 16 KiB samples (start,
/// middle, end): nearly every byte value equally likely (order-0 entropy above 7.5 bits per
/// byte) **and** almost no repeated 4-byte sequence (under 2 % of positions), which is what
/// makes deflate gain nothing. Both measures together: entropy alone calls periodic data with a
/// flat byte histogram incompressible, which repeats catch.
///
/// Hand-written instead of a trial deflate (which this was): a compressor's window and output
/// are copies of the plaintext that it frees unwiped (issue 14 finding 9). The only state here
/// is byte counts and positions.
fn looks_incompressible(data: &[u8]) -> bool {
    const SAMPLE: usize = 16 * 1024;
    if data.len() < 4 * SAMPLE {
        return false;
    }
    let mid = data.len() / 2 - SAMPLE / 2;
    let end = data.len() - SAMPLE;
    [0, mid, end].into_iter().all(|start| {
        let s = &data[start..start + SAMPLE];
        let mut counts = [0u32; 256];
        for &b in s {
            counts[b as usize] += 1;
        }
        let n = SAMPLE as f64;
        let entropy: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| -(c as f64 / n) * (c as f64 / n).log2()).sum();
        // Last position of each 4-byte sequence, by a 12-bit hash; a hit is confirmed by
        // comparing the bytes in place.
        let mut last = [u16::MAX; 4096];
        let mut repeats = 0usize;
        for i in 0..SAMPLE - 3 {
            let w = u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
            let h = (w.wrapping_mul(2_654_435_761) >> 20) as usize;
            let prev = last[h];
            if prev != u16::MAX && s[prev as usize..prev as usize + 4] == s[i..i + 4] {
                repeats += 1;
            }
            last[h] = i as u16;
        }
        entropy > 7.5 && repeats * 50 < SAMPLE
    })
}

/// Encrypts `payload` in place; returns the encoded header and the payload's tag.
fn encrypt(
    password_key: &[u8; KEY_LEN],
    params: KdfParams,
    salt: [u8; SALT_LEN],
    payload: &mut Zeroizing<Vec<u8>>,
) -> Result<([u8; super::header::HEADER_LEN], [u8; TAG_LEN]), EncError> {
    let mut wrap_nonce = [0u8; NONCE_LEN];
    let mut payload_nonce = [0u8; NONCE_LEN];
    let mut file_key = Zeroizing::new([0u8; KEY_LEN]);
    for buf in [&mut wrap_nonce[..], &mut payload_nonce[..], &mut file_key[..]] {
        getrandom::getrandom(buf).map_err(EncError::Random)?;
    }

    let mut header = Header {
        kdf: params,
        salt,
        wrap_nonce,
        wrapped_key: [0; KEY_LEN + TAG_LEN],
        payload_nonce,
        payload_len: payload.len() as u64,
    };
    // The wrap's AAD is the header up to the wrapped key, which does not depend on it.
    let prefix = header.encode();
    header.wrapped_key = wrap_key(password_key, &wrap_nonce, &file_key, &prefix[..WRAP_AAD_END]);
    let encoded = header.encode();

    let cipher = Cipher::new(&file_key);
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&payload_nonce), &encoded, &mut payload[..])
        .expect("payload length is below the AES-GCM limit");
    Ok((encoded, tag.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(cluster: &str, host: &str, domain: &str) -> ExportMeta {
        ExportMeta {
            cluster: cluster.into(),
            host: host.into(),
            domain: domain.into(),
            source_version: "1".into(),
            created: time::macros::datetime!(2026-01-02 03:04:05.9 -01:00),
        }
    }

    #[test]
    fn file_name_is_windows_safe() {
        assert_eq!(
            package_file_name(&meta("idm-cluster", "NODE1", "corp.example.com")),
            "idm-cluster-NODE1-corp.example.com-conn-20260102T040405Z.enc"
        );
        assert_eq!(
            package_file_name(&meta("a<b>c:d\"e/f\\g|h?i*j", " ..x.. ", "")),
            "a_b_c_d_e_f_g_h_i_j-_..x.._-unknown-conn-20260102T040405Z.enc"
        );
        assert_eq!(package_file_name(&meta("...", "é", "x\ny")), "unknown-_-x_y-conn-20260102T040405Z.enc");
        let long = "x".repeat(300);
        assert_eq!(package_file_name(&meta(&long, "h", "d")).len(), 64 + "-h-d-conn-20260102T040405Z.enc".len());
    }

    #[test]
    fn input_paths_are_checked() {
        assert!(check_input_path(Path::new("a/b")).is_ok());
        assert!(check_input_path(Path::new("./a")).is_ok());
        for bad in ["../a", "/etc", "a/../../b"] {
            assert!(matches!(check_input_path(Path::new(bad)), Err(EncError::InvalidPath { .. })), "{bad}");
        }
    }

    #[test]
    fn incompressible_detection() {
        let text: Vec<u8> = b"<config key=\"value\"/>\n".iter().copied().cycle().take(200_000).collect();
        assert!(!looks_incompressible(&text));
        let mut random = vec![0u8; 200_000];
        getrandom::getrandom(&mut random).unwrap();
        assert!(looks_incompressible(&random));
        assert!(!looks_incompressible(&random[..1000]), "small files are always deflated");
        let periodic: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
        assert!(!looks_incompressible(&periodic), "a flat byte histogram is not randomness");
    }
}
