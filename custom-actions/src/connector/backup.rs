//! Removing the configuration during the upgrade without losing it: a deferred move into a
//! backup folder, a rollback action that puts back what is missing or differs, a commit action
//! that deletes the backup. All three run in the installation script as LocalSystem
//! (`Impersonate="no"`), so they can write under Program Files whoever started msiexec.
//!
//! Why the move alone is enough: `<MajorUpgrade Schedule="afterInstallExecute">` (wix/main.wxs.tera)
//! removes the previous product only after this package's script ran, inside the same
//! transaction, so when [`move_aside`] runs every configuration file, whether the old product's
//! components own it or the service wrote it, is still in place. (With the old
//! `afterInstallValidate` the old uninstall had deleted the owned files before any script action
//! ran, and an immediate copy under the admin's possibly UAC-filtered token was needed; it is
//! gone, see docs/windows-behaviour.md.)
//!
//! The three actions get the same `CustomActionData`, set by type-51 actions in
//! `wix/fragments/custom-actions.wxs`: `<product folder>|<backup folder>|<relative paths>`,
//! where the relative paths are `EMBEDDED_CONNECTOR_PATHS` (`;`-separated). `|` cannot occur
//! in a Windows path, so it separates the fields unambiguously. The backup folder sits inside
//! the product folder, so every move is a rename on one volume.
//!
//! A backup folder left by an earlier run that was killed before its rollback or commit ran is
//! never reused or deleted: [`choose_backup_dir`] picks a fresh name, and
//! `ApplyEmbeddedConnectorAction` logs the stale folders it finds ([`stale_backups`]), since one
//! may hold the only copy of a configuration.

use std::path::{Path, PathBuf};

use std::io::Read;

use super::{join_relative, parse_paths, ConnectorError};
use crate::session::{ActionResult, Commit, Deferred, Rollback, ScriptSession};

/// The parsed `CustomActionData` of the three backup actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupData {
    /// The product folder holding the configuration.
    pub product_dir: PathBuf,
    /// Where the configuration is kept until commit.
    pub backup_dir: PathBuf,
    /// The configured relative paths.
    pub relative: Vec<String>,
}

/// Malformed `CustomActionData`.
#[derive(Debug, thiserror::Error)]
#[error("CustomActionData is malformed ({reason}); expected `<product folder>|<backup folder>|<paths>` as set by the *Data actions in wix/fragments/custom-actions.wxs")]
pub struct BadData {
    reason: String,
}

impl BackupData {
    /// Formats the data as the type-51 actions do (used by tests and documentation).
    pub fn to_custom_action_data(&self) -> String {
        format!("{}|{}|{}", self.product_dir.display(), self.backup_dir.display(), self.relative.join(";"))
    }

    /// Parses `CustomActionData`.
    pub fn parse(data: &str) -> Result<BackupData, BadData> {
        let bad = |reason: &str| BadData { reason: reason.to_owned() };
        let mut fields = data.splitn(3, '|');
        let (Some(product), Some(backup), Some(paths)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(bad("fewer than three `|`-separated fields"));
        };
        if product.trim().is_empty() || backup.trim().is_empty() {
            return Err(bad("the product or backup folder is empty"));
        }
        let relative = parse_paths(paths).map_err(|e| BadData { reason: e.to_string() })?;
        Ok(BackupData {
            product_dir: PathBuf::from(product.trim()),
            backup_dir: PathBuf::from(backup.trim()),
            relative,
        })
    }
}

/// The first of `embedded-connector-backup`, `embedded-connector-backup-2`, ... that does not
/// exist in `product_dir`, so a backup left by an interrupted earlier run is never mixed in.
pub fn choose_backup_dir(product_dir: &Path) -> PathBuf {
    let mut n = 1u32;
    loop {
        let name = match n {
            1 => super::BACKUP_FOLDER_NAME.to_owned(),
            n => format!("{}-{n}", super::BACKUP_FOLDER_NAME),
        };
        let candidate = product_dir.join(name);
        if std::fs::symlink_metadata(&candidate).is_err() {
            return candidate;
        }
        n += 1;
    }
}

