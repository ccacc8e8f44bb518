//! The one place that says which names and relative paths the product accepts for files and
//! folders on the administrator's Windows machine.
//!
//! Used by build-time validation (`packaging`'s product config: folder names and
//! `embedded_connector.paths`), by the `.enc` writer (`export`) and reader (`verify`,
//! `decrypt`), and by the custom actions (`EMBEDDED_CONNECTOR_PATHS`), so that what `dist`
//! accepts is exactly what the installer and the tool accept. No dependencies, so every crate
//! can use it without a cycle.
//!
//! The rules follow Microsoft's "Naming Files, Paths, and Namespaces"
//! (<https://learn.microsoft.com/windows/win32/fileio/naming-a-file>), "Naming conventions":
//! - no reserved character `< > : " / \ | ? *` and no character 0-31;
//! - no reserved device name (`CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9` and
//!   the superscript-digit forms `COM¹²³`/`LPT¹²³`), also "followed immediately by an
//!   extension" (`NUL.txt`, `LPT1.log`); plus `CONIN$` and `CONOUT$`, the console names that
//!   `CreateFile` opens as devices (CreateFileW, "Consoles");
//! - no name ending in a space or a period (Win32 path normalisation strips them, so `a.` and
//!   `a` would be one file), and no `.` or `..` component.
//!
//! Beyond Windows' own rules, names with bidirectional-override or zero-width characters are
//! refused: they display as a different name (`verify` output, Explorer) than the one stored.
//! Names compare without case on Windows: [`fold`] gives the key to detect two paths that
//! would be one file.

use std::fmt;

/// Longest relative path accepted, in bytes (the `.enc` format's limit, docs/enc-format.md).
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest single name, in UTF-16 code units (NTFS and the Win32 API's component limit).
pub const MAX_NAME_UTF16: usize = 255;

/// Which separators a relative path may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separators {
    /// Only `/` (paths stored in a package; a `\` is refused).
    Slash,
    /// `/` or `\` (paths written by people: product config, MSI properties).
    Either,
}

/// Why a name or path is refused: the offending component and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The component (or the whole path for path-level rules).
    pub component: String,
    /// The rule it breaks, in words.
    pub reason: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.component, self.reason)
    }
}

impl std::error::Error for Refused {}

/// Characters Windows reserves in names (besides 0-31).
const RESERVED_CHARS: &[char] = &['<', '>', ':', '"', '/', '\\', '|', '?', '*'];

