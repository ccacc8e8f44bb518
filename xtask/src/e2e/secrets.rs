//! The secret scan: every verbose log, every MSI table dump and the other artefacts of a run
//! (registry hives, temporary folders) are searched for every secret a scenario used, in each
//! form it could leak in.
//!
//! Forms (issue 14 finding 15): the text itself as UTF-8, UTF-16LE and UTF-16BE; lower- and
//! upper-case hex of its UTF-8 and UTF-16LE bytes; percent-encoding (URL), XML/HTML character
//! escapes (named, hexadecimal and decimal) and JSON string escapes; base64 and base64url of the UTF-8 and UTF-16LE bytes at
//! every alignment inside a longer blob (a secret that does not start on a 3-byte boundary or
//! is not at the blob's end still leaves the middle of its encoding), also as UTF-16LE text.
//! Text forms are matched without regard to ASCII case (a log that upper-cases a value, `%2f`
//! vs `%2F`, hex of either case); base64 is matched exactly (its case carries the bits).

use base64ct::{Base64, Base64UrlUnpadded, Encoding};

/// One way a secret can appear in bytes.
#[derive(Debug, Clone)]
pub struct Form {
    /// e.g. `utf-8`, `utf-16be`, `hex(utf-8)`, `base64(utf-16le)+1`.
    pub label: String,
    /// The bytes to look for.
    pub bytes: Vec<u8>,
    /// Compared without regard to ASCII case.
    pub any_case: bool,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encoding of everything but RFC 3986 unreserved characters.
fn url(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// XML escapes: the five named entities; other characters as they are.
fn xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&apos;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// XML numeric character references for every character, hexadecimal (`&#x53;&#x33;...`) or
/// decimal (`&#83;&#51;...`, as HTML encoders write them).
fn xml_numeric(s: &str, decimal: bool) -> String {
    s.chars().map(|c| if decimal { format!("&#{};", c as u32) } else { format!("&#x{:x};", c as u32) }).collect()
}

/// JSON string escapes as serde_json writes them, and with every non-alphanumeric as `\uXXXX`.
fn json_forms(s: &str) -> Vec<String> {
    let plain = serde_json::to_string(s).expect("a string serializes");
    let plain = plain[1..plain.len() - 1].to_string();
    let all: String = s
        .encode_utf16()
        .map(|u| match char::from_u32(u32::from(u)) {
            Some(c) if c.is_ascii_alphanumeric() => c.to_string(),
            _ => format!("\\u{u:04x}"),
        })
        .collect();
    // Python's json.dumps and others: the required escapes, and non-ASCII as \uXXXX.
    let ascii: String = plain
        .chars()
        .flat_map(|c| {
            if c.is_ascii() {
                vec![c.to_string()]
            } else {
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04x}")).collect()
            }
        })
        .collect();
    vec![plain, ascii, all]
}

/// The base64 characters that `bytes` determines whatever surrounds it, when it starts `shift`
/// bytes (0-2) into a 3-byte group of a longer blob.
fn base64_core(bytes: &[u8], shift: usize, url: bool) -> Option<String> {
    let mut padded = vec![0u8; shift];
    padded.extend_from_slice(bytes);
    let encoded = if url { Base64UrlUnpadded::encode_string(&padded) } else { Base64::encode_string(&padded) };
    // Characters touched by the leading pad bytes: 6-bit groups that start before bit 8*shift.
    let skip = (8 * shift).div_ceil(6);
    // Characters wholly inside the secret's bits (the last may be cut by what follows).
    let end = (8 * padded.len()) / 6;
    let core = encoded.get(skip..end)?.to_string();
    (core.len() >= 6).then_some(core)
}

/// Every form of `secret` the scan looks for.
pub fn forms(secret: &str) -> Vec<Form> {
    let mut out = Vec::new();
    let mut text = |label: &str, bytes: Vec<u8>| out.push(Form { label: label.into(), bytes, any_case: true });
    // Non-ASCII letters change case outside ASCII folding: their case variants are forms too.
    for variant in [secret.to_string(), secret.to_uppercase(), secret.to_lowercase()] {
        text("utf-8", variant.as_bytes().to_vec());
        text("utf-16le", utf16le(&variant));
        text("utf-16be", utf16be(&variant));
    }
    text("hex(utf-8)", hex(secret.as_bytes()).into_bytes());
    text("hex(utf-16le)", hex(&utf16le(secret)).into_bytes());
    text("url", url(secret).into_bytes());
    text("url(+ for space)", url(secret).replace("%20", "+").into_bytes());
    text("xml", xml(secret).into_bytes());
    text("xml(numeric)", xml_numeric(secret, false).into_bytes());
    text("xml(decimal)", xml_numeric(secret, true).into_bytes());
    for (i, j) in json_forms(secret).into_iter().enumerate() {
        text(["json", "json(ascii)", "json(\\u)"][i], j.into_bytes());
    }
    for (name, bytes) in [("utf-8", secret.as_bytes().to_vec()), ("utf-16le", utf16le(secret))] {
        for shift in 0..3 {
            for url in [false, true] {
                if let Some(core) = base64_core(&bytes, shift, url) {
                    let kind = if url { "base64url" } else { "base64" };
                    let label = format!("{kind}({name})+{shift}");
                    out.push(Form { label: format!("utf-16le({label})"), bytes: utf16le(&core), any_case: false });
                    out.push(Form { label, bytes: core.into_bytes(), any_case: false });
                }
            }
        }
    }
    // Several encodings coincide for plain alphanumeric secrets: keep each needle once.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|f| seen.insert((f.any_case, if f.any_case { f.bytes.to_ascii_lowercase() } else { f.bytes.clone() })));
    out
}

/// A secret found where it must not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Which secret (by name, never its value).
    pub secret_name: String,
    /// In which form.
    pub form: String,
    /// Byte offset of the first occurrence.
    pub offset: usize,
}

