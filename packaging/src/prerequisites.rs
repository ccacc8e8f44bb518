//! The `[[prerequisite]]` entries of `wix/product.toml`: modules the product needs on the target
//! machine, how the custom action detects them and how it installs a missing one.
//!
//! ```toml
//! [[prerequisite]]
//! id = "NetFx48"
//! name = ".NET Framework 4.8"
//! detect = { registry = { root = "HKLM", key = 'SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full', value = "Release", min_version = "528040" } }
//! install = { package = "ndp48-x86-x64-allos-enu.exe", args = "/q /norestart" }
//! ```
//!
//! The list is compiled into the MSI as the custom table `IdmPrerequisite` (one row per entry, see
//! [`PrerequisiteRow`] and `wix/target-machine.wxs.tera`); the `EvaluatePrerequisites` action in
//! `custom-actions` reads it back on the admin's machine. Installer packages are not embedded in
//! the MSI: they travel in the release bundle beside it, in the folder [`BUNDLE_DIR`]
//! (see [`package_sources`] and `docs/target-machine.md`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Folder, beside the MSI in the release bundle, that holds the prerequisites' installer packages.
/// The custom action resolves `package` against `<folder of the MSI>\prerequisites\`.
pub const BUNDLE_DIR: &str = "prerequisites";

/// One required module, as written by the release engineer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, into = "PrerequisiteRow")]
pub struct Prerequisite {
    /// Identifier: a letter, then letters, digits or `_` (at most 40). It names the state
    /// property `PREREQ_<ID uppercased>_STATE` and the custom table's primary key.
    pub id: String,
    /// Display name for the dialog and the log, e.g. `.NET Framework 4.8`.
    pub name: String,
    /// How the custom action finds out whether the module is present.
    pub detect: Detect,
    /// How to install it when missing; absent = it cannot be installed by this MSI (the admin
    /// must provide it, e.g. the Windows version).
    #[serde(default)]
    pub install: Option<Install>,
}

/// Detection of a module on the target machine.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Detect {
    /// A registry value (read from the 64-bit view). Present when the value exists and, if
    /// `min_version` is given, its value (a DWORD/QWORD number or a dotted version string, a
    /// leading `v` ignored) is at least `min_version`.
    Registry {
        /// The hive.
        root: RegistryRoot,
        /// Key path below the hive, without the hive (`SOFTWARE\Microsoft\...`).
        key: String,
        /// Value name; empty for the key's default value.
        value: String,
        /// Lowest accepted value, dotted numeric (`528040`, `14.30`).
        #[serde(default)]
        min_version: Option<String>,
    },
    /// A file, present when it exists and, if `min_version` is given, its file version
    /// (`VS_FIXEDFILEINFO`) is at least `min_version`. `[Property]` references such as
    /// `[System64Folder]` are expanded by the custom action.
    File {
        /// Absolute path, or one starting with a `[Property]` folder reference.
        path: String,
        /// Lowest accepted file version, dotted numeric.
        #[serde(default)]
        min_version: Option<String>,
    },
    /// The Windows version (`RtlGetVersion`: major.minor.build).
    Windows {
        /// Lowest accepted version, e.g. `10.0.14393` for Windows Server 2016.
        min_version: String,
    },
}

/// A registry hive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum RegistryRoot {
    /// `HKEY_LOCAL_MACHINE`.
    #[serde(rename = "HKLM")]
    LocalMachine,
    /// `HKEY_CURRENT_USER`.
    #[serde(rename = "HKCU")]
    CurrentUser,
    /// `HKEY_CLASSES_ROOT`.
    #[serde(rename = "HKCR")]
    ClassesRoot,
    /// `HKEY_USERS`.
    #[serde(rename = "HKU")]
    Users,
}

impl RegistryRoot {
    /// The short name written to the custom table (`HKLM`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryRoot::LocalMachine => "HKLM",
            RegistryRoot::CurrentUser => "HKCU",
            RegistryRoot::ClassesRoot => "HKCR",
            RegistryRoot::Users => "HKU",
        }
    }
}

