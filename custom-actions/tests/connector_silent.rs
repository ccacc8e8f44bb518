//! The silent-install contract of ApplyEmbeddedConnectorAction (docs/silent-install.md): every EMBEDDED_CONNECTOR_ACTION value, with and without a configuration, bad passwords and unwritable folders.

mod connector_support;

use connector_support::{assert_no_secret, logged, packages_in, snapshot, Product, CHEAP, PASSWORD};
use custom_actions::connector::{self, apply_action_with, BACKUP_PROPERTY};
use custom_actions::enc;
use custom_actions::session::ActionResult;

const ACTION: &str = connector::ACTION;
const PW: &str = connector::PASSWORD;

#[test]
fn found_without_action_fails_and_changes_nothing_at_every_ui_level() {
    for ui_level in ["2", "3", "4", "5"] {
        let product = Product::with_config();
        let before = snapshot(&product.dir);
        let mut s = product.session([(connector::UI_LEVEL, ui_level), (PW, PASSWORD)]);
        assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure, "UILevel={ui_level}");
        assert!(
            logged(
                &s.log,
                &[
                    "EMBEDDED_CONNECTOR_ACTION=discard|export|export-continue",
                    "nothing was changed",
                    &format!("UILevel={ui_level}")
                ]
            ),
            "{:#?}",
            s.log
        );
        assert_eq!(snapshot(&product.dir), before);
        assert!(product.packages().is_empty());
        assert!(!s.properties.contains_key(BACKUP_PROPERTY));
        assert_no_secret(&s, PASSWORD);
    }
}

#[test]
fn invalid_values_fail_naming_the_valid_ones() {
    for value in ["yes", "Export", "delete", "export_continue", "1"] {
        for product in [Product::with_config(), Product::empty()] {
            let before = snapshot(&product.dir);
            let mut s = product.session([(ACTION, value), (PW, PASSWORD)]);
            assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure, "{value}");
            assert!(
                logged(&s.log, &[&format!("{value:?} is not valid"), "discard, export, export-continue"]),
                "{:#?}",
                s.log
            );
            assert_eq!(snapshot(&product.dir), before);
            assert!(!s.properties.contains_key(BACKUP_PROPERTY));
        }
    }
}

#[test]
fn discard_continues_and_schedules_the_backup_without_exporting() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let mut s = product.session([(ACTION, "discard")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Success);
    assert_eq!(s.properties[BACKUP_PROPERTY], product.dir.join("embedded-connector-backup").display().to_string());
    assert!(product.packages().is_empty());
    // The immediate action only decides; the deferred action moves.
    assert_eq!(snapshot(&product.dir), before);
    assert!(logged(&s.log, &["discard", "4 files", "put back if the upgrade fails"]), "{:#?}", s.log);
}

#[test]
fn export_writes_a_verified_package_then_stops_with_1602() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let mut s = product.session([(ACTION, "export"), (PW, PASSWORD), (connector::CLUSTER_NAME, "prod cluster")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    let packages = product.packages();
    assert_eq!(packages.len(), 1, "{packages:?}");
    let name = packages[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("prod_cluster-NODE1-corp.example.com-conn-") && name.ends_with("Z.enc"), "{name}");
    assert_eq!(s.properties[connector::FILE], packages[0].display().to_string());
    let manifest =
        enc::verify(&packages[0], PASSWORD, &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT })
            .expect("the package decrypts with the password");
    assert_eq!(manifest.files.len(), Product::CONFIG_FILES, "{manifest:?}");
    // Nothing else changed: the configuration is still in place and no backup is scheduled.
    let mut after = snapshot(&product.dir);
    after.remove(&name);
    assert_eq!(after, before);
    assert!(!s.properties.contains_key(BACKUP_PROPERTY));
    assert!(logged(&s.log, &["1602", "EMBEDDED_CONNECTOR_ACTION=discard"]), "{:#?}", s.log);
    assert_no_secret(&s, PASSWORD);
}

