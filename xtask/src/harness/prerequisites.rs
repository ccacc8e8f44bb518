//! The prerequisites of `wix/product.toml` as the Wine harness sees them: their names, their
//! registry detections, and the `regedit` file that makes a prefix look like a machine with
//! every `[[prerequisite]]` present (docs/target-machine.md).

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    prerequisite: Vec<Prereq>,
}

#[derive(Deserialize)]
struct Prereq {
    name: String,
    detect: toml::Value,
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
pub fn load(product_toml: &Path) -> Result<Vec<(String, Option<RegDetect>)>> {
    let text = std::fs::read_to_string(product_toml).with_context(|| format!("reading {}", product_toml.display()))?;
    let raw: Raw =
        toml::from_str(&text).with_context(|| format!("reading [[prerequisite]] from {}", product_toml.display()))?;
    Ok(raw
        .prerequisite
        .into_iter()
        .map(|p| {
            let reg = p.detect.get("registry").and_then(|r| {
                let s = |k: &str| r.get(k).and_then(toml::Value::as_str).map(str::to_string);
                let root = s("root").unwrap_or_default();
                (root.eq_ignore_ascii_case("HKLM")).then(|| RegDetect {
                    key: s("key").unwrap_or_default(),
                    value: s("value").unwrap_or_default(),
                    min_version: s("min_version"),
                })
            });
            (p.name, reg)
        })
        .collect())
}

/// The display names of every prerequisite.
pub fn names(product_toml: &Path) -> Result<Vec<String>> {
    Ok(load(product_toml)?.into_iter().map(|(n, _)| n).collect())
}

/// A `regedit` file setting every HKLM registry detection to its minimum (empty when the
/// product declares none). Detections of another kind (file, Windows version) are left to the
/// prefix as it is (Wine 8 reports Windows 10).
pub fn reg_file(product_toml: &Path) -> Result<String> {
    let list = load(product_toml)?;
    let regs: Vec<RegDetect> = list.into_iter().filter_map(|(_, r)| r).collect();
    if regs.is_empty() {
        return Ok(String::new());
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
    Ok(s)
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
        let toml = dir.path().join("product.toml");
        std::fs::write(
            &toml,
            r#"
name = "x"
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
        let reg = reg_file(&toml).unwrap();
        assert!(reg.contains("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full]\r\n\"Release\"=dword:00080ea8"), "{reg}");
        assert!(reg.contains("\"Version\"=\"14.30\""), "{reg}");
        assert_eq!(names(&toml).unwrap(), vec![".NET Framework 4.8", "VC", "Windows"]);
    }
}
