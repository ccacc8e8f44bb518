//! The release bundle (`target/dist/*.zip`): sorted entries with a fixed timestamp, the MSI as
//! built, a `SHA256SUMS` that verifies, the silent-install guide and the support files.

use std::io::Read;

use installer_tests::{build_record, have_tool, project_root, release_msi, release_zip, skip_or_fail};
use sha2::{Digest, Sha256};

fn entries() -> Vec<(String, Vec<u8>, zip::DateTime)> {
    let file = std::fs::File::open(release_zip()).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_string(), bytes, f.last_modified().expect("entry has a timestamp"))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn entries_sorted_stamped_and_complete() {
    let entries = entries();
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are not in sorted order");
    let msi_name = release_msi().file_name().unwrap().to_string_lossy().into_owned();
    let config = installer_tests::product_config();
    for required in [
        "SHA256SUMS".to_string(),
        "silent-install.md".to_string(),
        msi_name.clone(),
        format!("{}/migrateEmbeddedConnector.exe", config.install.support_dir),
    ] {
        assert!(names.contains(&required.as_str()), "{required} missing from the bundle: {names:?}");
    }
    let first = entries[0].2;
    for (name, _, time) in &entries {
        assert_eq!(
            (time.year(), time.month(), time.day(), time.hour(), time.minute(), time.second()),
            (first.year(), first.month(), first.day(), first.hour(), first.minute(), first.second()),
            "{name} has another timestamp"
        );
    }
    let epoch = build_record().source_date_epoch;
    let days = epoch / 86_400;
    // 2020-01-01 is day 18262 after 1970-01-01: check the default epoch lands on it.
    if epoch == 1_577_836_800 {
        assert_eq!(days, 18_262);
        assert_eq!((first.year(), first.month(), first.day()), (2020, 1, 1));
    }
    let msi_bytes = std::fs::read(release_msi()).unwrap();
    let in_zip = entries.iter().find(|e| e.0 == msi_name).unwrap();
    assert!(in_zip.1 == msi_bytes, "the MSI in the bundle differs from {}", release_msi().display());
    let guide = std::fs::read(project_root().join("docs/silent-install.md")).unwrap();
    assert!(entries.iter().any(|e| e.0 == "silent-install.md" && e.1 == guide));
}

#[test]
fn sha256sums_verify_every_other_entry() {
    let entries = entries();
    let sums = String::from_utf8(entries.iter().find(|e| e.0 == "SHA256SUMS").unwrap().1.clone()).unwrap();
    let listed: Vec<(&str, &str)> = sums.lines().map(|l| l.split_once("  ").expect("`<hash>  <name>` lines")).collect();
    assert_eq!(listed.len(), entries.len() - 1, "{sums}");
    for (hash, name) in listed {
        let entry = entries.iter().find(|e| e.0 == name).unwrap_or_else(|| panic!("{name} listed but not in the zip"));
        assert_eq!(hash, hex(&entry.1), "{name}");
    }
}

#[test]
fn sha256sum_tool_accepts_the_unpacked_bundle() {
    if !have_tool("sha256sum") {
        skip_or_fail("sha256sum (coreutils) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, _) in entries() {
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sha256sum -c: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn silent_install_guide_covers_the_contract() {
    let guide = std::fs::read_to_string(project_root().join("docs/silent-install.md")).unwrap();
    for word in [
        "INSTALLFOLDER",
        "EMBEDDED_CONNECTOR_ACTION",
        "EXPORT_PASSWORD",
        "CEIP_OPTIN",
        "SERVICE_ACCOUNT",
        "SERVICE_PASSWORD",
        "INSTALL_PREREQUISITES",
        "discard",
        "export-continue",
        "1602",
        "1603",
        "1618",
        "3010",
    ] {
        assert!(guide.contains(word), "docs/silent-install.md does not mention {word}");
    }
}
