//! Prerequisite rules and their detection, shared by the custom-action DLL (which reads the rules
//! from the MSI's `IdmPrerequisite` table) and the setup program (which reads the same rows from
//! its payload manifest, written from the same `[[prerequisite]]` config by `dist`).
//!
//! The machine is reached through the [`System`] trait: the real Windows implementation is
//! [`crate::win::WinSystem`], tests use fakes.

use std::cmp::Ordering;
use std::fmt;

/// Name of the custom table holding the prerequisite list.
pub const TABLE: &str = "IdmPrerequisite";

/// Columns read from [`TABLE`], in this order (see `wix/target-machine.wxs.tera`).
pub const COLUMNS: [&str; 13] = [
    "Prerequisite",
    "Sequence",
    "Name",
    "Detect",
    "Root",
    "Key",
    "ValueName",
    "Path",
    "MinVersion",
    "Install",
    "Package",
    "Arguments",
    "Feature",
];

/// Folder beside the MSI holding the installer packages (`packaging::prerequisites::BUNDLE_DIR`).
pub const PACKAGE_DIR: &str = "prerequisites";

/// Win32 exit code meaning "success, restart required" (`ERROR_SUCCESS_REBOOT_REQUIRED`).
pub const EXIT_REBOOT_REQUIRED: u32 = 3010;

/// A dotted numeric version (`10.0.14393`, `528040`, `14.38.33130.0`), compared component by
/// component with missing components taken as 0 (so `14.30` equals `14.30.0.0`).
#[derive(Debug, Clone)]
pub struct Version(pub Vec<u64>);

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl Version {
    /// Parses `v14.38.33130.00`, `4.8`, `528040`; a leading `v`/`V` and surrounding spaces are
    /// ignored. `None` when any component is not a number.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        if t.is_empty() {
            return None;
        }
        t.split('.').map(|p| p.parse::<u64>().ok()).collect::<Option<Vec<_>>>().map(Version)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        (0..n)
            .map(|i| self.0.get(i).copied().unwrap_or(0).cmp(&other.0.get(i).copied().unwrap_or(0)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// A registry hive, as written in the table's `Root` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `HKLM`.
    LocalMachine,
    /// `HKCU`.
    CurrentUser,
    /// `HKCR`.
    ClassesRoot,
    /// `HKU`.
    Users,
}

impl Root {
    fn parse(s: &str) -> Option<Root> {
        match s {
            "HKLM" => Some(Root::LocalMachine),
            "HKCU" => Some(Root::CurrentUser),
            "HKCR" => Some(Root::ClassesRoot),
            "HKU" => Some(Root::Users),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Root::LocalMachine => "HKLM",
            Root::CurrentUser => "HKCU",
            Root::ClassesRoot => "HKCR",
            Root::Users => "HKU",
        }
    }
}

/// A registry value's data, as far as detection cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// `REG_DWORD` / `REG_QWORD`.
    Number(u64),
    /// `REG_SZ` / `REG_EXPAND_SZ` (expanded).
    Text(String),
    /// Any other type (binary, multi-string): present, but not comparable.
    Other,
}

/// What is at a file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProbe {
    /// No such file.
    Missing,
    /// The file exists but has no version resource.
    NoVersion,
    /// The file's `VS_FIXEDFILEINFO` file version.
    Version(Version),
}

/// A call into the machine that failed (not "not found": that is a normal answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call} failed with error {code}")]
pub struct SystemError {
    /// The API or operation.
    pub call: &'static str,
    /// Its Win32 / NTSTATUS code (0 when there is none, e.g. a process that could not start).
    pub code: u32,
}

/// The target machine as the prerequisite logic sees it.
pub trait System {
    /// The value `name` (empty = default value) under `root\key`, 64-bit registry view;
    /// `Ok(None)` when the key or value does not exist.
    fn registry_value(&self, root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError>;
    /// What is at `path`.
    fn file_version(&self, path: &str) -> Result<FileProbe, SystemError>;
    /// The running Windows version (major.minor.build, as `RtlGetVersion` reports it).
    fn os_version(&self) -> Result<Version, SystemError>;
    /// Runs `program` with the command-line tail `args` (passed verbatim), waits, returns the
    /// exit code.
    fn run(&mut self, program: &str, args: &str) -> Result<u32, SystemError>;
}

/// How a module is detected (one table row's `Detect` and its columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// A registry value, optionally at least `min`.
    Registry {
        /// Hive.
        root: Root,
        /// Key below the hive.
        key: String,
        /// Value name (empty = default value).
        value: String,
        /// Lowest accepted value.
        min: Option<Version>,
    },
    /// A file, optionally with a file version at least `min`. `[Property]` references in the
    /// path are expanded (from the session in the DLL, from known folders in the setup program).
    File {
        /// Path as written in the table.
        path: String,
        /// Lowest accepted file version.
        min: Option<Version>,
    },
    /// The Windows version at least `min`.
    Windows {
        /// Lowest accepted version.
        min: Version,
    },
}

