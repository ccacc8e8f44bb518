//! Prerequisite evaluation and installation planning (seed step 7).
//!
//! The release engineer's `[[prerequisite]]` list reaches the package as the custom table
//! `IdmPrerequisite` (written by `wix/target-machine.wxs.tera`). Three immediate actions read it:
//!
//! - `EvaluatePrerequisites` (UI sequence, and the dialog's refresh): detects every module and
//!   publishes `PREREQ_<ID>_STATE` (`present` / `missing`), `PREREQ_<ID>_DETAIL`,
//!   `PREREQUISITES_MISSING` (comma list of names), `PREREQUISITES_SUMMARY` (dialog text) and
//!   `PREREQUISITES_INSTALLABLE` (1 when every missing module has an installer). Never fails on
//!   a missing module: the dialog shows it.
//! - `InstallPrerequisites` (the dialog's button, `DoAction`): installs the missing modules,
//!   re-detects, publishes; a failure is put in `PREREQUISITES_ERROR` for the dialog (a failing
//!   `DoAction` would end the whole installation).
//! - `CheckPrerequisites` (execute sequence, before anything changes): missing modules without
//!   `INSTALL_PREREQUISITES=1` fail with 1603 and a line listing them; with it, installs them
//!   first. An installer exit code 3010 sets `PREREQUISITES_REBOOT=1` (the package's
//!   `ScheduleReboot` then makes msiexec exit 3010; under `/qn` the reboot is suppressed).
//!
//! The machine is reached through the [`System`] trait (real Windows implementation in
//! `ffi::target_machine`, fake in tests).

use std::cmp::Ordering;
use std::fmt;

use crate::session::{ActionResult, Session, SessionError};

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
    /// path are expanded from the session.
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
    /// A package file in `prerequisites\` beside the MSI, with its silent arguments.
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
    /// Installer, if the MSI can install it.
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

