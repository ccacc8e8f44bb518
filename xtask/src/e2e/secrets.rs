//! The secret scan: every verbose log and every MSI table dump is searched for every secret a
//! scenario used, in each form it could leak in (UTF-8, UTF-16LE, and the base64 of both).

use base64ct::{Base64, Encoding};

/// One way a secret can appear in bytes.
#[derive(Debug, Clone)]
pub struct Form {
    /// `utf-8`, `utf-16le`, `base64(utf-8)`, `base64(utf-16le)`.
    pub label: &'static str,
    /// The bytes to look for.
    pub bytes: Vec<u8>,
}

/// Every form of `secret` the scan looks for.
pub fn forms(secret: &str) -> Vec<Form> {
    let utf8 = secret.as_bytes().to_vec();
    let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
    vec![
        Form { label: "base64(utf-8)", bytes: Base64::encode_string(&utf8).into_bytes() },
        Form { label: "base64(utf-16le)", bytes: Base64::encode_string(&utf16).into_bytes() },
        // The same base64 text as UTF-16 (a log written in UTF-16 would hold it that way).
        Form {
            label: "utf-16le(base64(utf-8))",
            bytes: Base64::encode_string(&utf8).encode_utf16().flat_map(u16::to_le_bytes).collect(),
        },
        Form { label: "utf-8", bytes: utf8 },
        Form { label: "utf-16le", bytes: utf16 },
    ]
}

/// A secret found where it must not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Which secret (by name, never its value).
    pub secret_name: String,
    /// In which form.
    pub form: &'static str,
    /// Byte offset of the first occurrence.
    pub offset: usize,
}

/// Searches `haystack` for every form of every `(name, value)` secret.
pub fn scan(haystack: &[u8], secrets: &[(String, String)]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (name, value) in secrets {
        if value.is_empty() {
            continue;
        }
        for form in forms(value) {
            if let Some(offset) = find(haystack, &form.bytes) {
                hits.push(Hit { secret_name: name.clone(), form: form.label, offset });
            }
        }
    }
    hits
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<(String, String)> {
        vec![("EXPORT_PASSWORD".into(), "S3cret-Pass!".into())]
    }

    #[test]
    fn each_form_is_found() {
        for form in forms("S3cret-Pass!") {
            let mut log = b"Property(S): X = ".to_vec();
            log.extend(&form.bytes);
            let hits = scan(&log, &secrets());
            assert!(hits.iter().any(|h| h.form == form.label), "{} not found", form.label);
            assert!(hits.iter().all(|h| h.secret_name == "EXPORT_PASSWORD"));
        }
    }

    #[test]
    fn a_clean_log_has_no_hits() {
        let log = "Property(S): EXPORT_PASSWORD = **********\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>();
        assert!(scan(&log, &secrets()).is_empty());
        assert!(scan(b"", &secrets()).is_empty());
    }

    #[test]
    fn base64_forms_are_right() {
        let f = forms("ab");
        assert_eq!(f[0].bytes, b"YWI=");
        // "ab" as UTF-16LE is 61 00 62 00.
        assert_eq!(f[1].bytes, b"YQBiAA==");
    }
}
