//! One broken fixture per validation check, proving the check fires (and only it), and the clean
//! fixture proving none does.

mod validate_support;

use packaging::validate::{pe_exports, Severity};
use validate_support::{i, only, s, show, Fixture, N, UPGRADE_CODE};

#[test]
fn clean_fixture_passes_every_check() {
    let report = Fixture::clean().report();
    assert!(report.findings.is_empty(), "clean fixture has findings:\n{}", show(&report));
}

#[test]
fn fixture_dll_exports_parse() {
    let names = pe_exports(&validate_support::pe_dll(&["Zeta", "Alpha"])).unwrap();
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["Alpha", "Zeta"]);
    assert!(pe_exports(b"not a dll").is_err());
}

#[test]
fn ice03_null_length_category_and_foreign_key() {
    let mut f = Fixture::clean();
    f.set("Component", "C1", "Directory_", s("NOSUCHDIR"));
    let found = only(&f.clone().report(), "ICE03");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("Component", "C1"));
    assert_eq!(found[0].column.as_deref(), Some("Directory_"));
    assert!(found[0].message.contains("NOSUCHDIR") && found[0].message.contains("Directory"), "{}", found[0].message);

    let mut f = Fixture::clean();
    f.set("Feature", "Main", "Title", s(&"x".repeat(65)));
    let found = only(&f.report(), "ICE03");
    assert_eq!(found[0].column.as_deref(), Some("Title"));
    assert!(found[0].message.contains("65 characters"), "{}", found[0].message);
    // String overflow is a warning, as light reports ICE03's (Windows Installer stores the value).
    assert_eq!(found[0].severity, Severity::Warning);

    let mut f = Fixture::clean();
    f.set("File", "F1", "FileName", N);
    let found = only(&f.report(), "ICE03");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("F1", Some("FileName")));
    assert!(found[0].message.contains("null"));

    let mut f = Fixture::clean();
    f.set("CustomAction", "SvcAction", "Source", s("CaDll"));
    f.set("InstallExecuteSequence", "SetSvcAction", "Condition", s("NOT (Installed"));
    let found = only(&f.report(), "ICE03");
    assert_eq!((found[0].table.as_str(), found[0].column.as_deref()), ("InstallExecuteSequence", Some("Condition")));
}

#[test]
fn ice03_bad_identifier() {
    let mut f = Fixture::clean();
    f.rows("CreateFolder", vec![vec![s("9bad-dir"), s("C1")]]);
    let report = f.report();
    let found: Vec<_> = report.by_rule("ICE03").collect();
    assert!(
        found.iter().any(|x| x.table == "CreateFolder"
            && x.column.as_deref() == Some("Directory_")
            && x.message.contains("Identifier")),
        "{}",
        show(&report)
    );
}

#[test]
fn ice06_missing_or_mistyped_column() {
    let mut package = msi::Package::create(msi::PackageType::Installer, std::io::Cursor::new(Vec::new())).unwrap();
    // A Feature table without its last two columns and with Level declared as a string.
    let columns = vec![
        msi::Column::build("Feature").primary_key().string(38),
        msi::Column::build("Feature_Parent").nullable().string(38),
        msi::Column::build("Title").nullable().string(64),
        msi::Column::build("Description").nullable().string(255),
        msi::Column::build("Display").nullable().int16(),
        msi::Column::build("Level").string(10),
    ];
    package.create_table("Feature", columns).unwrap();
    let report = packaging::validate::validate(&mut package).unwrap();
    let ice06: Vec<_> = report.by_rule("ICE06").collect();
    assert!(
        ice06.iter().any(|f| f.column.as_deref() == Some("Level") && f.message.contains("16-bit")),
        "{}",
        show(&report)
    );
    assert!(
        ice06.iter().any(|f| f.column.as_deref() == Some("Directory_") && f.message.contains("missing")),
        "{}",
        show(&report)
    );
    assert!(ice06.iter().all(|f| f.table == "Feature" && f.severity == Severity::Error));
}

#[test]
fn ice08_duplicate_component_guid() {
    let mut f = Fixture::clean();
    f.set("Component", "C2", "ComponentId", s("{11111111-2222-3333-4444-555555555551}"));
    let found = only(&f.report(), "ICE08");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("C2", Some("ComponentId")));
    assert!(found[0].message.contains("'C1'"));
}

#[test]
fn ice21_component_without_feature() {
    let mut f = Fixture::clean();
    f.tables.get_mut("FeatureComponents").unwrap().retain(|r| r[1] != s("C2"));
    let found = only(&f.report(), "ICE21");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("Component", "C2"));
}

