//! Round trips of the `.enc` library over many file sizes and trees, path selection, and the write-side guarantees (never overwrite, nothing left on error).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use custom_actions::enc::{self, EncError, ExportMeta, KdfParams, ReadLimits};

/// The tests write packages with small KDF parameters, below the reader floor.
const LIMITS: ReadLimits = ReadLimits { allow_weak: true, ..ReadLimits::DEFAULT };

/// Small KDF parameters so the tests are fast; one test below uses the defaults.
const FAST: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };
const PASSWORD: &str = "correct horse battery";

fn meta() -> ExportMeta {
    ExportMeta {
        cluster: "idm-cluster".into(),
        host: "NODE1".into(),
        domain: "corp.example.com".into(),
        source_version: "3.3.7.0".into(),
        created: time::macros::datetime!(2026-11-27 01:02:03 UTC),
    }
}

fn random(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    getrandom::getrandom(&mut v).unwrap();
    v
}

fn text(len: usize) -> Vec<u8> {
    b"<property name=\"connector.host\" value=\"idm.corp.example.com\"/>\n".iter().copied().cycle().take(len).collect()
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// Every regular file under `root`, by `/`-separated relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            let rel = rel.components().map(|c| c.as_os_str().to_str().unwrap()).collect::<Vec<_>>().join("/");
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

/// Exports all of `src`, decrypts it, and checks the trees are equal and the out folder holds
/// exactly the package.
fn round_trip(src: &Path) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let pkg = enc::export(src, &[], &meta(), PASSWORD, &out, FAST).unwrap();
    assert_eq!(names(&out), vec![enc::package_file_name(&meta())], "only the package, no temp file");
    let dec = tmp.path().join("dec");
    let manifest = enc::decrypt(&pkg, PASSWORD, &dec, &LIMITS).unwrap();
    let got = tree(&dec);
    assert_eq!(got, tree(src));
    assert_eq!(manifest.files.len(), got.len());
    assert_eq!(manifest.meta(), meta());
    got
}

#[test]
fn sizes_around_boundaries() {
    for size in [0usize, 1, 2, 15, 16, 17, 4095, 4096, 65_535, 65_536, 65_537, 131_072, 3 * 1024 * 1024 + 7] {
        for (kind, data) in [("random", random(size)), ("text", text(size))] {
            let src = tempfile::tempdir().unwrap();
            write(src.path(), &format!("{kind}-{size}.bin"), &data);
            let got = round_trip(src.path());
            assert_eq!(got.values().next().unwrap().len(), size, "{kind} {size}");
        }
    }
}

#[test]
fn nested_tree_with_odd_names() {
    let src = tempfile::tempdir().unwrap();
    for i in 0..120 {
        let depth = i % 6;
        let dir: Vec<String> = (0..depth).map(|d| format!("level {d}")).collect();
        let rel = if dir.is_empty() { format!("f{i}.xml") } else { format!("{}/f{i}.xml", dir.join("/")) };
        write(src.path(), &rel, &text(i * 37));
    }
    write(src.path(), "données/é-ü 漢字.properties", b"k=v\n");
    write(src.path(), ".hidden/.file", b"dot");
    write(src.path(), "manifest.json", b"a configuration file that happens to be called manifest.json");
    write(src.path(), "files/x", b"and one under a folder called files");
    let got = round_trip(src.path());
    assert_eq!(got.len(), 124);
}

#[test]
fn mixed_few_mib_tree() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "conf/big.xml", &text(2 * 1024 * 1024));
    write(src.path(), "conf/keystore.bin", &random(1024 * 1024 + 3));
    write(src.path(), "conf/empty", b"");
    round_trip(src.path());
}

#[test]
fn empty_tree() {
    let src = tempfile::tempdir().unwrap();
    fs::create_dir(src.path().join("only-an-empty-folder")).unwrap();
    let got = round_trip(src.path());
    assert!(got.is_empty());
}

#[test]
fn only_the_selected_paths_are_exported() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "conf/a.xml", b"a");
    write(src.path(), "conf/sub/b.xml", b"b");
    write(src.path(), "top.txt", b"t");
    write(src.path(), "other/c.txt", b"c");
    let tmp = tempfile::tempdir().unwrap();
    let selection = [PathBuf::from("conf"), PathBuf::from("conf/a.xml"), PathBuf::from("./top.txt")];
    let pkg = enc::export(src.path(), &selection, &meta(), PASSWORD, tmp.path(), FAST).unwrap();
    let m = enc::verify(&pkg, PASSWORD, &LIMITS).unwrap();
    let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["conf/a.xml", "conf/sub/b.xml", "top.txt"]);
}

#[test]
fn default_kdf_parameters_round_trip() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "conf/a.xml", &text(10_000));
    let tmp = tempfile::tempdir().unwrap();
    let pkg = enc::export(src.path(), &[], &meta(), PASSWORD, tmp.path(), KdfParams::DEFAULT).unwrap();
    assert_eq!(enc::inspect(&pkg).unwrap().kdf_params, KdfParams { m_kib: 65_536, t: 3, p: 4 });
    assert_eq!(enc::verify(&pkg, PASSWORD, &LIMITS).unwrap().files.len(), 1);
    assert!(matches!(enc::verify(&pkg, "not the password", &LIMITS), Err(EncError::WrongPassword { .. })));
}

#[test]
fn the_package_name_and_place() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "a", b"a");
    let tmp = tempfile::tempdir().unwrap();
    let pkg = enc::export(src.path(), &[], &meta(), PASSWORD, tmp.path(), FAST).unwrap();
    assert_eq!(pkg, tmp.path().join("idm-cluster-NODE1-corp.example.com-conn-20261127T010203Z.enc"));
}

