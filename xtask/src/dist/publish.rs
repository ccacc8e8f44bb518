//! Putting a finished build into the output folder, all or nothing.
//!
//! The MSI and the zip are built in the working folder; only when both are complete do they
//! replace the files of the same names in the output folder, each by a rename. Files of other
//! builds (other versions, cultures, variants) are never touched. Should the second rename
//! fail, the first is undone and the earlier files are put back, so the output folder is as it
//! was before the build.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

/// Moves each `(built, destination)` into place, replacing what was there; on a failure,
/// restores every destination as it was. `spare` is a folder on the same file system for the
/// earlier files while the swap happens.
pub fn publish(files: &[(PathBuf, PathBuf)], spare: &Path) -> Result<()> {
    std::fs::create_dir_all(spare).with_context(|| format!("cannot create {}", spare.display()))?;
    // 1. Set the earlier files aside.
    let mut set_aside: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut placed: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<()> {
        for (i, (_, dest)) in files.iter().enumerate() {
            if dest.exists() {
                let kept = spare.join(format!("earlier-{i}"));
                std::fs::rename(dest, &kept)
                    .with_context(|| format!("cannot move the earlier {} aside", dest.display()))?;
                set_aside.push((kept, dest.clone()));
            }
        }
        // 2. Move the new ones in.
        for (built, dest) in files {
            move_file(built, dest)?;
            placed.push(dest.clone());
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            for (kept, _) in &set_aside {
                let _ = std::fs::remove_file(kept);
            }
            Ok(())
        }
        Err(e) => {
            for dest in &placed {
                let _ = std::fs::remove_file(dest);
            }
            for (kept, dest) in &set_aside {
                if let Err(undo) = std::fs::rename(kept, dest) {
                    eprintln!("error: could not put back {} (it is at {}): {undo}", dest.display(), kept.display());
                }
            }
            Err(e)
        }
    }
}

/// Renames, falling back to copy + rename across file systems (the copy goes to a temporary
/// name beside the destination, so the destination is never half-written).
fn move_file(from: &Path, to: &Path) -> Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("cannot rename {} to {}", tmp.display(), to.display()))?;
    std::fs::remove_file(from).ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_its_own_names_and_keeps_other_builds() {
        let t = tempfile::tempdir().unwrap();
        let (out, work) = (t.path().join("dist"), t.path().join("work"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(out.join("p-1.0.0.msi"), "old 1.0.0").unwrap();
        std::fs::write(out.join("p-2.0.0.msi"), "old 2.0.0").unwrap();
        std::fs::write(work.join("new.msi"), "new 2.0.0").unwrap();
        std::fs::write(work.join("new.zip"), "new zip").unwrap();
        let files = [(work.join("new.msi"), out.join("p-2.0.0.msi")), (work.join("new.zip"), out.join("p-2.0.0.zip"))];
        publish(&files, &work.join("spare")).unwrap();
        assert_eq!(
            listing(&out),
            [
                ("p-1.0.0.msi".into(), "old 1.0.0".into()),
                ("p-2.0.0.msi".into(), "new 2.0.0".into()),
                ("p-2.0.0.zip".into(), "new zip".into())
            ]
        );
        assert!(listing(&work.join("spare")).is_empty());
    }

    #[test]
    fn a_failure_puts_everything_back() {
        let t = tempfile::tempdir().unwrap();
        let (out, work) = (t.path().join("dist"), t.path().join("work"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(out.join("p.msi"), "old msi").unwrap();
        std::fs::write(out.join("p.zip"), "old zip").unwrap();
        std::fs::write(work.join("new.msi"), "new msi").unwrap();
        // The zip was never built: the second move fails after the first succeeded.
        let files = [(work.join("new.msi"), out.join("p.msi")), (work.join("missing.zip"), out.join("p.zip"))];
        assert!(publish(&files, &work.join("spare")).is_err());
        assert_eq!(listing(&out), [("p.msi".into(), "old msi".into()), ("p.zip".into(), "old zip".into())]);
    }
}
