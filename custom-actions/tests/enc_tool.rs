//! The `migrateEmbeddedConnector` binary: each command and each documented exit code, with passwords from stdin or a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

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

/// A source tree exported by the tool (always with the production KDF parameters); the
/// password comes from stdin with the newline `echo` would add.
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

/// `export` of `src` into `out` with the password from stdin, plus `extra` arguments.
fn export_args<'a>(src: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["export", "--source", p(src), "--cluster", "c", "--host", "h", "--domain", "d"];
    args.extend(["--source-version", "1", "--out", p(out), "--password-stdin"]);
    args.extend(extra);
    args
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
    assert!(out.contains(".enc version 1") && out.contains("m = 65536 KiB, t = 3, p = 4"), "{out}");

    let o = run(&["inspect", "--json", p(&f.package)], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf_params"]["m_kib"], 65536);

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
    let o = run(&export_args(&f.root.join("src"), &out, &[]), "short\n");
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
            "7  the package's key-derivation cost",
        ] {
            assert!(out.contains(line), "{args:?} lacks {line:?}:\n{out}");
        }
    }
}

#[test]
fn the_committed_sample_opens_with_the_tool() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sample.enc");
    // The sample uses m = 64 KiB, t = 1: below the reader floor, opened only on request.
    let o = run(&["verify", p(&sample), "--password-stdin"], "v1 sample password");
    assert_eq!(code(&o), 7, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-weak-kdf"), "{}", text(&o));
    let o = run(&["verify", p(&sample), "--password-stdin", "--allow-weak-kdf"], "v1 sample password");
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("données/é.txt"));
}

/// Re-checksums a header changed on purpose (docs/enc-format.md: SHA-256 of bytes 0..120).
fn rechecksum(bytes: &mut [u8]) {
    let sum = Sha256::digest(&bytes[..120]);
    bytes[120..152].copy_from_slice(&sum);
}

/// Issue 14 finding 12: the shipped tool has no option that writes a weak package.
#[test]
fn export_offers_no_weak_kdf() {
    let f = exported();
    for opt in ["--kdf-memory-kib", "--kdf-iterations", "--kdf-parallelism"] {
        let out = f.root.join(format!("weak{opt}"));
        fs::create_dir(&out).unwrap();
        let o = run(&export_args(&f.root.join("src"), &out, &[opt, "8"]), PASSWORD);
        assert_eq!(code(&o), 2, "{opt} must be an unknown option: {}", text(&o));
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
    }
}

