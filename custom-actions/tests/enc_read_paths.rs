//! Where `enc::decrypt` writes and what it says about an output path it cannot use (the
//! contract in the doc comment of `enc::decrypt` and docs/enc-format.md, "Reading"): the files go
//! to a private temporary folder *beside* the output folder, renamed into place when complete,
//! and an output path that cannot be examined is an error naming that path, before any key is
//! derived. Written for mutants of `enc/read.rs` that the round-trip tests did not notice
//! (docs/mutation-testing.md).

use std::fs;
use std::path::Path;

use custom_actions::enc::{self, EncError, ExportMeta, KdfParams, ReadLimits};

/// The tests write packages with small KDF parameters, below the reader floor.
const LIMITS: ReadLimits = ReadLimits { allow_weak: true, ..ReadLimits::DEFAULT };
const FAST: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };
const PASSWORD: &str = "correct horse battery";

/// A package of one file, `conf/a` = `a`, in `dir`.
fn package(dir: &Path) -> std::path::PathBuf {
    let src = tempfile::tempdir().unwrap();
    fs::create_dir(src.path().join("conf")).unwrap();
    fs::write(src.path().join("conf/a"), b"a").unwrap();
    let meta = ExportMeta {
        cluster: "idm-cluster".into(),
        host: "NODE1".into(),
        domain: "corp.example.com".into(),
        source_version: "3.3.7.0".into(),
        created: time::macros::datetime!(2026-11-27 01:02:03 UTC),
    };
    enc::export(src.path(), &[], &meta, PASSWORD, dir, FAST).unwrap()
}

/// An output path below a regular file cannot be examined (ENOTDIR, not "not found"): the
/// error names that path, and comes before the password is tried (a wrong password is not what
/// is reported).
#[test]
fn an_output_path_that_cannot_be_examined_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    let file = tmp.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let out = file.join("out");
    for password in [PASSWORD, "wrong password"] {
        match enc::decrypt(&pkg, password, &out, &LIMITS) {
            Err(EncError::Io { path, .. }) => assert_eq!(path, out, "the error names the output path"),
            other => panic!("expected an I/O error naming {}, got {other:?}", out.display()),
        }
    }
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

/// The temporary folder is made beside the output folder, so the final rename never crosses a
/// filesystem: decrypting onto another filesystem than the current folder's (`/dev/shm`, a
/// tmpfs on Linux) works, and leaves only the output folder there.
#[cfg(target_os = "linux")]
#[test]
fn decrypting_onto_another_filesystem_renames_in_place() {
    use std::os::unix::fs::MetadataExt;
    let shm = Path::new("/dev/shm");
    let cwd = std::env::current_dir().unwrap();
    let (Ok(shm_meta), Ok(cwd_meta)) = (fs::metadata(shm), fs::metadata(&cwd)) else {
        panic!("/dev/shm or the current folder cannot be read: this test needs both (any Linux has /dev/shm)");
    };
    assert_ne!(
        shm_meta.dev(),
        cwd_meta.dev(),
        "/dev/shm is on the filesystem of {}: this test needs another filesystem",
        cwd.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    let dest = tempfile::tempdir_in(shm).unwrap();
    let out = dest.path().join("out");
    enc::decrypt(&pkg, PASSWORD, &out, &LIMITS).expect("decrypt onto /dev/shm");
    assert_eq!(fs::read(out.join("conf/a")).unwrap(), b"a");
    let left: Vec<_> = fs::read_dir(dest.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["out"]);
}

/// A folder that appears at the output path while the files are being written (another process,
/// a second run) is never replaced: the rename fails and the error is `Exists`, naming the
/// output path; the folder that appeared keeps its contents, and the temporary folder (seen
/// beside the output path while the write was under way) is gone. The write is slowed with the
/// debug-build hook `IDM_ENC_TEST_WRITE_DELAY_MS` so the folder can be made in between.
#[test]
fn a_folder_that_appears_meanwhile_is_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    let dest = tempfile::tempdir().unwrap();
    let out = dest.path().join("out");
    // Only slows the other tests of this binary that write files.
    std::env::set_var("IDM_ENC_TEST_WRITE_DELAY_MS", "1000");
    let (pkg2, out2) = (pkg.clone(), out.clone());
    let decrypting = std::thread::spawn(move || enc::decrypt(&pkg2, PASSWORD, &out2, &LIMITS));
    let staging_seen = loop {
        let staging = fs::read_dir(dest.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .any(|n| n.starts_with(".out.") && n.ends_with(".tmp"));
        if staging {
            fs::create_dir(&out).unwrap();
            fs::write(out.join("theirs"), b"theirs").unwrap();
            break true;
        }
        if decrypting.is_finished() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let result = decrypting.join().unwrap();
    assert!(staging_seen, "no temporary folder .out.*.tmp beside the output path while writing: {result:?}");
    match result {
        Err(EncError::Exists { path }) => assert_eq!(path, out),
        other => panic!("expected Exists naming {}, got {other:?}", out.display()),
    }
    assert_eq!(fs::read(out.join("theirs")).unwrap(), b"theirs");
    let left: Vec<_> = fs::read_dir(dest.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["out"], "the temporary folder is removed");
}