/// Device names, compared without case against the part of a name before its first period.
const DEVICES: &[&str] = &["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

/// Whether `c` changes how the text around it is displayed without being visible itself:
/// bidirectional embeddings, overrides, isolates and marks, zero-width characters and the
/// byte-order mark (Unicode UAX #9 and the `Cf` characters a file name has no use for).
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Checks one file or folder name against the rules above.
pub fn check_name(name: &str) -> Result<(), Refused> {
    let refuse = |reason| Err(Refused { component: name.to_owned(), reason });
    if name.is_empty() {
        return refuse("is empty");
    }
    if name == "." || name == ".." {
        return refuse("is `.` or `..`");
    }
    if name.chars().any(|c| (c as u32) < 32 || c == '\u{7F}' || c.is_control()) {
        return refuse("contains a control character");
    }
    if name.contains(RESERVED_CHARS) {
        return refuse("contains one of < > : \" / \\ | ? * (reserved on Windows)");
    }
    if name.chars().any(is_invisible_or_bidi) {
        return refuse("contains an invisible or bidirectional-override character (it would display as another name)");
    }
    if name.ends_with(['.', ' ']) {
        return refuse("ends with a period or a space (Windows drops them: it would be another file's name)");
    }
    if name.encode_utf16().count() > MAX_NAME_UTF16 {
        return refuse("is longer than 255 characters");
    }
    if is_device_name(name) {
        return refuse("is a reserved Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$)");
    }
    Ok(())
}

/// Whether `name` names a device: its part before the first period (trailing spaces removed,
/// as Win32 normalisation does) is a device name, without regard to case.
fn is_device_name(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = base.to_ascii_uppercase();
    if DEVICES.contains(&upper.as_str()) {
        return true;
    }
    let Some(rest) = upper.strip_prefix("COM").or_else(|| upper.strip_prefix("LPT")) else {
        return false;
    };
    let mut chars = rest.chars();
    matches!((chars.next(), chars.next()), (Some('0'..='9' | '¹' | '²' | '³'), None))
}

/// Checks a relative path and returns its components: non-empty, at most [`MAX_PATH_BYTES`]
/// bytes, not absolute, no drive or UNC prefix, no empty component (`a//b`, a trailing
/// separator), and every component a valid name ([`check_name`]).
pub fn check_relative_path(path: &str, separators: Separators) -> Result<Vec<&str>, Refused> {
    let refuse = |reason| Err(Refused { component: path.to_owned(), reason });
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.len() > MAX_PATH_BYTES {
        return refuse("is longer than 1024 bytes");
    }
    let components: Vec<&str> = match separators {
        Separators::Slash => path.split('/').collect(),
        Separators::Either => path.split(['/', '\\']).collect(),
    };
    if components.first() == Some(&"") {
        return refuse("is absolute (starts with a separator)");
    }
    for c in &components {
        if c.is_empty() {
            return refuse("has an empty component (doubled or trailing separator)");
        }
        check_name(c)?;
    }
    Ok(components)
}

/// The key under which Windows would consider two names (or paths) the same: case folded
/// (NTFS compares names through its upper-case table; Unicode simple upper-casing is the
/// closest portable approximation), separators unified.
pub fn fold(path: &str) -> String {
    path.chars().flat_map(char::to_uppercase).map(|c| if c == '\\' { '/' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expectations are taken from Microsoft's "Naming Files, Paths, and Namespaces" page
    // (naming conventions), not from the code: each bad name is one rule of that page.
    #[test]
    fn windows_reserved_names_and_characters() {
        for bad in [
            "CON",
            "con",
            "Con.txt",
            "NUL",
            "nul.tar.gz",
            "PRN",
            "AUX",
            "COM1",
            "com9",
            "COM0",
            "LPT1.log",
            "lpt0",
            "COM¹",
            "LPT³.x",
            "CONIN$",
            "conout$",
            "NUL .txt",
            "a<b",
            "a>b",
            "a:b",
            "a\"b",
            "a|b",
            "a?b",
            "a*b",
            "a\u{1}b",
            "a\u{1f}",
            "x.",
            "x ",
            "x. .",
            ".",
            "..",
            "",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} must be refused");
        }
        for good in ["a", "CONFIG", "CON1", "COM10", "LPT", "COMx", "console.log", ".hidden", "a b", "é.txt", "..a"] {
            assert_eq!(check_name(good), Ok(()), "{good:?} must be accepted");
        }
    }

    #[test]
    fn spoofing_characters_are_refused() {
        for bad in ["evil\u{202E}txt.exe", "a\u{200B}b", "a\u{200D}", "\u{FEFF}a", "a\u{2066}b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn long_names() {
        assert!(check_name(&"x".repeat(255)).is_ok());
        assert!(check_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn relative_paths() {
        assert_eq!(check_relative_path("a/b.xml", Separators::Slash).unwrap(), vec!["a", "b.xml"]);
        assert_eq!(check_relative_path("a\\b", Separators::Either).unwrap(), vec!["a", "b"]);
        assert!(check_relative_path("a\\b", Separators::Slash).is_err(), "a package path has no backslash");
        for bad in [
            "",
            "/a",
            "\\a",
            "a/",
            "a//b",
            ".",
            "./a",
            "a/./b",
            "..\\..\\Windows\\System32\\config",
            "a/..",
            "C:\\x",
            "C:x",
            "\\\\server\\share",
            "a/CON/b",
            "a/b.",
        ] {
            assert!(check_relative_path(bad, Separators::Either).is_err(), "{bad:?}");
        }
        assert!(check_relative_path(&"a/".repeat(512), Separators::Slash).is_err());
    }

    #[test]
    fn folding_matches_windows_case_insensitivity() {
        assert_eq!(fold("Conf\\A.xml"), fold("conf/a.XML"));
        assert_eq!(fold("ä"), fold("Ä"));
        assert_ne!(fold("a"), fold("b"));
    }
}