/// How a missing module is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// A package file carried by the setup program (`prerequisites\<file>`), with its silent arguments.
    Package {
        /// File name.
        file: String,
        /// Arguments, verbatim.
        args: String,
    },
    /// A Windows optional feature, enabled with DISM.
    WindowsFeature(String),
}

/// One row of [`TABLE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Primary key; names the state properties.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Detection.
    pub detect: Detection,
    /// Installer, if the setup program can install it.
    pub install: Option<Installer>,
}

/// A table row that cannot be used (a packaging bug: `packaging::prerequisites::validate`
/// should have refused the config).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{TABLE} row \"{id}\": column {column}: {reason}")]
pub struct RowError {
    /// The row's primary key.
    pub id: String,
    /// The bad column.
    pub column: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// Parses rows of [`TABLE`] (cells in [`COLUMNS`] order, `None` = null) into modules ordered by
/// their `Sequence` column.
pub fn parse_rows(rows: &[Vec<Option<String>>]) -> Result<Vec<Module>, RowError> {
    let mut keyed = Vec::with_capacity(rows.len());
    for row in rows {
        let cell = |i: usize| row.get(i).cloned().flatten().filter(|s| !s.is_empty());
        let id = cell(0).unwrap_or_default();
        let fail = |column: &'static str, reason: &str| RowError { id: id.clone(), column, reason: reason.to_string() };
        let version = |column: &'static str, text: Option<String>| -> Result<Option<Version>, RowError> {
            text.map(|t| Version::parse(&t).ok_or_else(|| fail(column, &format!("\"{t}\" is not a version"))))
                .transpose()
        };
        let sequence: i64 = cell(1).and_then(|s| s.parse().ok()).unwrap_or(i64::MAX);
        let name = cell(2).unwrap_or_else(|| id.clone());
        let detect = match cell(3).as_deref() {
            Some("registry") => Detection::Registry {
                root: cell(4)
                    .as_deref()
                    .and_then(Root::parse)
                    .ok_or_else(|| fail("Root", "must be HKLM, HKCU, HKCR or HKU"))?,
                key: cell(5).ok_or_else(|| fail("Key", "is empty"))?,
                value: cell(6).unwrap_or_default(),
                min: version("MinVersion", cell(8))?,
            },
            Some("file") => Detection::File {
                path: cell(7).ok_or_else(|| fail("Path", "is empty"))?,
                min: version("MinVersion", cell(8))?,
            },
            Some("windows") => Detection::Windows {
                min: version("MinVersion", cell(8))?.ok_or_else(|| fail("MinVersion", "is required for Windows"))?,
            },
            _ => return Err(fail("Detect", "must be registry, file or windows")),
        };
        let install = match cell(9).as_deref() {
            None => None,
            Some("package") => Some(Installer::Package {
                file: cell(10).ok_or_else(|| fail("Package", "is empty"))?,
                args: cell(11).unwrap_or_default(),
            }),
            Some("windows_feature") => {
                Some(Installer::WindowsFeature(cell(12).ok_or_else(|| fail("Feature", "is empty"))?))
            }
            Some(_) => return Err(fail("Install", "must be package, windows_feature or null")),
        };
        keyed.push((sequence, Module { id: id.clone(), name, detect, install }));
    }
    keyed.sort_by_key(|(sequence, _)| *sequence);
    Ok(keyed.into_iter().map(|(_, m)| m).collect())
}

/// The outcome of detecting one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Present; the text says what was found.
    Present(String),
    /// Not there, too old, or unreadable; the text says which.
    Missing(String),
}

