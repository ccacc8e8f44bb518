//! Table tests of the release MSI built by `cargo xtask dist`, read with the `msi` crate: the File
//! rows match the staged payload exactly, every component is in a feature, the upgrade rows and
//! RemoveExistingProducts placement, properties, directories, the service, summary information.

use std::collections::{BTreeMap, BTreeSet};

use installer_tests::{build_record, open_msi, product_config, read_tree, staged_payload_dir, table_maps};

type Row = BTreeMap<String, String>;

/// The long name of a `DefaultDir`/`FileName` value: the target part (before `:`), long half
/// (after `|`) when there is one.
fn long_name(value: &str) -> &str {
    let target = value.split(':').next().unwrap_or(value);
    target.rsplit('|').next().unwrap_or(target)
}

/// The path of a directory relative to `ancestor` (`/`-separated), or `None` when it is not
/// below it.
fn dir_path_below(dirs: &BTreeMap<String, Row>, id: &str, ancestor: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = id.to_string();
    for _ in 0..64 {
        if current == ancestor {
            parts.reverse();
            return Some(parts.join("/"));
        }
        let row = dirs.get(&current)?;
        let name = long_name(&row["DefaultDir"]);
        if name != "." {
            parts.push(name.to_string());
        }
        let parent = &row["Directory_Parent"];
        if parent.is_empty() || *parent == current {
            return None;
        }
        current = parent.clone();
    }
    panic!("Directory table has a cycle at {id}");
}

fn by_key(rows: Vec<Row>, key: &str) -> BTreeMap<String, Row> {
    rows.into_iter().map(|r| (r[key].clone(), r)).collect()
}

fn property(props: &BTreeMap<String, Row>, name: &str) -> String {
    props.get(name).unwrap_or_else(|| panic!("Property {name} is missing")).get("Value").cloned().unwrap_or_default()
}

#[test]
fn file_rows_match_the_payload_exactly() {
    let mut msi = open_msi();
    let dirs = by_key(table_maps(&mut msi, "Directory"), "Directory");
    let components = by_key(table_maps(&mut msi, "Component"), "Component");
    let files = table_maps(&mut msi, "File");
    let payload = read_tree(&staged_payload_dir());
    assert!(payload.len() >= 5, "the staged payload looks empty: {:?}", payload.keys());

    // Every file installed under PRODUCTDIR but outside SUPPORTDIR is a payload file.
    let mut installed: BTreeMap<String, u64> = BTreeMap::new();
    let mut support: BTreeMap<String, u64> = BTreeMap::new();
    for f in &files {
        let comp = &components[&f["Component_"]];
        let dir = &comp["Directory_"];
        let name = long_name(&f["FileName"]).to_string();
        let size: u64 = f["FileSize"].parse().unwrap();
        if let Some(rel) = dir_path_below(&dirs, dir, "SUPPORTDIR") {
            support.insert(if rel.is_empty() { name } else { format!("{rel}/{name}") }, size);
        } else if let Some(rel) = dir_path_below(&dirs, dir, "PRODUCTDIR") {
            let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            assert!(installed.insert(path.clone(), size).is_none(), "{path} is installed twice");
        } else {
            panic!("File {} installs outside PRODUCTDIR (directory {dir})", f["File"]);
        }
    }
    let expected: BTreeMap<String, u64> = payload.iter().map(|(k, v)| (k.clone(), v.len() as u64)).collect();
    assert_eq!(installed, expected, "File rows (path, size) under PRODUCTDIR vs the staged payload");
    // The support tool travels in SUPPORTDIR (wix/fragments/custom-actions.wxs).
    let tool = support.get("migrateEmbeddedConnector.exe").expect("migrateEmbeddedConnector.exe in SUPPORTDIR");
    let record = build_record();
    let built = std::fs::metadata(&record.variables["MigrationTool"]).unwrap().len();
    assert_eq!(*tool, built, "migrateEmbeddedConnector.exe size");
}

