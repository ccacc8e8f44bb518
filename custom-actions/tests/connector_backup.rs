//! The deferred move, its rollback and its commit: the configuration is moved aside, put back byte-identically on failure, deleted only on commit.

mod connector_support;

use std::path::{Path, PathBuf};

use connector_support::{logged, snapshot, Product, PATHS};
use custom_actions::connector::backup::{delete_backup, move_aside, restore, BackupData};
use custom_actions::connector::parse_paths;
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
    assert!(
        product.dir.join("other/unrelated.txt").exists(),
        "only configured paths move"
    );
    assert!(backup
        .join("conf/connector/keystore/keystore.bks")
        .is_file());
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
    assert!(
        logged(&c, &["deleted", "embedded-connector-backup"]),
        "{:#?}",
        c.log
    );

    // A second commit (nothing left) is harmless.
    let mut again = deferred(&product, &backup, Mode::Commit, true);
    assert_eq!(delete_backup(&mut again), ActionResult::Success);
}

#[test]
fn rollback_replaces_what_the_failed_install_put_in_the_way() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    assert_eq!(
        move_aside(&mut deferred(&product, &backup, Mode::Scheduled, true)),
        ActionResult::Success
    );
    // The failed install created files where the configuration was.
    std::fs::create_dir_all(product.dir.join("conf/connector")).unwrap();
    std::fs::write(product.dir.join("conf/connector/new.xml"), b"new").unwrap();
    std::fs::write(product.dir.join("conf/connector.properties"), b"new").unwrap();

    let mut r = deferred(&product, &backup, Mode::Rollback, true);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(snapshot(&product.dir), before);
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
        let mut s =
            FakeSession::with([("CustomActionData", data.to_custom_action_data().as_str())]);
        s.modes = vec![mode, Mode::RollbackEnabled];
        s
    };
    let mut s = session(Mode::Scheduled);
    assert_eq!(move_aside(&mut s), ActionResult::Failure);
    assert!(
        logged(
            &s,
            &["conf/connector", "RestoreEmbeddedConnector puts back"]
        ),
        "{:#?}",
        s.log
    );
    assert!(
        !product.dir.join("conf/connector.properties").exists(),
        "the first move happened"
    );

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
    assert!(
        logged(&s, &["rollback is disabled", "nothing was changed"]),
        "{:#?}",
        s.log
    );
    assert_eq!(snapshot(&product.dir), before);
}

#[test]
fn refuses_a_non_empty_backup_folder() {
    let product = Product::with_config();
    let backup = backup_of(&product);
    std::fs::create_dir_all(&backup).unwrap();
    std::fs::write(backup.join("older.xml"), b"from an interrupted run").unwrap();
    let before = snapshot(&product.dir);
    let mut s = deferred(&product, &backup, Mode::Scheduled, true);
    assert_eq!(move_aside(&mut s), ActionResult::Failure);
    assert!(
        logged(
            &s,
            &["already exists and is not empty", "nothing was changed"]
        ),
        "{:#?}",
        s.log
    );
    assert_eq!(snapshot(&product.dir), before);
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
        for action in [
            move_aside as fn(&mut FakeSession) -> ActionResult,
            restore,
            delete_backup,
        ] {
            let mut s = FakeSession::with([("CustomActionData", data)]);
            s.modes.push(Mode::RollbackEnabled);
            assert_eq!(action(&mut s), ActionResult::Failure, "{data:?}");
            assert!(
                logged(&s, &["CustomActionData is malformed"]),
                "{:#?}",
                s.log
            );
        }
    }
}
