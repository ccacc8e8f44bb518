//! The setup program `dist` built (`target/dist/<stem>-setup.exe`, docs/setup.md): it carries
//! the release MSI byte for byte, the MSI's own prerequisite rows and hidden property names (read
//! here with msitools, an independent reader), asks Windows for administrator rights in its
//! manifest, sits in the zip, and still finds its payload once signed (osslsigncode).

use std::fs::File;
use std::path::{Path, PathBuf};

use bundle_core::payload::{self, Payload};
use installer_tests::{dist_dir, have_tool, release_msi, release_zip, sha256_file, skip_or_fail};

fn setup_exe() -> PathBuf {
    let msi = release_msi();
    let stem = msi.file_stem().unwrap().to_string_lossy().into_owned();
    let exe = dist_dir().join(format!("{stem}-setup.exe"));
    assert!(exe.is_file(), "dist wrote no {}", exe.display());
    exe
}

fn locate(path: &Path) -> Payload {
    payload::locate(&mut File::open(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `msiinfo export <msi> <table>` rows (msitools): tab-separated, after three header lines.
fn msiinfo_rows(msi: &Path, table: &str) -> Vec<Vec<String>> {
    let out = std::process::Command::new("msiinfo").arg("export").arg(msi).arg(table).output().unwrap();
    assert!(out.status.success(), "msiinfo export {table}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(3)
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_end_matches('\r').split('\t').map(str::to_string).collect())
        .collect()
}

/// Whether openssl and osslsigncode are installed (a loud, recorded skip when not).
fn signing_tools() -> bool {
    for tool in ["openssl", "osslsigncode"] {
        if !have_tool(tool) {
            skip_or_fail(&format!("{tool} is not installed"));
            return false;
        }
    }
    true
}

/// Runs `args` in `dir`; panics with its stderr when it fails.
fn run_in(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new(args[0]).args(&args[1..]).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes a throwaway self-signed code-signing certificate into `dir`: `key.pem`, `cert.pem`
/// and `t.p12` (PKCS#12, password `x`; not a secret).
fn throwaway_certificate(dir: &Path) {
    run_in(
        dir,
        &[
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=IDM-test-signing",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    );
    run_in(
        dir,
        &[
            "openssl", "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "t.p12", "-passout",
            "pass:x",
        ],
    );
}

#[test]
fn carries_the_release_msi_and_its_own_rules() {
    let exe = setup_exe();
    let msi = release_msi();
    let p = locate(&exe);
    let entry = p.manifest.file(&p.manifest.msi).expect("the MSI entry");
    assert_eq!(p.manifest.msi, msi.file_name().unwrap().to_string_lossy());
    assert_eq!(entry.sha256, sha256_file(&msi), "the carried MSI is the release MSI");
    let mut out = Vec::new();
    payload::extract(&mut File::open(&exe).unwrap(), &p, entry, &mut out).unwrap();
    assert_eq!(out, std::fs::read(&msi).unwrap());
    if !have_tool("msiinfo") {
        skip_or_fail("msiinfo (msitools) is not installed: the manifest's rows are not compared");
        return;
    }
    // The manifest's rows are the MSI's IdmPrerequisite table, column for column.
    let mut want: Vec<Vec<String>> = msiinfo_rows(&msi, "IdmPrerequisite");
    let mut got: Vec<Vec<String>> =
        p.manifest.prerequisites.iter().map(|r| r.iter().map(|c| c.clone().unwrap_or_default()).collect()).collect();
    want.sort();
    got.sort();
    assert!(!want.is_empty(), "the release MSI has prerequisites");
    assert_eq!(got, want);
    let hidden = msiinfo_rows(&msi, "Property")
        .into_iter()
        .find(|r| r[0] == "MsiHiddenProperties")
        .map(|r| r[1].split(';').map(str::to_string).collect::<Vec<_>>())
        .expect("MsiHiddenProperties");
    assert_eq!(p.manifest.hidden_properties, hidden);
    assert!(hidden.iter().any(|h| h == "EXPORT_PASSWORD"));
}

#[test]
fn the_manifest_requires_administrator() {
    use object::read::pe::{PeFile64, ResourceDirectoryEntryData};
    use object::LittleEndian as LE;
    let data = std::fs::read(setup_exe()).unwrap();
    let pe = PeFile64::parse(&*data).expect("a PE32+ image");
    let sections = pe.section_table();
    let rsrc = pe.data_directories().resource_directory(&*data, &sections).unwrap().expect("a resource directory");
    let root = rsrc.root().unwrap();
    // RT_MANIFEST (24) / CREATEPROCESS_MANIFEST_RESOURCE_ID (1) / any language.
    let by_id = |table: &object::read::pe::ResourceDirectoryTable<'_>, id: u16| {
        table.entries.iter().find(|e| e.name_or_id().id() == Some(id)).map(|e| e.data(rsrc).unwrap())
    };
    let Some(ResourceDirectoryEntryData::Table(types)) = by_id(&root, 24) else { panic!("no RT_MANIFEST") };
    let Some(ResourceDirectoryEntryData::Table(langs)) = by_id(&types, 1) else { panic!("no manifest with id 1") };
    let Ok(ResourceDirectoryEntryData::Data(leaf)) = langs.entries[0].data(rsrc) else { panic!("no manifest data") };
    let bytes = sections
        .pe_data_at(&*data, leaf.offset_to_data.get(LE))
        .map(|d| &d[..leaf.size.get(LE) as usize])
        .expect("the manifest bytes");
    let text = String::from_utf8_lossy(bytes);
    assert!(text.contains(r#"<requestedExecutionLevel level="requireAdministrator" uiAccess="false"/>"#), "{text}");
}

#[test]
fn the_zip_carries_the_setup_program() {
    let exe = setup_exe();
    let name = exe.file_name().unwrap().to_string_lossy().into_owned();
    let entries = packaging::bundle::read_bundle(&release_zip()).unwrap();
    let (_, bytes) = entries.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no {name} in the zip"));
    assert_eq!(*bytes, std::fs::read(&exe).unwrap());
}

#[test]
fn a_signed_setup_program_verifies_and_still_finds_its_payload() {
    if !signing_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(dir.path(), args);
    throwaway_certificate(dir.path());
    let unsigned = setup_exe();
    let signed = dir.path().join("signed-setup.exe");
    run(&[
        "osslsigncode",
        "sign",
        "-pkcs12",
        "t.p12",
        "-pass",
        "x",
        "-n",
        "IDM setup",
        "-in",
        &unsigned.to_string_lossy(),
        "-out",
        &signed.to_string_lossy(),
    ]);
    run(&["osslsigncode", "verify", "-CAfile", "cert.pem", "-in", &signed.to_string_lossy()]);
    assert!(std::fs::metadata(&signed).unwrap().len() > std::fs::metadata(&unsigned).unwrap().len());
    // The certificate table follows the payload; the reader skips it.
    let p = locate(&signed);
    assert_eq!(p, locate(&unsigned));
    let entry = p.manifest.file(&p.manifest.msi).unwrap();
    payload::extract(&mut File::open(&signed).unwrap(), &p, entry, &mut std::io::sink()).unwrap();
    // A changed payload byte breaks the signature (osslsigncode) and the hash (the reader).
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = (p.start + entry.offset + entry.size / 2) as usize;
    bytes[at] ^= 1;
    let tampered = dir.path().join("tampered-setup.exe");
    std::fs::write(&tampered, bytes).unwrap();
    let verify = std::process::Command::new("osslsigncode")
        .args(["verify", "-CAfile", "cert.pem", "-in"])
        .arg(&tampered)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!verify.status.success(), "a changed payload must break the signature");
    let p = locate(&tampered);
    let err = payload::extract(&mut File::open(&tampered).unwrap(), &p, entry, &mut std::io::sink()).unwrap_err();
    assert!(err.to_string().contains("damaged or was altered"), "{err}");
}

/// `cargo xtask dist` with a signing command (a throwaway certificate through osslsigncode):
/// the MSI is signed before it goes into the setup program, the setup program after its payload
/// is in place; `osslsigncode verify` passes on the MSI, on the setup program and on the MSI
/// extracted from it.
#[test]
fn dist_signs_the_msi_inside_then_the_setup_program() {
    if !signing_tools() {
        return;
    }
    let Some(xtask) = installer_tests::xtask_binary() else {
        skip_or_fail("the xtask binary is not built: run `cargo xtask dist` once");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_in(dir.path(), args);
    throwaway_certificate(dir.path());
    let p12 = dir.path().join("t.p12");
    let command = format!(
        r#"["osslsigncode", "sign", "-pkcs12", "{}", "-pass", "x", "-n", "IDM", "-in", "{{input}}", "-out", "{{output}}"]"#,
        p12.display()
    );
    let out_dir = dir.path().join("dist");
    let out = std::process::Command::new(xtask)
        .args(["dist", "--out"])
        .arg(&out_dir)
        .env("IDM_SIGN_COMMAND", &command)
        .env("RUST_BACKTRACE", "0")
        .current_dir(installer_tests::project_root())
        .output()
        .unwrap();
    assert!(out.status.success(), "dist with signing: {}", String::from_utf8_lossy(&out.stderr));
    let files: Vec<PathBuf> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).collect();
    let pick = |suffix: &str| files.iter().find(|p| p.to_string_lossy().ends_with(suffix)).cloned().unwrap();
    let (msi, exe) = (pick(".msi"), pick("-setup.exe"));
    let p = locate(&exe);
    let entry = p.manifest.file(&p.manifest.msi).unwrap();
    let inner = dir.path().join("inner.msi");
    payload::extract(&mut File::open(&exe).unwrap(), &p, entry, &mut File::create(&inner).unwrap()).unwrap();
    assert_eq!(
        std::fs::read(&inner).unwrap(),
        std::fs::read(&msi).unwrap(),
        "the setup program carries the signed MSI"
    );
    for signed in [&msi, &exe, &inner] {
        run(&["osslsigncode", "verify", "-CAfile", "cert.pem", "-in", &signed.to_string_lossy()]);
    }
}
