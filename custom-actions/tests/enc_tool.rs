//! The `migrateEmbeddedConnector` binary: each command and each documented exit code, with passwords from stdin or a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_migrateEmbeddedConnector");
const PASSWORD: &str = "tool test password";

/// Runs the tool with `args`, feeding `stdin`.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run migrateEmbeddedConnector");
    // The tool may exit before reading stdin (usage errors): ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    package: PathBuf,
}

/// A source tree exported with small KDF parameters; the password comes from stdin with the
/// newline `echo` would add.
fn exported() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let src = root.join("src");
    fs::create_dir_all(src.join("conf/sub")).unwrap();
    fs::write(src.join("conf/connector.xml"), b"<connector/>\n").unwrap();
    fs::write(src.join("conf/sub/secret.properties"), b"k=v\n").unwrap();
    fs::write(src.join("unrelated.log"), b"not exported\n").unwrap();
    let out = root.join("out");
    fs::create_dir(&out).unwrap();
    let o = run(
        &[
            "export",
            "--source",
            src.to_str().unwrap(),
            "--path",
            "conf",
            "--cluster",
            "cl",
            "--host",
            "node:1",
            "--domain",
            "corp.example.com",
            "--source-version",
            "3.3.7",
            "--out",
            out.to_str().unwrap(),
            "--password-stdin",
            "--kdf-memory-kib",
            "64",
            "--kdf-iterations",
            "1",
            "--kdf-parallelism",
            "1",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(!text(&o).contains(PASSWORD), "the password must never be printed");
    let entries: Vec<PathBuf> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let package = entries[0].clone();
    let name = package.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("cl-node_1-corp.example.com-conn-") && name.ends_with("Z.enc"), "{name}");
    Fixture { _tmp: tmp, root, package }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn export_inspect_verify_decrypt() {
    let f = exported();
    let o = run(&["inspect", p(&f.package)], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(".enc version 1") && out.contains("m = 64 KiB, t = 1, p = 1"), "{out}");

    let o = run(&["inspect", "--json", p(&f.package)], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf_params"]["m_kib"], 64);

    let o = run(&["verify", p(&f.package), "--password-stdin"], PASSWORD);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("conf/sub/secret.properties") && !out.contains("unrelated.log"), "{out}");
    assert!(out.contains("node:1"), "the manifest keeps the real host name: {out}");

    let o = run(&["verify", "--json", p(&f.package), "--password-stdin"], PASSWORD);
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["files"].as_array().unwrap().len(), 2);

    let dec = f.root.join("dec");
    let o = run(&["decrypt", p(&f.package), "--out", p(&dec), "--password-stdin"], PASSWORD);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(fs::read(dec.join("conf/connector.xml")).unwrap(), b"<connector/>\n");
    assert_eq!(fs::read(dec.join("conf/sub/secret.properties")).unwrap(), b"k=v\n");

    // Exit 6: the output exists.
    let o = run(&["decrypt", p(&f.package), "--out", p(&dec), "--password-stdin"], PASSWORD);
    assert_eq!(code(&o), 6, "{}", text(&o));
}

#[test]
fn password_file_and_newlines() {
    let f = exported();
    let pw = f.root.join("pw.txt");
    fs::write(&pw, format!("{PASSWORD}\r\n")).unwrap();
    let o = run(&["verify", p(&f.package), "--password-file", p(&pw)], "");
    assert_eq!(code(&o), 0, "{}", text(&o));
    fs::write(&pw, format!("{PASSWORD} ")).unwrap();
    let o = run(&["verify", p(&f.package), "--password-file", p(&pw)], "");
    assert_eq!(code(&o), 3, "only one newline is stripped, nothing else: {}", text(&o));
    let o = run(&["verify", p(&f.package), "--password-file", p(&f.root.join("missing"))], "");
    assert_eq!(code(&o), 1, "{}", text(&o));
}

#[test]
fn wrong_password_is_3_and_writes_nothing() {
    let f = exported();
    let o = run(&["verify", p(&f.package), "--password-stdin"], "not the password");
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong password"), "{}", text(&o));
    let dec = f.root.join("dec");
    let o = run(&["decrypt", p(&f.package), "--out", p(&dec), "--password-stdin"], "not the password");
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(!dec.exists());
}

#[test]
fn damaged_is_4_and_unsupported_version_is_5() {
    let f = exported();
    let good = fs::read(&f.package).unwrap();
    let damaged = f.root.join("damaged.enc");
    let mut b = good.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    fs::write(&damaged, &b).unwrap();
    let dec = f.root.join("dec");
    for args in [
        vec!["verify", p(&damaged), "--password-stdin"],
        vec!["decrypt", p(&damaged), "--out", p(&dec), "--password-stdin"],
    ] {
        let o = run(&args, PASSWORD);
        assert_eq!(code(&o), 4, "{args:?}: {}", text(&o));
    }
    assert!(!dec.exists());

    let mut b = good.clone();
    b[40] ^= 1; // a header byte: the checksum catches it, no password needed
    fs::write(&damaged, &b).unwrap();
    assert_eq!(code(&run(&["inspect", p(&damaged)], "")), 4);

    let mut b = good;
    b[8] = 2; // version 2
    let future = f.root.join("future.enc");
    fs::write(&future, &b).unwrap();
    let o = run(&["inspect", p(&future)], "");
    assert_eq!(code(&o), 5, "{}", text(&o));
    let o = run(&["verify", p(&future), "--password-stdin"], PASSWORD);
    assert_eq!(code(&o), 5, "{}", text(&o));
}

#[test]
fn usage_errors_are_2() {
    let f = exported();
    // No subcommand, unknown flag, missing required option.
    for args in [vec![], vec!["verify", "--bogus"], vec!["decrypt", p(&f.package)]] {
        let o = run(&args, "");
        assert_eq!(code(&o), 2, "{args:?}: {}", text(&o));
    }
    // There is no way to pass the password as an argument.
    let o = run(&["verify", p(&f.package), "--password", PASSWORD], "");
    assert_eq!(code(&o), 2, "{}", text(&o));
    // Both password sources at once.
    let o = run(&["verify", p(&f.package), "--password-stdin", "--password-file", "x"], PASSWORD);
    assert_eq!(code(&o), 2, "{}", text(&o));
    // A password that is too short for export.
    let out = f.root.join("out2");
    fs::create_dir(&out).unwrap();
    let o = run(
        &[
            "export",
            "--source",
            p(&f.root.join("src")),
            "--cluster",
            "c",
            "--host",
            "h",
            "--domain",
            "d",
            "--source-version",
            "1",
            "--out",
            p(&out),
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
}

#[test]
fn other_errors_are_1() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(&["inspect", p(&tmp.path().join("missing.enc"))], "");
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.enc"), "{}", text(&o));
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [vec!["--help"], vec!["export", "--help"], vec!["verify", "--help"]] {
        let o = run(&args, "");
        assert_eq!(code(&o), 0);
        let out = String::from_utf8_lossy(&o.stdout);
        for line in [
            "3  wrong password",
            "4  damaged package",
            "5  unsupported package format version",
            "6  the output already exists",
        ] {
            assert!(out.contains(line), "{args:?} lacks {line:?}:\n{out}");
        }
    }
}

#[test]
fn the_committed_sample_opens_with_the_tool() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sample.enc");
    let o = run(&["verify", p(&sample), "--password-stdin"], "v1 sample password");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("données/é.txt"));
}
