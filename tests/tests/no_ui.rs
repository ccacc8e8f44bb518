//! `[refs] ui = ""` (docs/product-config.md: "empty = no dialogs") builds an MSI without the
//! dialogs: the backend links only the fragments the product references (WiX's rule,
//! packaging/tests/link_semantics.rs), so the `wix/ui/*.wxs` fragments, which only
//! `<UIRef Id="IdmUI"/>` reaches, leave nothing behind, and everything else is the release's.
//! The expectations are read from the UI sources themselves and from the release MSI, not from
//! the backend. (That such an MSI installs is the e2e scenario `no-ui-install`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use installer_tests::{open_msi_at, product_config, project_root, release_msi, skip_or_fail, table_rows, xtask_binary};

/// The tables only a user interface fills (MSI SDK "User Interface Tables" plus the dialogs'
/// styles and sequences' dialog rows are checked separately).
const UI_TABLES: &[&str] = &[
    "ActionText",
    "Dialog",
    "Control",
    "ControlEvent",
    "ControlCondition",
    "EventMapping",
    "TextStyle",
    "RadioButton",
    "CheckBox",
    "ComboBox",
    "ListBox",
    "ListView",
    "UIText",
    "Billboard",
    "BBControl",
];

/// The `<Property Id>`s the UI sources define.
fn ui_properties() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(project_root().join("wix/ui")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        out.extend(
            doc.descendants()
                .filter(|n| n.has_tag_name("Property"))
                .filter_map(|n| n.attribute("Id").map(String::from)),
        );
    }
    out
}

fn tables(msi: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut pkg = open_msi_at(msi);
    let names: Vec<String> = pkg.tables().map(|t| t.name().to_string()).collect();
    // Sorted: the order rows are stored in is not part of what a table says.
    names
        .into_iter()
        .map(|n| {
            let mut rows = table_rows(&mut pkg, &n);
            rows.sort();
            (n, rows)
        })
        .collect()
}

#[test]
fn an_empty_ui_ref_builds_the_release_without_its_dialogs() {
    let Some(xtask) = xtask_binary() else {
        skip_or_fail("the xtask binary is not built: run `cargo xtask test` (or `cargo xtask dist` once)");
        return;
    };
    let root = project_root();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root.join("wix/product.toml")).unwrap();
    assert!(text.contains("ui = \"IdmUI\""), "wix/product.toml no longer says ui = \"IdmUI\"");
    let wix = root.join("wix").to_string_lossy().replace('\\', "/");
    let text = text
        .replace("ui = \"IdmUI\"", "ui = \"\"")
        .replace("dir = \"sample-payload\"", &format!("dir = \"{wix}/sample-payload\""));
    let config = dir.path().join("product.toml");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("dist");
    let run = Command::new(xtask)
        .args(["-q", "dist", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let c = product_config();
    let msi = out.join(format!("{}-{}-x64-en-us.msi", c.slug, c.version));
    let without = tables(&msi);
    let release = tables(&release_msi());

    // The release has dialogs; this build none, and no row in any UI table.
    assert!(release["Dialog"].len() > 10, "the release lost its dialogs");
    for t in UI_TABLES {
        let rows = without.get(*t).map_or(0, Vec::len);
        assert_eq!(rows, 0, "{t} has {rows} rows without a UI");
    }
    // No dialog in any sequence, no property only the dialogs define.
    let dialogs: BTreeSet<&String> = release["Dialog"].iter().map(|r| &r[0]).collect();
    for seq in ["InstallUISequence", "AdminUISequence"] {
        let shown: Vec<&String> =
            without.get(seq).into_iter().flatten().map(|r| &r[0]).filter(|a| dialogs.contains(a)).collect();
        assert!(shown.is_empty(), "{seq} still shows {shown:?}");
    }
    let ui_props = ui_properties();
    assert!(ui_props.contains("DefaultUIFont") && ui_props.contains("ErrorDialog"), "{ui_props:?}");
    let props: BTreeMap<&str, &String> = without["Property"].iter().map(|r| (r[0].as_str(), &r[1])).collect();
    for p in &ui_props {
        assert!(!props.contains_key(p.as_str()), "dialog-only property {p} is in the MSI without dialogs");
    }
    // Everything else is the release's: every non-UI property with its value (the two lists
    // of secure and hidden properties less what only the dialogs declare), every other table.
    for r in &release["Property"] {
        let (name, value) = (&r[0], &r[1]);
        if ui_props.contains(name) {
            continue;
        }
        if name == "SecureCustomProperties" || name == "MsiHiddenProperties" {
            let want: Vec<&str> =
                value.split(';').filter(|p| !ui_props.contains(*p) || *p == "INSTALLFOLDER").collect();
            assert_eq!(props.get(name.as_str()).map(|v| v.split(';').collect::<Vec<_>>()), Some(want), "{name}");
        } else {
            assert_eq!(props.get(name.as_str()), Some(&value), "Property {name}");
        }
    }
    assert!(props["SecureCustomProperties"].split(';').any(|p| p == "INSTALLFOLDER"), "INSTALLFOLDER must stay secure");
    for (t, rows) in &release {
        let skip = UI_TABLES.contains(&t.as_str())
            || t.starts_with('_')
            || ["Property", "InstallUISequence", "AdminUISequence", "Binary"].contains(&t.as_str());
        if !skip {
            assert_eq!(without.get(t), Some(rows), "table {t} differs from the release's");
        }
    }
}
