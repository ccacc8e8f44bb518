//! The committed v1 sample package must decrypt forever to the same contents (docs/enc-format.md, "Versioning").

use std::path::{Path, PathBuf};

use custom_actions::enc::{self, EncError, KdfParams, ReadLimits};
use sha2::{Digest, Sha256};

/// The tests write packages with small KDF parameters, below the reader floor.
const LIMITS: ReadLimits = ReadLimits { allow_weak: true, ..ReadLimits::DEFAULT };

const PASSWORD: &str = "v1 sample password";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sample.enc")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `keystore.p12` of the sample: a SHA-256 chain, see tests/fixtures/README.md.
fn keystore() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while out.len() < 70_000 {
        out.extend_from_slice(&Sha256::digest(format!("v1-sample-{i}").as_bytes()));
        i += 1;
    }
    out.truncate(70_000);
    out
}

fn expected_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "conf/connector.xml",
            b"<connector id=\"v1-sample\">\n  <setting name=\"mode\" value=\"embedded\"/>\n</connector>\n".to_vec(),
        ),
        ("conf/empty.txt", Vec::new()),
        ("conf/nested/deep/binary.bin", (0..=255u8).cycle().take(76_800).collect()),
        ("données/é.txt", b"unicode names survive\n".to_vec()),
        ("keystore.p12", keystore()),
    ]
}

#[test]
fn the_fixture_is_the_committed_one() {
    let bytes = std::fs::read(fixture()).unwrap();
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        "702f895ea4a780fc1def387cfe8635853cb3a0c7d53cfae9fbcdb03c10c46a1d",
        "tests/fixtures/v1-sample.enc changed: it must never be regenerated"
    );
}

#[test]
fn v1_sample_inspects_without_password() {
    let info = enc::inspect(&fixture()).unwrap();
    assert_eq!(info.version, 1);
    assert_eq!(info.kdf_params, KdfParams { m_kib: 64, t: 1, p: 1 });
    assert_eq!(info.salt_hex, "bb2580f7d233d92d8e935a5467479156");
    assert_eq!(info.payload_len, 72_134);
    assert_eq!(info.file_len, 72_302);
}

#[test]
fn v1_sample_decrypts_to_known_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let manifest = enc::decrypt(&fixture(), PASSWORD, &out, &LIMITS).unwrap();

    assert_eq!(manifest.cluster, "sample-cluster");
    assert_eq!(manifest.host, "NODE-01");
    assert_eq!(manifest.domain, "corp.example.com");
    assert_eq!(manifest.source_version, "3.3.6.0");
    assert_eq!(manifest.created, time::macros::datetime!(2026-11-27 01:43:55 UTC));

    let expected = expected_files();
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
    assert_eq!(listed, wanted);
    for ((path, contents), entry) in expected.iter().zip(&manifest.files) {
        let on_disk = std::fs::read(out.join(path)).unwrap();
        assert_eq!(&on_disk, contents, "{path}");
        assert_eq!(entry.size, contents.len() as u64, "{path}");
        assert_eq!(entry.sha256, hex(&Sha256::digest(contents)), "{path}");
    }
    // Nothing but the listed files (and their folders).
    let count = walkdir::WalkDir::new(&out).into_iter().filter(|e| e.as_ref().unwrap().file_type().is_file()).count();
    assert_eq!(count, expected.len());
}

#[test]
fn v1_sample_verifies_and_refuses_a_wrong_password() {
    assert_eq!(enc::verify(&fixture(), PASSWORD, &LIMITS).unwrap().files.len(), 5);
    assert!(matches!(enc::verify(&fixture(), "v1 sample passworD", &LIMITS), Err(EncError::WrongPassword { .. })));
}