/// Why the prerequisite list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The table is absent or the query failed.
    #[error("cannot read the {TABLE} table ({0}); the package is damaged or was built without it")]
    Unreadable(#[from] SessionError),
    /// A row is malformed.
    #[error(transparent)]
    Row(#[from] RowError),
}

/// Reads and parses the whole table, ordered by its `Sequence` column.
pub fn read_modules(session: &impl Session) -> Result<Vec<Module>, TableError> {
    let rows = session.table(TABLE, &COLUMNS)?;
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
            _ => return Err(fail("Detect", "must be registry, file or windows").into()),
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
            Some(_) => return Err(fail("Install", "must be package, windows_feature or null").into()),
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

/// Expands `[Property]` references from the session (unknown ones become empty, as MSI's
/// formatted strings do). Hand-written because `Session` has no `MsiFormatRecord`, and only
/// plain property references are needed for folder paths.
pub fn expand(session: &impl Session, text: &str) -> String {
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
                out.push_str(&session.property(&after[..close]).unwrap_or_default());
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

/// Detects one module.
pub fn detect(session: &impl Session, system: &impl System, module: &Module) -> State {
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
            let path = expand(session, path);
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

/// The property holding a module's state: `PREREQ_<ID uppercased>_STATE`.
pub fn state_property(id: &str) -> String {
    format!("PREREQ_{}_STATE", id.to_ascii_uppercase())
}

/// The property holding a module's detail text: `PREREQ_<ID uppercased>_DETAIL`.
pub fn detail_property(id: &str) -> String {
    format!("PREREQ_{}_DETAIL", id.to_ascii_uppercase())
}

/// Detects every module, logs each state and publishes the properties listed in the module
/// docs. Returns each module with its state.
pub fn evaluate_and_publish(
    session: &mut impl Session,
    system: &impl System,
    modules: &[Module],
) -> Vec<(Module, State)> {
    let states: Vec<(Module, State)> = modules.iter().map(|m| (m.clone(), detect(session, system, m))).collect();
    let mut summary = Vec::new();
    let mut missing = Vec::new();
    let mut installable = true;
    for (m, state) in &states {
        session.log(&format!("Prerequisite {} ({}): {} ({})", m.name, m.id, state.word(), state.detail()));
        let _ = session.set_property(&state_property(&m.id), state.word());
        let _ = session.set_property(&detail_property(&m.id), state.detail());
        let line = match (state, &m.install) {
            (State::Present(_), _) => format!("{}: installed", m.name),
            (State::Missing(_), Some(_)) => {
                missing.push(m.name.clone());
                format!("{}: missing, can be installed now", m.name)
            }
            (State::Missing(_), None) => {
                missing.push(m.name.clone());
                installable = false;
                format!("{}: missing, install it before running this installer", m.name)
            }
        };
        summary.push(line);
    }
    let _ = session.set_property("PREREQUISITES_MISSING", &missing.join(", "));
    let _ = session.set_property("PREREQUISITES_SUMMARY", &summary.join("\r\n"));
    let _ =
        session.set_property("PREREQUISITES_INSTALLABLE", if !missing.is_empty() && installable { "1" } else { "" });
    if missing.is_empty() {
        session.log(&format!("Prerequisites: all {} present", states.len()));
    } else {
        session.log(&format!("Prerequisites missing: {}", missing.join(", ")));
    }
    states
}

/// A process to run for one missing module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Full path of the program.
    pub program: String,
    /// Command-line tail, verbatim.
    pub args: String,
}

/// The folder that holds the MSI, with a trailing `\`: from `OriginalDatabase` (the MSI's full
/// path, always set), else `SourceDir`.
pub fn package_folder(session: &impl Session) -> String {
    let original = session.property("OriginalDatabase").unwrap_or_default();
    if let Some(cut) = original.rfind(['\\', '/']) {
        return original[..=cut].to_string();
    }
    let mut source = session.property("SourceDir").unwrap_or_default();
    if !source.is_empty() && !source.ends_with(['\\', '/']) {
        source.push('\\');
    }
    source
}

/// `System64Folder` (with trailing `\`), falling back to the usual location.
fn system_folder(session: &impl Session) -> String {
    let folder = session.property("System64Folder").unwrap_or_default();
    if folder.is_empty() {
        r"C:\Windows\System32\".to_string()
    } else if folder.ends_with('\\') {
        folder
    } else {
        folder + "\\"
    }
}

/// What to run for `installer`: `.exe` directly, `.cmd`/`.bat` through `cmd.exe /d /s /c`,
/// `.msu` through `wusa.exe`, a Windows feature through `dism.exe`.
pub fn plan(session: &impl Session, installer: &Installer) -> Command {
    let system = system_folder(session);
    match installer {
        Installer::Package { file, args } => {
            let path = format!("{}{PACKAGE_DIR}\\{file}", package_folder(session));
            let lower = file.to_ascii_lowercase();
            let tail = if args.is_empty() { String::new() } else { format!(" {args}") };
            if lower.ends_with(".cmd") || lower.ends_with(".bat") {
                // `/s`: cmd strips exactly the outer quotes, so a quoted path with spaces survives
                // (cmd.exe /? on "/S" and quote processing).
                Command { program: format!("{system}cmd.exe"), args: format!("/d /s /c \"\"{path}\"{tail}\"") }
            } else if lower.ends_with(".msu") {
                Command { program: format!("{system}wusa.exe"), args: format!("\"{path}\"{tail}") }
            } else {
                Command { program: path, args: args.clone() }
            }
        }
        Installer::WindowsFeature(feature) => Command {
            program: format!("{system}dism.exe"),
            args: format!("/online /enable-feature /featurename:{feature} /all /quiet /norestart"),
        },
    }
}

/// Why installing the missing modules did not leave every module present.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    /// Missing modules this MSI has no installer for.
    #[error("missing prerequisites that this installer cannot install: {names}; install them first, then run this installer again")]
    NotInstallable {
        /// Comma list of names.
        names: String,
    },
    /// The package file is not beside the MSI.
    #[error("the installer package for {name} was not found at {path}; copy {file} into the prerequisites folder beside the MSI (the release bundle lists it)")]
    PackageMissing {
        /// Module name.
        name: String,
        /// Expected path.
        path: String,
        /// File name.
        file: String,
    },
    /// The installer could not be started.
    #[error("the installer for {name} could not be started ({program}): {source}")]
    Start {
        /// Module name.
        name: String,
        /// Program path.
        program: String,
        /// The failure.
        source: SystemError,
    },
    /// The installer ran and failed.
    #[error("the installer for {name} failed with exit code {code} ({program}); see its own log, fix the cause, and run this installer again")]
    Failed {
        /// Module name.
        name: String,
        /// Program path.
        program: String,
        /// Its exit code.
        code: u32,
    },
    /// The installer reported success but the module is still not detected.
    #[error(
        "the installer for {name} reported success (exit code {code}) but {name} is still not detected ({detail})"
    )]
    StillMissing {
        /// Module name.
        name: String,
        /// The installer's exit code.
        code: u32,
        /// What detection found.
        detail: String,
    },
}