#[test]
fn an_existing_package_is_never_overwritten() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "a", b"first");
    let tmp = tempfile::tempdir().unwrap();
    let pkg = enc::export(src.path(), &[], &meta(), PASSWORD, tmp.path(), FAST).unwrap();
    let before = fs::read(&pkg).unwrap();
    write(src.path(), "a", b"second");
    let err = enc::export(src.path(), &[], &meta(), PASSWORD, tmp.path(), FAST).unwrap_err();
    assert!(matches!(&err, EncError::Exists { path } if *path == pkg), "{err}");
    assert_eq!(fs::read(&pkg).unwrap(), before);
    assert_eq!(names(tmp.path()).len(), 1, "no temporary file left");

    // Also when the existing file is not a package at all.
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join(enc::package_file_name(&meta())), b"precious").unwrap();
    assert!(matches!(
        enc::export(src.path(), &[], &meta(), PASSWORD, other.path(), FAST),
        Err(EncError::Exists { .. })
    ));
    assert_eq!(fs::read(other.path().join(enc::package_file_name(&meta()))).unwrap(), b"precious");
}

#[test]
fn decrypt_never_overwrites_and_writes_nothing_on_a_wrong_password() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "conf/a", b"a");
    let tmp = tempfile::tempdir().unwrap();
    let pkg = enc::export(src.path(), &[], &meta(), PASSWORD, tmp.path(), FAST).unwrap();

    let dest = tempfile::tempdir().unwrap();
    let out = dest.path().join("out");
    let err = enc::decrypt(&pkg, "wrong password", &out, &LIMITS).unwrap_err();
    assert!(matches!(err, EncError::WrongPassword { .. }), "{err}");
    assert!(names(dest.path()).is_empty(), "nothing written: {:?}", names(dest.path()));

    // A non-empty folder or a file is never written into or replaced.
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep"), b"keep").unwrap();
    assert!(matches!(enc::decrypt(&pkg, PASSWORD, &out, &LIMITS), Err(EncError::Exists { .. })));
    assert_eq!(names(&out), ["keep"]);
    let file = dest.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(matches!(enc::decrypt(&pkg, PASSWORD, &file, &LIMITS), Err(EncError::Exists { .. })));
    assert_eq!(names(dest.path()), ["file", "out"]);

    // An existing empty folder is fine.
    let empty = dest.path().join("empty");
    fs::create_dir(&empty).unwrap();
    enc::decrypt(&pkg, PASSWORD, &empty, &LIMITS).unwrap();
    assert_eq!(fs::read(empty.join("conf/a")).unwrap(), b"a");
}

#[test]
fn refused_inputs_leave_nothing_behind() {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "a", b"a");
    let out = tempfile::tempdir().unwrap();
    let export = |paths: &[PathBuf], password: &str, params: KdfParams| {
        enc::export(src.path(), paths, &meta(), password, out.path(), params)
    };
    assert!(matches!(export(&[], "1234567", FAST), Err(EncError::PasswordTooShort)));
    assert!(matches!(
        export(&[], PASSWORD, KdfParams { m_kib: 2 * 1024 * 1024, t: 1, p: 1 }),
        Err(EncError::KdfParams { .. })
    ));
    assert!(matches!(export(&[PathBuf::from("../a")], PASSWORD, FAST), Err(EncError::InvalidPath { .. })));
    assert!(matches!(export(&[PathBuf::from("missing")], PASSWORD, FAST), Err(EncError::Io { .. })));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(src.path().join("a"), src.path().join("link")).unwrap();
        let err = export(&[], PASSWORD, FAST).unwrap_err();
        assert!(matches!(&err, EncError::UnsupportedFileType { path } if path.ends_with("link")), "{err}");
    }
    assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));
    let cased = tempfile::tempdir().unwrap();
    write(cased.path(), "conf/Settings.xml", b"1");
    write(cased.path(), "conf/settings.xml", b"2");
    let err = enc::export(cased.path(), &[], &meta(), PASSWORD, out.path(), FAST).unwrap_err();
    assert!(matches!(&err, EncError::InvalidPath { .. }), "{err}");
    assert!(names(out.path()).is_empty(), "{:?}", names(out.path()));
    let missing_out = out.path().join("does-not-exist");
    assert!(matches!(
        enc::export(src.path(), &[PathBuf::from("a")], &meta(), PASSWORD, &missing_out, FAST),
        Err(EncError::Io { .. })
    ));
    assert!(names(out.path()).is_empty());
}

/// Issue 14 finding 4: a symbolic link in an intermediate component of `--path` (or as the
/// given path itself) is refused; nothing from outside the source folder is packed.
#[cfg(unix)]
#[test]
fn links_in_any_component_of_a_path_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, outside, out) = (tmp.path().join("src"), tmp.path().join("outside"), tmp.path().join("out"));
    write(&src, "conf/a", b"a");
    write(&outside, "id_rsa", b"-----BEGIN OPENSSH PRIVATE KEY-----");
    fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&outside, src.join("linked")).unwrap();
    std::os::unix::fs::symlink(src.join("conf"), src.join("conflink")).unwrap();
    for path in ["linked/id_rsa", "linked", "conflink", "conflink/a"] {
        let err = enc::export(&src, &[PathBuf::from(path)], &meta(), PASSWORD, &out, FAST).unwrap_err();
        assert!(matches!(&err, EncError::UnsupportedFileType { .. }), "{path}: {err}");
    }
    assert!(names(&out).is_empty(), "{:?}", names(&out));
    // The real path still exports.
    let pkg = enc::export(&src, &[PathBuf::from("conf/a")], &meta(), PASSWORD, &out, FAST).unwrap();
    assert_eq!(enc::verify(&pkg, PASSWORD, &LIMITS).unwrap().files.len(), 1);
}
