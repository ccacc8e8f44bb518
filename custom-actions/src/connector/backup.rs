//! Removing the configuration during the upgrade without losing it: a deferred move to a backup
//! folder, a rollback action that moves it back, a commit action that deletes the backup.
//!
//! The three actions get the same `CustomActionData`, set by type-51 actions in
//! `wix/fragments/custom-actions.wxs`: `<product folder>|<backup folder>|<relative paths>`,
//! where the relative paths are `EMBEDDED_CONNECTOR_PATHS` (`;`-separated). `|` cannot occur
//! in a Windows path, so it separates the fields unambiguously. The backup folder sits inside
//! the product folder, so every move is a rename on one volume: instant, and byte-identical by
//! construction (no copy).

use std::path::{Path, PathBuf};

use super::{join_relative, parse_paths, ConnectorError};
use crate::session::{ActionResult, Mode, Session};

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
        format!(
            "{}|{}|{}",
            self.product_dir.display(),
            self.backup_dir.display(),
            self.relative.join(";")
        )
    }

    /// Parses `CustomActionData`.
    pub fn parse(data: &str) -> Result<BackupData, BadData> {
        let bad = |reason: &str| BadData {
            reason: reason.to_owned(),
        };
        let mut fields = data.splitn(3, '|');
        let (Some(product), Some(backup), Some(paths)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("fewer than three `|`-separated fields"));
        };
        if product.trim().is_empty() || backup.trim().is_empty() {
            return Err(bad("the product or backup folder is empty"));
        }
        let relative = parse_paths(paths).map_err(|e| BadData {
            reason: e.to_string(),
        })?;
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

fn read_data(session: &mut impl Session, action: &str) -> Option<BackupData> {
    let data = match session.property("CustomActionData") {
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
    move |source| ConnectorError::Io {
        path: path.to_owned(),
        op,
        source,
    }
}

/// Renames `from` to `to`, creating `to`'s parent folders.
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

/// **MoveEmbeddedConnector** (deferred, `Impersonate="no"`, before `RemoveFiles`/`InstallFiles`).
///
/// Refuses (1603, nothing moved) when rollback is disabled, since a later failure could then not
/// put the configuration back. Moves each configured path that exists to the same relative
/// path in the backup folder. If a move fails, the action returns 1603 and the installer runs
/// [`restore`], which puts back what was already moved.
pub fn move_aside(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "MoveEmbeddedConnector";
    let Some(data) = read_data(session, NAME) else {
        return ActionResult::Failure;
    };
    if !session.mode(Mode::RollbackEnabled) {
        session.log(&format!(
            "{NAME}: rollback is disabled (RollbackDisabled / the DisableRollback policy), so a failed upgrade could not put the embedded-connector configuration back; refusing to move it. Enable rollback and run again; nothing was changed"
        ));
        return ActionResult::Failure;
    }
    if let Ok(mut entries) = std::fs::read_dir(&data.backup_dir) {
        if entries.next().is_some() {
            session.log(&format!(
                "{NAME}: the backup folder {} already exists and is not empty; it may hold a configuration from an interrupted run. Move it elsewhere and run again; nothing was changed",
                data.backup_dir.display()
            ));
            return ActionResult::Failure;
        }
    }
    let mut moved = 0;
    for rel in &data.relative {
        let from = join_relative(&data.product_dir, rel);
        if std::fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let to = join_relative(&data.backup_dir, rel);
        if let Err(e) = rename(&from, &to) {
            session.log(&format!(
                "{NAME}: {e}; the installer rolls back and RestoreEmbeddedConnector puts back what was moved"
            ));
            return ActionResult::Failure;
        }
        session.log(&format!(
            "{NAME}: moved {} to {}",
            from.display(),
            to.display()
        ));
        moved += 1;
    }
    session.log(&format!(
        "{NAME}: {moved} paths moved to {}",
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

/// **RestoreEmbeddedConnector** (rollback action, scheduled just before [`move_aside`]).
///
/// Moves every path found in the backup folder back to its place (replacing anything a failed
/// install created there meanwhile), then removes the backup folder if it is empty. Keeps going
/// after an error, so as much as possible is put back; each error names what is left where.
pub fn restore(session: &mut impl Session) -> ActionResult {
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
        if let Ok(meta) = std::fs::symlink_metadata(&to) {
            let removed = if meta.is_dir() {
                std::fs::remove_dir_all(&to)
            } else {
                std::fs::remove_file(&to)
            };
            match removed {
                Ok(()) => session.log(&format!(
                    "{NAME}: removed {} (created after the move) to restore the original",
                    to.display()
                )),
                Err(e) => {
                    session.log(&format!(
                        "{NAME}: {}: cannot remove what is in the way ({e}); the original stays in {}: move it back by hand",
                        to.display(),
                        from.display()
                    ));
                    result = ActionResult::Failure;
                    continue;
                }
            }
        }
        match rename(&from, &to) {
            Ok(()) => {
                session.log(&format!("{NAME}: restored {}", to.display()));
                if let Some(parent) = from.parent() {
                    remove_empty_up_to(parent, &data.backup_dir);
                }
            }
            Err(e) => {
                session.log(&format!(
                    "{NAME}: {e}; the original stays in {}: move it back to {} by hand",
                    from.display(),
                    to.display()
                ));
                result = ActionResult::Failure;
            }
        }
    }
    remove_empty_up_to(&data.backup_dir, &data.backup_dir);
    result
}

/// **DeleteEmbeddedConnectorBackup** (commit action): the upgrade succeeded, so the backup of
/// the discarded configuration is deleted. A failure is logged with the folder to delete by hand
/// and does not fail the (already committed) install.
pub fn delete_backup(session: &mut impl Session) -> ActionResult {
    const NAME: &str = "DeleteEmbeddedConnectorBackup";
    let Some(data) = read_data(session, NAME) else {
        return ActionResult::Failure;
    };
    if std::fs::symlink_metadata(&data.backup_dir).is_err() {
        session.log(&format!(
            "{NAME}: no backup folder {}; nothing to delete",
            data.backup_dir.display()
        ));
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
            backup_dir: PathBuf::from(
                r"C:\Program Files\VMware\VMwareIdentityManager\embedded-connector-backup",
            ),
            relative: vec!["conf/a".into(), "b".into()],
        };
        assert_eq!(
            BackupData::parse(&data.to_custom_action_data()).unwrap(),
            data
        );
        assert!(BackupData::parse("").is_err());
        assert!(BackupData::parse("a|b").is_err());
        assert!(BackupData::parse("|b|c").is_err());
        assert!(BackupData::parse("a|b|../c").is_err());
    }

    #[test]
    fn backup_dir_skips_existing_ones() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            choose_backup_dir(dir.path()),
            dir.path().join("embedded-connector-backup")
        );
        std::fs::create_dir(dir.path().join("embedded-connector-backup")).unwrap();
        std::fs::write(dir.path().join("embedded-connector-backup-2"), b"x").unwrap();
        assert_eq!(
            choose_backup_dir(dir.path()),
            dir.path().join("embedded-connector-backup-3")
        );
    }
}
