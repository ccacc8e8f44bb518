//! Folder snapshots (relative path -> SHA-256), so a scenario can say "byte-identical" about a
//! whole install folder or configuration, and name exactly what differs when it is not.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Relative path (with `/`) -> SHA-256 hex of a file, or `<dir>` for a directory.
pub type Snapshot = BTreeMap<String, String>;

/// Snapshots everything under `root` (an absent folder is an empty snapshot).
pub fn take(root: &Path) -> Result<Snapshot> {
    let mut snap = Snapshot::new();
    if !root.exists() {
        return Ok(snap);
    }
    for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let entry = entry.with_context(|| format!("walking {}", root.display()))?;
        let rel = entry.path().strip_prefix(root)?.to_string_lossy().replace('\\', "/");
        if entry.file_type().is_dir() {
            snap.insert(rel, "<dir>".into());
        } else {
            let bytes = std::fs::read(entry.path()).with_context(|| format!("reading {}", entry.path().display()))?;
            snap.insert(rel, hex(&Sha256::digest(&bytes)));
        }
    }
    Ok(snap)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What differs between two snapshots, one line per path (empty when identical).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (path, hash) in before {
        match after.get(path) {
            None => out.push(format!("missing: {path}")),
            Some(h) if h != hash => out.push(format!("changed: {path}")),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        out.push(format!("added: {path}"));
    }
    out
}

/// Keeps only the entries whose path satisfies `keep`.
pub fn filter(snap: &Snapshot, keep: impl Fn(&str) -> bool) -> Snapshot {
    snap.iter().filter(|(p, _)| keep(p)).map(|(p, h)| (p.clone(), h.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_every_change() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("conf")).unwrap();
        std::fs::write(dir.path().join("conf/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        let before = take(dir.path()).unwrap();
        assert_eq!(before.len(), 3);
        assert!(diff(&before, &take(dir.path()).unwrap()).is_empty());
        std::fs::write(dir.path().join("conf/a.txt"), "A").unwrap();
        std::fs::remove_file(dir.path().join("b.txt")).unwrap();
        std::fs::write(dir.path().join("c.txt"), "c").unwrap();
        let d = diff(&before, &take(dir.path()).unwrap());
        assert_eq!(d, vec!["missing: b.txt", "changed: conf/a.txt", "added: c.txt"]);
        assert!(take(&dir.path().join("absent")).unwrap().is_empty());
    }
}