/// How a missing module is installed. In TOML either
/// `install = { package = "file.exe", args = "/quiet /norestart" }` or
/// `install = { windows_feature = "NetFx4" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "RawInstall", into = "RawInstall")]
pub enum Install {
    /// Run an installer package shipped beside the MSI (in [`BUNDLE_DIR`]), wait for it, and
    /// map its exit code (0 ok, 3010 ok + reboot needed, anything else a failure).
    Package {
        /// File name of the package (`.exe`, `.cmd`, `.bat` or `.msu`), no folders.
        package: String,
        /// Its silent command-line arguments, passed verbatim.
        args: String,
        /// Where the release engineer gets the file (reported by `dist` when it is missing).
        url: Option<String>,
    },
    /// Enable a Windows optional feature with `dism.exe /online /enable-feature`.
    WindowsFeature {
        /// The DISM feature name, e.g. `NetFx4`.
        feature: String,
    },
}

/// The TOML shape of `install`, checked into an [`Install`] with errors naming the key.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawInstall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    args: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    windows_feature: Option<String>,
}

impl TryFrom<RawInstall> for Install {
    type Error = String;

    fn try_from(raw: RawInstall) -> Result<Self, Self::Error> {
        match (raw.package, raw.windows_feature) {
            (Some(package), None) => Ok(Install::Package { package, args: raw.args.unwrap_or_default(), url: raw.url }),
            (None, Some(feature)) => {
                if raw.args.is_some() || raw.url.is_some() {
                    return Err("`install.args` and `install.url` belong to `install.package`, not to `install.windows_feature`".into());
                }
                Ok(Install::WindowsFeature { feature })
            }
            (Some(_), Some(_)) => Err("`install` takes either `package` or `windows_feature`, not both".into()),
            (None, None) => Err("`install` needs `package = \"file\"` (with `args`) or `windows_feature = \"Name\"`; leave `install` out when the module cannot be installed".into()),
        }
    }
}

impl From<Install> for RawInstall {
    fn from(install: Install) -> Self {
        match install {
            Install::Package { package, args, url } => {
                RawInstall { package: Some(package), args: Some(args), url, windows_feature: None }
            }
            Install::WindowsFeature { feature } => RawInstall { windows_feature: Some(feature), ..Default::default() },
        }
    }
}

/// One row of the `IdmPrerequisite` custom table: the serialized form of a [`Prerequisite`]
/// (what `wix/target-machine.wxs.tera` sees as `product.prerequisite[i]`). Absent cells are null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrerequisiteRow {
    /// `Prerequisite` column (primary key).
    pub id: String,
    /// `Name`.
    pub name: String,
    /// `Detect`: `registry`, `file` or `windows`.
    pub detect: &'static str,
    /// `Root`: `HKLM`, `HKCU`, `HKCR`, `HKU` (registry only).
    pub root: Option<&'static str>,
    /// `Key` (registry only).
    pub key: Option<String>,
    /// `ValueName` (registry only; null = default value).
    pub value: Option<String>,
    /// `Path` (file only).
    pub path: Option<String>,
    /// `MinVersion`.
    pub min_version: Option<String>,
    /// `Install`: `package`, `windows_feature`, or null.
    pub install: Option<&'static str>,
    /// `Package` file name.
    pub package: Option<String>,
    /// `Arguments` for the package.
    pub args: Option<String>,
    /// `Feature`: the DISM feature name.
    pub feature: Option<String>,
    /// Where to get the package (not in the table; for reports).
    pub url: Option<String>,
}