/// What an install run achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallOutcome {
    /// Names of the modules installed.
    pub installed: Vec<String>,
    /// Whether an installer asked for a restart (3010).
    pub reboot: bool,
}

/// Installs every missing module in table order and re-detects each one. Stops at the first
/// failure. Refuses up front (running nothing) when some missing module has no installer.
pub fn install_missing(
    session: &mut impl Session,
    system: &mut impl System,
    states: &[(Module, State)],
) -> Result<InstallOutcome, InstallError> {
    let not_installable: Vec<&str> =
        states.iter().filter(|(m, s)| !s.is_present() && m.install.is_none()).map(|(m, _)| m.name.as_str()).collect();
    if !not_installable.is_empty() {
        return Err(InstallError::NotInstallable { names: not_installable.join(", ") });
    }
    let mut outcome = InstallOutcome::default();
    for (module, state) in states {
        let Some(installer) = module.install.as_ref().filter(|_| !state.is_present()) else {
            continue;
        };
        let command = plan(session, installer);
        if let Installer::Package { file, .. } = installer {
            let path = format!("{}{PACKAGE_DIR}\\{file}", package_folder(session));
            if matches!(system.file_version(&path), Ok(FileProbe::Missing)) {
                return Err(InstallError::PackageMissing { name: module.name.clone(), path, file: file.clone() });
            }
        }
        session
            .log(&format!("Installing prerequisite {}: running \"{}\" {}", module.name, command.program, command.args));
        let code = system.run(&command.program, &command.args).map_err(|source| InstallError::Start {
            name: module.name.clone(),
            program: command.program.clone(),
            source,
        })?;
        match code {
            0 => session.log(&format!("Installer for {} finished (exit code 0)", module.name)),
            EXIT_REBOOT_REQUIRED => {
                session.log(&format!("Installer for {} finished and needs a restart (exit code 3010)", module.name));
                outcome.reboot = true;
            }
            code => return Err(InstallError::Failed { name: module.name.clone(), program: command.program, code }),
        }
        match detect(session, system, module) {
            State::Present(detail) => session.log(&format!("Prerequisite {} is now present ({detail})", module.name)),
            State::Missing(detail) => {
                // A freshly installed module may only show up after the restart it asked for.
                if code == EXIT_REBOOT_REQUIRED {
                    session.log(&format!("Prerequisite {} not yet detected ({detail}); accepted because its installer asked for a restart", module.name));
                } else {
                    return Err(InstallError::StillMissing { name: module.name.clone(), code, detail });
                }
            }
        }
        outcome.installed.push(module.name.clone());
    }
    Ok(outcome)
}

/// Records a restart request: `PREREQUISITES_REBOOT=1` (the `ScheduleReboot` condition), and
/// under `/qn` (`UILevel` 2) with `REBOOT` unset, `REBOOT=ReallySuppress`, so a silent install
/// never restarts the machine and msiexec exits with 3010.
fn request_reboot(session: &mut impl Session) {
    let _ = session.set_property("PREREQUISITES_REBOOT", "1");
    let silent = session.property("UILevel").unwrap_or_default() == "2";
    if silent && session.property("REBOOT").unwrap_or_default().is_empty() {
        let _ = session.set_property("REBOOT", "ReallySuppress");
        session.log("A prerequisite needs a restart; not restarting under /qn (REBOOT=ReallySuppress): msiexec will exit with 3010");
    } else {
        session.log("A prerequisite needs a restart; the installer will ask for it at the end (exit code 3010)");
    }
}

