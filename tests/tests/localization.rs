//! Localization: a build takes one culture's `.wxl` strings, and the culture decides the
//! package's language: `ProductLanguage`, `Package/@Languages` (the summary information's
//! template, MSI SDK "Template Summary") and every dialog string. Built here with a second
//! culture made from the shipped en-us strings, from the same rendered sources as the release.

use std::path::{Path, PathBuf};

use installer_tests::{build_record, open_msi, open_msi_at, project_root, table_maps};

/// A de-de strings file: the shipped en-us strings with the German LCID (1031) and a few
/// strings translated, written into `dir`.
fn german(dir: &Path) -> PathBuf {
    let en = std::fs::read_to_string(project_root().join("wix/strings/en-us.wxl")).unwrap();
    for needle in ["Culture=\"en-us\"", "<String Id=\"ProductLanguage\">1033</String>", ">Cancel</String>"] {
        assert!(en.contains(needle), "wix/strings/en-us.wxl no longer contains {needle}");
    }
    let de = en
        .replace("Culture=\"en-us\"", "Culture=\"de-de\"")
        .replace("<String Id=\"ProductLanguage\">1033</String>", "<String Id=\"ProductLanguage\">1031</String>")
        .replace(">Cancel</String>", ">Abbrechen</String>");
    let path = dir.join("de-de.wxl");
    std::fs::write(&path, de).unwrap();
    path
}

fn property(msi: &mut msi::Package<std::fs::File>, name: &str) -> Option<String> {
    table_maps(msi, "Property").into_iter().find(|r| r["Property"] == name).map(|r| r["Value"].clone())
}

#[test]
fn the_release_is_built_in_its_culture() {
    let mut msi = open_msi();
    assert_eq!(property(&mut msi, "ProductLanguage").as_deref(), Some("1033"));
    assert_eq!(msi.summary_info().languages().iter().map(|l| l.id()).collect::<Vec<_>>(), [1033]);
    assert!(build_record().msi_name.contains("-en-us"), "the culture is not in the file name");
}

#[test]
fn a_second_culture_sets_the_language_everywhere() {
    let record = build_record();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = record.spec(&dir.path().join("de.msi"));
    spec.localizations = vec![german(dir.path())];
    packaging::wix::build(&spec).unwrap_or_else(|e| panic!("the de-de build failed: {e}"));
    let mut msi = open_msi_at(&dir.path().join("de.msi"));
    assert_eq!(property(&mut msi, "ProductLanguage").as_deref(), Some("1031"));
    let info = msi.summary_info();
    assert_eq!(info.languages().iter().map(|l| l.id()).collect::<Vec<_>>(), [1031], "summary template languages");
    // Every control text is the release's, with the translated strings translated.
    let texts = |msi: &mut msi::Package<std::fs::File>| -> Vec<(String, String, String)> {
        table_maps(msi, "Control")
            .into_iter()
            .map(|r| (r["Dialog_"].clone(), r["Control"].clone(), r["Text"].clone()))
            .collect()
    };
    let (en, de) = (texts(&mut open_msi()), texts(&mut msi));
    assert_eq!(en.len(), de.len());
    let mut translated = 0;
    for (e, d) in en.iter().zip(&de) {
        assert_eq!((&e.0, &e.1), (&d.0, &d.1));
        if e.2 == "Cancel" {
            assert_eq!(d.2, "Abbrechen", "{}.{}", d.0, d.1);
            translated += 1;
        } else {
            assert_eq!(e.2, d.2, "{}.{}", d.0, d.1);
        }
    }
    assert!(translated > 0, "no Cancel button found");
}

#[test]
fn a_codepage_the_backend_cannot_write_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let de = german(dir.path());
    let text = std::fs::read_to_string(&de).unwrap().replace("Codepage=\"1252\"", "Codepage=\"1251\"");
    std::fs::write(&de, text).unwrap();
    let e = packaging::wix::check_localizations(&[de]).unwrap_err().to_string();
    assert!(e.contains("de-de.wxl") && e.contains("1251"), "{e}");
}
