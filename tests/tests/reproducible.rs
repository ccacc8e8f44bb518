//! Reproducibility: rebuilding the release from the same inputs (the record `cargo xtask dist`
//! wrote) gives byte-identical MSI and zip; changing one payload byte changes the package code.

use std::path::Path;

use installer_tests::{build_record, release_msi, release_zip, sha256_file, BuildRecord};
use packaging::bundle::Entry;

fn build(record: &BuildRecord, dir: &Path) -> (std::path::PathBuf, packaging::wix::BuildReport) {
    let msi = dir.join(&record.msi_name);
    let report = packaging::wix::build(&record.spec(&msi)).unwrap_or_else(|e| panic!("rebuild failed: {e}"));
    (msi, report)
}

fn bundle(record: &BuildRecord, msi: &Path, dir: &Path) -> std::path::PathBuf {
    let zip = dir.join(&record.zip_name);
    let mut entries = vec![Entry::file(record.msi_name.clone(), msi)];
    entries.extend(record.bundle_files.iter().map(|(n, p)| Entry::file(n.clone(), p.clone())));
    packaging::bundle::write_bundle(&entries, &zip, record.source_date_epoch).unwrap();
    zip
}

fn package_code(msi: &Path) -> uuid::Uuid {
    installer_tests::open_msi_at(msi).summary_info().uuid().expect("package code")
}

#[test]
fn two_builds_are_byte_identical_and_equal_the_release() {
    let record = build_record();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (msi_a, report_a) = build(&record, a.path());
    let (msi_b, report_b) = build(&record, b.path());
    assert_eq!(sha256_file(&msi_a), sha256_file(&msi_b), "two MSI builds differ");
    assert_eq!(report_a.package_code, report_b.package_code);
    assert_eq!(report_a.product_code, report_b.product_code);
    let zip_a = bundle(&record, &msi_a, a.path());
    let zip_b = bundle(&record, &msi_b, b.path());
    assert_eq!(sha256_file(&zip_a), sha256_file(&zip_b), "two bundles differ");
    // The release in dist was built from the same inputs (unless it was signed afterwards).
    if std::env::var_os("IDM_SIGN_COMMAND").is_none() && installer_tests::product_config().signing.command.is_empty() {
        assert_eq!(sha256_file(&msi_a), sha256_file(&release_msi()), "rebuild differs from target/dist");
        assert_eq!(sha256_file(&zip_a), sha256_file(&release_zip()), "rebuilt bundle differs from target/dist");
    }
}

#[test]
fn one_payload_byte_changes_the_package_code() {
    let mut record = build_record();
    let base = tempfile::tempdir().unwrap();
    let (msi_same, _) = build(&record, base.path());

    // Copy the staged payload, change one byte of one file (same size), rebuild.
    let copy = tempfile::tempdir().unwrap();
    let tree = installer_tests::read_tree(&record.payload_dir);
    for (rel, bytes) in &tree {
        let dest = copy.path().join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
    let victim = tree.keys().find(|k| k.ends_with(".properties")).expect("a .properties file in the payload").clone();
    let path = copy.path().join(&victim);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
    let old_payload = record.payload_dir.to_string_lossy().replace('\\', "/");
    let new_payload = copy.path().to_string_lossy().replace('\\', "/");
    for value in record.variables.values_mut() {
        if value.starts_with(&old_payload) {
            *value = value.replacen(&old_payload, &new_payload, 1);
        }
    }
    let changed = tempfile::tempdir().unwrap();
    let (msi_changed, _) = build(&record, changed.path());
    assert_ne!(package_code(&msi_same), package_code(&msi_changed), "package code unchanged after editing {victim}");
    assert_ne!(sha256_file(&msi_same), sha256_file(&msi_changed));
}