/// `EvaluatePrerequisites`: detect and publish. Fails only when the table cannot be read.
pub fn evaluate_prerequisites(session: &mut impl Session, system: &impl System) -> ActionResult {
    match read_modules(session) {
        Ok(modules) => {
            evaluate_and_publish(session, system, &modules);
            ActionResult::Success
        }
        Err(e) => {
            session.log(&format!("EvaluatePrerequisites: {e}"));
            ActionResult::Failure
        }
    }
}

/// `InstallPrerequisites` (dialog button): install the missing modules, re-detect, publish.
/// Reports a failure in `PREREQUISITES_ERROR` and returns success, so the dialog stays open.
pub fn install_prerequisites(session: &mut impl Session, system: &mut impl System) -> ActionResult {
    let _ = session.set_property("PREREQUISITES_ERROR", "");
    let modules = match read_modules(session) {
        Ok(m) => m,
        Err(e) => {
            session.log(&format!("InstallPrerequisites: {e}"));
            return ActionResult::Failure;
        }
    };
    let states = evaluate_and_publish(session, system, &modules);
    let result = install_missing(session, system, &states);
    evaluate_and_publish(session, system, &modules);
    match result {
        Ok(outcome) => {
            if outcome.reboot {
                request_reboot(session);
            }
        }
        Err(InstallError::Start { name, source: SystemError { code: ERROR_ELEVATION_REQUIRED, .. }, .. }) => {
            // The dialogs run without elevation under UAC; the execute sequence is elevated and
            // installs the modules itself, because the button also set INSTALL_PREREQUISITES=1.
            let text = format!("Installing {name} needs administrator rights: the missing modules will be installed when the installation starts.");
            session.log(&format!("InstallPrerequisites: {text} (CreateProcess error 740)"));
            let _ = session.set_property("PREREQUISITES_ERROR", &text);
        }
        Err(e) => {
            session.log(&format!("InstallPrerequisites: {e}"));
            let _ = session.set_property("PREREQUISITES_ERROR", &e.to_string());
        }
    }
    ActionResult::Success
}

/// `ERROR_ELEVATION_REQUIRED` (winerror.h): CreateProcess of an installer that demands
/// administrator rights from a process that does not have them.
pub const ERROR_ELEVATION_REQUIRED: u32 = 740;

