//! The `[[prerequisite]]` contract of `wix/product.toml` (docs/target-machine.md, "The product
//! config") checked from outside `packaging::prerequisites`: what the documentation says each key
//! accepts, the `IdmPrerequisite` rows as that page and `wix/target-machine.wxs.tera` define
//! them (written out by hand from `wix/product.toml`), and the reader on the target machine
//! (`bundle_core::detect`, another crate) accepting every `min_version` the build accepts.
//! Added for the missed mutants of `cargo xtask mutants --file packaging/src/prerequisites.rs`
//! (docs/mutation-testing.md).

use std::path::Path;

use packaging::prerequisites::{validate, Detect, Install, Prerequisite, PrerequisiteRow, RegistryRoot};

#[derive(Debug, serde::Deserialize)]
struct Doc {
    prerequisite: Vec<Prerequisite>,
}

fn parse(text: &str) -> Result<Vec<Prerequisite>, String> {
    toml::from_str::<Doc>(text).map(|d| d.prerequisite).map_err(|e| e.to_string())
}

fn registry(key: &str, min_version: Option<&str>) -> Prerequisite {
    Prerequisite {
        id: "Module".into(),
        name: "Module".into(),
        detect: Detect::Registry {
            root: RegistryRoot::LocalMachine,
            key: key.into(),
            value: "Version".into(),
            min_version: min_version.map(Into::into),
        },
        install: None,
    }
}

/// The key `validate` names for `p`, or `None` when it accepts it.
fn refused_key(p: Prerequisite) -> Option<&'static str> {
    validate(&[p]).err().map(|e| e.key)
}

/// docs/target-machine.md: the key is the path below the hive (`SOFTWARE\...`), the hive goes in
/// `root`. Every way of writing the hive into the key is refused, whatever its case.
#[test]
fn a_hive_written_into_the_registry_key_is_refused_in_every_form() {
    for key in [
        r"\SOFTWARE\Microsoft",
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft",
        r"hkey_current_user\Software\Microsoft",
        r"HKLM\SOFTWARE\Microsoft",
        r"hklm\SOFTWARE\Microsoft",
        r"HKCU\Software\Microsoft",
    ] {
        assert_eq!(refused_key(registry(key, None)), Some("detect.registry.key"), "{key}");
    }
    for key in [r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full", r"Software\HKLM\X"] {
        assert_eq!(refused_key(registry(key, None)), None, "{key}");
    }
    assert_eq!(refused_key(registry("   ", None)), Some("detect.registry.key"), "a blank key");
}

/// A file detection's path is absolute or starts with a `[Property]` folder (docs/target-machine.md).
/// Absolute, per Microsoft's "Naming Files, Paths, and Namespaces"
/// (<https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file>): a drive letter
/// followed by `\`, or a UNC name `\\server\share\...`; `C:x.dll` is relative to the drive's
/// current folder and `\x.dll` to the current drive.
#[test]
fn a_file_path_is_absolute_or_starts_with_a_folder_property() {
    let file = |path: &str| Prerequisite {
        detect: Detect::File { path: path.into(), min_version: None },
        ..registry("SOFTWARE\\X", None)
    };
    for good in [r"C:\Windows\System32\x.dll", r"\\server\share\x.dll", r"[System64Folder]inetsrv\w3wp.exe"] {
        assert_eq!(refused_key(file(good)), None, "{good}");
    }
    for bad in [r"bin\x.dll", r"C:x.dll", r"\x.dll", "x.dll", ""] {
        assert_eq!(refused_key(file(bad)), Some("detect.file.path"), "{bad:?}");
    }
}

/// docs/target-machine.md: the id is "letter, then letters/digits/_ (<= 40)".
#[test]
fn an_id_has_at_most_40_characters() {
    let with_id = |id: String| Prerequisite { id, ..registry("SOFTWARE\\X", None) };
    let forty = format!("A{}", "b_9".repeat(13));
    assert_eq!(forty.len(), 40);
    assert_eq!(refused_key(with_id(forty.clone())), None);
    assert_eq!(refused_key(with_id(format!("{forty}x"))), Some("id"));
    assert_eq!(refused_key(with_id("Net_Fx_48".into())), None, "`_` is allowed after the letter");
    assert_eq!(refused_key(with_id("_Net".into())), Some("id"), "the first character is a letter");
    assert_eq!(refused_key(with_id(String::new())), Some("id"));
}