#[test]
fn ice24_product_identity() {
    for (property, value) in [
        ("ProductCode", "{6a0c3a3e-5f0b-4f55-9b7a-0c6e8f1d2a10}"),
        ("ProductVersion", "1.2.300000"),
        ("ProductLanguage", "en-us"),
    ] {
        let mut f = Fixture::clean();
        f.set("Property", property, "Value", s(value));
        if property == "ProductVersion" {
            // keep the Upgrade rows consistent with the broken version
            f.tables.remove("Upgrade");
            f.set("Property", "SecureCustomProperties", "Value", s("SERVICE_PASSWORD"));
        }
        let found = only(&f.report(), "ICE24");
        assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), (property, Some("Value")), "{property}");
    }
}

#[test]
fn ice27_sequence_order() {
    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "InstallFiles", "Sequence", i(3400)); // before RemoveFiles (3500)
    let found = only(&f.report(), "ICE27");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("InstallFiles", Some("Sequence")));
    assert!(found[0].message.contains("RemoveFiles"));

    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "PublishProduct", "Sequence", i(6700)); // after InstallFinalize
    let found = only(&f.report(), "ICE27");
    assert_eq!(found[0].row, "PublishProduct");
}

/// ICE82 (MSI SDK "ICE82"): two actions at one position are a warning; the sequence-table pages
/// ("InstallExecuteSequence Table") allow each termination flag (-1 to -4) to at most one action,
/// an error; zero and other negatives (never run) may be shared.
#[test]
fn ice82_duplicate_sequence_numbers() {
    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "SvcAction", "Sequence", i(4002)); // SvcRollback's number
    let found = only(&f.report(), "ICE82");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].severity, found[0].column.as_deref()), (Severity::Warning, Some("Sequence")));
    assert!(found[0].message.contains("SvcAction") && found[0].message.contains("SvcRollback"), "{}", found[0].message);

    for (n, expect) in [(-1, Some(Severity::Error)), (-4, Some(Severity::Error)), (-5, None), (0, None)] {
        let mut f = Fixture::clean();
        f.rows("InstallUISequence", vec![vec![s("ExitDialog"), N, i(n)], vec![s("OtherExit"), N, i(n)]]);
        let report = f.report();
        let found: Vec<_> = report.by_rule("ICE82").collect();
        assert_eq!(found.first().map(|x| x.severity), expect, "{n}: {}", show(&report));
        if expect.is_some() {
            assert_eq!(found[0].table, "InstallUISequence");
            assert!(found[0].message.contains(&format!("termination flag {n}")), "{}", found[0].message);
        }
    }
}

/// ICE82: RegisterProduct, RegisterUser, PublishProduct and PublishFeatures are all sequenced, or
/// none is (a warning); some without the others is an error naming the missing ones.
#[test]
fn ice82_registration_actions_come_together() {
    let mut f = Fixture::clean();
    f.remove("InstallExecuteSequence", "RegisterUser");
    let found = only(&f.report(), "ICE82");
    assert_eq!((found.len(), found[0].severity), (1, Severity::Error), "{found:?}");
    assert!(found[0].message.contains("without RegisterUser"), "{}", found[0].message);

    for a in ["RegisterProduct", "PublishProduct", "PublishFeatures"] {
        f.remove("InstallExecuteSequence", a);
    }
    let found = only(&f.report(), "ICE82");
    assert_eq!((found.len(), found[0].severity), (1, Severity::Warning), "{found:?}");
}

#[test]
fn ice30_file_installed_twice() {
    let mut f = Fixture::clean();
    f.set("File", "F2", "FileName", s("A.TXT"));
    let found = only(&f.report(), "ICE30");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("F2", Some("FileName")));
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn ice46_property_case() {
    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "SetSvcAction", "Condition", s("NOT installed"));
    let found = only(&f.report(), "ICE46");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("InstallExecuteSequence", "SetSvcAction"));
    assert!(found[0].message.contains("'Installed'"));
}

