//! The deferred move, its rollback and its commit, each with the session of its own context (as
//! Windows gives it: CustomActionData and its own mode only): the configuration is moved aside, put
//! back byte-identically on failure, deleted only on commit.

mod connector_support;

use std::path::{Path, PathBuf};

use connector_support::{logged, snapshot, Product, PATHS};
use std::collections::BTreeMap;

use custom_actions::connector::backup::{delete_backup, move_aside, restore, stale_backups, BackupData};
use custom_actions::connector::parse_paths;
use custom_actions::fakes::FakeScript;
use custom_actions::session::{ActionResult, ScriptKind};

/// A script session of kind `K` carrying the CustomActionData the type-51 actions set.
fn script<K: ScriptKind>(product: &Product, backup: &Path) -> FakeScript<K> {
    let data = BackupData {
        product_dir: product.dir.clone(),
        backup_dir: backup.to_path_buf(),
        relative: parse_paths(PATHS).unwrap(),
    };
    FakeScript::new(&data.to_custom_action_data())
}

fn backup_of(product: &Product) -> PathBuf {
    product.dir.join("embedded-connector-backup")
}

#[test]
fn move_then_rollback_restores_byte_identical() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);

    let mut s = script(&product, &backup);
    assert_eq!(move_aside(&mut s), ActionResult::Success, "{:#?}", s.log);
    assert!(!product.dir.join("conf/connector").exists());
    assert!(!product.dir.join("conf/connector.properties").exists());
    assert!(product.dir.join("other/unrelated.txt").exists(), "only configured paths move");
    assert!(backup.join("conf/connector/keystore/keystore.bks").is_file());
    assert!(logged(&s.log, &["2 paths moved to"]), "{:#?}", s.log);

    let mut r = script(&product, &backup);
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
    let mut s = script(&product, &backup);
    assert_eq!(move_aside(&mut s), ActionResult::Success);
    assert!(backup.exists());

    let mut c = script(&product, &backup);
    assert_eq!(delete_backup(&mut c), ActionResult::Success);
    assert!(!backup.exists());
    assert!(!product.dir.join("conf/connector").exists());
    assert!(product.dir.join("other/unrelated.txt").exists());
    assert!(logged(&c.log, &["deleted", "embedded-connector-backup"]), "{:#?}", c.log);

    // A second commit (nothing left) is harmless.
    let mut again = script(&product, &backup);
    assert_eq!(delete_backup(&mut again), ActionResult::Success);
}

#[test]
fn rollback_replaces_what_the_failed_install_put_in_the_way() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    assert_eq!(move_aside(&mut script(&product, &backup)), ActionResult::Success);
    // The failed install wrote where the configuration was: over a configured file, and a new
    // file the backup does not have.
    std::fs::create_dir_all(product.dir.join("conf/connector")).unwrap();
    std::fs::write(product.dir.join("conf/connector/connector.xml"), b"new").unwrap();
    std::fs::write(product.dir.join("conf/connector/new.xml"), b"new").unwrap();
    std::fs::write(product.dir.join("conf/connector.properties"), b"new").unwrap();

    let mut r = script(&product, &backup);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    // Every backed-up file is back byte for byte; a file the backup does not have is left in
    // place (never delete what has no other copy) and counted in the log. (Files the failed
    // install itself installed are removed by the installer's own rollback before this runs.)
    let mut after = snapshot(&product.dir);
    assert_eq!(after.remove("conf/connector/new.xml"), Some(Some(b"new".to_vec())));
    assert_eq!(after, before);
    assert!(logged(&r.log, &["1 extra files left in place"]), "{:#?}", r.log);
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
    let mut s = FakeScript::deferred(&data.to_custom_action_data());
    assert_eq!(move_aside(&mut s), ActionResult::Failure);
    assert!(logged(&s.log, &["conf/connector", "RestoreEmbeddedConnector puts back"]), "{:#?}", s.log);
    assert!(!product.dir.join("conf/connector.properties").exists(), "the first move happened");

    let mut r = FakeScript::rollback(&data.to_custom_action_data());
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(snapshot(&product.dir), before);
}

/// `snapshot` without the backup folders.
fn without_backups(tree: BTreeMap<String, Option<Vec<u8>>>) -> BTreeMap<String, Option<Vec<u8>>> {
    tree.into_iter().filter(|(k, _)| !k.starts_with("embedded-connector-backup")).collect()
}

#[test]
fn files_written_at_run_time_move_and_come_back_too() {
    let product = Product::with_config();
    // Written by the running service, owned by no component: only the move can keep it.
    std::fs::write(product.dir.join("conf/connector/runtime.log"), b"late line").unwrap();
    let before = snapshot(&product.dir);
    let backup = backup_of(&product);
    let mut m: FakeScript<custom_actions::session::Deferred> = script(&product, &backup);
    assert_eq!(move_aside(&mut m), ActionResult::Success, "{:#?}", m.log);
    assert!(backup.join("conf/connector/runtime.log").is_file());
    let mut r: FakeScript<custom_actions::session::Rollback> = script(&product, &backup);
    assert_eq!(restore(&mut r), ActionResult::Success, "{:#?}", r.log);
    assert_eq!(snapshot(&product.dir), before);
    assert_eq!(without_backups(snapshot(&product.dir)), before);
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
    assert_eq!(move_aside(&mut script(&product, &fresh)), ActionResult::Success);
    let mut c = script(&product, &fresh);
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
    let mut s = script(&product, &backup);
    assert_eq!(move_aside(&mut s), ActionResult::Success);
    assert!(logged(&s.log, &["0 paths moved"]));
    let mut r = script(&product, &backup);
    assert_eq!(restore(&mut r), ActionResult::Success);
    assert!(!backup.exists());
}

#[test]
fn malformed_custom_action_data_fails_with_a_clear_message() {
    for data in ["", "only-one-field", "a|b|..\\escape"] {
        let mut d = FakeScript::deferred(data);
        assert_eq!(move_aside(&mut d), ActionResult::Failure, "{data:?}");
        let mut r = FakeScript::rollback(data);
        assert_eq!(restore(&mut r), ActionResult::Failure, "{data:?}");
        let mut c = FakeScript::commit(data);
        assert_eq!(delete_backup(&mut c), ActionResult::Failure, "{data:?}");
        for log in [&d.log, &r.log, &c.log] {
            assert!(logged(log, &["CustomActionData is malformed"]), "{log:#?}");
        }
    }
}
