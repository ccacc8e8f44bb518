//! Tamper tests: every header byte, a sample of payload bytes, truncation, appending and crafted headers each give the documented error and no output.

use std::fs;
use std::path::PathBuf;

use custom_actions::enc::{self, Damage, EncError, ExportMeta, KdfParams, ReadLimits};
use sha2::{Digest, Sha256};

/// The tests write packages with small KDF parameters, below the reader floor.
const LIMITS: ReadLimits = ReadLimits { allow_weak: true, ..ReadLimits::DEFAULT };

const FAST: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };
const PASSWORD: &str = "tamper test password";
/// Header length and field offsets from docs/enc-format.md.
const HEADER_LEN: usize = 152;
const CHECKSUM_AT: usize = 120;

/// A package of ~70 KiB (80 KB of text, deflated, and 70 KB of random data, stored, so both deflated and stored entries).
fn package() -> (tempfile::TempDir, Vec<u8>) {
    let src = tempfile::tempdir().unwrap();
    fs::create_dir_all(src.path().join("conf/sub")).unwrap();
    let text: Vec<u8> = b"<setting name=\"x\" value=\"y\"/>\n".iter().copied().cycle().take(80_000).collect();
    fs::write(src.path().join("conf/settings.xml"), text).unwrap();
    let mut random = vec![0u8; 70_000];
    getrandom::getrandom(&mut random).unwrap();
    fs::write(src.path().join("conf/sub/keystore.bin"), random).unwrap();
    let meta = ExportMeta {
        cluster: "c".into(),
        host: "h".into(),
        domain: "d".into(),
        source_version: "1".into(),
        created: time::OffsetDateTime::now_utc(),
    };
    let out = tempfile::tempdir().unwrap();
    let pkg = enc::export(src.path(), &[], &meta, PASSWORD, out.path(), FAST).unwrap();
    let bytes = fs::read(pkg).unwrap();
    assert!(bytes.len() > HEADER_LEN + 70_000, "{}", bytes.len());
    (src, bytes)
}

/// Writes `bytes` as a package in a fresh folder, tries `verify` and `decrypt`, checks both
/// give the same error class and that nothing was written; returns the decrypt error.
fn refuse(bytes: &[u8], what: &str) -> EncError {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("p.enc");
    fs::write(&pkg, bytes).unwrap();
    let verify_err = enc::verify(&pkg, PASSWORD, &LIMITS).expect_err(what);
    let out = dir.path().join("out");
    let err = enc::decrypt(&pkg, PASSWORD, &out, &LIMITS).expect_err(what);
    assert_eq!(
        std::mem::discriminant(&verify_err),
        std::mem::discriminant(&err),
        "{what}: verify said {verify_err}, decrypt said {err}"
    );
    let left: Vec<PathBuf> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(left, vec![pkg.clone()], "{what}: decrypt left output behind");
    err
}

fn damage(err: EncError, what: &str) -> Damage {
    match err {
        EncError::Damaged { damage, .. } => damage,
        other => panic!("{what}: expected Damaged, got {other:?}"),
    }
}

fn rechecksum(bytes: &mut [u8]) {
    let sum = Sha256::digest(&bytes[..CHECKSUM_AT]);
    bytes[CHECKSUM_AT..HEADER_LEN].copy_from_slice(&sum);
}

#[test]
fn every_header_byte() {
    let (_src, good) = package();
    for i in 0..HEADER_LEN {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= mask;
            let what = format!("header byte {i} ^ {mask:#04x}");
            let err = refuse(&b, &what);
            match i {
                0..=7 => assert_eq!(damage(err, &what), Damage::BadMagic, "{what}"),
                8 | 9 => assert!(
                    matches!(err, EncError::UnsupportedVersion { found, supported: 1, .. } if found != 1),
                    "{what}: {err:?}"
                ),
                _ => assert_eq!(damage(err, &what), Damage::HeaderChecksum, "{what}"),
            }
        }
    }
}

