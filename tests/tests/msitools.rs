//! The release MSI read back by msitools, an independent reader: `msiinfo tables`, `msiinfo
//! export`, and `msiextract`, whose extracted files must be byte-identical to the payload.

use std::collections::BTreeMap;
use std::process::Command;

use installer_tests::{
    build_record, have_tool, open_msi, read_tree, release_msi, skip_or_fail, staged_payload_dir, table_maps,
};

/// Runs an msitools program, or reports it missing (skip, or fail under CI).
fn msitool(program: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    if !have_tool(program) {
        skip_or_fail(&format!("`{program}` is not installed (Debian: apt-get install msitools)"));
        return None;
    }
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("msitools prints UTF-8"))
}

#[test]
fn msiinfo_lists_the_tables_we_wrote() {
    let msi = release_msi();
    let Some(text) = msitool("msiinfo", &["tables".as_ref(), msi.as_os_str()]) else { return };
    let listed: Vec<&str> = text.lines().map(str::trim).collect();
    for table in [
        "Property",
        "Directory",
        "Component",
        "File",
        "Feature",
        "FeatureComponents",
        "Media",
        "Upgrade",
        "InstallExecuteSequence",
        "InstallUISequence",
        "LaunchCondition",
        "ServiceInstall",
        "ServiceControl",
        "Binary",
        "CustomAction",
    ] {
        assert!(listed.contains(&table), "msiinfo does not list {table}: {listed:?}");
    }
    // And it lists nothing the msi crate does not see.
    let package = open_msi();
    for t in listed.iter().filter(|t| !t.starts_with('_')) {
        assert!(package.has_table(t), "msiinfo lists {t}, the msi crate does not");
    }
}

#[test]
fn msiinfo_export_agrees_with_the_msi_crate() {
    let msi = release_msi();
    let Some(text) = msitool("msiinfo", &["export".as_ref(), msi.as_os_str(), "File".as_ref()]) else { return };
    // IDT format: column names, types, table/key line, then one tab-separated row per line.
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        columns,
        ["File", "Component_", "FileName", "FileSize", "Version", "Language", "Attributes", "Sequence"]
    );
    let exported: BTreeMap<String, (String, String, String)> = lines
        .skip(2)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), (f[2].to_string(), f[3].to_string(), f[7].to_string()))
        })
        .collect();
    let mut package = open_msi();
    let ours: BTreeMap<String, (String, String, String)> = table_maps(&mut package, "File")
        .into_iter()
        .map(|r| (r["File"].clone(), (r["FileName"].clone(), r["FileSize"].clone(), r["Sequence"].clone())))
        .collect();
    assert_eq!(exported, ours);

    let Some(props) = msitool("msiinfo", &["export".as_ref(), msi.as_os_str(), "Property".as_ref()]) else { return };
    let version = &build_record().variables["ProductVersion"];
    assert!(props.lines().any(|l| l == format!("ProductVersion\t{version}")), "{props}");
}

#[test]
fn msiextract_gives_back_the_payload_byte_for_byte() {
    let msi = release_msi();
    let dir = tempfile::tempdir().unwrap();
    let Some(_) = msitool("msiextract", &["-C".as_ref(), dir.path().as_os_str(), msi.as_os_str()]) else { return };
    let config = installer_tests::product_config();
    // msiextract lays files out from the Directory table below the well-known folders:
    // <install.folder>/<install.product_dir>/...
    let product = dir.path().join(&config.install.folder).join(&config.install.product_dir);
    let mut extracted = read_tree(&product);
    let support_prefix = format!("{}/", config.install.support_dir);
    let support: BTreeMap<String, Vec<u8>> = extracted
        .iter()
        .filter(|(k, _)| k.starts_with(&support_prefix))
        .map(|(k, v)| (k[support_prefix.len()..].to_string(), v.clone()))
        .collect();
    extracted.retain(|k, _| !k.starts_with(&support_prefix));
    let payload = read_tree(&staged_payload_dir());
    assert_eq!(
        extracted.keys().collect::<Vec<_>>(),
        payload.keys().collect::<Vec<_>>(),
        "extracted file list vs the staged payload"
    );
    for (name, bytes) in &payload {
        assert!(extracted[name] == *bytes, "{name}: extracted bytes differ from the payload");
    }
    let tool = std::fs::read(&build_record().variables["MigrationTool"]).unwrap();
    assert!(
        support.get("migrateEmbeddedConnector.exe") == Some(&tool),
        "support tool differs or is missing: {:?}",
        support.keys()
    );
}
