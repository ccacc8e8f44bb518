//! Fuzzing the `.enc` reader (issue 14): mutated packages, with and without a recomputed header checksum, through `verify` and `decrypt`; no input may panic, abort or allocate without bound.
//!
//! The engine is `fuzz/mutate.rs` (fixed seed, time budget `IDM_FUZZ_SECONDS`); the inner zip
//! and manifest are fuzzed behind the encryption by `enc::read`'s unit test
//! `fuzz_inner_zip`. Results are recorded in docs/fuzzing.md.

#[path = "../../fuzz/mutate.rs"]
mod mutate;

use std::fs;

use custom_actions::enc::{self, ExportMeta, KdfParams, ReadLimits};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "fuzz test password";

fn seed_package(dir: &std::path::Path) -> Vec<u8> {
    let src = dir.join("src");
    fs::create_dir_all(src.join("conf/sub")).unwrap();
    fs::write(src.join("conf/a.xml"), b"<a x=\"1\"/>\n".repeat(50)).unwrap();
    fs::write(src.join("conf/sub/b.bin"), (0..=255u8).collect::<Vec<_>>()).unwrap();
    fs::write(src.join("empty"), b"").unwrap();
    let meta = ExportMeta {
        cluster: "c".into(),
        host: "h".into(),
        domain: "d".into(),
        source_version: "1".into(),
        created: time::OffsetDateTime::UNIX_EPOCH,
    };
    let out = dir.join("out");
    fs::create_dir_all(&out).unwrap();
    let pkg = enc::export(&src, &[], &meta, PASSWORD, &out, KdfParams { m_kib: 8, t: 1, p: 1 }).unwrap();
    fs::read(pkg).unwrap()
}

#[test]
fn fuzz_enc_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed_package(tmp.path());
    // The fuzz run's own limits: cheap KDF headers only (the limit is what bounds hostile ones).
    let limits = ReadLimits { max_m_kib: 1024, max_t: 2, allow_weak: true };
    let pkg = tmp.path().join("fuzz.enc");
    let out = tmp.path().join("dec");
    let dictionary: &[&[u8]] = &[b"\x89IDMENC\n", &[1, 0], &[1, 1], b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"];
    let mut outcomes = std::collections::BTreeMap::<String, u64>::new();
    let mut check = |bytes: &[u8]| {
        fs::write(&pkg, bytes).unwrap();
        let r = enc::verify(&pkg, PASSWORD, &limits);
        *outcomes.entry(r.as_ref().map(|_| "ok".to_string()).unwrap_or_else(class)).or_default() += 1;
        if r.is_ok() {
            enc::decrypt(&pkg, PASSWORD, &out, &limits).expect("a package that verifies decrypts");
            fs::remove_dir_all(&out).unwrap();
        } else {
            assert!(!out.exists(), "a failed package wrote output");
        }
    };
    let tried = mutate::run("enc-reader", &[seed], dictionary, |input| {
        check(input);
        // The same input with its header checksum recomputed, so mutations reach the checks
        // after it (KDF limits, lengths, key unwrap).
        if input.len() >= 152 {
            let mut fixed = input.to_vec();
            let sum = Sha256::digest(&fixed[..120]);
            fixed[120..152].copy_from_slice(&sum);
            check(&fixed);
        }
    });
    println!("fuzz enc-reader outcomes: {outcomes:?}");
    assert!(tried > 100, "the budget allowed only {tried} inputs");
    assert!(mutate::peak_rss_kib() < 1024 * 1024, "peak RSS {} KiB", mutate::peak_rss_kib());
}

fn class(e: &enc::EncError) -> String {
    let s = format!("{e:?}");
    s.split([' ', '{', '(']).next().unwrap_or("").to_string()
}
