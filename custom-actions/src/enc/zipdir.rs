//! A minimal walk of the zip central directory, to find what the `zip` crate hides: two entries with the same name.
//!
//! Hand-written because the `zip` crate indexes entries by name and silently keeps one of two
//! entries with the same name (issue 14 finding 11), so no API of it can report duplicates.
//! Only the fields needed to enumerate names are read (PKWARE APPNOTE 6.3.x: 4.3.12 central
//! directory header, 4.3.14-4.3.16 ZIP64 end records); everything else is left to the crate.

use std::collections::BTreeSet;

use super::Damage;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;

fn u16_at(b: &[u8], o: usize) -> Option<u64> {
    b.get(o..o + 2).map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], o: usize) -> Option<u64> {
    b.get(o..o + 4).map(|s| u64::from(u32::from_le_bytes(s.try_into().expect("4 bytes"))))
}

fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    b.get(o..o + 8).map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

fn bad(what: &str) -> Damage {
    Damage::Zip(format!("central directory: {what}"))
}

/// Where the central directory is and how many entries it announces.
fn directory(zip: &[u8]) -> Result<(u64, u64, u64), Damage> {
    // The end record is the last thing in the file, followed by a comment of at most 65535 bytes.
    let last = zip.len().checked_sub(EOCD_LEN).ok_or_else(|| bad("too short"))?;
    let first = last.saturating_sub(u16::MAX as usize);
    let eocd = (first..=last)
        .rev()
        .find(|&o| u32_at(zip, o) == Some(u64::from(EOCD_SIG)))
        .ok_or_else(|| bad("no end record"))?;
    let entries = u16_at(zip, eocd + 10).ok_or_else(|| bad("truncated end record"))?;
    let size = u32_at(zip, eocd + 12).ok_or_else(|| bad("truncated end record"))?;
    let offset = u32_at(zip, eocd + 16).ok_or_else(|| bad("truncated end record"))?;
    if entries != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Ok((offset, size, entries));
    }
    let locator = eocd.checked_sub(ZIP64_LOCATOR_LEN).ok_or_else(|| bad("no ZIP64 locator"))?;
    if u32_at(zip, locator) != Some(u64::from(ZIP64_LOCATOR_SIG)) {
        return Err(bad("no ZIP64 locator"));
    }
    let record = u64_at(zip, locator + 8).ok_or_else(|| bad("truncated ZIP64 locator"))?;
    let record = usize::try_from(record).map_err(|_| bad("ZIP64 end record out of range"))?;
    if u32_at(zip, record) != Some(u64::from(ZIP64_EOCD_SIG)) {
        return Err(bad("no ZIP64 end record"));
    }
    let field = |o| u64_at(zip, record + o).ok_or_else(|| bad("truncated ZIP64 end record"));
    Ok((field(48)?, field(40)?, field(32)?))
}

/// Walks the central directory and refuses two entries with the same name, or a directory
/// that does not hold the number of entries its end record announces.
pub(crate) fn check_unique_names(zip: &[u8]) -> Result<(), Damage> {
    let (offset, size, entries) = directory(zip)?;
    let end = offset.checked_add(size).filter(|&e| e <= zip.len() as u64).ok_or_else(|| bad("out of range"))?;
    let (mut at, end) = (offset as usize, end as usize);
    let mut names = BTreeSet::new();
    let mut count = 0u64;
    while at < end {
        if u32_at(zip, at) != Some(u64::from(CENTRAL_SIG)) || at + CENTRAL_LEN > end {
            return Err(bad("malformed entry header"));
        }
        let field = |o| u16_at(zip, at + o).expect("within the header") as usize;
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let next = at + CENTRAL_LEN + name_len + extra_len + comment_len;
        if next > end {
            return Err(bad("entry runs past the directory"));
        }
        let name = &zip[at + CENTRAL_LEN..at + CENTRAL_LEN + name_len];
        if !names.insert(name) {
            return Err(Damage::Entry {
                path: String::from_utf8_lossy(name).into_owned(),
                problem: "in the zip twice",
            });
        }
        count += 1;
        at = next;
    }
    if count != entries {
        return Err(bad("entry count differs from the end record"));
    }
    Ok(())
}