impl State {
    /// `present` or `missing` (the value of `PREREQ_<ID>_STATE`).
    pub fn word(&self) -> &'static str {
        match self {
            State::Present(_) => "present",
            State::Missing(_) => "missing",
        }
    }

    /// The detail text.
    pub fn detail(&self) -> &str {
        match self {
            State::Present(s) | State::Missing(s) => s,
        }
    }

    /// True when present.
    pub fn is_present(&self) -> bool {
        matches!(self, State::Present(_))
    }
}

/// Expands `[Property]` references with `lookup` (unknown ones become empty, as MSI's formatted
/// strings do). Hand-written because only plain property references are needed for folder
/// paths, and the setup program has no MSI session to call `MsiFormatRecord` on.
pub fn expand(lookup: &dyn Fn(&str) -> Option<String>, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if !after[..close].is_empty()
                    && after[..close].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                out.push_str(&lookup(&after[..close]).unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn compare(found: &str, found_version: Option<Version>, min: &Option<Version>) -> State {
    match (min, found_version) {
        (None, _) => State::Present(format!("found {found}")),
        (Some(min), Some(v)) if v >= *min => State::Present(format!("found {found}, need {min} or later")),
        (Some(min), Some(_)) => State::Missing(format!("found {found}, need {min} or later")),
        (Some(min), None) => State::Missing(format!("found {found}, which is not a version; need {min} or later")),
    }
}

/// Detects one module; `lookup` resolves `[Property]` references in file paths.
pub fn detect(lookup: &dyn Fn(&str) -> Option<String>, system: &impl System, module: &Module) -> State {
    match &module.detect {
        Detection::Registry { root, key, value, min } => {
            let place = format!("{}\\{key}\\{}", root.name(), if value.is_empty() { "(Default)" } else { value });
            match system.registry_value(*root, key, value) {
                Ok(None) => State::Missing(format!("{place} not found")),
                Ok(Some(RegValue::Number(n))) => compare(&format!("{place} = {n}"), Some(Version(vec![n])), min),
                Ok(Some(RegValue::Text(t))) => compare(&format!("{place} = \"{t}\""), Version::parse(&t), min),
                Ok(Some(RegValue::Other)) => compare(&format!("{place} (not a number or text)"), None, min),
                Err(e) => State::Missing(format!("cannot read {place}: {e}")),
            }
        }
        Detection::File { path, min } => {
            let path = expand(lookup, path);
            match system.file_version(&path) {
                Ok(FileProbe::Missing) => State::Missing(format!("{path} not found")),
                Ok(FileProbe::NoVersion) => compare(&format!("{path} (no version resource)"), None, min),
                Ok(FileProbe::Version(v)) => compare(&format!("{path} version {v}"), Some(v), min),
                Err(e) => State::Missing(format!("cannot read {path}: {e}")),
            }
        }
        Detection::Windows { min } => match system.os_version() {
            Ok(v) => compare(&format!("Windows {v}"), Some(v.clone()), &Some(min.clone())),
            Err(e) => State::Missing(format!("cannot read the Windows version: {e}")),
        },
    }
}

/// A process to run for one missing module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Full path of the program.
    pub program: String,
    /// Command-line tail, verbatim.
    pub args: String,
}

/// What to run for `installer`, whose package (if any) lies in `package_dir` (no trailing `\`
/// needed), with the system folder `system_dir` (`C:\Windows\System32`): `.exe` directly,
/// `.cmd`/`.bat` through `cmd.exe /d /s /c`, `.msu` through `wusa.exe`, a Windows feature
/// through `dism.exe`.
pub fn plan(package_dir: &str, system_dir: &str, installer: &Installer) -> Command {
    let system = system_dir.trim_end_matches('\\');
    match installer {
        Installer::Package { file, args } => {
            let path = package_path(package_dir, file);
            let lower = file.to_ascii_lowercase();
            let tail = if args.is_empty() { String::new() } else { format!(" {args}") };
            if lower.ends_with(".cmd") || lower.ends_with(".bat") {
                // `/s`: cmd strips exactly the outer quotes, so a quoted path with spaces survives
                // (cmd.exe /? on "/S" and quote processing).
                Command { program: format!("{system}\\cmd.exe"), args: format!("/d /s /c \"\"{path}\"{tail}\"") }
            } else if lower.ends_with(".msu") {
                Command { program: format!("{system}\\wusa.exe"), args: format!("\"{path}\"{tail}") }
            } else {
                Command { program: path, args: args.clone() }
            }
        }
        Installer::WindowsFeature(feature) => Command {
            program: format!("{system}\\dism.exe"),
            args: format!("/online /enable-feature /featurename:{feature} /all /quiet /norestart"),
        },
    }
}

/// `<package_dir>\<file>`.
pub fn package_path(package_dir: &str, file: &str) -> String {
    format!("{}\\{file}", package_dir.trim_end_matches('\\'))
}

/// What an installer's exit code means, in the conventions of Windows Installer and the
/// redistributables built on it (the same table as WiX Burn's `ExePackage` defaults):
/// <https://learn.microsoft.com/en-us/windows/win32/msi/error-codes>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: installed.
    Success,
    /// 3010 `ERROR_SUCCESS_REBOOT_REQUIRED`: installed, a restart completes it.
    RebootRequired,
    /// 1641 `ERROR_SUCCESS_REBOOT_INITIATED`: installed, and the installer itself started a
    /// restart (nothing more should run).
    RebootInitiated,
    /// 1638 `ERROR_PRODUCT_VERSION`: another (newer) version is already installed; the module
    /// counts as present.
    NewerPresent,
    /// 1618 `ERROR_INSTALL_ALREADY_RUNNING`: another installation is in progress.
    AlreadyRunning,
    /// Anything else: failed.
    Failed(u32),
}