#[test]
fn ice61_upgrade_table() {
    let mut f = Fixture::clean();
    f.set("Property", "SecureCustomProperties", "Value", s("WIX_DOWNGRADE_DETECTED;SERVICE_PASSWORD"));
    let found = only(&f.report(), "ICE61");
    assert_eq!(found[0].column.as_deref(), Some("ActionProperty"));
    assert!(found[0].message.contains("SecureCustomProperties"));

    let mut f = Fixture::clean();
    f.tables.get_mut("Upgrade").unwrap()[0][2] = N; // VersionMax of the removal row
    let found = only(&f.report(), "ICE61");
    assert!(found.iter().any(|x| x.message.contains("both empty")), "{found:?}");

    let mut f = Fixture::clean();
    f.tables.get_mut("Upgrade").unwrap()[0][4] = i(1 | 0x200); // max inclusive: removes itself
    let found = only(&f.report(), "ICE61");
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(found[0].row.starts_with(UPGRADE_CODE));
}

#[test]
fn ice63_remove_existing_products_position() {
    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "RemoveExistingProducts", "Sequence", i(1700)); // after ProcessComponents
    let found = only(&f.report(), "ICE63");
    assert_eq!(found[0].severity, Severity::Error);
    assert!(found[0].message.contains("ProcessComponents"));

    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "RemoveExistingProducts", "Sequence", i(6601));
    let found = only(&f.report(), "ICE63");
    assert_eq!(found[0].severity, Severity::Warning);

    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "RemoveExistingProducts", "Sequence", i(1501)); // right after InstallInitialize
    assert!(f.report().findings.is_empty());
}

#[test]
fn ice68_custom_action_type() {
    let mut f = Fixture::clean();
    f.set("CustomAction", "DetectThing", "Type", i(4)); // no base type 4
    let found = only(&f.report(), "ICE68");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("DetectThing", Some("Type")));

    let mut f = Fixture::clean();
    f.set("CustomAction", "SvcRollback", "Type", i(1 | 0x700 | 0x800)); // rollback and commit
    let found = only(&f.report(), "ICE68");
    assert!(found[0].message.contains("rollback and commit"));
}

#[test]
fn ice77_deferred_action_outside_script() {
    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "SvcAction", "Sequence", i(6602));
    let found = only(&f.report(), "ICE77");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("InstallExecuteSequence", "SvcAction"));
    assert_eq!(found[0].column.as_deref(), Some("Sequence"));
    assert!(found[0]
        .to_string()
        .starts_with("ICE77 error: InstallExecuteSequence row 'SvcAction' column 'Sequence': deferred"));

    let mut f = Fixture::clean();
    f.set("InstallExecuteSequence", "SvcRollback", "Sequence", i(1450));
    let found = only(&f.report(), "ICE77");
    assert!(found[0].message.starts_with("rollback"));
}

#[test]
fn secret_not_hidden_or_not_secure() {
    let mut f = Fixture::clean();
    f.remove("Property", "MsiHiddenProperties");
    let found = only(&f.report(), "hidden-secret");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("Property", "MsiHiddenProperties"));
    assert!(found[0].message.contains("SERVICE_PASSWORD"));

    let mut f = Fixture::clean();
    f.set("Property", "SecureCustomProperties", "Value", s("WIX_UPGRADE_DETECTED;WIX_DOWNGRADE_DETECTED"));
    let found = only(&f.report(), "secure-secret");
    assert!(found[0].message.contains("SERVICE_PASSWORD"));

    // A property listed in MsiHiddenProperties counts as a secret even without PASSWORD in its name.
    let mut f = Fixture::clean();
    f.set("Property", "MsiHiddenProperties", "Value", s("SERVICE_PASSWORD;API_TOKEN"));
    let found = only(&f.report(), "secure-secret");
    assert!(found[0].message.contains("API_TOKEN"));
}

#[test]
fn secret_default_value_is_reported_without_the_value() {
    let mut f = Fixture::clean();
    f.rows("Property", vec![vec![s("SERVICE_PASSWORD"), s("hunter2")]]);
    let report = f.report();
    let found = only(&report, "secret-default");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("SERVICE_PASSWORD", Some("Value")));
    assert!(!report.to_json().contains("hunter2"));
}

#[test]
fn hide_target_on_every_carrier() {
    // The CustomActionData setter lacks HideTarget.
    let mut f = Fixture::clean();
    f.set("CustomAction", "SetSvcAction", "Type", i(51));
    let found = only(&f.report(), "hide-target");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("SetSvcAction", Some("Type")));
    assert!(found[0].message.contains("SERVICE_PASSWORD"));

    // The deferred action receiving the data lacks HideTarget.
    let mut f = Fixture::clean();
    f.set("CustomAction", "SvcAction", "Type", i(1 | 0x400 | 0x800));
    let found = only(&f.report(), "hide-target");
    assert_eq!(found[0].row, "SvcAction");
    assert!(found[0].message.contains("CustomActionData"));
}