/// Issue 14 finding 5: a hostile header asking for 1 GiB and 16 passes is refused before any
/// key is derived (exit 7, naming the override); with the override under a memory limit the
/// KDF allocation is an error (exit 1), not an abort.
#[test]
fn hostile_kdf_cost_is_refused_and_memory_failure_is_an_error() {
    let f = exported();
    let mut b = fs::read(&f.package).unwrap();
    b[12..16].copy_from_slice(&(1024u32 * 1024).to_le_bytes());
    b[16..20].copy_from_slice(&16u32.to_le_bytes());
    rechecksum(&mut b);
    let hostile = f.root.join("hostile.enc");
    fs::write(&hostile, &b).unwrap();
    let started = std::time::Instant::now();
    let o = run(&["verify", p(&hostile), "--password-stdin"], PASSWORD);
    assert_eq!(code(&o), 7, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-kdf-memory"), "{}", text(&o));
    assert!(started.elapsed().as_secs() < 20, "refused without deriving");

    // ulimit -v: 600 MB of address space, less than the 1 GiB the header asks for.
    fs::write(f.root.join("pw"), PASSWORD).unwrap();
    let o = Command::new("sh")
        .args(["-c", "ulimit -v 600000 && exec \"$0\" \"$@\"", BIN, "verify", p(&hostile), "--password-file"])
        .arg(f.root.join("pw"))
        .args(["--max-kdf-memory", "1024", "--max-kdf-passes", "16"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "an error, not a signal: {:?} {}", o.status, text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not enough memory"), "{}", text(&o));
}

/// Issue 14 finding 2: a sparse 1 TiB file with a consistent header is refused (the format's
/// payload limit) without reading or allocating it, and decrypt leaves nothing.
#[test]
fn sparse_terabyte_package_is_refused_without_allocating() {
    let f = exported();
    let mut b = fs::read(&f.package).unwrap()[..152].to_vec();
    let total: u64 = 1 << 40;
    b[112..120].copy_from_slice(&(total - 152 - 16).to_le_bytes());
    rechecksum(&mut b);
    let dir = f.root.join("sparse");
    fs::create_dir(&dir).unwrap();
    let big = dir.join("big.enc");
    fs::write(&big, &b).unwrap();
    fs::OpenOptions::new().write(true).open(&big).unwrap().set_len(total).unwrap();
    let dec = dir.join("dec");
    for args in
        [vec!["verify", p(&big), "--password-stdin"], vec!["decrypt", p(&big), "--out", p(&dec), "--password-stdin"]]
    {
        let o = run(&args, PASSWORD);
        assert_eq!(code(&o), 4, "{args:?}: {}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("beyond the format's limit"), "{}", text(&o));
    }
    // Within the format's limit (60 GiB) but beyond the memory there is: an error, not an abort.
    let total: u64 = 60 << 30;
    b[112..120].copy_from_slice(&(total - 152 - 16).to_le_bytes());
    rechecksum(&mut b);
    fs::write(&big, &b).unwrap();
    fs::OpenOptions::new().write(true).open(&big).unwrap().set_len(total).unwrap();
    let o = Command::new("sh")
        .args([
            "-c",
            "ulimit -v 2000000 && exec \"$0\" \"$@\"",
            BIN,
            "decrypt",
            p(&big),
            "--out",
            p(&dec),
            "--password-stdin",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "an error, not a signal: {:?} {}", o.status, text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not enough memory"), "{}", text(&o));
    let left: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("big.enc")], "decrypt left something behind");
}

/// Issue 14 finding 1: decrypted output is private (folders 0700, files 0600), also when the
/// target is an existing empty folder, whatever the umask.
#[cfg(unix)]
#[test]
fn decrypted_output_is_private() {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let f = exported();
    let fresh = f.root.join("fresh");
    let given = f.root.join("given");
    fs::DirBuilder::new().mode(0o700).create(&given).unwrap();
    for out in [&fresh, &given] {
        let o = run(&["decrypt", p(&f.package), "--out", p(out), "--password-stdin"], PASSWORD);
        assert_eq!(code(&o), 0, "{}", text(&o));
        for entry in walkdir::WalkDir::new(out) {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            let want = if entry.file_type().is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode, want, "{}: {mode:o}", entry.path().display());
        }
    }
}

/// Issue 14 finding 3: SIGTERM while decrypt is writing leaves nothing: the files already
/// written are removed, then the signal takes effect. (The debug-build hook slows the writing
/// down so the signal lands half-way.)
#[cfg(unix)]
#[test]
fn interrupted_decrypt_leaves_nothing() {
    use std::os::unix::process::ExitStatusExt;
    let f = exported();
    let dir = f.root.join("interrupt");
    fs::create_dir(&dir).unwrap();
    let dec = dir.join("dec");
    let pw = f.root.join("pw-int");
    fs::write(&pw, PASSWORD).unwrap();
    let mut child = Command::new(BIN)
        .args(["decrypt", p(&f.package), "--out", p(&dec), "--password-file", p(&pw)])
        .env("IDM_ENC_TEST_WRITE_DELAY_MS", "1500")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first file is on disk in the temporary folder.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let staged = loop {
        let files = walkdir::WalkDir::new(&dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file());
        if let Some(file) = files.last() {
            break file.path().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "decrypt never wrote a file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "ended by the signal: {status:?}");
    let left: Vec<PathBuf> =
        walkdir::WalkDir::new(&dir).min_depth(1).into_iter().map(|e| e.unwrap().path().to_owned()).collect();
    assert!(left.is_empty(), "{} was written; left behind: {left:?}", staged.display());
}
