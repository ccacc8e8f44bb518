//! Embedded-connector actions: detect the previous configuration, export it, move it aside with rollback (seed steps 2-3).
//!
//! Every action is a function `fn(&mut impl Session) -> ActionResult`, exported from the DLL by
//! a one-line shim in `ffi/connector.rs` and scheduled by `wix/fragments/custom-actions.wxs`:
//!
//! | export (`DllEntry`) | kind | what it does |
//! | --- | --- | --- |
//! | `DetectEmbeddedConnector` | immediate, both sequences | [`detect`] |
//! | `ValidateExportPassword` | immediate, UI `DoAction` | [`validate_export_password`] |
//! | `ExportEmbeddedConnector` | immediate, UI `DoAction` | [`export_from_ui`] |
//! | `ApplyEmbeddedConnectorAction` | immediate, execute sequence | [`apply_action`]: the silent-install contract |
//! | `MoveEmbeddedConnector` | deferred, no impersonation | [`backup::move_aside`] |
//! | `RestoreEmbeddedConnector` | rollback | [`backup::restore`] |
//! | `DeleteEmbeddedConnectorBackup` | commit | [`backup::delete_backup`] |
//!
//! No function here ever formats `EXPORT_PASSWORD` (or its confirmation) into a log line, a
//! property or an error; the tests assert that over every log line.

pub mod backup;

use std::path::{Path, PathBuf};

use crate::enc::{self, EncError, ExportMeta, KdfParams};
use crate::session::{ActionResult, Mode, Session, SessionError};

pub use crate::properties::{
    COMPUTER_NAME, EMBEDDED_CONNECTOR_ACTION as ACTION, EMBEDDED_CONNECTOR_BACKUP as BACKUP_PROPERTY,
    EMBEDDED_CONNECTOR_FILES as FILES, EMBEDDED_CONNECTOR_FOUND as FOUND, EMBEDDED_CONNECTOR_PATHS as PATHS,
    EXPORT_ERROR as ERROR, EXPORT_FILE as FILE, EXPORT_FOLDER, EXPORT_PASSWORD as PASSWORD,
    EXPORT_PASSWORD_CONFIRM as PASSWORD_CONFIRM, EXPORT_PASSWORD_VALID as PASSWORD_VALID, EXPORT_RESULT as RESULT,
    IDM_CLUSTER_NAME as CLUSTER_NAME, IDM_DOMAIN_NAME as DOMAIN_NAME, IDM_PREVIOUS_VERSION as PREVIOUS_VERSION,
    INSTALLFOLDER, PRODUCTDIR, UI_LEVEL, WIX_UPGRADE_DETECTED as UPGRADE_DETECTED,
};

/// Name of the product folder under `INSTALLFOLDER` (docs/architecture.md, directory ids).
pub const PRODUCT_FOLDER_NAME: &str = "VMwareIdentityManager";
/// Cluster part of the file name when [`CLUSTER_NAME`] is not set.
pub const DEFAULT_CLUSTER: &str = "cluster";
/// Name of the backup folder created in the product folder (a suffix is added if taken).
pub const BACKUP_FOLDER_NAME: &str = "embedded-connector-backup";

/// Why an embedded-connector action cannot proceed. The messages name what and where and never
/// contain a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The installer session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// An `EMBEDDED_CONNECTOR_PATHS` entry is not a plain relative path.
    #[error("EMBEDDED_CONNECTOR_PATHS entry {entry:?} is not a plain relative path under the product folder ({reason}); fix `embedded_connector` paths in wix/product.toml")]
    BadPath {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Neither `PRODUCTDIR` nor `INSTALLFOLDER` is set.
    #[error("neither PRODUCTDIR nor INSTALLFOLDER is set, so the product folder is unknown")]
    NoProductDir,
    /// Reading the configuration folder failed.
    #[error("{path}: cannot {op}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Writing or verifying the package failed.
    #[error(transparent)]
    Enc(#[from] EncError),
    /// The machine's domain (for the package name) cannot be read.
    #[error("{0}; set IDM_DOMAIN_NAME to name the domain in the package file name")]
    MachineDomain(String),
}

/// What the admin chose for a found configuration (`EMBEDDED_CONNECTOR_ACTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// `discard`: upgrade; the configuration is removed (kept in a backup until commit).
    Discard,
    /// `export`: export, verify, then stop with 1602.
    Export,
    /// `export-continue`: export, verify, then upgrade as for `discard`.
    ExportContinue,
}

