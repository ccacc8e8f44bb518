//! The prerequisites of `wix/product.toml` as the Wine harness sees them: their names, their
//! registry detections, and the `regedit` file that makes a prefix look like a machine with
//! every `[[prerequisite]]` present (docs/target-machine.md).

use std::path::Path;

use anyhow::{Context, Result};
use packaging::prerequisites::{Detect, Prerequisite, RegistryRoot};
use packaging::product::ProductConfig;
use serde::Deserialize;

/// A file of `[[prerequisite]]` entries only (`wix/prereq-packages/test-prerequisite.toml`),
/// read with the product config's own types, so it is exactly as strict.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrerequisiteFile {
    prerequisite: Vec<Prerequisite>,
}

/// The prerequisites of a product config (read by the strict `packaging::product` loader).
pub fn of_product(product_toml: &Path) -> Result<Vec<Prerequisite>> {
    Ok(ProductConfig::load(product_toml)?.prerequisite)
}

/// The prerequisites of a file that holds only `[[prerequisite]]` entries.
pub fn of_file(path: &Path) -> Result<Vec<Prerequisite>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: PrerequisiteFile = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    Ok(file.prerequisite)
}

/// A registry detection: hive-relative key, value name and the lowest accepted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegDetect {
    /// The key under `HKEY_LOCAL_MACHINE`.
    pub key: String,
    /// The value name (empty: the default value).
    pub value: String,
    /// The lowest accepted value, if any.
    pub min_version: Option<String>,
}

/// Every prerequisite: its display name and its HKLM registry detection (if it has one).
pub fn load(list: &[Prerequisite]) -> Vec<(String, Option<RegDetect>)> {
    list.iter()
        .map(|p| {
            let reg = match &p.detect {
                Detect::Registry { root: RegistryRoot::LocalMachine, key, value, min_version } => {
                    Some(RegDetect { key: key.clone(), value: value.clone(), min_version: min_version.clone() })
                }
                _ => None,
            };
            (p.name.clone(), reg)
        })
        .collect()
}

/// The display names of every prerequisite.
pub fn names(list: &[Prerequisite]) -> Vec<String> {
    list.iter().map(|p| p.name.clone()).collect()
}

/// A `regedit` file setting every HKLM registry detection to its minimum (empty when the
/// product declares none). Detections of another kind (file, Windows version) are left to the
/// prefix as it is (Wine 8 reports Windows 10).
pub fn reg_file(list: &[Prerequisite]) -> String {
    let regs: Vec<RegDetect> = load(list).into_iter().filter_map(|(_, r)| r).collect();
    if regs.is_empty() {
        return String::new();
    }
    let mut s = String::from("Windows Registry Editor Version 5.00\r\n");
    for r in regs {
        s.push_str(&format!("\r\n[HKEY_LOCAL_MACHINE\\{}]\r\n", r.key));
        let name = if r.value.is_empty() { "@".to_string() } else { format!("\"{}\"", escape(&r.value)) };
        let data = match r.min_version.as_deref() {
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<u32>().is_ok() => {
                format!("dword:{:08x}", v.parse::<u32>().unwrap_or(0))
            }
            Some(v) => format!("\"{}\"", escape(v)),
            None => "\"1\"".to_string(),
        };
        s.push_str(&format!("{name}={data}\r\n"));
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_file_sets_each_registry_detection() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("prerequisites.toml");
        std::fs::write(
            &toml,
            r#"
[[prerequisite]]
id = "NetFx48"
name = ".NET Framework 4.8"
detect = { registry = { root = "HKLM", key = 'SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full', value = "Release", min_version = "528040" } }
[[prerequisite]]
id = "Vc"
name = "VC"
detect = { registry = { root = "HKLM", key = 'SOFTWARE\VC', value = "Version", min_version = "14.30" } }
[[prerequisite]]
id = "Win"
name = "Windows"
detect = { windows = { min_version = "10.0.14393" } }
"#,
        )
        .unwrap();
        let list = of_file(&toml).unwrap();
        let reg = reg_file(&list);
        assert!(reg.contains("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full]\r\n\"Release\"=dword:00080ea8"), "{reg}");
        assert!(reg.contains("\"Version\"=\"14.30\""), "{reg}");
        assert_eq!(names(&list), vec![".NET Framework 4.8", "VC", "Windows"]);
        // As strict as the product config: an unknown key is an error, not ignored.
        std::fs::write(&toml, "[[prerequisite]]\nid = \"A\"\nname = \"A\"\ndetek = {}\n").unwrap();
        assert!(of_file(&toml).is_err());
    }

    #[test]
    fn the_shipped_files_read_strictly() {
        let root = crate::project_root();
        assert!(!of_file(&root.join("wix/prereq-packages/test-prerequisite.toml")).unwrap().is_empty());
        of_product(&root.join("wix/product.toml")).unwrap();
    }
}
