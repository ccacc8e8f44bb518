//! Text in the database codepage. Windows Installer stores table strings and the summary
//! information in the database's ANSI codepage: 1252 by default (encoded here, by hand, so the
//! release MSI's bytes do not depend on another crate), or another Windows ANSI codepage a source
//! asks for with `Product/@Codepage` (encoded with the `msi` crate's encoders).

/// The codepage this backend writes: the database codepage and the summary information's
/// PID_CODEPAGE.
pub const WINDOWS_1252: i32 = 1252;

// The 0x80..0x9F block of Windows-1252 (MS "Windows-1252" code page table).
const HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// Encodes `s` in Windows-1252 (the database and summary information codepage).
pub fn cp1252(s: &str) -> Option<Vec<u8>> {
    s.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => Some(c as u32 as u8),
            _ => HIGH.iter().find(|(h, _)| *h == c).map(|(_, b)| *b),
        })
        .collect()
}

/// Decodes Windows-1252 bytes (the inverse of [`cp1252`]; the five unassigned bytes 0x81, 0x8D,
/// 0x8F, 0x90, 0x9D become the C1 controls of the same value, as Windows' converter does).
pub fn decode_cp1252(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| HIGH.iter().find(|h| h.1 == b).map_or(b as char, |h| h.0)).collect()
}

/// The ANSI code pages a database can be written in: Windows-1250..1258 and the double-byte
/// Windows code pages 932, 936, 949, 950 (MSI SDK "Code Page Handling (Windows Installer)": a
/// database has one ANSI code page; UTF-8 is not one).
pub fn is_supported(codepage: i32) -> bool {
    matches!(codepage, 932 | 936 | 949 | 950 | 1250..=1258)
}

/// Encodes `s` in `codepage` (one of [`is_supported`]); `None` when a character of `s` has no
/// representation there.
pub fn encode(codepage: i32, s: &str) -> Option<Vec<u8>> {
    if codepage == WINDOWS_1252 {
        return cp1252(s);
    }
    let cp = msi::CodePage::from_id(codepage).filter(|_| is_supported(codepage))?;
    let bytes = cp.encode(s);
    (cp.decode(&bytes) == s).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_other_code_pages_and_refuses_what_they_cannot_hold() {
        // Windows-1251: U+0416 (Cyrillic Zhe) is 0xC6 (Microsoft's code page 1251 table).
        assert_eq!(encode(1251, "\u{416}a"), Some(vec![0xC6, b'a']));
        assert_eq!(encode(1251, "\u{20ac}"), Some(vec![0x88]), "the euro sign is 0x88 in 1251");
        assert_eq!(encode(1251, "\u{e9}"), None, "e acute has no place in 1251");
        assert_eq!(encode(1252, "\u{e9}"), Some(vec![0xE9]));
        assert_eq!(encode(65001, "a"), None, "UTF-8 is not a database code page");
        assert_eq!(decode_cp1252(&[0x80, b'x']), "\u{20ac}x");
    }
}