#[test]
fn export_continue_exports_verifies_and_continues() {
    let product = Product::with_config();
    let mut s = product.session([(ACTION, "export-continue"), (PW, PASSWORD)]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Success);
    let packages = product.packages();
    assert_eq!(packages.len(), 1);
    assert!(packages[0].file_name().unwrap().to_str().unwrap().starts_with("cluster-NODE1-corp.example.com-conn-"));
    enc::verify(&packages[0], PASSWORD, &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT })
        .expect("verifies");
    assert!(matches!(
        enc::verify(
            &packages[0],
            "a wrong password",
            &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT }
        ),
        Err(enc::EncError::WrongPassword { .. })
    ));
    assert!(s.properties.contains_key(BACKUP_PROPERTY));
    assert_no_secret(&s, PASSWORD);
}

#[test]
fn export_with_the_default_kdf_parameters() {
    let product = Product::with_config();
    // The domain is given: off Windows the production options cannot read the machine's.
    let mut s = product.session([(ACTION, "export-continue"), (PW, PASSWORD), (connector::DOMAIN_NAME, "EMEA")]);
    assert_eq!(connector::apply_action(&mut s), ActionResult::Success);
    let packages = product.packages();
    assert_eq!(enc::inspect(&packages[0]).unwrap().kdf_params, enc::KdfParams::DEFAULT);
}

#[test]
fn short_or_missing_password_fails_without_naming_it() {
    for action in ["export", "export-continue"] {
        for (password, expect) in [("1234567", "too short"), ("äöüäöüä", "too short"), ("", "needs EXPORT_PASSWORD")]
        {
            let product = Product::with_config();
            let before = snapshot(&product.dir);
            let mut s = product.session([(ACTION, action), (PW, password)]);
            assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure, "{action} {password:?}");
            assert!(logged(&s.log, &[expect, "nothing was changed"]), "{:#?}", s.log);
            assert_eq!(snapshot(&product.dir), before);
            assert!(product.packages().is_empty());
            assert_no_secret(&s, password);
        }
    }
}

#[test]
fn unwritable_export_folder_fails_and_loses_nothing() {
    for action in ["export", "export-continue"] {
        let product = Product::with_config();
        let before = snapshot(&product.dir);
        // A regular file where the folder should be, and a folder that does not exist: both fail
        // even for root, which ignores permission bits.
        let blocker = product.tmp.path().join("not-a-folder");
        std::fs::write(&blocker, b"x").unwrap();
        for folder in [blocker.clone(), product.tmp.path().join("does/not/exist")] {
            let mut s = product.session([
                (ACTION, action),
                (PW, PASSWORD),
                (connector::EXPORT_FOLDER, folder.to_str().unwrap()),
            ]);
            assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure, "{action} {folder:?}");
            // docs/silent-install.md: the log says which folder, and to run elevated or set
            // EXPORT_FOLDER to a folder the installer can write.
            assert!(
                logged(
                    &s.log,
                    &[
                        "export failed",
                        folder.to_str().unwrap(),
                        "elevated",
                        "set EXPORT_FOLDER",
                        "nothing was changed"
                    ]
                ),
                "{:#?}",
                s.log
            );
            assert!(!s.properties.contains_key(BACKUP_PROPERTY));
            assert!(!s.properties.contains_key(connector::FILE));
            assert_no_secret(&s, PASSWORD);
        }
        assert_eq!(snapshot(&product.dir), before);
        assert!(packages_in(product.tmp.path()).is_empty());
    }
}