/// `CheckPrerequisites` (execute sequence, before any change): fail with 1603 when modules
/// are missing, unless `INSTALL_PREREQUISITES=1`, in which case they are installed first.
pub fn check_prerequisites(session: &mut impl Session, system: &mut impl System) -> ActionResult {
    let modules = match read_modules(session) {
        Ok(m) => m,
        Err(e) => {
            session.log(&format!("CheckPrerequisites: {e}"));
            return ActionResult::Failure;
        }
    };
    let states = evaluate_and_publish(session, system, &modules);
    let missing: Vec<&str> = states.iter().filter(|(_, s)| !s.is_present()).map(|(m, _)| m.name.as_str()).collect();
    if missing.is_empty() {
        return ActionResult::Success;
    }
    if session.property("INSTALL_PREREQUISITES").unwrap_or_default().trim() != "1" {
        session.log(&format!(
            "CheckPrerequisites: missing prerequisites: {}. Install them first, or run again with INSTALL_PREREQUISITES=1 to let this installer install them (packages are taken from {}{PACKAGE_DIR}\\). Nothing was changed.",
            missing.join(", "),
            package_folder(session)
        ));
        return ActionResult::Failure;
    }
    session.log(&format!("CheckPrerequisites: INSTALL_PREREQUISITES=1, installing: {}", missing.join(", ")));
    let result = install_missing(session, system, &states);
    evaluate_and_publish(session, system, &modules);
    match result {
        Ok(outcome) => {
            if outcome.reboot {
                request_reboot(session);
            }
            ActionResult::Success
        }
        Err(e) => {
            session.log(&format!("CheckPrerequisites: {e}. The product was not installed."));
            ActionResult::Failure
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::session::FakeSession;

    /// What running a program does: its exit code, and the registry value it writes.
    type Script = (u32, Option<((String, String), RegValue)>);

    /// A fake machine: registry and files in maps; `run` looks up a scripted exit code and may
    /// "install" by writing a registry value.
    #[derive(Default)]
    struct FakeSystem {
        registry: BTreeMap<(String, String), RegValue>,
        files: BTreeMap<String, FileProbe>,
        os: Option<Version>,
        /// program path -> (exit code, registry value it writes on success)
        scripts: BTreeMap<String, Script>,
        runs: RefCell<Vec<(String, String)>>,
    }

    impl System for FakeSystem {
        fn registry_value(&self, root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
            assert_eq!(root, Root::LocalMachine);
            if key.contains("Denied") {
                return Err(SystemError { call: "RegGetValueW", code: 5 });
            }
            Ok(self.registry.get(&(key.to_string(), name.to_string())).cloned())
        }
        fn file_version(&self, path: &str) -> Result<FileProbe, SystemError> {
            Ok(self.files.get(path).cloned().unwrap_or(FileProbe::Missing))
        }
        fn os_version(&self) -> Result<Version, SystemError> {
            self.os.clone().ok_or(SystemError { call: "RtlGetVersion", code: 0xC000_0001 })
        }
        fn run(&mut self, program: &str, args: &str) -> Result<u32, SystemError> {
            self.runs.borrow_mut().push((program.to_string(), args.to_string()));
            let Some((code, writes)) = self.scripts.get(program).cloned() else {
                return Err(SystemError { call: "CreateProcessW", code: 2 });
            };
            if let Some((k, v)) = writes {
                self.registry.insert(k, v);
            }
            Ok(code)
        }
    }

    const NETFX_KEY: &str = r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full";
    const VC_KEY: &str = r"SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64";
    const MSI_DIR: &str = r"C:\media\idm\";

    fn row(cells: [&str; 13]) -> Vec<Option<String>> {
        cells.iter().map(|c| if c.is_empty() { None } else { Some(c.to_string()) }).collect()
    }

    /// The default product list, as `wix/target-machine.wxs.tera` writes it (rows deliberately
    /// out of sequence order).
    fn session(props: &[(&str, &str)]) -> FakeSession {
        let mut s = FakeSession::default();
        s.properties.insert("OriginalDatabase".into(), format!("{MSI_DIR}idm-1.0.0-x64.msi"));
        s.properties.insert("System64Folder".into(), r"C:\Windows\system32\".into());
        for (k, v) in props {
            s.properties.insert(k.to_string(), v.to_string());
        }
        let rows = vec![
            row([
                "VCRedist2022x64",
                "3",
                "Visual C++ 2015-2022 Redistributable (x64)",
                "registry",
                "HKLM",
                VC_KEY,
                "Version",
                "",
                "14.30",
                "package",
                "vc_redist.x64.exe",
                "/install /quiet /norestart",
                "",
            ]),
            row([
                "WindowsServer2016",
                "1",
                "Windows Server 2016 or later",
                "windows",
                "",
                "",
                "",
                "",
                "10.0.14393",
                "",
                "",
                "",
                "",
            ]),
            row([
                "NetFx48",
                "2",
                ".NET Framework 4.8",
                "registry",
                "HKLM",
                NETFX_KEY,
                "Release",
                "",
                "528040",
                "package",
                "ndp48.exe",
                "/q /norestart",
                "",
            ]),
        ];
        s.tables.insert(TABLE.into(), (COLUMNS.iter().map(|c| c.to_string()).collect(), rows));
        s
    }

    fn healthy() -> FakeSystem {
        let mut sys = FakeSystem { os: Some(Version(vec![10, 0, 17763])), ..Default::default() };
        sys.registry.insert((NETFX_KEY.into(), "Release".into()), RegValue::Number(528449));
        sys.registry.insert((VC_KEY.into(), "Version".into()), RegValue::Text("v14.38.33130.00".into()));
        sys.files.insert(format!(r"{MSI_DIR}prerequisites\ndp48.exe"), FileProbe::Version(Version(vec![4, 8])));
        sys.files
            .insert(format!(r"{MSI_DIR}prerequisites\vc_redist.x64.exe"), FileProbe::Version(Version(vec![14, 38])));
        sys
    }

    fn vc_installer(sys: &mut FakeSystem, code: u32, writes: bool) {
        let write =
            writes.then(|| ((VC_KEY.to_string(), "Version".to_string()), RegValue::Text("v14.40.33810.00".into())));
        sys.scripts.insert(format!(r"{MSI_DIR}prerequisites\vc_redist.x64.exe"), (code, write));
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
    fn table_rows_are_read_in_sequence_order() {
        let s = session(&[]);
        let modules = read_modules(&s).unwrap();
        let ids: Vec<&str> = modules.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["WindowsServer2016", "NetFx48", "VCRedist2022x64"]);
        assert_eq!(modules[0].install, None);
        assert_eq!(
            modules[2].install,
            Some(Installer::Package { file: "vc_redist.x64.exe".into(), args: "/install /quiet /norestart".into() })
        );
    }

    #[test]
    fn a_bad_row_or_missing_table_names_the_problem() {
        let mut s = session(&[]);
        s.tables.get_mut(TABLE).unwrap().1[0][3] = Some("wmi".into());
        assert!(read_modules(&s).unwrap_err().to_string().contains("column Detect"));
        s.tables.clear();
        let mut sys = healthy();
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(s.log.iter().any(|l| l.contains("cannot read the IdmPrerequisite table")), "{:?}", s.log);
    }

    #[test]
    fn all_present_publishes_states_and_passes() {
        let mut s = session(&[]);
        let mut sys = healthy();
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert_eq!(s.properties["PREREQ_NETFX48_STATE"], "present");
        assert_eq!(s.properties["PREREQ_VCREDIST2022X64_STATE"], "present");
        assert_eq!(s.properties["PREREQ_WINDOWSSERVER2016_STATE"], "present");
        assert!(s.properties["PREREQ_NETFX48_DETAIL"].contains("528449"));
        assert!(!s.properties.contains_key("PREREQUISITES_MISSING"));
        assert!(s.properties["PREREQUISITES_SUMMARY"].contains(".NET Framework 4.8: installed"));
        assert!(sys.runs.borrow().is_empty());
        assert!(s.log.iter().any(|l| l == "Prerequisites: all 3 present"));
    }

    #[test]
    fn missing_too_old_unreadable_and_old_windows_are_missing() {
        let s = session(&[]);
        let modules = read_modules(&s).unwrap();
        let mut sys = healthy();
        sys.os = Some(Version(vec![6, 3, 9600]));
        sys.registry.insert((NETFX_KEY.into(), "Release".into()), RegValue::Number(461814)); // 4.7.2
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        let states: Vec<State> = modules.iter().map(|m| detect(&s, &sys, m)).collect();
        assert_eq!(states[0], State::Missing("found Windows 6.3.9600, need 10.0.14393 or later".into()));
        assert_eq!(
            states[1],
            State::Missing(format!(r"found HKLM\{NETFX_KEY}\Release = 461814, need 528040 or later"))
        );
        assert_eq!(states[2], State::Missing(format!(r"HKLM\{VC_KEY}\Version not found")));
        sys.registry.insert((VC_KEY.into(), "Version".into()), RegValue::Text("unknown".into()));
        assert!(detect(&s, &sys, &modules[2]).detail().contains("not a version"));
        sys.os = None;
        assert!(!detect(&s, &sys, &modules[0]).is_present());
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
            detect(&s, &sys, &denied),
            State::Missing(r"cannot read HKLM\Denied\(Default): RegGetValueW failed with error 5".into())
        );
    }

    #[test]
    fn file_detection_expands_folder_properties() {
        let s = session(&[("System64Folder", r"C:\Windows\system32\")]);
        let mut sys = healthy();
        let module = Module {
            id: "Iis".into(),
            name: "IIS".into(),
            detect: Detection::File { path: r"[System64Folder]inetsrv\w3wp.exe".into(), min: Some(Version(vec![10])) },
            install: Some(Installer::WindowsFeature("IIS-WebServer".into())),
        };
        assert_eq!(detect(&s, &sys, &module), State::Missing(r"C:\Windows\system32\inetsrv\w3wp.exe not found".into()));
        sys.files.insert(r"C:\Windows\system32\inetsrv\w3wp.exe".into(), FileProbe::NoVersion);
        assert!(!detect(&s, &sys, &module).is_present());
        sys.files
            .insert(r"C:\Windows\system32\inetsrv\w3wp.exe".into(), FileProbe::Version(Version(vec![10, 0, 17763, 1])));
        assert!(detect(&s, &sys, &module).is_present());
        assert_eq!(expand(&s, "[NoSuch]x[y z]"), "x[y z]");
    }

    #[test]
    fn silent_without_install_prerequisites_fails_listing_modules_and_runs_nothing() {
        let mut s = session(&[("UILevel", "2")]);
        let mut sys = healthy();
        sys.registry.clear();
        vc_installer(&mut sys, 0, true);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(sys.runs.borrow().is_empty());
        assert_eq!(
            s.properties["PREREQUISITES_MISSING"],
            ".NET Framework 4.8, Visual C++ 2015-2022 Redistributable (x64)"
        );
        let line = s
            .log
            .iter()
            .find(|l| l.starts_with("CheckPrerequisites: missing prerequisites"))
            .expect("the failure line");
        assert!(line.contains(".NET Framework 4.8, Visual C++ 2015-2022 Redistributable (x64)"), "{line}");
        assert!(line.contains("INSTALL_PREREQUISITES=1"), "{line}");
        assert!(line.contains(r"C:\media\idm\prerequisites\"), "{line}");
        assert!(line.contains("Nothing was changed"), "{line}");
    }

    #[test]
    fn install_prerequisites_runs_the_package_and_re_detects() {
        let mut s = session(&[("UILevel", "2"), ("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        vc_installer(&mut sys, 0, true);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert_eq!(
            *sys.runs.borrow(),
            [(r"C:\media\idm\prerequisites\vc_redist.x64.exe".to_string(), "/install /quiet /norestart".to_string())]
        );
        assert_eq!(s.properties["PREREQ_VCREDIST2022X64_STATE"], "present");
        assert!(!s.properties.contains_key("PREREQUISITES_MISSING"));
        assert!(!s.properties.contains_key("PREREQUISITES_REBOOT"));
        assert!(s.log.iter().any(|l| l.contains("is now present")));
    }

    #[test]
    fn exit_3010_requests_a_suppressed_reboot_under_qn() {
        let mut s = session(&[("UILevel", "2"), ("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        vc_installer(&mut sys, 3010, true);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert_eq!(s.properties["PREREQUISITES_REBOOT"], "1");
        assert_eq!(s.properties["REBOOT"], "ReallySuppress");

        // With a UI, the reboot is left to the installer's prompt; an admin's REBOOT is kept.
        let mut s = session(&[("UILevel", "5"), ("INSTALL_PREREQUISITES", "1")]);
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert_eq!(s.properties["PREREQUISITES_REBOOT"], "1");
        assert!(!s.properties.contains_key("REBOOT"));
    }

    #[test]
    fn a_failing_installer_fails_naming_module_and_code() {
        let mut s = session(&[("UILevel", "2"), ("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        vc_installer(&mut sys, 1638, false);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        let line = s.log.last().unwrap();
        assert!(line.contains("Visual C++ 2015-2022 Redistributable (x64) failed with exit code 1638"), "{line}");
        assert_eq!(s.properties["PREREQ_VCREDIST2022X64_STATE"], "missing");
    }

    #[test]
    fn success_without_the_module_appearing_is_a_failure() {
        let mut s = session(&[("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        vc_installer(&mut sys, 0, false);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(s.log.last().unwrap().contains("reported success (exit code 0) but Visual C++"), "{:?}", s.log);
    }

    #[test]
    fn a_package_missing_from_the_bundle_or_not_startable_is_reported() {
        let mut s = session(&[("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        sys.files.remove(r"C:\media\idm\prerequisites\vc_redist.x64.exe");
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(
            s.log.last().unwrap().contains(r"was not found at C:\media\idm\prerequisites\vc_redist.x64.exe"),
            "{:?}",
            s.log
        );
        assert!(sys.runs.borrow().is_empty());

        let mut s = session(&[("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(s.log.last().unwrap().contains("could not be started"), "{:?}", s.log);
    }

    #[test]
    fn a_module_without_installer_blocks_before_anything_runs() {
        let mut s = session(&[("INSTALL_PREREQUISITES", "1")]);
        let mut sys = healthy();
        sys.os = Some(Version(vec![6, 3, 9600]));
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        vc_installer(&mut sys, 0, true);
        assert_eq!(check_prerequisites(&mut s, &mut sys), ActionResult::Failure);
        assert!(sys.runs.borrow().is_empty(), "nothing may run when the plan cannot succeed");
        assert!(s.log.last().unwrap().contains("cannot install: Windows Server 2016 or later"), "{:?}", s.log);
        assert!(!s.properties.contains_key("PREREQUISITES_INSTALLABLE"));
    }

    #[test]
    fn the_dialog_action_reports_errors_in_a_property_and_succeeds() {
        let mut s = session(&[("UILevel", "5")]);
        let mut sys = healthy();
        sys.registry.remove(&(VC_KEY.into(), "Version".into()));
        assert_eq!(evaluate_prerequisites(&mut s, &sys), ActionResult::Success);
        assert_eq!(s.properties["PREREQUISITES_INSTALLABLE"], "1");
        assert_eq!(s.properties["PREREQUISITES_MISSING"], "Visual C++ 2015-2022 Redistributable (x64)");
        assert!(s.properties["PREREQUISITES_SUMMARY"]
            .contains("Visual C++ 2015-2022 Redistributable (x64): missing, can be installed now"));

        vc_installer(&mut sys, 1603, false);
        assert_eq!(install_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert!(s.properties["PREREQUISITES_ERROR"].contains("exit code 1603"));

        vc_installer(&mut sys, 0, true);
        assert_eq!(install_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert!(!s.properties.contains_key("PREREQUISITES_ERROR"));
        assert!(!s.properties.contains_key("PREREQUISITES_MISSING"));
        assert_eq!(s.properties["PREREQ_VCREDIST2022X64_STATE"], "present");
    }

    #[test]
    fn the_dialog_defers_to_the_elevated_sequence_when_elevation_is_needed() {
        struct NeedsElevation(FakeSystem);
        impl System for NeedsElevation {
            fn registry_value(&self, root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
                self.0.registry_value(root, key, name)
            }
            fn file_version(&self, path: &str) -> Result<FileProbe, SystemError> {
                self.0.file_version(path)
            }
            fn os_version(&self) -> Result<Version, SystemError> {
                self.0.os_version()
            }
            fn run(&mut self, _: &str, _: &str) -> Result<u32, SystemError> {
                Err(SystemError { call: "CreateProcessW", code: ERROR_ELEVATION_REQUIRED })
            }
        }
        let mut s = session(&[("UILevel", "5"), ("INSTALL_PREREQUISITES", "1")]);
        let mut sys = NeedsElevation(healthy());
        sys.0.registry.remove(&(VC_KEY.into(), "Version".into()));
        assert_eq!(install_prerequisites(&mut s, &mut sys), ActionResult::Success);
        assert!(s.properties["PREREQUISITES_ERROR"].contains("will be installed when the installation starts"));
    }

    #[test]
    fn commands_for_each_package_kind() {
        let s = session(&[]);
        let cmd = plan(&s, &Installer::Package { file: "test prereq.cmd".into(), args: "/quiet".into() });
        assert_eq!(cmd.program, r"C:\Windows\system32\cmd.exe");
        assert_eq!(cmd.args, r#"/d /s /c ""C:\media\idm\prerequisites\test prereq.cmd" /quiet""#);
        let cmd = plan(&s, &Installer::Package { file: "kb.msu".into(), args: "/quiet /norestart".into() });
        assert_eq!(
            (cmd.program.as_str(), cmd.args.as_str()),
            (r"C:\Windows\system32\wusa.exe", r#""C:\media\idm\prerequisites\kb.msu" /quiet /norestart"#)
        );
        let cmd = plan(&s, &Installer::WindowsFeature("NetFx4".into()));
        assert_eq!(cmd.program, r"C:\Windows\system32\dism.exe");
        assert_eq!(cmd.args, "/online /enable-feature /featurename:NetFx4 /all /quiet /norestart");
        let s = FakeSession::with([("SourceDir", r"D:\share")]);
        assert_eq!(package_folder(&s), r"D:\share\");
    }
}