/// MsiFileHash (MSI SDK "MsiFileHash Table"): exactly the unversioned files have a row, and a
/// payload file's row is its MD5 (`md5sum`, not the writer's hash) as four little-endian signed
/// 32-bit integers, Options 0. packaging/tests/file_hash.rs checks the same on a minimal source
/// with msitools as the reader.
#[test]
fn unversioned_files_and_only_they_have_their_md5_in_msifilehash() {
    let mut msi = open_msi();
    let dirs = by_key(table_maps(&mut msi, "Directory"), "Directory");
    let components = by_key(table_maps(&mut msi, "Component"), "Component");
    let files = table_maps(&mut msi, "File");
    let hashes = by_key(table_maps(&mut msi, "MsiFileHash"), "File_");
    let unversioned: BTreeSet<String> =
        files.iter().filter(|f| f["Version"].is_empty()).map(|f| f["File"].clone()).collect();
    // The sample payload's binaries carry no version resource, so every file is unversioned here;
    // the minimal source of packaging/tests/file_hash.rs has a versioned one (and no row for it).
    assert_eq!(
        hashes.keys().cloned().collect::<BTreeSet<_>>(),
        unversioned,
        "MsiFileHash rows vs unversioned File rows"
    );
    let payload = staged_payload_dir();
    let mut checked = 0;
    for f in files.iter().filter(|f| unversioned.contains(&f["File"])) {
        let dir = &components[&f["Component_"]]["Directory_"];
        let name = long_name(&f["FileName"]);
        let source = if dir_path_below(&dirs, dir, "SUPPORTDIR").is_some() {
            // The support tool comes from the cross build, not the payload.
            assert_eq!(name, "migrateEmbeddedConnector.exe");
            std::path::PathBuf::from(&build_record().variables["MigrationTool"])
        } else {
            let rel = dir_path_below(&dirs, dir, "PRODUCTDIR").expect("installed under PRODUCTDIR");
            if rel.is_empty() {
                payload.join(name)
            } else {
                payload.join(rel).join(name)
            }
        };
        let out = std::process::Command::new("md5sum").arg(&source).output().expect("run md5sum (coreutils)");
        assert!(out.status.success(), "md5sum {}", source.display());
        let hex = String::from_utf8(out.stdout).unwrap();
        let bytes: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
        let row = &hashes[&f["File"]];
        assert_eq!(row["Options"], "0");
        for (i, part) in bytes.chunks(4).enumerate() {
            let want = i32::from_le_bytes([part[0], part[1], part[2], part[3]]).to_string();
            assert_eq!(row[&format!("HashPart{}", i + 1)], want, "{} HashPart{}", source.display(), i + 1);
        }
        checked += 1;
    }
    assert_eq!(checked, unversioned.len());
}

#[test]
fn file_sequences_are_one_to_n_and_covered_by_media() {
    let mut msi = open_msi();
    let files = table_maps(&mut msi, "File");
    let sequences: BTreeSet<i64> = files.iter().map(|f| f["Sequence"].parse().unwrap()).collect();
    assert_eq!(sequences.len(), files.len(), "File.Sequence values must be distinct");
    assert_eq!(sequences.iter().copied().collect::<Vec<_>>(), (1..=files.len() as i64).collect::<Vec<_>>());
    let media = table_maps(&mut msi, "Media");
    assert!(!media.is_empty(), "no Media rows");
    let last: i64 = media.iter().map(|m| m["LastSequence"].parse::<i64>().unwrap()).max().unwrap();
    assert_eq!(last, files.len() as i64, "the last Media row must cover every file");
    for m in &media {
        assert!(m["Cabinet"].starts_with('#'), "cabinet {} is not embedded (EmbedCab)", m["Cabinet"]);
        let stream = &m["Cabinet"][1..];
        assert!(msi.has_stream(stream), "embedded cabinet stream {stream} is missing");
    }
}