#[test]
fn export_folder_property_redirects_the_package() {
    let product = Product::with_config();
    let out = product.tmp.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let mut s =
        product.session([(ACTION, "export"), (PW, PASSWORD), (connector::EXPORT_FOLDER, out.to_str().unwrap())]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    assert_eq!(packages_in(&out).len(), 1);
    assert!(product.packages().is_empty());
}

#[test]
fn nothing_found_continues_except_for_export_only() {
    for (value, expect) in [
        ("", ActionResult::Success),
        ("discard", ActionResult::Success),
        ("export-continue", ActionResult::Success),
        ("export", ActionResult::UserExit),
    ] {
        let product = Product::empty();
        let mut s = product.session([(ACTION, value), (PW, PASSWORD)]);
        assert_eq!(apply_action_with(&mut s, CHEAP), expect, "{value:?}");
        assert!(product.packages().is_empty());
        assert!(!s.properties.contains_key(BACKUP_PROPERTY));
    }
}

#[test]
fn a_leftover_backup_folder_is_not_reused() {
    let product = Product::with_config();
    std::fs::create_dir(product.dir.join("embedded-connector-backup")).unwrap();
    std::fs::write(product.dir.join("embedded-connector-backup/old.xml"), b"old").unwrap();
    let mut s = product.session([(ACTION, "discard")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Success);
    assert_eq!(s.properties[BACKUP_PROPERTY], product.dir.join("embedded-connector-backup-2").display().to_string());
}

#[test]
fn a_bad_product_configuration_fails_loudly() {
    let product = Product::with_config();
    let mut s = product.session([(ACTION, "discard"), (connector::PATHS, "conf;..\\..\\Windows")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure);
    assert!(logged(&s.log, &["EMBEDDED_CONNECTOR_PATHS entry", "wix/product.toml"]), "{:#?}", s.log);
}

#[test]
fn the_manifest_records_the_upgraded_products_version() {
    let product = Product::with_config();
    let mut s =
        product.session([(ACTION, "export"), (PW, PASSWORD), (connector::UPGRADE_DETECTED, "{OLD-CODE};{OTHER}")]);
    s.products.insert("{OLD-CODE}".into(), "3.3.1.0".into());
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    let manifest = enc::verify(
        &product.packages()[0],
        PASSWORD,
        &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT },
    )
    .unwrap();
    assert_eq!(manifest.source_version, "3.3.1.0");
    assert_eq!(
        (manifest.host.as_str(), manifest.domain.as_str(), manifest.cluster.as_str()),
        ("NODE1", connector_support::MACHINE_DOMAIN, "cluster")
    );

    // An explicit IDM_PREVIOUS_VERSION wins; nothing known gives "unknown".
    let product = Product::with_config();
    let mut s = product.session([(ACTION, "export"), (PW, PASSWORD), (connector::PREVIOUS_VERSION, "3.0.0")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    assert_eq!(
        enc::verify(
            &product.packages()[0],
            PASSWORD,
            &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT }
        )
        .unwrap()
        .source_version,
        "3.0.0"
    );
    let product = Product::with_config();
    let mut s = product.session([(ACTION, "export"), (PW, PASSWORD)]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    assert_eq!(
        enc::verify(
            &product.packages()[0],
            PASSWORD,
            &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT }
        )
        .unwrap()
        .source_version,
        "unknown"
    );
}

#[test]
fn the_domain_is_the_machines_in_ui_and_silent_runs_unless_given() {
    // Finding 7: the package name must not depend on who runs msiexec (an admin's UI run, SYSTEM
    // under SCCM). Both read the computer's DNS domain; an explicit IDM_DOMAIN_NAME wins.
    let silent = Product::with_config();
    let mut s = silent.session([(ACTION, "export"), (PW, PASSWORD), (connector::UI_LEVEL, "2")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    let ui = Product::with_config();
    let mut u = custom_actions::fakes::FakeSession {
        context: custom_actions::session::Immediate::Client,
        ..ui.session([(PW, PASSWORD), (connector::PASSWORD_CONFIRM, PASSWORD), (connector::UI_LEVEL, "5")])
    };
    assert_eq!(connector::export_from_ui_with(&mut u, CHEAP), ActionResult::Success);
    let domain = |p: &Product| {
        enc::verify(&p.packages()[0], PASSWORD, &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT })
            .unwrap()
            .domain
    };
    assert_eq!(domain(&silent), connector_support::MACHINE_DOMAIN);
    assert_eq!(domain(&ui), domain(&silent));

    let given = Product::with_config();
    let mut s = given.session([(ACTION, "export"), (PW, PASSWORD), (connector::DOMAIN_NAME, "EMEA")]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::UserExit);
    assert_eq!(domain(&given), "EMEA");

    // A machine whose domain cannot be read: an error naming the call, nothing written.
    let broken = Product::with_config();
    let options = connector::ExportOptions {
        machine_domain: || Err("GetComputerNameExW failed with Windows error 87".into()),
        ..CHEAP
    };
    let mut s = broken.session([(ACTION, "export"), (PW, PASSWORD)]);
    assert_eq!(apply_action_with(&mut s, options), ActionResult::Failure);
    assert!(logged(&s.log, &["GetComputerNameExW", "IDM_DOMAIN_NAME"]), "{:#?}", s.log);
    assert!(broken.packages().is_empty());
}

#[test]
fn rollback_disabled_is_refused_before_anything_changes() {
    // Finding 1: the check lives in this immediate action, where MSIRUNMODE_ROLLBACKENABLED is
    // answered; the deferred move cannot ask it on Windows.
    for (how, mut s) in
        [("RollbackDisabled property", Product::with_config()), ("DisableRollback policy", Product::with_config())]
            .map(|(how, p)| {
                let s = p.session([(ACTION, "discard")]);
                (how, (p, s))
            })
            .map(|(how, (p, mut s))| {
                if how.contains("property") {
                    s.properties.insert("RollbackDisabled".into(), "1".into());
                } else {
                    s.rollback_policy_disabled = true;
                }
                (how, (p, s))
            })
    {
        let (product, ref mut session) = s;
        let before = snapshot(&product.dir);
        assert_eq!(apply_action_with(session, CHEAP), ActionResult::Failure, "{how}");
        assert!(logged(&session.log, &["rollback is disabled", "nothing was changed"]), "{how}: {:#?}", session.log);
        assert!(!session.properties.contains_key(connector::BACKUP_PROPERTY), "{how}: no backup folder chosen");
        assert_eq!(snapshot(&product.dir), before, "{how}");
    }
}

/// A package is never written over (docs/silent-install.md names it
/// `<cluster>-<host>-<domain>-conn-<UTC timestamp>.enc`, to the second): when a file of that name
/// is already there, the export fails, the file is kept as it was, and the log names it and says
/// how to get past it (a second later the name is free, or the file can be moved away).
#[test]
fn an_existing_file_of_the_packages_name_is_kept() {
    let product = Product::with_config();
    let out = product.tmp.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    // Every name the export can pick in the next minute (its timestamp is taken when it starts).
    let now = time::OffsetDateTime::now_utc();
    for ahead in -1..60i64 {
        let t = now + time::Duration::seconds(ahead);
        let name = format!(
            "cluster-NODE1-{}-conn-{:04}{:02}{:02}T{:02}{:02}{:02}Z.enc",
            connector_support::MACHINE_DOMAIN,
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        std::fs::write(out.join(name), b"an earlier export").unwrap();
    }
    let before = snapshot(&product.dir);
    let exports = snapshot(&out);
    let mut s =
        product.session([(ACTION, "export"), (PW, PASSWORD), (connector::EXPORT_FOLDER, out.to_str().unwrap())]);
    assert_eq!(apply_action_with(&mut s, CHEAP), ActionResult::Failure);
    assert!(
        logged(&s.log, &["export failed", out.to_str().unwrap(), "move the existing file away", "nothing was changed"]),
        "{:#?}",
        s.log
    );
    assert_eq!(snapshot(&out), exports, "the existing files are kept as they were, and nothing is added");
    assert_eq!(snapshot(&product.dir), before);
    assert!(!s.properties.contains_key(connector::FILE));
    assert_no_secret(&s, PASSWORD);
}
