//! Property references in `Formatted` strings (`[NAME]`) and in conditions (`NAME = "x"`).
//!
//! Hand-written: the two grammars are small (MSI SDK, "Formatted" and "Conditional Statement
//! Syntax") and no maintained crate parses them.

/// The property names referenced as `[NAME]` in a formatted string. Skips the special forms
/// `[#file]`, `[!file]`, `[$component]`, `[%ENV]`, `[\x]`, `[~]` and nested brackets' outer parts.
pub fn formatted_refs(text: &str) -> Vec<&str> {
    let mut refs = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = &after[..close];
        // `[[NAME]]` indirection: the inner `[` restarts the scan.
        if let Some(nested) = inner.rfind('[') {
            rest = &after[nested..];
            continue;
        }
        if is_property_name(inner) {
            refs.push(inner);
        }
        rest = &after[close + 1..];
    }
    refs
}

/// The property names referenced in a condition: identifiers outside string literals that are
/// not operators and not component/feature state references (`$C`, `&F`, `?C`, `!F`) or
/// environment variables (`%ENV`).
pub fn condition_refs(text: &str) -> Vec<&str> {
    const OPERATORS: [&str; 6] = ["NOT", "AND", "OR", "XOR", "EQV", "IMP"];
    let mut refs = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            // String literal: skip to the closing quote.
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            let word = &text[start..i];
            let prefixed = start > 0 && matches!(bytes[start - 1], b'$' | b'&' | b'?' | b'!' | b'%');
            if !prefixed && !OPERATORS.iter().any(|op| op.eq_ignore_ascii_case(word)) {
                refs.push(word);
            }
        } else if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    refs
}

/// True for a plain property name (the MSI `Identifier` shape).
pub fn is_property_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// True when every letter of the name is upper case (a public property, MSI SDK "Public
/// Properties").
pub fn is_public(name: &str) -> bool {
    !name.chars().any(|c| c.is_ascii_lowercase())
}

/// The public properties Windows Installer passes to the server side of a managed install
/// without `SecureCustomProperties` (MSI SDK "Restricted Public Properties", the default list).
pub const RESTRICTED_PUBLIC: &[&str] = &[
    "ACTION",
    "AFTERREBOOT",
    "ALLUSERS",
    "EXECUTEACTION",
    "EXECUTEMODE",
    "FILEADDDEFAULT",
    "FILEADDLOCAL",
    "FILEADDSOURCE",
    "INSTALLLEVEL",
    "LIMITUI",
    "LOGACTION",
    "NOCOMPANYNAME",
    "NOUSERNAME",
    "MSIENFORCEUPGRADECOMPONENTRULES",
    "MSIINSTANCEGUID",
    "MSINEWINSTANCE",
    "MSIPATCHREMOVE",
    "PATCH",
    "PRIMARYFOLDER",
    "PROMPTROLLBACKCOST",
    "REBOOT",
    "REINSTALL",
    "REINSTALLMODE",
    "RESUME",
    "SEQUENCE",
    "SHORTFILENAMES",
    "TRANSFORMS",
    "TRANSFORMSATSOURCE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_refs_skip_special_forms() {
        assert_eq!(
            formatted_refs("[INSTALLFOLDER]x;[#File1];[SERVICE_PASSWORD];[%TEMP];[[INDIRECT]]"),
            vec!["INSTALLFOLDER", "SERVICE_PASSWORD", "INDIRECT"]
        );
        assert!(formatted_refs("no refs [").is_empty());
    }

    #[test]
    fn condition_refs_skip_literals_operators_and_states() {
        assert_eq!(
            condition_refs(r#"NOT Installed AND (CEIP_OPTIN = "1" OR &Main=3) AND %PATH AND VersionNT >= 600"#),
            vec!["Installed", "CEIP_OPTIN", "VersionNT"]
        );
    }
}