#[test]
fn a_sample_of_payload_bytes() {
    let (_src, good) = package();
    let len = good.len();
    let mut positions: Vec<usize> = (HEADER_LEN..len).step_by(997).collect();
    positions.extend(HEADER_LEN..HEADER_LEN + 16); // start of the ciphertext
    positions.extend(len - 16..len); // the tag
    for i in positions {
        let mut b = good.clone();
        b[i] ^= 0x01;
        let what = format!("payload byte {i}");
        assert_eq!(damage(refuse(&b, &what), &what), Damage::Payload, "{what}");
    }
}

#[test]
fn truncated() {
    let (_src, good) = package();
    let len = good.len();
    for cut in [
        0,
        1,
        7,
        8,
        9,
        10,
        11,
        100,
        CHECKSUM_AT,
        HEADER_LEN - 1,
        HEADER_LEN,
        HEADER_LEN + 1,
        len / 2,
        len - 17,
        len - 16,
        len - 1,
    ] {
        let what = format!("truncated to {cut} bytes");
        let d = damage(refuse(&good[..cut], &what), &what);
        match cut {
            0..HEADER_LEN => assert!(matches!(d, Damage::TooShort { .. }), "{what}: {d:?}"),
            _ => assert!(matches!(d, Damage::Length { .. }), "{what}: {d:?}"),
        }
    }
}

#[test]
fn appended() {
    let (_src, good) = package();
    for extra in [&b"\0"[..], &b"\n"[..], &[0u8; 16][..], &good[..]] {
        let mut b = good.clone();
        b.extend_from_slice(extra);
        let what = format!("{} bytes appended", extra.len());
        assert!(matches!(damage(refuse(&b, &what), &what), Damage::Length { .. }), "{what}");
    }
}

#[test]
fn not_a_package() {
    assert_eq!(damage(refuse(b"PK\x03\x04 a zip, not a package", "zip"), "zip"), Damage::BadMagic);
    assert_eq!(damage(refuse(&[0u8; 4096], "zeros"), "zeros"), Damage::BadMagic);
}

/// Headers changed *with* a recomputed checksum, i.e. deliberately: the error classes
/// docs/enc-format.md gives for them.
#[test]
fn crafted_headers() {
    let (_src, good) = package();
    let craft = |at: usize, value: &[u8]| {
        let mut b = good.clone();
        b[at..at + value.len()].copy_from_slice(value);
        rechecksum(&mut b);
        b
    };
    // Future version: unsupported, whatever follows.
    let err = refuse(&craft(8, &2u16.to_le_bytes()), "version 2");
    assert!(matches!(err, EncError::UnsupportedVersion { found: 2, .. }), "{err:?}");
    // Unknown algorithm ids in a v1 header.
    assert!(matches!(
        damage(refuse(&craft(10, &[2]), "kdf id"), "kdf id"),
        Damage::UnknownAlgorithm { what: "KDF", id: 2 }
    ));
    assert!(matches!(
        damage(refuse(&craft(11, &[9]), "aead id"), "aead id"),
        Damage::UnknownAlgorithm { what: "AEAD", id: 9 }
    ));
    // KDF parameters beyond the caps are refused before deriving: m = 4 TiB would abort the
    // process if it reached Argon2.
    for (at, value, what) in [
        (12, u32::MAX, "m = 4 TiB"),
        (12, 1024 * 1024 + 1, "m = 1 GiB + 1 KiB"),
        (16, 17, "t = 17"),
        (16, 0, "t = 0"),
        (20, 17, "p = 17"),
        (20, 0, "p = 0"),
    ] {
        let d = damage(refuse(&craft(at, &value.to_le_bytes()), what), what);
        assert!(matches!(d, Damage::KdfParamsOutOfRange { .. }), "{what}: {d:?}");
    }
    // A different salt or KDF cost within the caps derives another key: the wrap fails, which
    // is indistinguishable from a wrong password (documented).
    let err = refuse(&craft(24, &[0xAA; 16]), "salt");
    assert!(matches!(err, EncError::WrongPassword { .. }), "{err:?}");
    let err = refuse(&craft(16, &2u32.to_le_bytes()), "t = 2");
    assert!(matches!(err, EncError::WrongPassword { .. }), "{err:?}");
    // The payload nonce or length is bound to the payload: damaged.
    assert_eq!(damage(refuse(&craft(100, &[0x55; 12]), "payload nonce"), "payload nonce"), Damage::Payload);
}

