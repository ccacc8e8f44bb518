//! `EXPORT_PASSWORD_FILE` and `SERVICE_PASSWORD_FILE`: passing the two passwords to a silent install without putting them on the msiexec command line.
//!
//! A command line is visible to every user of the machine while msiexec runs (process lists,
//! `wmic process get CommandLine`), so `EXPORT_PASSWORD=...` on it exposes the password
//! (issue 14). Instead the administrator writes the password to a file only they can read and
//! passes its path: `EXPORT_PASSWORD_FILE=C:\secure\export.txt`. The immediate action
//! `ReadPasswordFiles` (first custom action in both sequences, before anything reads a password)
//! reads the file (UTF-8, at most 4096 bytes, one trailing newline removed; a regular file, not
//! a link), sets the password property (Hidden, Secure: never logged, passed to the server
//! side), then overwrites the file with zeros and deletes it. The `*_FILE` properties are
//! Secure (the server side reads them too) and Hidden like every password-carrying property;
//! this action logs the path itself (not a secret) so that a failure can be diagnosed.
//!
//! Both sequences run the action: under full UI the client reads and deletes the file and
//! passes the password to the server; the server then finds the file gone and the password
//! already set, and leaves it. Giving both the password and its file is an error (which one
//! was meant?). Failures end the install with 1603 before anything has changed.

use std::io::{Seek, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::properties::{EXPORT_PASSWORD, EXPORT_PASSWORD_FILE, SERVICE_PASSWORD, SERVICE_PASSWORD_FILE};
use crate::session::{ActionResult, Session};

/// The two (file property, password property) pairs.
pub const PAIRS: [(&str, &str); 2] =
    [(EXPORT_PASSWORD_FILE, EXPORT_PASSWORD), (SERVICE_PASSWORD_FILE, SERVICE_PASSWORD)];

const NAME: &str = "ReadPasswordFiles";

/// The `ReadPasswordFiles` action.
pub fn read_password_files(session: &mut impl Session) -> ActionResult {
    for (file_prop, password_prop) in PAIRS {
        if let Err(message) = read_one(session, file_prop, password_prop) {
            session.log(&format!("{NAME}: {message}; nothing was changed"));
            return ActionResult::Failure;
        }
    }
    ActionResult::Success
}

fn read_one(session: &mut impl Session, file_prop: &str, password_prop: &str) -> Result<(), String> {
    let path = session.property(file_prop).map_err(|e| e.to_string())?;
    let path = path.trim();
    if path.is_empty() {
        return Ok(());
    }
    let already = !session.property(password_prop).map_err(|e| e.to_string())?.is_empty();
    let exists = std::fs::symlink_metadata(path).is_ok();
    match (exists, already) {
        // The client side (full UI) read and deleted it and passed the password on.
        (false, true) => {
            session.log(&format!("{NAME}: {password_prop} was already read from {file_prop}"));
            return Ok(());
        }
        (true, true) => {
            return Err(format!(
                "both {password_prop} and {file_prop} are set; set only {file_prop} (the command line is visible to other users)"
            ))
        }
        _ => {}
    }
    let password = read_and_delete(Path::new(path)).map_err(|e| format!("{file_prop}={path}: {e}"))?;
    session.set_property(password_prop, &password).map_err(|e| e.to_string())?;
    session
        .log(&format!("{NAME}: {password_prop} read from {file_prop} ({path}); the file was overwritten and deleted"));
    Ok(())
}

/// Reads the password from `path` and deletes the file (after overwriting it with zeros).
fn read_and_delete(path: &Path) -> Result<Zeroizing<String>, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read the password file: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file (links and folders are refused)".into());
    }
    if meta.len() > crate::enc::MAX_PASSWORD_BYTES as u64 + 2 {
        return Err(format!("is longer than {} bytes: not a password file", crate::enc::MAX_PASSWORD_BYTES));
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open the password file: {e}"))?;
    let password = crate::enc::read_password(&mut file).map_err(|e| format!("cannot read the password file: {e}"))?;
    if password.is_empty() {
        return Err("the password file is empty".into());
    }
    // Best effort against recovery from the disk: zeros over the contents, then delete.
    let wiped =
        file.rewind().and_then(|_| file.write_all(&vec![0u8; meta.len() as usize])).and_then(|_| file.sync_all());
    drop(file);
    let removed = std::fs::remove_file(path);
    if let Err(e) = wiped.and(removed) {
        return Err(format!("read, but cannot be deleted ({e}); delete it yourself"));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakeSession;

    const SECRET: &str = "S3cret pässword!";

    fn file(dir: &Path, name: &str, text: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn reads_sets_and_deletes() {
        let tmp = tempfile::tempdir().unwrap();
        let e = file(tmp.path(), "e.txt", &format!("{SECRET}\r\n"));
        let s = file(tmp.path(), "s.txt", "svc-Pa55");
        let mut session =
            FakeSession::with([("EXPORT_PASSWORD_FILE", e.as_str()), ("SERVICE_PASSWORD_FILE", s.as_str())]);
        assert_eq!(read_password_files(&mut session), ActionResult::Success);
        assert_eq!(session.properties["EXPORT_PASSWORD"], SECRET);
        assert_eq!(session.properties["SERVICE_PASSWORD"], "svc-Pa55");
        assert!(!Path::new(&e).exists() && !Path::new(&s).exists(), "the files are deleted");
        assert!(session.log.iter().all(|l| !l.contains(SECRET) && !l.contains("svc-Pa55")), "{:?}", session.log);
        // The server side after the client read them: nothing to do, no error.
        assert_eq!(read_password_files(&mut session), ActionResult::Success);
    }

    #[test]
    fn refusals_change_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let both = file(tmp.path(), "both.txt", SECRET);
        let mut s = FakeSession::with([("EXPORT_PASSWORD_FILE", both.as_str()), ("EXPORT_PASSWORD", "other-password")]);
        assert_eq!(read_password_files(&mut s), ActionResult::Failure);
        assert!(Path::new(&both).exists(), "a refused file is kept");
        assert_eq!(s.properties["EXPORT_PASSWORD"], "other-password");

        let missing = tmp.path().join("missing.txt").to_string_lossy().into_owned();
        let empty = file(tmp.path(), "empty.txt", "\n");
        let big = file(tmp.path(), "big.txt", &"x".repeat(10_000));
        for path in [missing.as_str(), empty.as_str(), big.as_str(), tmp.path().to_str().unwrap()] {
            let mut s = FakeSession::with([("SERVICE_PASSWORD_FILE", path)]);
            assert_eq!(read_password_files(&mut s), ActionResult::Failure, "{path}");
            assert!(!s.properties.contains_key("SERVICE_PASSWORD"));
            assert!(s.log.iter().any(|l| l.contains("SERVICE_PASSWORD_FILE")), "{:?}", s.log);
        }
        #[cfg(unix)]
        {
            let link = tmp.path().join("link.txt");
            std::os::unix::fs::symlink(&big, &link).unwrap();
            let mut s = FakeSession::with([("SERVICE_PASSWORD_FILE", link.to_str().unwrap())]);
            assert_eq!(read_password_files(&mut s), ActionResult::Failure);
        }
    }

    #[test]
    fn nothing_set_is_a_no_op() {
        let mut s = FakeSession::with([("EXPORT_PASSWORD", "given-directly")]);
        assert_eq!(read_password_files(&mut s), ActionResult::Success);
        assert_eq!(s.properties["EXPORT_PASSWORD"], "given-directly");
    }
}