#[test]
fn dll_entry_must_be_exported() {
    let mut f = Fixture::clean();
    f.set("CustomAction", "DetectThing", "Target", s("DetectThings"));
    let found = only(&f.report(), "dll-entry");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("DetectThing", Some("Target")));
    // The message names the bad entry and lists the real exports; the real name must be one of
    // the listed names on its own (the bad value "DetectThings" contains it, so a substring
    // check would pass on the echo alone).
    let message = &found[0].message;
    assert!(message.contains("DllEntry 'DetectThings'"), "{message}");
    let listed = message.split("(exports: ").nth(1).and_then(|r| r.strip_suffix(')')).unwrap_or("");
    assert!(listed.split(", ").any(|name| name == "DetectThing"), "the exports listed: {message}");

    let mut f = Fixture::clean();
    f.binaries.insert("CaDll".into(), b"#!/bin/sh\n".to_vec());
    let found = only(&f.report(), "dll-entry");
    assert_eq!(found.len(), 3, "one per DLL action");
    assert_eq!(found[0].column.as_deref(), Some("Source"));
}

#[test]
fn companion_file_version_is_not_a_category_error() {
    let mut f = Fixture::clean();
    f.set("File", "F2", "Version", s("F1"));
    assert!(f.report().findings.is_empty(), "{}", show(&f.report()));
    f.set("File", "F2", "Version", s("1.x"));
    let found = only(&f.report(), "ICE03");
    assert_eq!((found[0].row.as_str(), found[0].column.as_deref()), ("F2", Some("Version")));
}

#[test]
fn masked_edit_control_property_is_a_secret() {
    let mut f = Fixture::clean();
    // One dialog, not a whole authored UI: LIMITUI turns ICE20's standard-dialog checks off.
    f.rows("Property", vec![vec![s("LIMITUI"), s("1")]]);
    f.rows(
        "Dialog",
        vec![vec![
            s("PassDlg"),
            i(50),
            i(50),
            i(370),
            i(270),
            i(3),
            s("[ProductName]"),
            s("Pass"),
            s("Pass"),
            s("Pass"),
        ]],
    );
    // Edit control with the password attribute (0x200000) on a property without PASSWORD in its name.
    f.rows(
        "Control",
        vec![vec![
            s("PassDlg"),
            s("Pass"),
            s("Edit"),
            i(10),
            i(10),
            i(100),
            i(18),
            i(0x20_0007),
            s("ADMIN_SECRET"),
            N,
            N,
            N,
        ]],
    );
    let report = f.report();
    assert!(report.by_rule("hidden-secret").any(|x| x.message.contains("ADMIN_SECRET")), "{}", show(&report));
    assert!(report.by_rule("secure-secret").any(|x| x.message.contains("ADMIN_SECRET")), "{}", show(&report));
    assert_eq!(report.findings.len(), 2, "{}", show(&report));

    // The same control without the password attribute is not a secret.
    f.tables.get_mut("Control").unwrap()[0][7] = i(7);
    assert!(f.report().findings.is_empty(), "{}", show(&f.report()));
}

#[test]
fn ice77_deferred_action_in_ui_sequence() {
    let mut f = Fixture::clean();
    f.rows("InstallUISequence", vec![vec![s("SvcAction"), N, i(1200)]]);
    let found = only(&f.report(), "ICE77");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("InstallUISequence", "SvcAction"));
}

/// MSI SDK "Page Count Summary property": a 64-bit package needs 200 or more; the summary stream
/// of a foreign MSI is read back (the `msi` crate writes it here, not the backend, which refuses
/// such a package).
#[test]
fn x64_package_with_installer_version_below_200() {
    let with = |arch: &str, page_count: i32| {
        let mut package = Fixture::clean().build();
        package.summary_info_mut().set_arch(arch);
        package.summary_info_mut().set_page_count(page_count);
        let bytes = package.into_inner().unwrap().into_inner();
        packaging::validate::validate(&mut msi::Package::open(std::io::Cursor::new(bytes)).unwrap()).unwrap()
    };
    let found = only(&with("x64", 100), "x64-installer-version");
    assert_eq!((found[0].table.as_str(), found[0].row.as_str()), ("_SummaryInformation", "PageCount"));
    assert_eq!(found[0].severity, Severity::Error);
    assert!(with("x64", 200).findings.is_empty(), "{}", show(&with("x64", 200)));
    assert!(with("Intel", 100).findings.is_empty());
}
