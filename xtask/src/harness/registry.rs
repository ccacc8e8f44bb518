//! A reader for Wine's registry files (`<prefix>/system.reg`, the `HKEY_LOCAL_MACHINE` hive),
//! so scenarios can assert installed products and service configuration without starting
//! `wine reg query` (a second per query) for every value.
//!
//! Hand-written because no maintained crate reads Wine's text format (the `nt-hive`-style
//! crates read binary Windows hives). The format: `[Key\\Path] <timestamp>` opens a key (paths
//! relative to the hive, `\\`-escaped); `"name"=value` and `@=value` lines hold values:
//! `"text"`, `str(2):"text"` (REG_EXPAND_SZ), `dword:0000002a`, `hex...:` (continued with a
//! trailing `\`). Strings escape `\\`, `\"`, `\n`, `\r`, `\t`, `\0` and `\xHHHH`.

use std::collections::BTreeMap;

/// One registry value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `REG_SZ` or `REG_EXPAND_SZ`.
    Str(String),
    /// `REG_DWORD`.
    Dword(u32),
    /// Any other type, as written in the file.
    Other(String),
}

impl Value {
    /// The value as text (a DWORD in decimal).
    pub fn text(&self) -> String {
        match self {
            Value::Str(s) | Value::Other(s) => s.clone(),
            Value::Dword(d) => d.to_string(),
        }
    }
}

/// One key: its name as written and its values (names compared case-insensitively).
#[derive(Debug, Clone, Default)]
pub struct Key {
    /// The key path as written in the file (unescaped), e.g. `Software\Microsoft`.
    pub path: String,
    /// Values by lower-cased name (`""` is the default value).
    pub values: BTreeMap<String, Value>,
}

impl Key {
    /// A value by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(&name.to_ascii_lowercase())
    }

    /// A string value by name, or `""`.
    pub fn str(&self, name: &str) -> String {
        self.get(name).map(Value::text).unwrap_or_default()
    }
}

/// A parsed hive: keys by lower-cased path.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    keys: BTreeMap<String, Key>,
}

impl Registry {
    /// Parses the text of a Wine registry file. Lines it does not understand are skipped.
    pub fn parse(text: &str) -> Registry {
        let mut keys = BTreeMap::new();
        let mut current: Option<Key> = None;
        let mut continued = false;
        for raw in text.lines() {
            let line = raw.trim_end_matches('\r');
            if continued {
                continued = line.ends_with('\\');
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                if let Some(key) = current.take() {
                    keys.insert(key.path.to_ascii_lowercase(), key);
                }
                if let Some((path, _)) = split_quoted(rest, ']') {
                    current = Some(Key { path, values: BTreeMap::new() });
                }
                continue;
            }
            let Some(key) = current.as_mut() else { continue };
            let (name, rest) = if let Some(rest) = line.strip_prefix('"') {
                match split_quoted(rest, '"') {
                    Some((name, after)) => (name, after),
                    None => continue,
                }
            } else if let Some(rest) = line.strip_prefix('@') {
                (String::new(), rest.to_string())
            } else {
                continue;
            };
            let Some(data) = rest.strip_prefix('=') else { continue };
            continued = data.ends_with('\\');
            let value = if let Some(s) = data.strip_prefix('"') {
                split_quoted(s, '"').map(|(v, _)| Value::Str(v))
            } else if let Some(s) = data.strip_prefix("str(2):\"") {
                split_quoted(s, '"').map(|(v, _)| Value::Str(v))
            } else if let Some(s) = data.strip_prefix("dword:") {
                u32::from_str_radix(s.trim(), 16).ok().map(Value::Dword)
            } else {
                Some(Value::Other(data.to_string()))
            };
            if let Some(value) = value {
                key.values.insert(name.to_ascii_lowercase(), value);
            }
        }
        if let Some(key) = current.take() {
            keys.insert(key.path.to_ascii_lowercase(), key);
        }
        Registry { keys }
    }

    /// A key by path relative to the hive (`Software\Microsoft\...`, case-insensitive; a
    /// leading `HKLM\` or `HKEY_LOCAL_MACHINE\` is accepted).
    pub fn key(&self, path: &str) -> Option<&Key> {
        self.keys.get(&normalise(path))
    }

    /// The direct subkeys of `path` (their last path element).
    pub fn subkeys(&self, path: &str) -> Vec<String> {
        let prefix = format!("{}\\", normalise(path));
        self.keys
            .iter()
            .filter_map(|(k, key)| {
                let rest = k.strip_prefix(&prefix)?;
                (!rest.contains('\\')).then(|| key.path.rsplit('\\').next().unwrap_or_default().to_string())
            })
            .collect()
    }
}

fn normalise(path: &str) -> String {
    let p = path.trim_matches('\\');
    let p = p
        .strip_prefix("HKEY_LOCAL_MACHINE\\")
        .or_else(|| p.strip_prefix("HKLM\\"))
        .or_else(|| p.strip_prefix("hklm\\"))
        .unwrap_or(p);
    p.to_ascii_lowercase()
}

/// Unescapes text up to the unescaped `end` character; returns it and what follows `end`.
fn split_quoted(text: &str, end: char) -> Option<(String, String)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == end {
            return Some((out, text[i + c.len_utf8()..].to_string()));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()?.1 {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            'x' => {
                let rest = &text[chars.clone().next()?.0..];
                let hex: String = rest.chars().take(4).take_while(|c| c.is_ascii_hexdigit()).collect();
                for _ in 0..hex.len() {
                    chars.next();
                }
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"WINE REGISTRY Version 2
;; All keys relative to \\Machine

[Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{1B0452E4-3045-4CF0-BF0F-85165A75716D}] 1795743542
#time=1dd7e1014e01826
"DisplayName"="E2E \"Dev\""
"DisplayVersion"="1.0.1"
"EstimatedSize"=dword:0000002a
"Blob"=hex:01,02,\
  03,04
"After"="x"

[System\\CurrentControlSet\\Services\\IdmSample] 1795743490
"ImagePath"=str(2):"\"C:\\Program Files\\VMware\\svc.exe\""
"ObjectName"="LocalSystem"
@="caf\x00e9"
"#;

    #[test]
    fn values_and_escapes_are_read() {
        let reg = Registry::parse(SAMPLE);
        let un = reg
            .key(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\{1b0452e4-3045-4cf0-bf0f-85165a75716d}")
            .expect("uninstall key");
        assert_eq!(un.str("displayname"), "E2E \"Dev\"");
        assert_eq!(un.str("DisplayVersion"), "1.0.1");
        assert_eq!(un.get("EstimatedSize"), Some(&Value::Dword(42)));
        // The continuation line of the hex value is not taken for a value.
        assert_eq!(un.str("After"), "x");
        let svc = reg.key(r"System\CurrentControlSet\Services\IdmSample").expect("service key");
        assert_eq!(svc.str("ImagePath"), r#""C:\Program Files\VMware\svc.exe""#);
        assert_eq!(svc.str("ObjectName"), "LocalSystem");
        assert_eq!(svc.str(""), "caf\u{e9}");
    }

    #[test]
    fn subkeys_are_listed() {
        let reg = Registry::parse(SAMPLE);
        assert_eq!(
            reg.subkeys(r"Software\Microsoft\Windows\CurrentVersion\Uninstall"),
            vec!["{1B0452E4-3045-4CF0-BF0F-85165A75716D}".to_string()]
        );
        assert!(reg.subkeys(r"Software\Nothing").is_empty());
    }
}