#[test]
fn every_component_is_in_a_feature_and_64_bit() {
    let mut msi = open_msi();
    let components = table_maps(&mut msi, "Component");
    let in_features: BTreeSet<String> =
        table_maps(&mut msi, "FeatureComponents").into_iter().map(|r| r["Component_"].clone()).collect();
    assert!(!components.is_empty());
    for c in &components {
        assert!(in_features.contains(&c["Component"]), "component {} is in no feature", c["Component"]);
        let attributes: i64 = c["Attributes"].parse().unwrap_or(0);
        // msidbComponentAttributes64bit = 256 (MSI SDK, Component table).
        assert_eq!(attributes & 256, 256, "component {} is not 64-bit", c["Component"]);
    }
}

/// The component GUID of every payload file, as installed under PRODUCTDIR: known answers
/// computed once with Python's `uuid` (independent of `packaging::harvest`), UUIDv5 in the
/// namespace of `wix/product.toml`'s upgrade code of `component:<product_dir>\\<path>` in lower
/// case, e.g. `python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2C}'),
/// 'component:vmwareidentitymanager\\conf\\logging.xml'))"`. docs/architecture.md promises they stay the
/// same across versions (MSI SDK "Changing the Component Code"). A new payload file needs its
/// vector here.
const PAYLOAD_COMPONENT_GUIDS: &[(&str, &str)] = &[
    ("bin/idm-sample-service.exe", "{FC398B30-BC32-5424-888C-7EA1D173638B}"),
    ("conf/application.properties", "{48B19E06-E6E8-505F-9D0B-08E4A1898D7C}"),
    ("conf/logging.xml", "{94D49C41-9D29-5382-A884-92064C268F2E}"),
    ("docs/README.txt", "{EB163776-EF9F-5F1F-BE6B-06FA44E80129}"),
    ("docs/Release Notes.txt", "{8D2E9312-61C9-599E-B6D1-AC51FF29DFFF}"),
    ("docs/licenses/THIRD-PARTY.txt", "{8093D878-CC80-52CF-9235-6A77073FA159}"),
    ("lib/ext/saml-plugin.jar", "{5CFBABCB-6571-5B64-A6E3-7394F5B5457F}"),
    ("lib/idm-core.jar", "{7665C67D-DD83-5E7E-BB83-499780264861}"),
    ("logs/README.txt", "{524F3D61-9FB0-50BF-A4C4-AD3776BBFDB5}"),
    ("webapps/ROOT/index.html", "{09E11C1F-09D5-5F8F-9EBC-7BCE494A34A8}"),
];

/// `wix/product.toml`'s upgrade code: fixed for the product's life (MSI SDK "UpgradeCode
/// property"), so written here rather than read from the configuration.
const UPGRADE_CODE: &str = "{6F1C2A3B-8D4E-4B5F-9A6C-7D8E9F0A1B2C}";

/// ProductCode by ProductVersion, known answers computed with Python's `uuid`: UUIDv5 in the
/// backend's namespace `5b0c1b8e-3f0e-4f55-9a87-6a4f1d0c2e71` of
/// `ProductCode\x1f{UPGRADE_CODE}\x1f<version>` (packaging/tests/known_answers.rs). Every version
/// has its own (MSI SDK "Changing the Product Code": a major upgrade needs a new one).
const PRODUCT_CODES: &[(&str, &str)] = &[
    ("3.3.1", "{0977538A-C109-5825-AF57-7B6AA21061BF}"),
    ("3.3.2", "{FAC0AAF7-8AAD-5D28-B495-C90EEC44BE1E}"),
    ("3.3.3", "{E42738D7-C1A4-52E6-9D44-170C5F1D1E25}"),
];