impl Choice {
    /// The accepted property values, for messages.
    pub const VALUES: &'static str = "discard, export, export-continue";

    /// Parses a property value (exact, lower case, surrounding spaces ignored).
    pub fn parse(value: &str) -> Option<Choice> {
        match value.trim() {
            "discard" => Some(Choice::Discard),
            "export" => Some(Choice::Export),
            "export-continue" => Some(Choice::ExportContinue),
            _ => None,
        }
    }
}

/// Where the configuration lives and what the product configures as its paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The product folder (`PRODUCTDIR`).
    pub product_dir: PathBuf,
    /// The configured relative paths, as given (separators normalised when joined).
    pub relative: Vec<String>,
}

impl Layout {
    /// Reads the product folder and `EMBEDDED_CONNECTOR_PATHS` from the session.
    ///
    /// The product folder is `PRODUCTDIR` once `CostFinalize` has resolved it (or when set on
    /// the command line). Before that (the UI sequence shows the prompt before costing ends) it
    /// is resolved the way `CostFinalize` would: walking the `Directory` table up from
    /// `PRODUCTDIR` until a directory whose property is set (`INSTALLFOLDER` from the command
    /// line or a search, `ProgramFiles64Folder`), appending each `DefaultDir` target name. When
    /// the table cannot be read, `INSTALLFOLDER` + `VMwareIdentityManager` is used.
    pub fn from_session(session: &impl Session) -> Result<Layout, ConnectorError> {
        let product_dir = match session.property(PRODUCTDIR)? {
            dir if !dir.is_empty() => PathBuf::from(dir),
            _ => match resolve_directory(session, PRODUCTDIR) {
                Some(dir) => dir,
                None => match session.property(INSTALLFOLDER)? {
                    dir if !dir.is_empty() => PathBuf::from(dir).join(PRODUCT_FOLDER_NAME),
                    _ => return Err(ConnectorError::NoProductDir),
                },
            },
        };
        Ok(Layout { product_dir, relative: parse_paths(&session.property(PATHS)?)? })
    }

    /// The full path of one configured entry.
    pub fn full(&self, relative: &str) -> PathBuf {
        join_relative(&self.product_dir, relative)
    }

    /// The configured entries that exist, with their regular-file counts.
    pub fn existing(&self) -> Result<Vec<(String, usize)>, ConnectorError> {
        let mut found = Vec::new();
        for rel in &self.relative {
            let full = self.full(rel);
            if std::fs::symlink_metadata(&full).is_ok() {
                found.push((rel.clone(), count_files(&full)?));
            }
        }
        Ok(found)
    }
}

/// Resolves a directory id to a path through the `Directory` table, as `CostFinalize` does for
/// target paths (MSI SDK "Directory Table", `DefaultDir`: `[short|]long[:source]`, `.` = the
/// parent itself): the first ancestor (or the directory itself) whose property is set gives the
/// base. `None` when the table cannot be read or no ancestor has a value.
pub fn resolve_directory(session: &impl Session, id: &str) -> Option<PathBuf> {
    let rows = session.table("Directory", &["Directory", "Directory_Parent", "DefaultDir"]).ok()?;
    let mut names = Vec::new();
    let mut current = id.to_owned();
    // A directory tree deeper than this is a malformed table (or a cycle).
    for _ in 0..64 {
        if let Ok(value) = session.property(&current) {
            if !value.is_empty() {
                let mut path = PathBuf::from(value);
                for name in names.iter().rev() {
                    path.push(name);
                }
                return Some(path);
            }
        }
        let row = rows.iter().find(|r| r.first().and_then(|c| c.as_deref()) == Some(current.as_str()))?;
        let parent = row.get(1).cloned().flatten().filter(|p| !p.is_empty() && *p != current)?;
        let default_dir = row.get(2).cloned().flatten().unwrap_or_default();
        let target = default_dir.split(':').next().unwrap_or_default();
        let long = target.rsplit('|').next().unwrap_or_default();
        if !long.is_empty() && long != "." {
            names.push(long.to_owned());
        }
        current = parent;
    }
    None
}