/// A `min_version` is "one to four dot-separated numbers" (the errors of `validate`,
/// docs/target-machine.md's examples `528040`, `14.30`, `10.0.14393`): an empty part is not a
/// number. Whatever the build accepts, the reader on the target machine
/// (`bundle_core::detect::Version::parse`) must read, or the row would fail at install time.
#[test]
fn min_versions_are_one_to_four_numbers_the_target_machine_can_read() {
    for good in ["528040", "14.30", "10.0.14393", "14.38.33130.0", "0", "999999999.1"] {
        assert_eq!(refused_key(registry("SOFTWARE\\X", Some(good))), None, "{good}");
        assert!(bundle_core::detect::Version::parse(good).is_some(), "{good}");
    }
    for bad in ["", ".", "1..2", ".14", "14.", "1.2.3.4.5", "v14.30", "14.30a", "14,30", " 14"] {
        assert_eq!(refused_key(registry("SOFTWARE\\X", Some(bad))), Some("detect.registry.min_version"), "{bad:?}");
    }
    let file = |min: &str| Prerequisite {
        detect: Detect::File { path: r"C:\Windows\x.dll".into(), min_version: Some(min.into()) },
        ..registry("SOFTWARE\\X", None)
    };
    assert_eq!(refused_key(file("10.0")), None);
    assert_eq!(refused_key(file("10..0")), Some("detect.file.min_version"));
    let windows = |min: &str| Prerequisite {
        detect: Detect::Windows { min_version: min.into() },
        ..registry("SOFTWARE\\X", None)
    };
    assert_eq!(refused_key(windows("10.0.14393")), None);
    assert_eq!(refused_key(windows("10.0.")), Some("detect.windows.min_version"));
}

/// docs/target-machine.md: `install = { windows_feature = "NetFx4" }` runs
/// `dism.exe /online /enable-feature /featurename:NetFx4 /all /quiet /norestart`; `args` and
/// `url` belong to `install.package` and are refused beside `windows_feature`.
#[test]
fn a_windows_feature_takes_no_args_and_no_url() {
    let head = "[[prerequisite]]\nid = 'A'\nname = 'A'\ndetect = { registry = { root = 'HKLM', key = 'SOFTWARE\\A', value = 'V' } }\n";
    for extra in ["args = '/q'", "url = 'https://example.com/a'"] {
        let err = parse(&format!("{head}install = {{ windows_feature = 'NetFx4', {extra} }}\n")).unwrap_err();
        assert!(err.contains("belong to `install.package`"), "{extra}: {err}");
    }
    let list = parse(&format!("{head}install = {{ windows_feature = 'NetFx4' }}\n")).unwrap();
    assert_eq!(list[0].install, Some(Install::WindowsFeature { feature: "NetFx4".into() }));
}

/// docs/target-machine.md: "A package is a plain file name" looked up in `prerequisites\` beside
/// the MSI. `.` and `..` name folders, not files: the error says so (not "must be an .exe"),
/// like a name with a folder or a drive in it.
#[test]
fn a_package_is_a_plain_file_name() {
    let with_package = |package: &str| Prerequisite {
        install: Some(Install::Package { package: package.into(), args: String::new(), url: None }),
        ..registry("SOFTWARE\\X", None)
    };
    for bad in [".", "..", "", r"sub\a.exe", "sub/a.exe", "C:a.exe"] {
        let err = validate(&[with_package(bad)]).unwrap_err();
        assert_eq!(err.key, "install.package", "{bad:?}");
        assert!(err.reason.contains("must be a plain file name"), "{bad:?}: {err}");
    }
    for good in ["ndp48-x86-x64-allos-enu.exe", "VC_REDIST.X64.EXE", "a.cmd", "a.bat", "windows10.0-kb1.msu"] {
        assert_eq!(refused_key(with_package(good)), None, "{good}");
    }
}

