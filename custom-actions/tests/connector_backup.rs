//! The copy before the upgrade, the deferred move, its rollback and its commit: the configuration is copied and moved aside, put back byte-identically on failure (also after the old product's uninstall deleted the originals), deleted only on commit.

mod connector_support;

use std::path::{Path, PathBuf};

use connector_support::{logged, snapshot, Product, PATHS};
use std::collections::BTreeMap;

use custom_actions::connector::backup::{copy_aside, delete_backup, move_aside, restore, stale_backups, BackupData};
use custom_actions::connector::{parse_paths, BACKUP_PROPERTY};
use custom_actions::session::{ActionResult, FakeSession, Mode};

/// A deferred session carrying the CustomActionData the type-51 actions set.
fn deferred(product: &Product, backup: &Path, mode: Mode, rollback_enabled: bool) -> FakeSession {
    let data = BackupData {
        product_dir: product.dir.clone(),
        backup_dir: backup.to_path_buf(),
        relative: parse_paths(PATHS).unwrap(),
    };
    let mut s = FakeSession::with([("CustomActionData", data.to_custom_action_data().as_str())]);
    s.modes.push(mode);
    if rollback_enabled {
        s.modes.push(Mode::RollbackEnabled);
    }
    s
}

fn backup_of(product: &Product) -> PathBuf {
    product.dir.join("embedded-connector-backup")
}

#[test]
fn move_then_rollback_restores_byte_identical() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);

    let mut s = deferred(&product, &backup, Mode::Scheduled, true);
    assert_eq!(move_aside(&mut s), ActionResult::Success, "{:#?}", s.log);
    assert!(!product.dir.join("conf/connector").exists());
    assert!(!product.dir.join("conf/connector.properties").exists());
    assert!(product.dir.join("other/unrelated.txt").exists(), "only configured paths move");
    assert!(backup.join("conf/connector/keystore/keystore.bks").is_file());
    assert!(logged(&s, &["2 paths moved to"]), "{:#?}", s.log);

    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(
        snapshot(&product.dir),
        before,
        "the tree is byte-identical after rollback, and the backup folder is gone"
    );
}

#[test]
fn move_then_commit_deletes_the_backup() {
    let product = Product::with_config();
    let backup = backup_of(&product);
    let mut s = deferred(&product, &backup, Mode::Scheduled, true);
    assert_eq!(move_aside(&mut s), ActionResult::Success);
    assert!(backup.exists());

    let mut c = deferred(&product, &backup, Mode::Commit, true);
    assert_eq!(delete_backup(&mut c), ActionResult::Success);
    assert!(!backup.exists());
    assert!(!product.dir.join("conf/connector").exists());
    assert!(product.dir.join("other/unrelated.txt").exists());
    assert!(logged(&c, &["deleted", "embedded-connector-backup"]), "{:#?}", c.log);

    // A second commit (nothing left) is harmless.
    let mut again = deferred(&product, &backup, Mode::Commit, true);
    assert_eq!(delete_backup(&mut again), ActionResult::Success);
}

#[test]
fn rollback_replaces_what_the_failed_install_put_in_the_way() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    assert_eq!(move_aside(&mut deferred(&product, &backup, Mode::Scheduled, true)), ActionResult::Success);
    // The failed install wrote where the configuration was: over a configured file, and a new
    // file the backup does not have.
    std::fs::create_dir_all(product.dir.join("conf/connector")).unwrap();
    std::fs::write(product.dir.join("conf/connector/connector.xml"), b"new").unwrap();
    std::fs::write(product.dir.join("conf/connector/new.xml"), b"new").unwrap();
    std::fs::write(product.dir.join("conf/connector.properties"), b"new").unwrap();

    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    // Every backed-up file is back byte for byte; a file the backup does not have is left in
    // place (never delete what has no other copy) and counted in the log. (Files the failed
    // install itself installed are removed by the installer's own rollback before this runs.)
    let mut after = snapshot(&product.dir);
    assert_eq!(after.remove("conf/connector/new.xml"), Some(Some(b"new".to_vec())));
    assert_eq!(after, before);
    assert!(logged(&r, &["1 extra files left in place"]), "{:#?}", r.log);
}