/// Splits `EMBEDDED_CONNECTOR_PATHS`, refusing absolute paths, drive letters and `..` so that
/// nothing outside the product folder is ever exported or moved.
pub fn parse_paths(value: &str) -> Result<Vec<String>, ConnectorError> {
    let mut out = Vec::new();
    for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        // The same function `dist` validates `embedded_connector.paths` with (issue 14 finding 7).
        let parts = path_rules::check_relative_path(entry, path_rules::Separators::Either)
            .map_err(|e| ConnectorError::BadPath { entry: entry.to_owned(), reason: e.reason })?;
        out.push(parts.join("/"));
    }
    Ok(out)
}

/// `base` joined with a relative path written with either separator.
pub(crate) fn join_relative(base: &Path, relative: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    for part in relative.split(['/', '\\']).filter(|p| !p.is_empty()) {
        path.push(part);
    }
    path
}

/// Regular files under `path` (1 for a file), not following symbolic links.
fn count_files(path: &Path) -> Result<usize, ConnectorError> {
    let io = |op, source| ConnectorError::Io { path: path.to_owned(), op, source };
    let meta = std::fs::symlink_metadata(path).map_err(|e| io("read the attributes of", e))?;
    if !meta.is_dir() {
        return Ok(usize::from(meta.is_file()));
    }
    let mut count = 0;
    for entry in std::fs::read_dir(path).map_err(|e| io("list", e))? {
        let entry = entry.map_err(|e| io("list", e))?;
        count += count_files(&entry.path())?;
    }
    Ok(count)
}

/// Logs `error` prefixed with the action name and turns it into 1603.
fn fail(session: &mut impl Session, action: &str, error: &dyn std::fmt::Display) -> ActionResult {
    session.log(&format!("{action}: {error}"));
    ActionResult::Failure
}

/// **DetectEmbeddedConnector** (immediate; InstallUISequence and InstallExecuteSequence, after
/// `CostFinalize` so `PRODUCTDIR` is resolved).
///
/// Looks for each `EMBEDDED_CONNECTOR_PATHS` entry under the product folder; when any exists
/// sets `EMBEDDED_CONNECTOR_FOUND=1` and `EMBEDDED_CONNECTOR_FILES=<regular files>`, otherwise
/// clears both. Logs the paths it found (never their contents). Fails (1603) only on a bad
/// product configuration or an unreadable folder.
pub fn detect(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "DetectEmbeddedConnector";
    match try_detect(session) {
        Ok(()) => ActionResult::Success,
        Err(e) => fail(session, NAME, &e),
    }
}

fn try_detect(session: &mut impl Session) -> Result<(), ConnectorError> {
    const NAME: &str = "DetectEmbeddedConnector";
    session.set_property(FOUND, "")?;
    session.set_property(FILES, "")?;
    let layout = match Layout::from_session(session) {
        Err(ConnectorError::NoProductDir) => {
            session.log(&format!("{NAME}: PRODUCTDIR and INSTALLFOLDER are not set; nothing to detect"));
            return Ok(());
        }
        other => other?,
    };
    if layout.relative.is_empty() {
        session.log(&format!("{NAME}: EMBEDDED_CONNECTOR_PATHS is empty; nothing to detect"));
        return Ok(());
    }
    let found = layout.existing()?;
    if found.is_empty() {
        session.log(&format!(
            "{NAME}: no embedded-connector configuration under {} (looked for: {})",
            layout.product_dir.display(),
            layout.relative.join(", ")
        ));
        return Ok(());
    }
    let files: usize = found.iter().map(|(_, n)| n).sum();
    for (rel, n) in &found {
        session.log(&format!("{NAME}: found {} ({n} file(s))", layout.full(rel).display()));
    }
    session.log(&format!("{NAME}: embedded-connector configuration found: {files} files in {} paths", found.len()));
    session.set_property(FOUND, "1")?;
    session.set_property(FILES, &files.to_string())?;
    Ok(())
}

