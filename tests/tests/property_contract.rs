//! The property contract (`wix/properties.toml`) against everything that restates it: the
//! tables in the README and in the shipped `docs/silent-install.md` (rendered from it), the
//! built MSI's Property table, `SecureCustomProperties` and `MsiHiddenProperties`, and the
//! custom actions' own constants (the password minimum, the default cluster name, the property
//! names they read).
//!
//! `IDM_UPDATE_DOCS=1 cargo test -p installer-tests --test property_contract` rewrites the two
//! tables after a change to the contract.

use std::collections::{BTreeMap, BTreeSet};

use installer_tests::{open_msi, project_root, table_maps};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contract {
    public: Vec<Public>,
    internal: Vec<Internal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Public {
    name: String,
    values: String,
    default: String,
    value: Option<String>,
    secure: bool,
    hidden: bool,
    min_length: Option<usize>,
    meaning: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Internal {
    name: String,
    secure: bool,
    hidden: bool,
    #[allow(dead_code)] // documentation for the reader of the TOML
    why: String,
}

fn contract() -> Contract {
    let path = project_root().join("wix/properties.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const BEGIN: &str =
    "<!-- property-contract:begin (rendered from wix/properties.toml; tests/tests/property_contract.rs) -->";
const END: &str = "<!-- property-contract:end -->";

/// The Markdown table of the public properties.
fn render(contract: &Contract) -> String {
    let mut t = String::from("| property | values | default | meaning |\n| --- | --- | --- | --- |\n");
    for p in &contract.public {
        let values = match p.min_length {
            Some(n) => format!("{}, {n} characters or more", p.values),
            None => p.values.clone(),
        };
        let meaning =
            if p.hidden { format!("{}; hidden: never written to the log", p.meaning) } else { p.meaning.clone() };
        t.push_str(&format!("| `{}` | {values} | {} | {meaning} |\n", p.name, p.default));
    }
    t
}

#[test]
fn docs_tables_are_rendered_from_the_contract() {
    let table = render(&contract());
    let mut stale = Vec::new();
    for doc in ["README.md", "docs/silent-install.md"] {
        let path = project_root().join(doc);
        let text = std::fs::read_to_string(&path).unwrap();
        let (Some(a), Some(b)) = (text.find(BEGIN), text.find(END)) else {
            panic!("{doc} lacks the markers\n{BEGIN}\n{END}");
        };
        let current = &text[a + BEGIN.len()..b];
        let wanted = format!("\n{table}");
        if current != wanted {
            if std::env::var_os("IDM_UPDATE_DOCS").is_some() {
                std::fs::write(&path, format!("{}{BEGIN}{wanted}{}", &text[..a], &text[b..])).unwrap();
            } else {
                stale.push(doc);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from wix/properties.toml; run `IDM_UPDATE_DOCS=1 cargo test -p installer-tests --test \
         property_contract` to rewrite them. The table:\n{table}"
    );
}

#[test]
fn the_contract_is_well_formed() {
    let c = contract();
    let mut seen = BTreeSet::new();
    for name in c.public.iter().map(|p| &p.name).chain(c.internal.iter().map(|p| &p.name)) {
        assert!(seen.insert(name.clone()), "{name} is declared twice");
    }
    for p in &c.public {
        // MSI SDK "Public Properties": only upper-case names can be set on the command line.
        assert!(
            p.name.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_'),
            "{} is not a public (upper-case) property name",
            p.name
        );
        assert!(!p.meaning.trim().is_empty() && !p.values.trim().is_empty(), "{}", p.name);
        if p.hidden {
            assert!(p.secure, "{}: a hidden (password) property must also be secure", p.name);
            assert!(p.value.is_none(), "{}: a password never has a default value", p.name);
        }
    }
    for p in &c.internal {
        assert!(p.secure || p.hidden, "{}: an internal entry is only for Secure or Hidden properties", p.name);
    }
}

#[test]
fn the_custom_actions_agree_with_the_contract() {
    let c = contract();
    let public: BTreeMap<&str, &Public> = c.public.iter().map(|p| (p.name.as_str(), p)).collect();
    use custom_actions::connector as k;
    // Every public property the connector actions read is in the contract.
    for name in [k::INSTALLFOLDER, k::ACTION, k::PASSWORD, k::EXPORT_FOLDER, k::CLUSTER_NAME, k::DOMAIN_NAME] {
        assert!(
            public.contains_key(name),
            "the custom actions read {name}, which wix/properties.toml does not declare"
        );
    }
    assert!(public.contains_key(k::PREVIOUS_VERSION));
    assert_eq!(public[k::PASSWORD].min_length, Some(custom_actions::enc::MIN_PASSWORD_LEN));
    assert!(public[k::CLUSTER_NAME].default.contains(&format!("`{}`", k::DEFAULT_CLUSTER)));
}

#[test]
fn the_msi_declares_exactly_the_contract() {
    let c = contract();
    let mut package = open_msi();
    let properties: BTreeMap<String, String> =
        table_maps(&mut package, "Property").into_iter().map(|r| (r["Property"].clone(), r["Value"].clone())).collect();
    let list = |name: &str| -> BTreeSet<String> {
        properties
            .get(name)
            .map(|v| v.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let all = || {
        c.public
            .iter()
            .map(|p| (p.name.clone(), p.secure, p.hidden))
            .chain(c.internal.iter().map(|p| (p.name.clone(), p.secure, p.hidden)))
    };
    let secure: BTreeSet<String> = all().filter(|p| p.1).map(|p| p.0).collect();
    let hidden: BTreeSet<String> = all().filter(|p| p.2).map(|p| p.0).collect();
    assert_eq!(list("SecureCustomProperties"), secure, "SecureCustomProperties vs wix/properties.toml");
    assert_eq!(list("MsiHiddenProperties"), hidden, "MsiHiddenProperties vs wix/properties.toml");
    for p in &c.public {
        assert_eq!(properties.get(&p.name), p.value.as_ref(), "{}: the Property table's default", p.name);
    }
}