/// The backup folders (`embedded-connector-backup*`) already in `product_dir`, sorted: left by
/// an earlier run that was killed during its script (or whose commit could not delete them). Never touched automatically: one may be the only copy of a configuration.
pub fn stale_backups(product_dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(product_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(super::BACKUP_FOLDER_NAME))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

fn read_data(session: &mut impl ScriptSession, action: &str) -> Option<BackupData> {
    let data = match session.custom_action_data() {
        Ok(data) => data,
        Err(e) => {
            session.log(&format!("{action}: {e}"));
            return None;
        }
    };
    match BackupData::parse(&data) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            session.log(&format!("{action}: {e}"));
            None
        }
    }
}

fn io<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(std::io::Error) -> ConnectorError + 'a {
    move |source| ConnectorError::Io { path: path.to_owned(), op, source }
}

/// An `Io` error for a condition that is not an OS error.
fn other(path: &Path, op: &'static str, what: &str) -> ConnectorError {
    ConnectorError::Io { path: path.to_owned(), op, source: std::io::Error::other(what.to_owned()) }
}

/// Renames `from` to `to`, creating `to`'s parent folders. Replaces an existing file at `to`
/// (`MoveFileExW` with `MOVEFILE_REPLACE_EXISTING` on Windows, `rename(2)` elsewhere).
fn rename(from: &Path, to: &Path) -> Result<(), ConnectorError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent, "create the folder"))?;
    }
    std::fs::rename(from, to).map_err(|source| ConnectorError::Io {
        path: from.to_owned(),
        op: "move (rename) it; the target was the same volume",
        source,
    })
}