#[test]
fn payload_component_guids_are_the_known_answers() {
    let mut msi = open_msi();
    let dirs = by_key(table_maps(&mut msi, "Directory"), "Directory");
    let components = by_key(table_maps(&mut msi, "Component"), "Component");
    let mut got: BTreeMap<String, String> = BTreeMap::new();
    for f in table_maps(&mut msi, "File") {
        let comp = &components[&f["Component_"]];
        if dir_path_below(&dirs, &comp["Directory_"], "SUPPORTDIR").is_some() {
            continue;
        }
        let Some(rel) = dir_path_below(&dirs, &comp["Directory_"], "PRODUCTDIR") else { continue };
        let name = long_name(&f["FileName"]);
        let path = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
        assert_eq!(comp["KeyPath"], f["File"], "{path}: the file is its component's key path");
        got.insert(path, comp["ComponentId"].clone());
    }
    let want: BTreeMap<String, String> =
        PAYLOAD_COMPONENT_GUIDS.iter().map(|(p, g)| (p.to_string(), g.to_string())).collect();
    assert_eq!(got, want, "payload component GUIDs (path -> ComponentId) vs the known answers");
}

#[test]
fn product_code_is_the_known_answer_for_the_version() {
    let mut msi = open_msi();
    let props = by_key(table_maps(&mut msi, "Property"), "Property");
    assert_eq!(property(&props, "UpgradeCode"), UPGRADE_CODE);
    let version = property(&props, "ProductVersion");
    let Some((_, want)) = PRODUCT_CODES.iter().find(|(v, _)| *v == version) else {
        panic!("no known ProductCode for version {version}: add it to PRODUCT_CODES, computed with Python's uuid as described there")
    };
    assert_eq!(property(&props, "ProductCode"), *want, "ProductCode of version {version}");
}

/// The one feature, as `wix/product.toml` declares it and `wix/main.wxs.tera` authors it
/// (`AllowAdvertise="no" Absent="disallow"`, Display left at WiX's default `collapse`), in the
/// terms of the MSI SDK "Feature Table": Attributes = msidbFeatureAttributesDisallowAdvertise (8)
/// | msidbFeatureAttributesUIDisallowAbsent (16); Display non-zero (0 would hide it); no parent,
/// no configurable directory.
#[test]
fn the_feature_row_is_as_authored() {
    let mut msi = open_msi();
    let features = table_maps(&mut msi, "Feature");
    assert_eq!(features.len(), 1, "{features:?}");
    let f = &features[0];
    assert_eq!(f["Feature"], "ProductFeature");
    assert_eq!(f["Feature_Parent"], "");
    assert_eq!(f["Title"], "VMware Identity Manager");
    assert_eq!(f["Description"], "The VMware Identity Manager service and its files.");
    assert_eq!(f["Level"], "1");
    assert_eq!(f["Directory_"], "");
    assert_eq!(f["Attributes"], (8 | 16).to_string());
    let display: i32 = f["Display"].parse().unwrap_or(0);
    assert!(display > 0, "Display {display}: the feature must be visible (WiX's default is collapse, not hidden)");
    assert_eq!(display % 2, 0, "Display {display}: collapse (WiX's default) is even (MSI SDK \"Feature Table\")");
}