impl From<Prerequisite> for PrerequisiteRow {
    fn from(p: Prerequisite) -> Self {
        let mut row = PrerequisiteRow {
            id: p.id,
            name: p.name,
            detect: "",
            root: None,
            key: None,
            value: None,
            path: None,
            min_version: None,
            install: None,
            package: None,
            args: None,
            feature: None,
            url: None,
        };
        match p.detect {
            Detect::Registry { root, key, value, min_version } => {
                row.detect = "registry";
                row.root = Some(root.as_str());
                row.key = Some(key);
                row.value = Some(value).filter(|v| !v.is_empty());
                row.min_version = min_version;
            }
            Detect::File { path, min_version } => {
                row.detect = "file";
                row.path = Some(path);
                row.min_version = min_version;
            }
            Detect::Windows { min_version } => {
                row.detect = "windows";
                row.min_version = Some(min_version);
            }
        }
        match p.install {
            Some(Install::Package { package, args, url }) => {
                row.install = Some("package");
                row.package = Some(package);
                row.args = Some(args).filter(|a| !a.is_empty());
                row.url = url;
            }
            Some(Install::WindowsFeature { feature }) => {
                row.install = Some("windows_feature");
                row.feature = Some(feature);
            }
            None => {}
        }
        row
    }
}

/// A `[[prerequisite]]` entry that is well-formed TOML but not usable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("wix/product.toml: `prerequisite[{index}].{key}` (id \"{id}\"): {reason}")]
pub struct PrerequisiteError {
    /// Position in the `[[prerequisite]]` list, from 0.
    pub index: usize,
    /// The entry's `id` as written.
    pub id: String,
    /// The offending key below the entry, e.g. `install.package`.
    pub key: &'static str,
    /// What is wrong and what to write instead.
    pub reason: String,
}

/// Longest accepted `id`: `PREREQ_<ID>_STATE` stays well inside MSI's 72-character identifiers.
const MAX_ID_LEN: usize = 40;

/// Checks every entry; returns the first problem found, naming its key.
pub fn validate(prerequisites: &[Prerequisite]) -> Result<(), PrerequisiteError> {
    let mut seen = BTreeSet::new();
    for (index, p) in prerequisites.iter().enumerate() {
        let fail = |key: &'static str, reason: String| PrerequisiteError { index, id: p.id.clone(), key, reason };
        let id_ok = p.id.len() <= MAX_ID_LEN
            && p.id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && p.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !id_ok {
            return Err(fail(
                "id",
                format!("must be a letter followed by letters, digits or `_`, at most {MAX_ID_LEN} characters"),
            ));
        }
        if !seen.insert(p.id.to_ascii_uppercase()) {
            return Err(fail("id", "is used by an earlier prerequisite (ids are compared case-insensitively)".into()));
        }
        if p.name.trim().is_empty() {
            return Err(fail("name", "must not be empty: it is shown in the dialog and the log".into()));
        }
        match &p.detect {
            Detect::Registry { key, min_version, .. } => {
                if key.trim().is_empty() {
                    return Err(fail("detect.registry.key", "must not be empty".into()));
                }
                let upper = key.to_ascii_uppercase();
                if key.starts_with('\\')
                    || upper.starts_with("HKEY_")
                    || upper.starts_with("HKLM")
                    || upper.starts_with("HKCU")
                {
                    return Err(fail(
                        "detect.registry.key",
                        "is the path below the hive, without the hive or a leading `\\` (put the hive in `root`)"
                            .into(),
                    ));
                }
                check_version(min_version.as_deref()).map_err(|r| fail("detect.registry.min_version", r))?;
            }
            Detect::File { path, min_version } => {
                let absolute =
                    path.starts_with('[') || path.starts_with("\\\\") || path.as_bytes().get(1..3) == Some(b":\\");
                if !absolute {
                    return Err(fail(
                        "detect.file.path",
                        "must be absolute (`C:\\...`) or start with a folder property such as `[System64Folder]`"
                            .into(),
                    ));
                }
                check_version(min_version.as_deref()).map_err(|r| fail("detect.file.min_version", r))?;
            }
            Detect::Windows { min_version } => {
                check_version(Some(min_version)).map_err(|r| fail("detect.windows.min_version", r))?;
                if p.install.is_some() {
                    return Err(fail(
                        "install",
                        "the Windows version cannot be installed by a package: leave `install` out".into(),
                    ));
                }
            }
        }
        match &p.install {
            Some(Install::Package { package, .. }) => check_package(package).map_err(|r| fail("install.package", r))?,
            Some(Install::WindowsFeature { feature }) => {
                let ok = !feature.is_empty() && feature.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !ok {
                    return Err(fail(
                        "install.windows_feature",
                        "must be a DISM feature name (letters, digits, `-`, `_`, `.`), e.g. `NetFx4`".into(),
                    ));
                }
            }
            None => {}
        }
    }
    Ok(())
}