/// Fills `buf` as far as the reader allows; the count is short only at the end of the file.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether two files have the same bytes (streamed, so a large file is not read into memory).
pub fn same_contents(a: &Path, b: &Path) -> Result<bool, ConnectorError> {
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(io(p, "read the size of"));
    if len(a)? != len(b)? {
        return Ok(false);
    }
    let open = |p: &Path| std::fs::File::open(p).map_err(io(p, "open"));
    let (mut fa, mut fb) = (open(a)?, open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = read_full(&mut fa, &mut ba).map_err(io(a, "read"))?;
        let m = read_full(&mut fb, &mut bb).map_err(io(b, "read"))?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Refuses a backup folder inside (or equal to) a configured path: copying or moving a folder
/// into itself would never end.
fn check_outside(from: &Path, backup_dir: &Path) -> Result<(), ConnectorError> {
    if backup_dir.starts_with(from) {
        return Err(other(
            from,
            "copy or move it",
            &format!(
                "the backup folder {} is inside it; the backup must be outside every configured path",
                backup_dir.display()
            ),
        ));
    }
    Ok(())
}

/// Moves `from` into `to`, merging folders: each file replaces its counterpart in `to` (left
/// there by nothing in a fresh backup folder), then the emptied folders of `from` are removed.
/// Returns the number of files moved.
fn merge_move(from: &Path, to: &Path) -> Result<usize, ConnectorError> {
    let meta = std::fs::symlink_metadata(from).map_err(io(from, "read the attributes of"))?;
    let target = std::fs::symlink_metadata(to).ok();
    if meta.is_dir() {
        match target {
            Some(t) if t.is_dir() => {}
            Some(_) => return Err(other(to, "merge a folder into it", "a file is in the way in the backup folder")),
            None => std::fs::create_dir_all(to).map_err(io(to, "create the folder"))?,
        }
        let mut files = 0;
        for entry in std::fs::read_dir(from).map_err(io(from, "list"))? {
            let entry = entry.map_err(io(from, "list"))?;
            files += merge_move(&entry.path(), &to.join(entry.file_name()))?;
        }
        std::fs::remove_dir(from).map_err(io(from, "remove the emptied folder"))?;
        Ok(files)
    } else {
        if target.is_some_and(|t| t.is_dir()) {
            return Err(other(to, "move a file over it", "a folder is in the way in the backup folder"));
        }
        rename(from, to)?;
        Ok(1)
    }
}

/// **MoveEmbeddedConnector** (deferred, `Impersonate="no"`, before `RemoveFiles`/`InstallFiles`).
///
/// Moves each configured path that exists to the same relative path in the backup folder. If a
/// move fails, the action returns 1603 and the installer runs [`restore`]. Whether rollback is
/// enabled was checked by `ApplyEmbeddedConnectorAction` (immediate): here, in the script,
/// Windows answers FALSE for `MSIRUNMODE_ROLLBACKENABLED` whatever the truth, which the session
/// type does not even let this function ask.
pub fn move_aside(session: &mut impl ScriptSession<Kind = Deferred>) -> ActionResult {
    const NAME: &str = "MoveEmbeddedConnector";
    let Some(data) = read_data(session, NAME) else {
        return ActionResult::Failure;
    };
    let mut moved = 0;
    let mut files = 0;
    for rel in &data.relative {
        let from = join_relative(&data.product_dir, rel);
        if std::fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let to = join_relative(&data.backup_dir, rel);
        match check_outside(&from, &data.backup_dir).and_then(|()| merge_move(&from, &to)) {
            Ok(n) => {
                session.log(&format!("{NAME}: moved {} to {} ({n} files)", from.display(), to.display()));
                moved += 1;
                files += n;
            }
            Err(e) => {
                session.log(&format!(
                    "{NAME}: {e}; the installer rolls back and RestoreEmbeddedConnector puts back what was moved"
                ));
                return ActionResult::Failure;
            }
        }
    }
    session.log(&format!(
        "{NAME}: {moved} paths moved to {} ({files} files); RestoreEmbeddedConnector puts them back if the upgrade fails",
        data.backup_dir.display()
    ));
    ActionResult::Success
}

/// Removes `dir` and then each of its parents up to (and including) `top` while they are empty.
fn remove_empty_up_to(dir: &Path, top: &Path) {
    let mut current = Some(dir);
    while let Some(d) = current {
        if !d.starts_with(top) || std::fs::remove_dir(d).is_err() {
            break;
        }
        if d == top {
            break;
        }
        current = d.parent();
    }
}

/// What [`restore_tree`] did, for the log.
#[derive(Debug, Default, Clone, Copy)]
struct Restored {
    /// Files put back from the backup.
    put: usize,
    /// Files already identical in place (their backup copy was dropped).
    same: usize,
    /// Entries in the product folder that the backup does not have, left in place.
    extra: usize,
}

impl std::ops::AddAssign for Restored {
    fn add_assign(&mut self, other: Restored) {
        self.put += other.put;
        self.same += other.same;
        self.extra += other.extra;
    }
}

/// Puts `from` (in the backup) back at `to` where `to` is missing or differs; a file already
/// identical at `to` only loses its backup copy. Entries at `to` that the backup does not have
/// are left alone: they have no other copy.
fn restore_tree(from: &Path, to: &Path) -> Result<Restored, ConnectorError> {
    let meta = std::fs::symlink_metadata(from).map_err(io(from, "read the attributes of"))?;
    let target = std::fs::symlink_metadata(to).ok();
    if meta.is_dir() {
        match target {
            Some(t) if t.is_dir() => {}
            Some(_) => std::fs::remove_file(to).map_err(io(to, "remove the file in the way of"))?,
            None => std::fs::create_dir_all(to).map_err(io(to, "create the folder"))?,
        }
        let mut counts = Restored::default();
        let mut names = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(from).map_err(io(from, "list"))? {
            let entry = entry.map_err(io(from, "list"))?;
            names.insert(entry.file_name());
            counts += restore_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        counts.extra += std::fs::read_dir(to)
            .map_err(io(to, "list"))?
            .flatten()
            .filter(|e| !names.contains(&e.file_name()))
            .count();
        // Emptied by now unless something failed (then the error returned above); a folder that
        // cannot be removed is reported by the caller, which keeps the backup folder.
        std::fs::remove_dir(from).ok();
        Ok(counts)
    } else {
        match target {
            Some(t) if t.is_file() && same_contents(from, to)? => {
                std::fs::remove_file(from).map_err(io(from, "remove the backup copy"))?;
                Ok(Restored { same: 1, ..Restored::default() })
            }
            Some(t) if t.is_dir() => {
                std::fs::remove_dir_all(to).map_err(io(to, "remove the folder in the way of"))?;
                rename(from, to)?;
                Ok(Restored { put: 1, ..Restored::default() })
            }
            _ => {
                rename(from, to)?;
                Ok(Restored { put: 1, ..Restored::default() })
            }
        }
    }
}

/// **RestoreEmbeddedConnector** (rollback action, scheduled just before [`move_aside`]).
///
/// For every configured path in the backup folder, puts back each file that is missing or
/// differs in the product folder (replacing what a failed install put there), leaves identical
/// ones and anything the backup does not have (it has no other copy), then removes the backup folder once nothing is left in it. Keeps going after an error,
/// so as much as possible is put back; each error names what is left where, and the backup
/// folder is then kept.
pub fn restore(session: &mut impl ScriptSession<Kind = Rollback>) -> ActionResult {
    const NAME: &str = "RestoreEmbeddedConnector";
    let Some(data) = read_data(session, NAME) else {
        return ActionResult::Failure;
    };
    let mut result = ActionResult::Success;
    for rel in &data.relative {
        let from = join_relative(&data.backup_dir, rel);
        if std::fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let to = join_relative(&data.product_dir, rel);
        match restore_tree(&from, &to) {
            Ok(Restored { put, same, extra }) => {
                session.log(&format!(
                    "{NAME}: restored {} ({put} files put back, {same} already identical, {extra} extra files left in place)",
                    to.display()
                ));
                if let Some(parent) = from.parent() {
                    remove_empty_up_to(parent, &data.backup_dir);
                }
            }
            Err(e) => {
                session.log(&format!(
                    "{NAME}: {e}; what is not restored stays in {}: copy it back to {} by hand",
                    from.display(),
                    to.display()
                ));
                result = ActionResult::Failure;
            }
        }
    }
    remove_empty_up_to(&data.backup_dir, &data.backup_dir);
    if std::fs::symlink_metadata(&data.backup_dir).is_ok() {
        session
            .log(&format!("{NAME}: kept {}: it still holds files that were not put back", data.backup_dir.display()));
    }
    result
}

/// **DeleteEmbeddedConnectorBackup** (commit action): the upgrade succeeded, so the backup of
/// the discarded configuration is deleted. A failure is logged with the folder to delete by hand
/// and does not fail the (already committed) install.
pub fn delete_backup(session: &mut impl ScriptSession<Kind = Commit>) -> ActionResult {
    const NAME: &str = "DeleteEmbeddedConnectorBackup";
    let Some(data) = read_data(session, NAME) else {
        return ActionResult::Failure;
    };
    if std::fs::symlink_metadata(&data.backup_dir).is_err() {
        session.log(&format!("{NAME}: no backup folder {}; nothing to delete", data.backup_dir.display()));
        return ActionResult::Success;
    }
    match std::fs::remove_dir_all(&data.backup_dir) {
        Ok(()) => session.log(&format!("{NAME}: deleted {}", data.backup_dir.display())),
        Err(e) => session.log(&format!(
            "{NAME}: cannot delete {}: {e}; the upgrade succeeded, delete that folder by hand",
            data.backup_dir.display()
        )),
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_round_trips_and_rejects_garbage() {
        let data = BackupData {
            product_dir: PathBuf::from(r"C:\Program Files\VMware\VMwareIdentityManager\"),
            backup_dir: PathBuf::from(r"C:\Program Files\VMware\VMwareIdentityManager\embedded-connector-backup"),
            relative: vec!["conf/a".into(), "b".into()],
        };
        assert_eq!(BackupData::parse(&data.to_custom_action_data()).unwrap(), data);
        assert!(BackupData::parse("").is_err());
        assert!(BackupData::parse("a|b").is_err());
        assert!(BackupData::parse("|b|c").is_err());
        assert!(BackupData::parse("a|b|../c").is_err());
    }

    #[test]
    fn backup_dir_skips_existing_ones() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(choose_backup_dir(dir.path()), dir.path().join("embedded-connector-backup"));
        std::fs::create_dir(dir.path().join("embedded-connector-backup")).unwrap();
        std::fs::write(dir.path().join("embedded-connector-backup-2"), b"x").unwrap();
        assert_eq!(choose_backup_dir(dir.path()), dir.path().join("embedded-connector-backup-3"));
    }
}