/// `ERROR_SUCCESS_REBOOT_INITIATED`.
pub const EXIT_REBOOT_INITIATED: u32 = 1641;
/// `ERROR_PRODUCT_VERSION`.
pub const EXIT_NEWER_PRESENT: u32 = 1638;
/// `ERROR_INSTALL_ALREADY_RUNNING`.
pub const EXIT_ALREADY_RUNNING: u32 = 1618;

impl Exit {
    /// Classifies an exit code.
    pub fn of(code: u32) -> Exit {
        match code {
            0 => Exit::Success,
            EXIT_REBOOT_REQUIRED => Exit::RebootRequired,
            EXIT_REBOOT_INITIATED => Exit::RebootInitiated,
            EXIT_NEWER_PRESENT => Exit::NewerPresent,
            EXIT_ALREADY_RUNNING => Exit::AlreadyRunning,
            other => Exit::Failed(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{default_rows as rows, FakeSystem, NETFX_KEY, VC_KEY};

    fn no_props(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(Version::parse("v14.38.33130.00"), Some(Version(vec![14, 38, 33130, 0])));
        assert_eq!(Version::parse(" 528040 "), Some(Version(vec![528040])));
        assert_eq!(Version::parse("4.8-beta"), None);
        assert_eq!(Version::parse(""), None);
        assert!(Version::parse("10.0.14393").unwrap() < Version::parse("10.0.17763").unwrap());
        assert!(Version::parse("14.30").unwrap() == Version::parse("14.30.0.0").unwrap());
        assert!(Version::parse("6.3.9600").unwrap() < Version::parse("10.0").unwrap());
    }

    #[test]
    fn rows_are_parsed_in_sequence_order_and_bad_ones_named() {
        let modules = parse_rows(&rows()).unwrap();
        let ids: Vec<&str> = modules.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["WindowsServer2016", "NetFx48", "VCRedist2022x64"]);
        assert_eq!(modules[0].install, None);
        assert_eq!(
            modules[2].install,
            Some(Installer::Package { file: "vc_redist.x64.exe".into(), args: "/install /quiet /norestart".into() })
        );
        let mut bad = rows();
        bad[0][3] = Some("wmi".into());
        let e = parse_rows(&bad).unwrap_err();
        assert_eq!((e.id.as_str(), e.column), ("VCRedist2022x64", "Detect"));
        let mut bad = rows();
        bad[2][8] = Some("4.8-beta".into());
        assert!(parse_rows(&bad).unwrap_err().to_string().contains("\"4.8-beta\" is not a version"));
    }

    #[test]
    fn detection_of_each_kind() {
        let modules = parse_rows(&rows()).unwrap();
        let mut sys = FakeSystem::healthy();
        for m in &modules {
            assert!(detect(&no_props, &sys, m).is_present(), "{}", m.id);
        }
        sys.os = Some(Version(vec![6, 3, 9600]));
        sys.registry.insert((NETFX_KEY.into(), "Release".into()), RegValue::Number(461814));
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        let states: Vec<State> = modules.iter().map(|m| detect(&no_props, &sys, m)).collect();
        assert_eq!(states[0], State::Missing("found Windows 6.3.9600, need 10.0.14393 or later".into()));
        assert_eq!(
            states[1],
            State::Missing(format!(r"found HKLM\{NETFX_KEY}\Release = 461814, need 528040 or later"))
        );
        assert_eq!(states[2], State::Missing(format!(r"HKLM\{VC_KEY}\Version not found")));
        sys.registry.insert((VC_KEY.into(), "Version".into()), RegValue::Text("unknown".into()));
        assert!(detect(&no_props, &sys, &modules[2]).detail().contains("not a version"));
        sys.os = None;
        assert!(!detect(&no_props, &sys, &modules[0]).is_present());
        let denied = Module {
            detect: Detection::Registry {
                root: Root::LocalMachine,
                key: "Denied".into(),
                value: String::new(),
                min: None,
            },
            ..modules[1].clone()
        };
        assert_eq!(
            detect(&no_props, &sys, &denied),
            State::Missing(r"cannot read HKLM\Denied\(Default): RegGetValueW failed with error 5".into())
        );
    }

    #[test]
    fn file_detection_expands_folder_properties() {
        let props = |name: &str| (name == "System64Folder").then(|| r"C:\Windows\system32\".to_string());
        let mut sys = FakeSystem::default();
        let module = Module {
            id: "Iis".into(),
            name: "IIS".into(),
            detect: Detection::File { path: r"[System64Folder]inetsrv\w3wp.exe".into(), min: Some(Version(vec![10])) },
            install: Some(Installer::WindowsFeature("IIS-WebServer".into())),
        };
        assert_eq!(
            detect(&props, &sys, &module),
            State::Missing(r"C:\Windows\system32\inetsrv\w3wp.exe not found".into())
        );
        sys.files.insert(r"C:\Windows\system32\inetsrv\w3wp.exe".into(), FileProbe::NoVersion);
        assert!(!detect(&props, &sys, &module).is_present());
        sys.files
            .insert(r"C:\Windows\system32\inetsrv\w3wp.exe".into(), FileProbe::Version(Version(vec![10, 0, 17763, 1])));
        assert!(detect(&props, &sys, &module).is_present());
        assert_eq!(expand(&props, "[NoSuch]x[y z]"), "x[y z]");
    }

    #[test]
    fn commands_for_each_package_kind() {
        let dir = r"C:\Windows\Temp\IdmSetup-1\prerequisites";
        let sys = r"C:\Windows\system32\";
        let cmd = plan(dir, sys, &Installer::Package { file: "test prereq.cmd".into(), args: "/quiet".into() });
        assert_eq!(cmd.program, r"C:\Windows\system32\cmd.exe");
        assert_eq!(cmd.args, r#"/d /s /c ""C:\Windows\Temp\IdmSetup-1\prerequisites\test prereq.cmd" /quiet""#);
        let cmd = plan(dir, sys, &Installer::Package { file: "kb.msu".into(), args: "/quiet /norestart".into() });
        assert_eq!(
            (cmd.program.as_str(), cmd.args.as_str()),
            (r"C:\Windows\system32\wusa.exe", r#""C:\Windows\Temp\IdmSetup-1\prerequisites\kb.msu" /quiet /norestart"#)
        );
        let cmd = plan(dir, sys, &Installer::Package { file: "vc.exe".into(), args: "/q".into() });
        assert_eq!(
            (cmd.program.as_str(), cmd.args.as_str()),
            (r"C:\Windows\Temp\IdmSetup-1\prerequisites\vc.exe", "/q")
        );
        let cmd = plan(dir, sys, &Installer::WindowsFeature("NetFx4".into()));
        assert_eq!(cmd.program, r"C:\Windows\system32\dism.exe");
        assert_eq!(cmd.args, "/online /enable-feature /featurename:NetFx4 /all /quiet /norestart");
    }

    #[test]
    fn exit_codes_follow_the_windows_installer_table() {
        // Values from https://learn.microsoft.com/en-us/windows/win32/msi/error-codes
        assert_eq!(Exit::of(0), Exit::Success);
        assert_eq!(Exit::of(3010), Exit::RebootRequired);
        assert_eq!(Exit::of(1641), Exit::RebootInitiated);
        assert_eq!(Exit::of(1638), Exit::NewerPresent);
        assert_eq!(Exit::of(1618), Exit::AlreadyRunning);
        assert_eq!(Exit::of(1603), Exit::Failed(1603));
        assert_eq!(Exit::of(1), Exit::Failed(1));
    }
}
