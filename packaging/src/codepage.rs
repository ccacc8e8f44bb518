//! Text in the database codepage. Windows Installer stores table strings and the summary
//! information in the database's ANSI codepage; this backend writes 1252.

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