#[test]
fn a_failed_move_is_put_back_by_the_rollback() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    // A backup folder inside a configured folder makes the second move (`conf/connector` into
    // its own subfolder) fail after the first one (`conf/connector.properties`) succeeded.
    let backup = product.dir.join("conf/connector/bk");
    let data = BackupData {
        product_dir: product.dir.clone(),
        backup_dir: backup.clone(),
        relative: vec!["conf/connector.properties".into(), "conf/connector".into()],
    };
    let session = |mode: Mode| {
        let mut s = FakeSession::with([("CustomActionData", data.to_custom_action_data().as_str())]);
        s.modes = vec![mode, Mode::RollbackEnabled];
        s
    };
    let mut s = session(Mode::Scheduled);
    assert_eq!(move_aside(&mut s), ActionResult::Failure);
    assert!(logged(&s, &["conf/connector", "RestoreEmbeddedConnector puts back"]), "{:#?}", s.log);
    assert!(!product.dir.join("conf/connector.properties").exists(), "the first move happened");

    let mut r = session(Mode::Rollback);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(snapshot(&product.dir), before);
}

#[test]
fn refuses_to_move_when_rollback_is_disabled() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    let mut s = deferred(&product, &backup, Mode::Scheduled, false);
    assert_eq!(move_aside(&mut s), ActionResult::Failure);
    assert!(logged(&s, &["rollback is disabled", "nothing was changed"]), "{:#?}", s.log);
    assert_eq!(snapshot(&product.dir), before);
}

/// The immediate copy, as the execute sequence runs it after `ApplyEmbeddedConnectorAction`.
fn copy(product: &Product, backup: &Path) -> FakeSession {
    let mut s = product.session([(BACKUP_PROPERTY, backup.to_str().unwrap())]);
    assert_eq!(copy_aside(&mut s), ActionResult::Success, "{:#?}", s.log);
    s
}

/// `snapshot` without the backup folders.
fn without_backups(tree: BTreeMap<String, Option<Vec<u8>>>) -> BTreeMap<String, Option<Vec<u8>>> {
    tree.into_iter().filter(|(k, _)| !k.starts_with("embedded-connector-backup")).collect()
}

#[test]
fn copy_is_byte_identical_leaves_the_originals_and_reruns_harmlessly() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    let s = copy(&product, &backup);
    assert!(logged(&s, &["copied 2 paths (4 files)", "verified"]), "{:#?}", s.log);
    assert_eq!(without_backups(snapshot(&product.dir)), before, "a copy, never a move");
    let expected: BTreeMap<_, _> =
        before.iter().filter(|(k, _)| k.starts_with("conf")).map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(snapshot(&backup), expected, "the backup is the configuration, byte for byte");

    // Run again (a retried action): same result, nothing else touched.
    let s = copy(&product, &backup);
    assert!(logged(&s, &["copied 2 paths (4 files)"]), "{:#?}", s.log);
    assert_eq!(snapshot(&backup), expected);
    assert_eq!(without_backups(snapshot(&product.dir)), before);
}

#[test]
fn copy_without_a_backup_folder_does_nothing() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let mut s = product.session([]);
    assert_eq!(copy_aside(&mut s), ActionResult::Success);
    assert!(logged(&s, &["nothing to copy"]), "{:#?}", s.log);
    assert_eq!(snapshot(&product.dir), before);
}

/// What `RemoveExistingProducts` does before the script: the old product's uninstall deletes
/// the configuration files its components own; the service wrote one more file meanwhile.
fn old_uninstall_deletes_its_files(product: &Product) {
    std::fs::remove_file(product.dir.join("conf/connector/connector.xml")).unwrap();
    std::fs::remove_file(product.dir.join("conf/connector.properties")).unwrap();
}

#[test]
fn rollback_after_the_old_uninstall_deleted_the_originals_restores_byte_identical() {
    let product = Product::with_config();
    let backup = backup_of(&product);
    copy(&product, &backup);
    // Written at run time after the copy, before the old service stopped: the move takes it.
    std::fs::write(product.dir.join("conf/connector/runtime.log"), b"late line").unwrap();
    let before = without_backups(snapshot(&product.dir));
    old_uninstall_deletes_its_files(&product);

    let mut m = deferred(&product, &backup, Mode::Scheduled, true);
    assert_eq!(move_aside(&mut m), ActionResult::Success, "{:#?}", m.log);
    assert!(!product.dir.join("conf/connector").exists(), "what was left is moved");
    assert!(backup.join("conf/connector/runtime.log").is_file());
    assert!(backup.join("conf/connector.properties").is_file(), "from the copy");

    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(
        snapshot(&product.dir),
        before,
        "byte-identical after rollback (the late file included), and the backup folder is gone"
    );
    assert!(logged(&r, &["restored", "conf", "files put back"]), "{:#?}", r.log);
}