#[test]
fn header_spliced_onto_another_payload() {
    let (_a, one) = package();
    let (_b, two) = package();
    let mut spliced = one[..HEADER_LEN].to_vec();
    spliced.extend_from_slice(&two[HEADER_LEN..]);
    // Lengths differ by a few bytes (random data): fix the length so only the splice differs.
    let payload_len = (spliced.len() - HEADER_LEN - 16) as u64;
    spliced[112..120].copy_from_slice(&payload_len.to_le_bytes());
    rechecksum(&mut spliced);
    let d = damage(refuse(&spliced, "splice"), "splice");
    assert!(matches!(d, Damage::Payload | Damage::Length { .. }), "{d:?}");
}

#[test]
fn the_untampered_package_is_fine() {
    let (src, good) = package();
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("p.enc");
    fs::write(&pkg, &good).unwrap();
    let out = dir.path().join("out");
    enc::decrypt(&pkg, PASSWORD, &out, &LIMITS).unwrap();
    assert_eq!(
        fs::read(out.join("conf/sub/keystore.bin")).unwrap(),
        fs::read(src.path().join("conf/sub/keystore.bin")).unwrap()
    );
}

/// Issue 14 finding 13: random bytes under a valid-looking header with a recomputed checksum
/// open nothing, and the message does not claim the package is intact (the checksum is not a
/// MAC: the tool cannot know).
#[test]
fn recomputed_checksum_over_random_bytes_is_not_called_intact() {
    let (_src, good) = package();
    let mut b = good.clone();
    let mut noise = vec![0u8; b.len() - 24];
    getrandom::getrandom(&mut noise).unwrap();
    // Keep magic, version, ids and KDF parameters (bytes 0..24) and the length field.
    b[24..].copy_from_slice(&noise);
    b[112..120].copy_from_slice(&good[112..120]);
    rechecksum(&mut b);
    let err = refuse(&b, "random body");
    assert!(matches!(err, EncError::WrongPassword { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains("intact"), "must not claim integrity: {msg}");
    assert!(msg.contains("altered"), "must say the header may have been altered: {msg}");
}

/// Issue 14 finding 5: with the default reader limits a 1 GiB / 16-pass header is refused
/// before deriving (quickly, whatever the password); the documented override admits it.
#[test]
fn kdf_cost_beyond_the_reader_limits_is_refused_before_deriving() {
    let (_src, good) = package();
    let mut b = good.clone();
    b[12..16].copy_from_slice(&(1024u32 * 1024).to_le_bytes());
    b[16..20].copy_from_slice(&16u32.to_le_bytes());
    rechecksum(&mut b);
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("p.enc");
    fs::write(&pkg, &b).unwrap();
    let started = std::time::Instant::now();
    let err = enc::verify(&pkg, PASSWORD, &ReadLimits::DEFAULT).unwrap_err();
    assert!(matches!(err, EncError::KdfRefused { m_kib: 1048576, t: 16, .. }), "{err:?}");
    assert!(started.elapsed().as_secs() < 5, "no key was derived");
    // Below the floor (the test parameters): refused by default, too.
    let weak = dir.path().join("weak.enc");
    fs::write(&weak, &good).unwrap();
    assert!(matches!(enc::verify(&weak, PASSWORD, &ReadLimits::DEFAULT), Err(EncError::KdfRefused { .. })));
}
