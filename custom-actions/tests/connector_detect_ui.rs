//! DetectEmbeddedConnector and the actions the password dialog calls (ValidateExportPassword, ExportEmbeddedConnector).

mod connector_support;

use connector_support::{assert_no_secret, logged, packages_in, snapshot, Product, CHEAP, PASSWORD};
use custom_actions::connector::{self, detect, export_from_ui_with, validate_export_password};
use custom_actions::enc;
use custom_actions::session::ActionResult;

#[test]
fn detect_sets_found_and_the_file_count_and_logs_paths_only() {
    let product = Product::with_config();
    let mut s = product.session([]);
    assert_eq!(detect(&mut s), ActionResult::Success);
    assert_eq!(s.properties[connector::FOUND], "1");
    assert_eq!(s.properties[connector::FILES], Product::CONFIG_FILES.to_string());
    assert!(logged(&s.log, &["found", "connector.properties"]), "{:#?}", s.log);
    assert!(logged(&s.log, &["4 files in 2 paths"]), "{:#?}", s.log);
    assert_no_secret(&s, PASSWORD);
}

#[test]
fn detect_clears_stale_properties_when_nothing_is_there() {
    let product = Product::empty();
    let mut s = product.session([(connector::FOUND, "1"), (connector::FILES, "9")]);
    assert_eq!(detect(&mut s), ActionResult::Success);
    assert!(!s.properties.contains_key(connector::FOUND));
    assert!(!s.properties.contains_key(connector::FILES));
    assert!(logged(&s.log, &["no embedded-connector configuration"]), "{:#?}", s.log);
}

#[test]
fn detect_without_a_product_folder_or_paths_finds_nothing() {
    let mut s = custom_actions::fakes::FakeSession::with([(connector::PATHS, "conf")]);
    assert_eq!(detect(&mut s), ActionResult::Success);
    assert!(!s.properties.contains_key(connector::FOUND));
    let product = Product::with_config();
    let mut s = product.session([(connector::PATHS, "")]);
    assert_eq!(detect(&mut s), ActionResult::Success);
    assert!(!s.properties.contains_key(connector::FOUND));
}

#[test]
fn detect_fails_on_a_bad_product_configuration() {
    let product = Product::with_config();
    let mut s = product.session([(connector::PATHS, "C:\\elsewhere")]);
    assert_eq!(detect(&mut s), ActionResult::Failure);
    assert!(logged(&s.log, &["DetectEmbeddedConnector", "C:\\\\elsewhere", "wix/product.toml"]), "{:#?}", s.log);
}

#[test]
fn validate_password_pairs() {
    let product = Product::with_config();
    for (password, confirm, valid, reason) in [
        (PASSWORD, PASSWORD, true, ""),
        ("12345678", "12345678", true, ""),
        ("1234567", "1234567", false, "too short"),
        ("", "", false, "too short"),
        (PASSWORD, "correct horse battery!", false, "do not match"),
    ] {
        let mut s = product.session([
            (connector::PASSWORD, password),
            (connector::PASSWORD_CONFIRM, confirm),
            (connector::PASSWORD_VALID, "1"),
        ]);
        assert_eq!(validate_export_password(&mut s), ActionResult::Success);
        assert_eq!(
            s.properties.get(connector::PASSWORD_VALID).map(String::as_str),
            valid.then_some("1"),
            "{password:?}/{confirm:?}"
        );
        // A valid pair leaves no error; an invalid one says why (`contains("")` would hold for any text).
        let error = s.properties.get(connector::ERROR).map_or("", String::as_str);
        if valid {
            assert_eq!(error, "", "{password:?}/{confirm:?}");
        } else {
            assert!(!reason.is_empty() && error.contains(reason), "{password:?}/{confirm:?}: {error:?}");
        }
        assert_no_secret(&s, password);
        assert_no_secret(&s, confirm);
    }
}

#[test]
fn ui_export_sets_result_and_file() {
    let product = Product::with_config();
    let before = snapshot(&product.dir);
    let mut s = product.session([
        (connector::UI_LEVEL, "5"),
        (connector::PASSWORD, PASSWORD),
        (connector::PASSWORD_CONFIRM, PASSWORD),
    ]);
    assert_eq!(export_from_ui_with(&mut s, CHEAP), ActionResult::Success);
    assert_eq!(s.properties[connector::RESULT], "ok", "{:#?}", s.log);
    let file = std::path::PathBuf::from(&s.properties[connector::FILE]);
    assert_eq!(product.packages(), vec![file.clone()]);
    enc::verify(&file, PASSWORD, &enc::ReadLimits { allow_weak: true, ..enc::ReadLimits::DEFAULT }).expect("verifies");
    let mut after = snapshot(&product.dir);
    after.remove(file.file_name().unwrap().to_str().unwrap());
    assert_eq!(after, before, "the export changes nothing but adding the package");
    assert_no_secret(&s, PASSWORD);
}

#[test]
fn ui_export_reports_problems_in_export_result_and_still_succeeds() {
    let product = Product::with_config();
    let blocker = product.tmp.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    for (password, confirm, folder, reason) in [
        ("1234567", "1234567", "", "too short"),
        (PASSWORD, "something else", "", "do not match"),
        (PASSWORD, PASSWORD, blocker.to_str().unwrap(), "cannot"),
    ] {
        let mut s = product.session([
            (connector::PASSWORD, password),
            (connector::PASSWORD_CONFIRM, confirm),
            (connector::EXPORT_FOLDER, folder),
            (connector::FILE, "stale"),
        ]);
        assert_eq!(export_from_ui_with(&mut s, CHEAP), ActionResult::Success);
        let result = &s.properties[connector::RESULT];
        assert!(result != "ok" && result.contains(reason), "{result}");
        assert_eq!(&s.properties[connector::ERROR], result);
        assert!(!s.properties.contains_key(connector::FILE));
        assert!(product.packages().is_empty() && packages_in(product.tmp.path()).is_empty());
        assert_no_secret(&s, password);
        assert_no_secret(&s, confirm);
    }
}

/// MSI SDK "Directory Table" (`DefaultDir`): a target name of `.` puts the directory in its
/// parent itself, so CostFinalize sets it to exactly the parent's path. Before CostFinalize the
/// product folder is resolved the same way: the path the log and `EMBEDDED_CONNECTOR_BACKUP`
/// show has no `.` component (a `Path` comparison would hide one: it skips `.` components).
#[test]
fn a_period_default_dir_is_the_parent_folder_itself() {
    let s = custom_actions::fakes::FakeSession::with([("ProgramFiles64Folder", "/pf")]).with_directory_table(&[
        ("TARGETDIR", None, "SourceDir"),
        ("ProgramFiles64Folder", Some("TARGETDIR"), "PFiles"),
        ("INSTALLFOLDER", Some("ProgramFiles64Folder"), "VMware"),
        (connector::PRODUCTDIR, Some("INSTALLFOLDER"), "."),
        ("CONFDIR", Some(connector::PRODUCTDIR), "CONF~1|conf:srcconf"),
    ]);
    let resolved = |id: &str| connector::resolve_directory(&s, id).map(|p| p.to_str().unwrap().to_owned());
    assert_eq!(resolved(connector::PRODUCTDIR).as_deref(), Some("/pf/VMware"));
    assert_eq!(resolved("CONFDIR").as_deref(), Some("/pf/VMware/conf"));
    assert_eq!(connector::Layout::from_session(&s).unwrap().product_dir.to_str(), Some("/pf/VMware"));
}