/// A `min_version`: one to four dot-separated decimal numbers.
fn check_version(version: Option<&str>) -> Result<(), String> {
    let Some(v) = version else { return Ok(()) };
    let parts: Vec<&str> = v.split('.').collect();
    let ok = parts.len() <= 4
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{v}\" is not a version: write one to four dot-separated numbers, e.g. \"10.0.14393\" or \"528040\""
        ))
    }
}

/// A `package`: a plain file name with an extension the custom action knows how to run.
fn check_package(package: &str) -> Result<(), String> {
    if package.is_empty() || package.contains(['/', '\\', ':']) || package == "." || package == ".." {
        return Err(format!(
            "\"{package}\" must be a plain file name: the package is looked up in `{BUNDLE_DIR}\\` beside the MSI"
        ));
    }
    let lower = package.to_ascii_lowercase();
    if lower.ends_with(".msi") {
        return Err("an .msi cannot be run from inside another installation (Windows Installer runs one at a time, error 1618): ship its bootstrapper .exe or install it before this MSI".into());
    }
    if ![".exe", ".cmd", ".bat", ".msu"].iter().any(|ext| lower.ends_with(ext)) {
        return Err(format!("\"{package}\": the package must be an .exe, .cmd, .bat or .msu"));
    }
    Ok(())
}

/// Where a prerequisite's installer package comes from when `dist` builds the release bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSource {
    /// The prerequisite's display name.
    pub prerequisite: String,
    /// The package's file name.
    pub file: String,
    /// The file `dist` copies: `<source_dir>/<file>`.
    pub source: PathBuf,
    /// Its path inside the bundle: `prerequisites/<file>`.
    pub bundle_path: String,
    /// Whether `source` exists. When it does not, `dist` reports "supply this file" (we may not
    /// redistribute Microsoft's packages) and the admin provides it beside the MSI.
    pub present: bool,
    /// Where to download it, if the config says.
    pub url: Option<String>,
}