/// An `Install` serializes in the TOML shape the release engineer writes (docs/target-machine.md)
/// and reads back as itself.
#[test]
fn an_install_serializes_as_it_is_written() {
    let feature = Install::WindowsFeature { feature: "NetFx4".into() };
    let text = toml::to_string(&feature).unwrap();
    assert_eq!(text.trim(), r#"windows_feature = "NetFx4""#);
    assert_eq!(toml::from_str::<Install>(&text).unwrap(), feature);

    let package = Install::Package {
        package: "vc_redist.x64.exe".into(),
        args: "/install /quiet /norestart".into(),
        url: Some("https://aka.ms/vs/17/release/vc_redist.x64.exe".into()),
    };
    let text = toml::to_string(&package).unwrap();
    assert!(text.contains(r#"package = "vc_redist.x64.exe""#), "{text}");
    assert!(text.contains(r#"args = "/install /quiet /norestart""#), "{text}");
    assert!(!text.contains("windows_feature"), "{text}");
    assert_eq!(toml::from_str::<Install>(&text).unwrap(), package);
}

/// The `IdmPrerequisite` rows of the shipped `wix/product.toml`, cell by cell, written out by
/// hand from that file and docs/target-machine.md ("null where not applicable"; `ValueName`
/// null = the default value, wix/target-machine.wxs.tera). The release MSI's .NET and VC++ rows
/// must keep their minimum versions (issue 17, break 4).
#[test]
fn the_rows_of_the_shipped_config_are_as_written_in_product_toml() {
    let wix = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wix");
    let config = packaging::product::ProductConfig::load(&wix.join("product.toml")).unwrap();
    let rows: Vec<serde_json::Value> =
        config.prerequisite.into_iter().map(|p| serde_json::to_value(PrerequisiteRow::from(p)).unwrap()).collect();
    let expected = [
        serde_json::json!({
            "id": "WindowsServer2016", "name": "Windows Server 2016 or later", "detect": "windows",
            "root": null, "key": null, "value": null, "path": null, "min_version": "10.0.14393",
            "install": null, "package": null, "args": null, "feature": null, "url": null,
        }),
        serde_json::json!({
            "id": "NetFx48", "name": ".NET Framework 4.8", "detect": "registry",
            "root": "HKLM", "key": "SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full",
            "value": "Release", "path": null, "min_version": "528040",
            "install": "package", "package": "ndp48-x86-x64-allos-enu.exe", "args": "/q /norestart",
            "feature": null, "url": "https://go.microsoft.com/fwlink/?linkid=2088631",
        }),
        serde_json::json!({
            "id": "VCRedist2022x64", "name": "Visual C++ 2015-2022 Redistributable (x64)", "detect": "registry",
            "root": "HKLM", "key": "SOFTWARE\\Microsoft\\VisualStudio\\14.0\\VC\\Runtimes\\x64",
            "value": "Version", "path": null, "min_version": "14.30",
            "install": "package", "package": "vc_redist.x64.exe", "args": "/install /quiet /norestart",
            "feature": null, "url": "https://aka.ms/vs/17/release/vc_redist.x64.exe",
        }),
    ];
    assert_eq!(rows, expected);
}

/// A default registry value (`value = ""`) and a package without arguments are null cells, each
/// hive is written by its short name, and a file detection fills `Path`.
#[test]
fn empty_cells_are_null_and_hives_have_their_short_names() {
    for (root, short) in [
        (RegistryRoot::LocalMachine, "HKLM"),
        (RegistryRoot::CurrentUser, "HKCU"),
        (RegistryRoot::ClassesRoot, "HKCR"),
        (RegistryRoot::Users, "HKU"),
    ] {
        let p = Prerequisite {
            detect: Detect::Registry { root, key: "SOFTWARE\\A".into(), value: String::new(), min_version: None },
            install: Some(Install::Package { package: "a.cmd".into(), args: String::new(), url: None }),
            ..registry("SOFTWARE\\X", None)
        };
        let row = PrerequisiteRow::from(p);
        assert_eq!((row.root, row.value, row.min_version), (Some(short), None, None));
        assert_eq!((row.install, row.package.as_deref(), row.args), (Some("package"), Some("a.cmd"), None));
    }
    let file = Prerequisite {
        detect: Detect::File { path: "[System64Folder]inetsrv\\w3wp.exe".into(), min_version: Some("10.0".into()) },
        install: Some(Install::WindowsFeature { feature: "IIS-WebServer".into() }),
        ..registry("SOFTWARE\\X", None)
    };
    let row = PrerequisiteRow::from(file);
    assert_eq!((row.detect, row.root, row.key), ("file", None, None));
    assert_eq!(
        (row.path.as_deref(), row.min_version.as_deref()),
        (Some("[System64Folder]inetsrv\\w3wp.exe"), Some("10.0"))
    );
    assert_eq!(
        (row.install, row.feature.as_deref(), row.package),
        (Some("windows_feature"), Some("IIS-WebServer"), None)
    );
}
