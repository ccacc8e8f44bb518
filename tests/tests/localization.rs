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

/// A ru-ru strings file declaring Codepage 1251 (Cyrillic), with "Cancel" translated.
fn russian(dir: &Path) -> PathBuf {
    let en = std::fs::read_to_string(project_root().join("wix/strings/en-us.wxl")).unwrap();
    assert!(en.contains("Codepage=\"1252\""), "wix/strings/en-us.wxl no longer declares Codepage=\"1252\"");
    let ru = en
        .replace("Culture=\"en-us\"", "Culture=\"ru-ru\"")
        .replace("Codepage=\"1252\"", "Codepage=\"1251\"")
        .replace("<String Id=\"ProductLanguage\">1033</String>", "<String Id=\"ProductLanguage\">1049</String>")
        .replace(">Cancel</String>", ">Отмена</String>");
    let path = dir.join("ru-ru.wxl");
    std::fs::write(&path, ru).unwrap();
    path
}

/// WiX's rule: the `.wxl`'s Codepage becomes the database codepage (it overrides
/// `Product/@Codepage`, which the release leaves at 1252). The Cyrillic "Cancel" is stored in
/// Windows-1251 and read back by msitools, which decodes with the database codepage.
#[test]
fn a_wxl_codepage_sets_the_database_codepage() {
    let record = build_record();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = record.spec(&dir.path().join("ru.msi"));
    spec.localizations = vec![russian(dir.path())];
    packaging::wix::build(&spec).unwrap_or_else(|e| panic!("the ru-ru build failed: {e}"));
    let msi = dir.path().join("ru.msi");
    // "Отмена" in Windows-1251 (Microsoft's code page 1251 table: О CE, т F2, м EC, е E5, н ED,
    // а E0), as it must appear in the string pool; the UTF-8 form must not.
    let bytes = std::fs::read(&msi).unwrap();
    let cp1251: &[u8] = &[0xCE, 0xF2, 0xEC, 0xE5, 0xED, 0xE0];
    assert!(bytes.windows(cp1251.len()).any(|w| w == cp1251), "no Windows-1251 \"Отмена\" in the file");
    assert!(!bytes.windows(12).any(|w| w == "Отмена".as_bytes()), "the string is stored as UTF-8");
    // The msi crate reads the codepage; msitools (an independent reader) decodes the Control
    // table with it.
    assert_eq!(open_msi_at(&msi).database_codepage().id(), 1251);
    if !installer_tests::have_tool("msiinfo") {
        installer_tests::skip_or_fail("msiinfo (msitools) is not installed");
        return;
    }
    let out = std::process::Command::new("msiinfo").arg("export").arg(&msi).arg("_ForceCodepage").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1251\t_ForceCodepage"), "msiinfo export _ForceCodepage: {text}");
    let out = std::process::Command::new("msiinfo").arg("export").arg(&msi).arg("Control").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("msiinfo prints UTF-8");
    let cancels = text.lines().filter(|l| l.split('\t').nth(9) == Some("Отмена")).count();
    assert!(cancels > 0, "msiinfo does not read \"Отмена\" from the Control table");
}

#[test]
fn a_codepage_the_backend_cannot_write_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let de = german(dir.path());
    let text = std::fs::read_to_string(&de).unwrap().replace("Codepage=\"1252\"", "Codepage=\"65001\"");
    std::fs::write(&de, text).unwrap();
    let e = packaging::wix::check_localizations(&[de]).unwrap_err().to_string();
    assert!(e.contains("de-de.wxl") && e.contains("65001"), "{e}");
}