/// Searches `haystack` for every form of every `(name, value)` secret.
pub fn scan(haystack: &[u8], secrets: &[(String, String)]) -> Vec<Hit> {
    let folded = haystack.to_ascii_lowercase();
    let mut hits = Vec::new();
    for (name, value) in secrets {
        if value.is_empty() {
            continue;
        }
        for form in forms(value) {
            let found = if form.any_case {
                find(&folded, &form.bytes.to_ascii_lowercase())
            } else {
                find(haystack, &form.bytes)
            };
            if let Some(offset) = found {
                hits.push(Hit { secret_name: name.clone(), form: form.label, offset });
            }
        }
    }
    hits
}

/// Scans every regular file under `root` (not following links; at most `max_bytes` of each)
/// and returns one line per hit naming the file.
pub fn scan_tree(root: &std::path::Path, secrets: &[(String, String)], max_bytes: u64) -> Vec<String> {
    use std::io::Read;
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        let Ok(file) = std::fs::File::open(entry.path()) else { continue };
        if file.take(max_bytes).read_to_end(&mut bytes).is_err() {
            continue;
        }
        for hit in scan(&bytes, secrets) {
            found.push(format!(
                "{} found as {} in {} (byte {})",
                hit.secret_name,
                hit.form,
                entry.path().display(),
                hit.offset
            ));
        }
    }
    found
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

    const SECRET: &str = "S3cret Pass!<&>\"é";

    fn secrets() -> Vec<(String, String)> {
        vec![("EXPORT_PASSWORD".into(), SECRET.into())]
    }

    fn found(log: &[u8]) -> bool {
        !scan(log, &secrets()).is_empty()
    }

    #[test]
    fn each_form_is_found() {
        for form in forms(SECRET) {
            let mut log = b"Property(S): X = ".to_vec();
            log.extend(&form.bytes);
            let hits = scan(&log, &secrets());
            assert!(hits.iter().any(|h| h.form == form.label), "{} not found", form.label);
            assert!(hits.iter().all(|h| h.secret_name == "EXPORT_PASSWORD"));
        }
    }

    /// Issue 14 finding 15: encodings made by independent means (not by `forms`), each
    /// embedded in surrounding text, are all caught.
    #[test]
    fn independent_encodings_are_caught() {
        let s = SECRET;
        let mut cases: Vec<(String, Vec<u8>)> = vec![
            ("upper case".into(), s.to_uppercase().into_bytes()),
            ("lower case".into(), s.to_lowercase().into_bytes()),
            ("utf-16be".into(), s.encode_utf16().flat_map(u16::to_be_bytes).collect()),
            ("HEX".into(), s.bytes().map(|b| format!("{b:02X}")).collect::<String>().into_bytes()),
            ("url".into(), b"S3cret%20Pass%21%3C%26%3E%22%C3%A9".to_vec()),
            ("url lower".into(), b"s3cret%20pass%21%3c%26%3e%22%c3%a9".to_vec()),
            ("url plus".into(), b"S3cret+Pass%21%3C%26%3E%22%C3%A9".to_vec()),
            ("xml".into(), "S3cret Pass!&lt;&amp;&gt;&quot;é".as_bytes().to_vec()),
            ("json".into(), br#"S3cret Pass!<&>\"\u00e9"#.to_vec()),
        ];
        // base64 of the secret inside a longer blob, at every offset, not at the end.
        for lead in 0..3 {
            let mut blob = b"xyz"[..lead].to_vec();
            blob.extend_from_slice(s.as_bytes());
            blob.extend_from_slice(b"trailing data");
            cases.push((format!("base64 at offset {lead}"), Base64::encode_string(&blob).into_bytes()));
            let mut wide = b"xyz"[..lead].to_vec();
            wide.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            wide.extend_from_slice(b"..");
            cases.push((format!("base64(utf-16le) at offset {lead}"), Base64::encode_string(&wide).into_bytes()));
            cases.push((format!("base64url at offset {lead}"), Base64UrlUnpadded::encode_string(&blob).into_bytes()));
        }
        for (what, bytes) in cases {
            let mut log = b"... value=".to_vec();
            log.extend(bytes);
            log.extend(b" ...\r\n");
            assert!(found(&log), "{what} not caught");
        }
    }

    /// Forms the mutation run found unchecked (docs/mutation-testing.md), written out by hand
    /// from the secret's characters (S = U+0053, 3 = U+0033, ..., é = U+00E9), not by `forms`.
    #[test]
    fn hand_written_escapes_are_caught() {
        let cases: [(&str, &str); 3] = [
            (
                "XML decimal character references",
                "&#83;&#51;&#99;&#114;&#101;&#116;&#32;&#80;&#97;&#115;&#115;&#33;&#60;&#38;&#62;&#34;&#233;",
            ),
            (
                "XML numeric character references",
                "&#x53;&#x33;&#x63;&#x72;&#x65;&#x74;&#x20;&#x50;&#x61;&#x73;&#x73;&#x21;&#x3c;&#x26;&#x3e;&#x22;&#xe9;",
            ),
            ("JSON with every non-alphanumeric as \\u", r"S3cret\u0020Pass\u0021\u003c\u0026\u003e\u0022\u00e9"),
        ];
        for (what, text) in cases {
            let log = format!("<value>{text}</value>");
            assert!(found(log.as_bytes()), "{what} not caught: {text}");
        }
    }

    /// A log that is the secret and nothing else (a value file, a one-line temporary file) is a
    /// hit: the needle may be exactly as long as the haystack.
    #[test]
    fn a_file_that_is_only_the_secret_is_a_hit() {
        assert!(found(SECRET.as_bytes()));
        assert!(found(&SECRET.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()));
    }

    /// An empty needle is never a hit (and does not panic), a longer one than the haystack neither.
    #[test]
    fn find_edges() {
        assert_eq!(find(b"abc", b""), None);
        assert_eq!(find(b"", b""), None);
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"abc", b"abc"), Some(0));
        assert_eq!(find(b"xabc", b"abc"), Some(1));
    }

    #[test]
    fn a_clean_log_has_no_hits() {
        let log = "Property(S): EXPORT_PASSWORD = **********\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>();
        assert!(scan(&log, &secrets()).is_empty());
        assert!(scan(b"", &secrets()).is_empty());
        // A different password of the same shape is not a hit.
        assert!(!found("S3cret Pass!<&>\"e".as_bytes()));
    }

    #[test]
    fn tree_scan_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("windows/temp")).unwrap();
        std::fs::write(tmp.path().join("windows/temp/MSI1234.tmp"), format!("x={SECRET}")).unwrap();
        std::fs::write(tmp.path().join("clean.reg"), "nothing").unwrap();
        let hits = scan_tree(tmp.path(), &secrets(), 1 << 20);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].contains("MSI1234.tmp") && !hits[0].contains(SECRET), "{hits:?}");
    }
}