/// The installer packages the bundle should carry, looked up in `source_dir` (the release
/// engineer's folder of redistributables, `wix/prereq-packages/` by default).
pub fn package_sources(prerequisites: &[Prerequisite], source_dir: &Path) -> Vec<PackageSource> {
    prerequisites
        .iter()
        .filter_map(|p| match &p.install {
            Some(Install::Package { package, url, .. }) => {
                let source = source_dir.join(package);
                Some(PackageSource {
                    prerequisite: p.name.clone(),
                    file: package.clone(),
                    present: source.is_file(),
                    source,
                    bundle_path: format!("{BUNDLE_DIR}/{package}"),
                    url: url.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        prerequisite: Vec<Prerequisite>,
    }

    fn parse(text: &str) -> Result<Vec<Prerequisite>, String> {
        toml::from_str::<Doc>(text).map(|d| d.prerequisite).map_err(|e| e.to_string())
    }

    const DEFAULTS: &str = r#"
[[prerequisite]]
id = "WindowsServer2016"
name = "Windows Server 2016 or later"
detect = { windows = { min_version = "10.0.14393" } }

[[prerequisite]]
id = "NetFx48"
name = ".NET Framework 4.8"
detect = { registry = { root = "HKLM", key = 'SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full', value = "Release", min_version = "528040" } }
install = { package = "ndp48-x86-x64-allos-enu.exe", args = "/q /norestart", url = "https://go.microsoft.com/fwlink/?linkid=2088631" }

[[prerequisite]]
id = "VCRedist2022x64"
name = "Visual C++ 2015-2022 Redistributable (x64)"
detect = { registry = { root = "HKLM", key = 'SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64', value = "Version", min_version = "14.30" } }
install = { package = "vc_redist.x64.exe", args = "/install /quiet /norestart" }

[[prerequisite]]
id = "Iis"
name = "IIS"
detect = { file = { path = '[System64Folder]inetsrv\w3wp.exe' } }
install = { windows_feature = "IIS-WebServer" }
"#;

    #[test]
    fn parses_the_three_forms_and_validates() {
        let list = parse(DEFAULTS).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(list[0].detect, Detect::Windows { min_version: "10.0.14393".into() });
        assert_eq!(list[0].install, None);
        assert!(
            matches!(&list[1].detect, Detect::Registry { root: RegistryRoot::LocalMachine, value, .. } if value == "Release")
        );
        assert!(
            matches!(&list[2].install, Some(Install::Package { args, url: None, .. }) if args == "/install /quiet /norestart")
        );
        assert_eq!(list[3].install, Some(Install::WindowsFeature { feature: "IIS-WebServer".into() }));
        validate(&list).unwrap();
    }

    #[test]
    fn serializes_as_table_rows() {
        let list = parse(DEFAULTS).unwrap();
        let rows = serde_json::to_value(&list).unwrap();
        assert_eq!(rows[0]["detect"], "windows");
        assert_eq!(rows[0]["min_version"], "10.0.14393");
        assert!(rows[0]["install"].is_null());
        assert_eq!(rows[1]["root"], "HKLM");
        assert_eq!(rows[1]["value"], "Release");
        assert_eq!(rows[1]["install"], "package");
        assert_eq!(rows[2]["args"], "/install /quiet /norestart");
        assert_eq!(rows[3]["detect"], "file");
        assert_eq!(rows[3]["feature"], "IIS-WebServer");
    }

    #[test]
    fn unknown_keys_and_bad_shapes_are_refused_by_name() {
        let err = parse("[[prerequisite]]\nid='A'\nname='A'\ndetect={ regsitry = {} }\n").unwrap_err();
        assert!(err.contains("regsitry"), "{err}");
        let err = parse("[[prerequisite]]\nid='A'\nname='A'\ndetect={ windows = { min_version='10.0', extra=1 } }\n")
            .unwrap_err();
        assert!(err.contains("extra"), "{err}");
        let err = parse("[[prerequisite]]\nid='A'\nname='A'\ndetect={ windows = { min_version='10.0' } }\ninstall={ package='a.exe', windows_feature='B' }\n").unwrap_err();
        assert!(err.contains("not both"), "{err}");
        let err = parse(
            "[[prerequisite]]\nid='A'\nname='A'\ndetect={ windows = { min_version='10.0' } }\ninstall={ args='/q' }\n",
        )
        .unwrap_err();
        assert!(err.contains("needs `package"), "{err}");
        let err = parse("[[prerequisite]]\nid='A'\nname='A'\nhow='x'\ndetect={ windows = { min_version='10.0' } }\n")
            .unwrap_err();
        assert!(err.contains("how"), "{err}");
    }

    fn entry(id: &str, detect: Detect, install: Option<Install>) -> Prerequisite {
        Prerequisite { id: id.into(), name: "Module".into(), detect, install }
    }

    fn reg(key: &str, min: Option<&str>) -> Detect {
        Detect::Registry {
            root: RegistryRoot::LocalMachine,
            key: key.into(),
            value: "V".into(),
            min_version: min.map(Into::into),
        }
    }

    fn pkg(file: &str) -> Option<Install> {
        Some(Install::Package { package: file.into(), args: String::new(), url: None })
    }

    #[test]
    fn validation_names_the_key() {
        let cases: Vec<(Vec<Prerequisite>, &str, &str)> = vec![
            (vec![entry("1abc", reg("K", None), None)], "id", "a letter"),
            (vec![entry("a-b", reg("K", None), None)], "id", "a letter"),
            (vec![entry("A", reg("K", None), None), entry("a", reg("K", None), None)], "id", "earlier"),
            (vec![entry("A", reg(r"HKLM\SOFTWARE\X", None), None)], "detect.registry.key", "hive"),
            (vec![entry("A", reg("", None), None)], "detect.registry.key", "empty"),
            (vec![entry("A", reg("K", Some("4.8a")), None)], "detect.registry.min_version", "not a version"),
            (vec![entry("A", reg("K", Some("1.2.3.4.5")), None)], "detect.registry.min_version", "not a version"),
            (
                vec![entry("A", Detect::File { path: r"bin\x.dll".into(), min_version: None }, None)],
                "detect.file.path",
                "absolute",
            ),
            (
                vec![entry("A", Detect::Windows { min_version: "10".into() }, pkg("a.exe"))],
                "install",
                "cannot be installed",
            ),
            (vec![entry("A", reg("K", None), pkg(r"sub\a.exe"))], "install.package", "plain file name"),
            (vec![entry("A", reg("K", None), pkg("a.msi"))], "install.package", "1618"),
            (vec![entry("A", reg("K", None), pkg("a.zip"))], "install.package", ".exe, .cmd"),
            (
                vec![entry("A", reg("K", None), Some(Install::WindowsFeature { feature: "a b".into() }))],
                "install.windows_feature",
                "DISM",
            ),
        ];
        for (list, key, reason) in cases {
            let err = validate(&list).expect_err(key);
            assert_eq!(err.key, key, "{err}");
            assert!(err.reason.contains(reason), "{err}");
            assert!(err.to_string().starts_with("wix/product.toml: `prerequisite["), "{err}");
        }
        let mut name_less = entry("A", reg("K", None), None);
        name_less.name = " ".into();
        assert_eq!(validate(&[name_less]).unwrap_err().key, "name");
    }

    #[test]
    fn the_shipped_product_config_and_test_block_are_valid() {
        let wix = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wix");
        let config = crate::product::ProductConfig::load(&wix.join("product.toml")).unwrap();
        let ids: Vec<&str> = config.prerequisite.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["WindowsServer2016", "NetFx48", "VCRedist2022x64"]);
        validate(&config.prerequisite).unwrap();
        // Microsoft's packages are not in the repository: dist reports them as "supply this file".
        let sources = package_sources(&config.prerequisite, &wix.join("prereq-packages"));
        assert_eq!(
            sources.iter().map(|s| (s.file.as_str(), s.present)).collect::<Vec<_>>(),
            [("ndp48-x86-x64-allos-enu.exe", false), ("vc_redist.x64.exe", false)]
        );

        let test =
            parse(&std::fs::read_to_string(wix.join("prereq-packages/test-prerequisite.toml")).unwrap()).unwrap();
        validate(&test).unwrap();
        let sources = package_sources(&test, &wix.join("prereq-packages"));
        assert!(sources[0].present, "the test package ships in wix/prereq-packages/");
    }

    #[test]
    fn package_sources_report_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("here.cmd"), "@exit /b 0").unwrap();
        let list = vec![
            entry("A", reg("K", None), pkg("here.cmd")),
            entry("B", reg("K", None), pkg("vc_redist.x64.exe")),
            entry("C", reg("K", None), None),
        ];
        let sources = package_sources(&list, dir.path());
        assert_eq!(sources.len(), 2);
        assert!(sources[0].present);
        assert_eq!(sources[0].bundle_path, "prerequisites/here.cmd");
        assert!(!sources[1].present);
        assert_eq!(sources[1].file, "vc_redist.x64.exe");
    }
}