#[test]
fn major_upgrade_rows_and_remove_existing_products_placement() {
    let mut msi = open_msi();
    let config = product_config();
    let record = build_record();
    let version = &record.variables["ProductVersion"];
    let upgrade = table_maps(&mut msi, "Upgrade");
    let code = config.upgrade_code.braced();
    let ours: Vec<&Row> = upgrade.iter().filter(|r| r["UpgradeCode"].eq_ignore_ascii_case(&code)).collect();
    // msidbUpgradeAttributesOnlyDetect = 2 (MSI SDK, Upgrade table).
    let removes_older = ours.iter().find(|r| {
        r["VersionMax"] == *version && r["Attributes"].parse::<i64>().unwrap() & 2 == 0 && r["VersionMin"].is_empty()
    });
    assert!(removes_older.is_some(), "no Upgrade row removing older versions: {ours:?}");
    let detects_newer =
        ours.iter().find(|r| r["VersionMin"] == *version && r["Attributes"].parse::<i64>().unwrap() & 2 == 2);
    let detects_newer = detects_newer.unwrap_or_else(|| panic!("no Upgrade row detecting newer versions: {ours:?}"));

    // The newer-version property stops the install with the downgrade message: a launch
    // condition, or (as WiX v3 does it) a type-19 error action conditioned on the property.
    let downgrade = detects_newer["ActionProperty"].clone();
    let conditions = table_maps(&mut msi, "LaunchCondition");
    let by_condition =
        conditions.iter().any(|c| c["Condition"].contains(&downgrade) && c["Description"].contains("newer version"));
    let sequence = by_key(table_maps(&mut msi, "InstallExecuteSequence"), "Action");
    let by_action = table_maps(&mut msi, "CustomAction").iter().any(|ca| {
        ca["Type"].parse::<i64>().unwrap() & 0x3f == 19
            && ca["Target"].contains("newer version")
            && sequence.get(&ca["Action"]).is_some_and(|s| s["Condition"].contains(&downgrade))
    });
    assert!(by_condition || by_action, "nothing stops a downgrade on {downgrade}");

    let seq = |a: &str| -> i64 {
        sequence.get(a).unwrap_or_else(|| panic!("{a} is not sequenced"))["Sequence"].parse().unwrap()
    };
    let rep = seq("RemoveExistingProducts");
    // Inside the transaction, after this package's script (afterInstallExecute): a failure
    // anywhere rolls back both the new install and the removal (MSI SDK "RemoveExistingProducts
    // Action"; docs/windows-behaviour.md for why not afterInstallInitialize).
    assert!(seq("InstallExecute") < rep && rep < seq("InstallFinalize"), "RemoveExistingProducts at {rep}");
    // The action properties must be secure to reach the execute sequence.
    let props = by_key(table_maps(&mut msi, "Property"), "Property");
    let secure = property(&props, "SecureCustomProperties");
    for r in &ours {
        assert!(
            secure.split(';').any(|p| p == r["ActionProperty"]),
            "{} not in SecureCustomProperties",
            r["ActionProperty"]
        );
    }
}

#[test]
fn properties_and_launch_conditions() {
    let mut msi = open_msi();
    let config = product_config();
    let record = build_record();
    let props = by_key(table_maps(&mut msi, "Property"), "Property");
    assert_eq!(property(&props, "ProductName"), config.name);
    assert_eq!(property(&props, "Manufacturer"), config.manufacturer);
    assert_eq!(property(&props, "ProductVersion"), record.variables["ProductVersion"]);
    assert_eq!(property(&props, "UpgradeCode"), config.upgrade_code.braced());
    assert_eq!(property(&props, "ProductLanguage"), "1033");
    let product_code = property(&props, "ProductCode");
    assert!(
        product_code.parse::<packaging::product::Guid>().is_ok() && product_code.starts_with('{'),
        "{product_code}"
    );
    assert_eq!(property(&props, "ALLUSERS"), "1", "per-machine");
    assert_eq!(property(&props, "EMBEDDED_CONNECTOR_PATHS"), config.embedded_connector.property_value());
    assert!(!config.embedded_connector.paths.is_empty());
    assert_eq!(property(&props, "ARPNOMODIFY"), "1");
    assert_eq!(property(&props, "ARPHELPLINK"), config.arp.help_link);

    let conditions: Vec<String> =
        table_maps(&mut msi, "LaunchCondition").into_iter().map(|c| c["Condition"].clone()).collect();
    // Elevation, not mere membership of Administrators: Privileged is set under UAC for a
    // filtered token too ("Privileged property"), MsiRunningElevated only when the installer
    // runs elevated ("MsiRunningElevated property").
    assert!(conditions.iter().any(|c| c == "Installed OR MsiRunningElevated"), "{conditions:?}");
    assert!(!conditions.iter().any(|c| c == "Privileged"), "{conditions:?}");
    assert_eq!(property(&props, "REBOOT"), "ReallySuppress", "no restart unless asked for");
    assert!(conditions.iter().any(|c| c.contains("NOT RollbackDisabled")), "{conditions:?}");
}