#[test]
fn rollback_before_the_move_puts_back_only_what_is_missing_or_differs() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    copy(&product, &backup);
    old_uninstall_deletes_its_files(&product);
    // The failed install wrote over a surviving file.
    std::fs::write(product.dir.join("conf/connector/empty.txt"), b"changed").unwrap();
    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(snapshot(&product.dir), before);
    assert!(
        logged(&r, &["conf/connector", "2 files put back, 1 already identical"])
            || logged(&r, &["conf\\connector", "2 files put back, 1 already identical"]),
        "{:#?}",
        r.log
    );
}

#[test]
fn copy_move_commit_deletes_the_backup_and_the_configuration() {
    let product = Product::with_config();
    let backup = backup_of(&product);
    copy(&product, &backup);
    old_uninstall_deletes_its_files(&product);
    assert_eq!(move_aside(&mut deferred(&product, &backup, Mode::Scheduled, true)), ActionResult::Success);
    let mut c = deferred(&product, &backup, Mode::Commit, true);
    assert_eq!(delete_backup(&mut c), ActionResult::Success);
    assert!(!backup.exists());
    assert!(!product.dir.join("conf/connector").exists());
    assert!(!product.dir.join("conf/connector.properties").exists());
    assert!(product.dir.join("other/unrelated.txt").exists());
}

#[test]
fn a_failed_copy_removes_its_partial_copy_and_keeps_what_was_there() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    // A file where the copy needs a folder: the second path fails after the first was copied.
    std::fs::create_dir_all(backup.join("conf")).unwrap();
    std::fs::write(backup.join("conf/connector"), b"in the way").unwrap();
    let mut s = product.session([(BACKUP_PROPERTY, backup.to_str().unwrap())]);
    s.properties.insert(custom_actions::connector::PATHS.into(), "conf\\connector.properties;conf\\connector".into());
    assert_eq!(copy_aside(&mut s), ActionResult::Failure);
    assert!(logged(&s, &["CopyEmbeddedConnector", "in the way", "partial copy", "was removed"]), "{:#?}", s.log);
    assert!(!backup.join("conf/connector.properties").exists(), "the partial copy is gone");
    assert_eq!(std::fs::read(backup.join("conf/connector")).unwrap(), b"in the way", "kept");
    assert_eq!(without_backups(snapshot(&product.dir)), before, "originals untouched");
}

#[test]
fn stale_backups_are_listed_and_never_reused() {
    let product = Product::with_config();
    let stale = backup_of(&product);
    std::fs::create_dir_all(stale.join("conf")).unwrap();
    std::fs::write(stale.join("conf/connector.properties"), b"the only copy").unwrap();
    assert_eq!(stale_backups(&product.dir), vec![stale.clone()]);
    let fresh = custom_actions::connector::backup::choose_backup_dir(&product.dir);
    assert_ne!(fresh, stale);
    copy(&product, &fresh);
    let mut c = deferred(&product, &fresh, Mode::Commit, true);
    assert_eq!(delete_backup(&mut c), ActionResult::Success);
    assert_eq!(
        std::fs::read(stale.join("conf/connector.properties")).unwrap(),
        b"the only copy",
        "a stale backup is never deleted"
    );
}

#[test]
fn nothing_configured_on_disk_moves_nothing() {
    let product = Product::empty();
    let backup = backup_of(&product);
    let mut s = deferred(&product, &backup, Mode::Scheduled, true);
    assert_eq!(move_aside(&mut s), ActionResult::Success);
    assert!(logged(&s, &["0 paths moved"]));
    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success);
    assert!(!backup.exists());
}

#[test]
fn malformed_custom_action_data_fails_with_a_clear_message() {
    for data in ["", "only-one-field", "a|b|..\\escape"] {
        for action in [move_aside as fn(&mut FakeSession) -> ActionResult, restore, delete_backup] {
            let mut s = FakeSession::with([("CustomActionData", data)]);
            s.modes.push(Mode::RollbackEnabled);
            assert_eq!(action(&mut s), ActionResult::Failure, "{data:?}");
            assert!(logged(&s, &["CustomActionData is malformed"]), "{:#?}", s.log);
        }
    }
}
