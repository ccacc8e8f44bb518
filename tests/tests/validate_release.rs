//! The release MSI built by `cargo xtask dist` passes every validation check (ICE-style and the
//! project's secret and DllEntry rules) with no finding at all, errors or warnings.

use installer_tests::{skip_or_fail, try_release_msi};
use packaging::validate::{secret_properties, validate_file, Db};

#[test]
fn release_msi_passes_every_check() {
    let Some(msi) = try_release_msi() else {
        skip_or_fail(&format!(
            "no single release MSI in {}: run `cargo xtask dist` first",
            installer_tests::dist_dir().display()
        ));
        return;
    };
    let report = validate_file(&msi).unwrap_or_else(|e| panic!("{e}"));
    let listing: String = report.findings.iter().map(|f| format!("  {f}\n")).collect();
    assert!(
        report.findings.is_empty(),
        "{} has {} error(s) and {} warning(s):\n{listing}",
        msi.display(),
        report.error_count(),
        report.warning_count()
    );
}

/// The secret rules are not vacuous on the release MSI: it has the two password properties of
/// the silent-install contract, so the hidden/secure/HideTarget rules actually ran on them.
#[test]
fn release_msi_secret_rules_see_the_contract_passwords() {
    let Some(msi) = try_release_msi() else {
        skip_or_fail("no single release MSI in the dist folder: run `cargo xtask dist` first");
        return;
    };
    let mut package = msi::open(&msi).unwrap();
    let db = Db::load(&mut package).unwrap();
    let secrets = secret_properties(&db);
    for name in ["EXPORT_PASSWORD", "SERVICE_PASSWORD"] {
        assert!(secrets.contains(name), "{name} not found in {} (found: {secrets:?})", msi.display());
    }
}