/// Why a password pair from the dialog is not acceptable, if it is not.
fn password_problem(password: &str, confirm: Option<&str>) -> Option<String> {
    if password.chars().count() < enc::MIN_PASSWORD_LEN {
        return Some(format!("the password is too short: at least {} characters are required", enc::MIN_PASSWORD_LEN));
    }
    if confirm.is_some_and(|c| c != password) {
        return Some("the password and its confirmation do not match".to_owned());
    }
    None
}

/// **ValidateExportPassword** (immediate; `DoAction` from the password dialog).
///
/// Sets `EXPORT_PASSWORD_VALID=1` when `EXPORT_PASSWORD` has at least 8 characters and equals
/// `EXPORT_PASSWORD_CONFIRM`; otherwise clears it and puts the reason in `EXPORT_ERROR`.
/// Always returns success, so the dialog can show the reason.
pub fn validate_export_password(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "ValidateExportPassword";
    let result = (|| -> Result<(), SessionError> {
        let password = zeroize::Zeroizing::new(session.property(PASSWORD)?);
        let confirm = zeroize::Zeroizing::new(session.property(PASSWORD_CONFIRM)?);
        match password_problem(&password, Some(&confirm)) {
            None => {
                session.set_property(PASSWORD_VALID, "1")?;
                session.set_property(ERROR, "")?;
                session.log(&format!("{NAME}: the password is acceptable"));
            }
            Some(problem) => {
                session.set_property(PASSWORD_VALID, "")?;
                session.set_property(ERROR, &problem)?;
                session.log(&format!("{NAME}: {problem}"));
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => ActionResult::Success,
        Err(e) => fail(session, NAME, &e),
    }
}

/// Options of the export, fixed in production and replaced in tests.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Argon2id cost; [`KdfParams::DEFAULT`] in the DLL.
    pub kdf: KdfParams,
    /// Where the domain part of the package name comes from when `IDM_DOMAIN_NAME` is not
    /// given: [`crate::machine::dns_domain`] in the DLL (the computer's, the same for the admin's
    /// UI run and a SYSTEM run), a fixed answer in tests.
    pub machine_domain: fn() -> Result<String, String>,
}

impl ExportOptions {
    /// What the DLL uses: the documented default KDF cost, the machine's DNS domain.
    pub const PRODUCTION: ExportOptions =
        ExportOptions { kdf: KdfParams::DEFAULT, machine_domain: crate::machine::dns_domain };
}

/// The names that go into the package's manifest and file name, from session properties:
/// cluster = `IDM_CLUSTER_NAME` (else `cluster`), host = `ComputerName`, domain =
/// `IDM_DOMAIN_NAME`, else the machine's DNS domain (`options.machine_domain`; a failure to read
/// it is an error naming the call, never a guess), source version = `IDM_PREVIOUS_VERSION`, else the installed version of the first product in
/// `WIX_UPGRADE_DETECTED`, else `unknown`. Unsafe characters are replaced when the file name is
/// made (`enc::package_file_name`).
pub fn export_meta(session: &impl Session, options: ExportOptions) -> Result<ExportMeta, ConnectorError> {
    let or = |value: String, default: &str| {
        if value.trim().is_empty() {
            default.to_owned()
        } else {
            value.trim().to_owned()
        }
    };
    let mut previous = session.property(PREVIOUS_VERSION)?;
    if previous.trim().is_empty() {
        let upgrading = session.property(UPGRADE_DETECTED)?;
        if let Some(code) = upgrading.split(';').map(str::trim).find(|c| !c.is_empty()) {
            previous = session.product_version(code).unwrap_or_default();
        }
    }
    Ok(ExportMeta {
        cluster: or(session.property(CLUSTER_NAME)?, DEFAULT_CLUSTER),
        host: or(session.property(COMPUTER_NAME)?, "unknown"),
        domain: match session.property(DOMAIN_NAME)? {
            given if !given.trim().is_empty() => given.trim().to_owned(),
            _ => (options.machine_domain)().map_err(ConnectorError::MachineDomain)?,
        },
        source_version: or(previous, "unknown"),
        created: time::OffsetDateTime::now_utc(),
    })
}

/// Exports the configuration of `layout` with `password`, then verifies the written package by
/// decrypting it again; returns the package path. The folder is `EXPORT_FOLDER` or the product
/// folder. Nothing in the product folder is changed; on error no package is left behind.
fn export_configuration(
    session: &mut impl Session,
    action: &str,
    layout: &Layout,
    password: &str,
    options: ExportOptions,
) -> Result<PathBuf, ConnectorError> {
    let found: Vec<PathBuf> = layout.existing()?.into_iter().map(|(rel, _)| PathBuf::from(rel)).collect();
    let out_dir = match session.property(EXPORT_FOLDER)? {
        dir if !dir.trim().is_empty() => PathBuf::from(dir.trim()),
        _ => layout.product_dir.clone(),
    };
    let meta = export_meta(session, options)?;
    session.log(&format!(
        "{action}: exporting {} paths from {} to a package in {}",
        found.len(),
        layout.product_dir.display(),
        out_dir.display()
    ));
    let path = enc::export(&layout.product_dir, &found, &meta, password, &out_dir, options.kdf)?;
    // `export` already read the package back before renaming it; this second, independent
    // check opens the final file exactly as the admin's tool will.
    if let Err(e) = enc::verify(&path, password, &enc::ReadLimits::DEFAULT.accepting(options.kdf)) {
        // Keep nothing unverified: the configuration itself is untouched.
        if let Err(remove) = std::fs::remove_file(&path) {
            session.log(&format!(
                "{action}: cannot remove the unverified package {}: {remove}; delete it by hand",
                path.display()
            ));
        }
        return Err(e.into());
    }
    session.log(&format!("{action}: wrote and verified {}", path.display()));
    Ok(path)
}

/// What to do about a failed export, for the log.
fn fix_hint(error: &ConnectorError) -> &'static str {
    match error {
        ConnectorError::Enc(EncError::Io { .. }) | ConnectorError::Io { .. } => {
            " (check that the folder exists and is writable: run the installer elevated, or set EXPORT_FOLDER to a writable folder)"
        }
        ConnectorError::Enc(EncError::Exists { .. }) => " (wait a second and run again, or move the existing file away)",
        _ => "",
    }
}

/// **ExportEmbeddedConnector** (immediate; `DoAction` from the password dialog).
///
/// Checks the password pair like [`validate_export_password`], exports the configuration to
/// `<cluster>-<host>-<domain>-conn-<UTC timestamp>.enc` in the product folder (or
/// `EXPORT_FOLDER`), verifies it, and sets `EXPORT_RESULT=ok` and `EXPORT_FILE=<full path>`.
/// On any problem sets `EXPORT_RESULT` and `EXPORT_ERROR` to the reason and clears
/// `EXPORT_FILE`. Always returns success (a failing `DoAction` would end the whole UI); the
/// dialog branches on `EXPORT_RESULT`.
pub fn export_from_ui(session: &mut impl Session) -> ActionResult {
    export_from_ui_with(session, ExportOptions::PRODUCTION)
}

/// [`export_from_ui`] with explicit options (tests use a cheap KDF).
pub fn export_from_ui_with(session: &mut impl Session, options: ExportOptions) -> ActionResult {
    const NAME: &str = "ExportEmbeddedConnector";
    let outcome = (|| -> Result<Result<PathBuf, String>, SessionError> {
        let password = zeroize::Zeroizing::new(session.property(PASSWORD)?);
        let confirm = zeroize::Zeroizing::new(session.property(PASSWORD_CONFIRM)?);
        if let Some(problem) = password_problem(&password, Some(&confirm)) {
            return Ok(Err(problem));
        }
        let layout = match Layout::from_session(session) {
            Ok(layout) => layout,
            Err(ConnectorError::Session(e)) => return Err(e),
            Err(e) => return Ok(Err(e.to_string())),
        };
        Ok(export_configuration(session, NAME, &layout, &password, options).map_err(|e| e.to_string()))
    })();
    let done = match outcome {
        Ok(Ok(path)) => {
            let path = path.display().to_string();
            session
                .set_property(RESULT, "ok")
                .and_then(|()| session.set_property(ERROR, ""))
                .and_then(|()| session.set_property(FILE, &path))
        }
        Ok(Err(problem)) => {
            session.log(&format!("{NAME}: export failed: {problem}; the configuration was not changed"));
            session
                .set_property(RESULT, &problem)
                .and_then(|()| session.set_property(ERROR, &problem))
                .and_then(|()| session.set_property(FILE, ""))
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => ActionResult::Success,
        Err(e) => fail(session, NAME, &e),
    }
}

/// **ApplyEmbeddedConnectorAction** (immediate; InstallExecuteSequence after
/// `DetectEmbeddedConnector`, before `InstallValidate`, so nothing has changed yet).
///
/// The silent-install contract (docs/silent-install.md). With no configuration found: `export` stops with
/// 1602 (nothing to export, nothing changed), anything else continues. With a configuration:
/// - empty: 1603, logging which property to set; nothing changed. (The dialogs set `discard`
///   when the admin answers Yes, so an empty value here means nobody decided.)
/// - an unknown value: 1603 naming the valid values.
/// - `discard`: continue; picks the backup folder for the deferred move.
/// - `export`: export with `EXPORT_PASSWORD`, verify, then 1602.
/// - `export-continue`: export, verify, then continue as for `discard`.
///
/// A password shorter than 8 characters or a failed export is 1603 and nothing is changed.
pub fn apply_action(session: &mut impl Session) -> ActionResult {
    apply_action_with(session, ExportOptions::PRODUCTION)
}

/// [`apply_action`] with explicit options (tests use a cheap KDF).
pub fn apply_action_with(session: &mut impl Session, options: ExportOptions) -> ActionResult {
    const NAME: &str = "ApplyEmbeddedConnectorAction";
    match try_apply_action(session, options) {
        Ok(result) => result,
        Err(e) => fail(session, NAME, &format!("{e}; nothing was changed")),
    }
}

fn try_apply_action(session: &mut impl Session, options: ExportOptions) -> Result<ActionResult, ConnectorError> {
    const NAME: &str = "ApplyEmbeddedConnectorAction";
    session.set_property(BACKUP_PROPERTY, "")?;
    let raw = session.property(ACTION)?;
    let choice = match raw.trim() {
        "" => None,
        value => match Choice::parse(value) {
            Some(choice) => Some(choice),
            None => {
                session.log(&format!(
                    "{NAME}: EMBEDDED_CONNECTOR_ACTION={value:?} is not valid; use one of: {}; nothing was changed",
                    Choice::VALUES
                ));
                return Ok(ActionResult::Failure);
            }
        },
    };
    let layout = Layout::from_session(session)?;
    for stale in backup::stale_backups(&layout.product_dir) {
        session.log(&format!(
            "{NAME}: warning: {} is left from an earlier run that stopped before it finished; it is kept untouched (it may be the only copy of a configuration). Compare it with the configuration and delete it by hand",
            stale.display()
        ));
    }
    let found = layout.existing()?;
    if found.is_empty() {
        if choice == Some(Choice::Export) {
            session.log(&format!(
                "{NAME}: EMBEDDED_CONNECTOR_ACTION=export, but there is no embedded-connector configuration under {}; nothing exported, nothing changed; stopping (1602). Run again without EMBEDDED_CONNECTOR_ACTION to upgrade",
                layout.product_dir.display()
            ));
            return Ok(ActionResult::UserExit);
        }
        session.log(&format!("{NAME}: no embedded-connector configuration; nothing to do"));
        return Ok(ActionResult::Success);
    }
    let files: usize = found.iter().map(|(_, n)| n).sum();
    let Some(choice) = choice else {
        let ui_level = session.property(UI_LEVEL)?;
        session.log(&format!(
            "{NAME}: an embedded-connector configuration was found ({files} files under {}) and EMBEDDED_CONNECTOR_ACTION is not set (UILevel={ui_level}). \
             Set EMBEDDED_CONNECTOR_ACTION=discard|export|export-continue (export and export-continue also need EXPORT_PASSWORD, at least {} characters) and run again; nothing was changed",
            layout.product_dir.display(),
            enc::MIN_PASSWORD_LEN
        ));
        return Ok(ActionResult::Failure);
    };
    // The move is undone only by its rollback action: with rollback disabled a failed upgrade
    // would lose the configuration. Asked here, in an immediate action, because a deferred one
    // gets FALSE for MSIRUNMODE_ROLLBACKENABLED on Windows whatever the truth ("Obtaining Context
    // Information for Deferred Execution Custom Actions").
    if matches!(choice, Choice::Discard | Choice::ExportContinue) && !session.mode(Mode::RollbackEnabled) {
        session.log(&format!(
            "{NAME}: Windows Installer rollback is disabled (the RollbackDisabled property or the DisableRollback policy), so a failed upgrade could not put the embedded-connector configuration back; refusing to remove it. Enable rollback and run again; nothing was changed"
        ));
        return Ok(ActionResult::Failure);
    }
    if matches!(choice, Choice::Export | Choice::ExportContinue) {
        let password = zeroize::Zeroizing::new(session.property(PASSWORD)?);
        if password.is_empty() {
            session.log(&format!(
                "{NAME}: EMBEDDED_CONNECTOR_ACTION={} needs EXPORT_PASSWORD (at least {} characters); it is not set; nothing was changed",
                raw.trim(),
                enc::MIN_PASSWORD_LEN
            ));
            return Ok(ActionResult::Failure);
        }
        if let Some(problem) = password_problem(&password, None) {
            session.log(&format!("{NAME}: EXPORT_PASSWORD: {problem}; nothing was changed"));
            return Ok(ActionResult::Failure);
        }
        let path = match export_configuration(session, NAME, &layout, &password, options) {
            Ok(path) => path,
            Err(e) => {
                session.log(&format!("{NAME}: export failed: {e}{}; nothing was changed", fix_hint(&e)));
                return Ok(ActionResult::Failure);
            }
        };
        session.set_property(FILE, &path.display().to_string())?;
        if choice == Choice::Export {
            session.log(&format!(
                "{NAME}: exported the embedded-connector configuration to {}; stopping on purpose (1602) as EMBEDDED_CONNECTOR_ACTION=export asks; nothing else was changed. Run again with EMBEDDED_CONNECTOR_ACTION=discard to upgrade",
                path.display()
            ));
            return Ok(ActionResult::UserExit);
        }
    }
    let backup = backup::choose_backup_dir(&layout.product_dir);
    session.set_property(BACKUP_PROPERTY, &backup.display().to_string())?;
    session.log(&format!(
        "{NAME}: EMBEDDED_CONNECTOR_ACTION={}: the configuration ({files} files) will be moved to {} by the installation script, put back if the upgrade fails, and deleted when it succeeds",
        raw.trim(),
        backup.display()
    ));
    Ok(ActionResult::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_paths_normalises_and_refuses_escapes() {
        assert_eq!(parse_paths(" conf\\connector ; a/b ;;").unwrap(), vec!["conf/connector", "a/b"]);
        assert!(parse_paths("").unwrap().is_empty());
        // The build-time rules (path_rules, issue 14 finding 7): `.` components, trailing
        // separators, device names and names Windows would rename are refused, not normalised.
        for bad in ["..\\x", "a/../../b", "C:\\x", "\\\\server\\share", "/etc", ".", "./", "./a/b/", "conf/NUL", "a."] {
            assert!(matches!(parse_paths(bad), Err(ConnectorError::BadPath { .. })), "{bad}");
        }
    }

    #[test]
    fn choice_values() {
        assert_eq!(Choice::parse("discard"), Some(Choice::Discard));
        assert_eq!(Choice::parse(" export "), Some(Choice::Export));
        assert_eq!(Choice::parse("export-continue"), Some(Choice::ExportContinue));
        assert_eq!(Choice::parse("Export"), None);
        assert_eq!(Choice::parse("yes"), None);
    }

    #[test]
    fn password_problems() {
        assert!(password_problem("1234567", None).unwrap().contains("too short"));
        assert!(password_problem("12345678", Some("12345679")).unwrap().contains("do not match"));
        assert_eq!(password_problem("12345678", Some("12345678")), None);
        assert_eq!(password_problem("ääääääää", None), None);
    }

    fn with_directory_table(props: &[(&str, &str)]) -> crate::fakes::FakeSession {
        let mut s = crate::fakes::FakeSession::default();
        for (k, v) in props {
            s.properties.insert(k.to_string(), v.to_string());
        }
        s.with_directory_table(&[
            ("TARGETDIR", None, "SourceDir"),
            ("ProgramFiles64Folder", Some("TARGETDIR"), "PFiles"),
            ("INSTALLFOLDER", Some("ProgramFiles64Folder"), "VMware"),
            ("PRODUCTDIR", Some("INSTALLFOLDER"), "VMWARE~1|VMwareIdentityManager"),
            ("SUPPORTDIR", Some("PRODUCTDIR"), "support"),
        ])
    }

    #[test]
    fn directory_table_resolves_before_costfinalize() {
        let s = with_directory_table(&[("ProgramFiles64Folder", "/pf")]);
        assert_eq!(resolve_directory(&s, PRODUCTDIR), Some(PathBuf::from("/pf/VMware/VMwareIdentityManager")));
        assert_eq!(
            resolve_directory(&s, "SUPPORTDIR"),
            Some(PathBuf::from("/pf/VMware/VMwareIdentityManager/support"))
        );
        // A command-line INSTALLFOLDER wins over the default below ProgramFiles64Folder.
        let s = with_directory_table(&[("ProgramFiles64Folder", "/pf"), (INSTALLFOLDER, "/d/idm")]);
        assert_eq!(Layout::from_session(&s).unwrap().product_dir, PathBuf::from("/d/idm/VMwareIdentityManager"));
        // Nothing set anywhere up the tree: unresolved.
        let s = with_directory_table(&[]);
        assert_eq!(resolve_directory(&s, PRODUCTDIR), None);
        assert!(matches!(Layout::from_session(&s), Err(ConnectorError::NoProductDir)));
    }

    #[test]
    fn layout_falls_back_to_install_folder() {
        let s = crate::fakes::FakeSession::with([(INSTALLFOLDER, "/opt/vmware")]);
        let layout = Layout::from_session(&s).unwrap();
        assert_eq!(layout.product_dir, Path::new("/opt/vmware").join(PRODUCT_FOLDER_NAME));
        let s = crate::fakes::FakeSession::with([(INSTALLFOLDER, "/opt"), (PRODUCTDIR, "/srv/p")]);
        assert_eq!(Layout::from_session(&s).unwrap().product_dir, Path::new("/srv/p"));
    }
}