#[test]
fn directories_follow_the_install_layout() {
    let mut msi = open_msi();
    let config = product_config();
    let dirs = by_key(table_maps(&mut msi, "Directory"), "Directory");
    let check = |id: &str, parent: &str, name: &str| {
        let row = dirs.get(id).unwrap_or_else(|| panic!("Directory {id} missing"));
        assert_eq!(row["Directory_Parent"], parent, "{id} parent");
        assert_eq!(long_name(&row["DefaultDir"]), name, "{id} name");
    };
    check("INSTALLFOLDER", "ProgramFiles64Folder", &config.install.folder);
    check("PRODUCTDIR", "INSTALLFOLDER", &config.install.product_dir);
    check("SUPPORTDIR", "PRODUCTDIR", &config.install.support_dir);
    assert_eq!(dirs["ProgramFiles64Folder"]["Directory_Parent"], "TARGETDIR");
}

#[test]
fn service_is_installed_and_controlled() {
    let mut msi = open_msi();
    let config = product_config();
    let install = table_maps(&mut msi, "ServiceInstall");
    assert_eq!(install.len(), 1, "{install:?}");
    let s = &install[0];
    assert_eq!(s["Name"], config.service.name);
    assert_eq!(s["DisplayName"], config.service.display_name);
    assert_eq!(s["StartName"], "[SERVICE_LOGON]");
    assert_eq!(s["Password"], "[SERVICE_PASSWORD]");
    // SERVICE_WIN32_OWN_PROCESS = 0x10; SERVICE_AUTO_START = 2 (MSI SDK, ServiceInstall table).
    assert_eq!(s["ServiceType"].parse::<i64>().unwrap() & 0x10, 0x10);
    assert_eq!(s["StartType"], "2");
    // Its component is the one holding the service executable.
    let files = by_key(table_maps(&mut msi, "File"), "File");
    let exe_name = config.service.exe.rsplit('/').next().unwrap();
    let exe = files.values().find(|f| long_name(&f["FileName"]) == exe_name).expect("service exe File row");
    assert_eq!(s["Component_"], exe["Component_"]);
    let control = table_maps(&mut msi, "ServiceControl");
    let c = control.iter().find(|c| c["Name"] == config.service.name).expect("ServiceControl row");
    assert_eq!(c["Component_"], exe["Component_"]);
    let events: i64 = c["Event"].parse().unwrap();
    // msidbServiceControlEvent: Start on install 0x1, Stop on install 0x2, Stop on uninstall 0x20,
    // Delete on uninstall 0x80.
    assert_eq!(events & (0x1 | 0x2 | 0x20 | 0x80), 0x1 | 0x2 | 0x20 | 0x80, "Event = {events:#x}");
}

#[test]
fn summary_information() {
    let msi = open_msi();
    let record = build_record();
    let info = msi.summary_info();
    assert_eq!(info.codepage(), msi::CodePage::Windows1252, "summary information codepage");
    assert_eq!(msi.database_codepage(), msi::CodePage::Windows1252, "database codepage");
    assert_eq!(info.arch(), Some("x64"));
    assert_eq!(info.languages().iter().map(|l| l.id()).collect::<Vec<_>>(), [1033]);
    // Word count 2: long file names, compressed, no admin image (MSI SDK, Word Count summary).
    assert_eq!(info.word_count(), Some(2));
    assert!(info.uuid().is_some(), "no package code");
    assert_eq!(
        info.subject().map(str::to_string),
        Some(format!("{} {}", product_config().name, record.variables["ProductVersion"]))
    );
}
