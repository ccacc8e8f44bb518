//! Reading the files to export without following links: no symbolic link or junction in any component under the source folder, checked again when each file is opened.
//!
//! Issue 14 finding 4: checking only the last component let `--path linked/id_rsa` pack a file
//! from outside the source folder, and reading by path after the type check left a window in
//! which a component could be swapped for a link. Here every component below the source folder
//! is opened without following links, relative to the handle of its parent:
//! - Unix: `openat(parent, name, O_NOFOLLOW | O_DIRECTORY)` for folders, `O_NOFOLLOW` for the
//!   file (open(2): with `O_NOFOLLOW` a symbolic link in the last component fails with `ELOOP`;
//!   each component is the last one of its own `openat`), then `fstat` must say regular file.
//! - Windows: each component is opened with `FILE_FLAG_OPEN_REPARSE_POINT` (the reparse point
//!   itself, not its target) and must not carry `FILE_ATTRIBUTE_REPARSE_POINT` (symbolic links,
//!   junctions); the folders stay open without `FILE_SHARE_DELETE`, so they cannot be renamed
//!   or replaced until the file is read (CreateFileW, "dwShareMode" and "FILE_FLAG_OPEN_REPARSE_POINT").

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens `root/<components...>` as a regular file, refusing a link or junction in any
/// component below `root`; returns the open file (read through this handle, never by path).
pub(crate) fn open_no_links(root: &Path, components: &[&str]) -> io::Result<File> {
    imp::open_no_links(root, components)
}

/// Checks that `root/<components...>` (a file or a folder) has no link or junction in any
/// component below `root`, the last one included.
pub(crate) fn check_no_links(root: &Path, components: &[&str]) -> io::Result<()> {
    imp::check_no_links(root, components)
}

fn link_error(component: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{component:?} is a symbolic link, junction or other reparse point (not followed)"),
    )
}

#[cfg(unix)]
mod imp {
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::FileTypeExt;
    use std::path::Path;

    fn openat(dir: &File, name: &str, flags: libc::c_int) -> io::Result<File> {
        let c = CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a name"))?;
        // SAFETY: `dir` is an open descriptor, `c` a NUL-terminated string; the returned
        // descriptor is owned by the new File.
        let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            // O_NOFOLLOW gives ELOOP (EMLINK on FreeBSD) for a link, and with O_DIRECTORY Linux
            // may say ENOTDIR first: ask what the name is, without following it.
            // SAFETY: `st` is a valid out-parameter, the other arguments as above.
            let is_link = unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                libc::fstatat(dir.as_raw_fd(), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0
                    && (st.st_mode & libc::S_IFMT) == libc::S_IFLNK
            };
            return Err(if is_link { super::link_error(name) } else { e });
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    fn open_root(root: &Path) -> io::Result<File> {
        let c = CString::new(root.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))?;
        // SAFETY: as above.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    fn walk(root: &Path, folders: &[&str]) -> io::Result<File> {
        let mut dir = open_root(root)?;
        for c in folders {
            dir = openat(&dir, c, libc::O_RDONLY | libc::O_DIRECTORY)?;
        }
        Ok(dir)
    }

    pub(super) fn open_no_links(root: &Path, components: &[&str]) -> io::Result<File> {
        let (last, folders) = components.split_last().ok_or_else(|| io::Error::other("empty path"))?;
        let dir = walk(root, folders)?;
        // O_NONBLOCK: opening a FIFO must not hang; it is refused just below.
        let file = openat(&dir, last, libc::O_RDONLY | libc::O_NONBLOCK)?;
        let ft = file.metadata()?.file_type();
        if !ft.is_file() || ft.is_fifo() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{last:?} is not a regular file")));
        }
        Ok(file)
    }

    pub(super) fn check_no_links(root: &Path, components: &[&str]) -> io::Result<()> {
        let Some((last, folders)) = components.split_last() else { return Ok(()) };
        let dir = walk(root, folders)?;
        // O_PATH-like probe: open without following; a folder or a file both open read-only.
        openat(&dir, last, libc::O_RDONLY | libc::O_NONBLOCK).map(drop)
    }
}

#[cfg(windows)]
mod imp {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
    use std::path::{Path, PathBuf};

    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_BACKUP_SEMANTICS,
        FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_READ, FILE_SHARE_WRITE,
    };

    fn open(path: &Path) -> io::Result<(File, u32)> {
        let f = OpenOptions::new()
            .read(true)
            .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
            .open(path)?;
        let attributes = f.metadata()?.file_attributes();
        Ok((f, attributes))
    }

    /// Opens each folder below `root`, keeping the handles (no FILE_SHARE_DELETE: they cannot
    /// be renamed or replaced while held).
    fn walk(root: &Path, folders: &[&str]) -> io::Result<(Vec<File>, PathBuf)> {
        let mut held = Vec::new();
        let mut path = root.to_path_buf();
        for c in folders {
            path.push(c);
            let (f, attributes) = open(&path)?;
            if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 || attributes & FILE_ATTRIBUTE_DIRECTORY == 0 {
                return Err(super::link_error(c));
            }
            held.push(f);
        }
        Ok((held, path))
    }

    pub(super) fn open_no_links(root: &Path, components: &[&str]) -> io::Result<File> {
        let (last, folders) = components.split_last().ok_or_else(|| io::Error::other("empty path"))?;
        let (_held, dir) = walk(root, folders)?;
        let (f, attributes) = open(&dir.join(last))?;
        if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
            return Err(super::link_error(last));
        }
        if attributes & FILE_ATTRIBUTE_DIRECTORY != 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{last:?} is not a regular file")));
        }
        Ok(f)
    }

    pub(super) fn check_no_links(root: &Path, components: &[&str]) -> io::Result<()> {
        let Some((last, folders)) = components.split_last() else { return Ok(()) };
        let (_held, dir) = walk(root, folders)?;
        let (_, attributes) = open(&dir.join(last))?;
        if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
            return Err(super::link_error(last));
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A link in any component is refused, at check time and at open time (the second
    /// stands for a component swapped for a link after the walk).
    #[test]
    fn links_in_any_component_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("real/a"), b"a").unwrap();
        std::fs::write(outside.join("id_rsa"), b"secret").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("real/a"), root.join("real/b")).unwrap();

        assert!(check_no_links(&root, &["real", "a"]).is_ok());
        assert!(open_no_links(&root, &["real", "a"]).is_ok());
        for bad in [&["linked", "id_rsa"][..], &["linked"], &["real", "b"]] {
            let e = check_no_links(&root, bad).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{bad:?}: {e}");
        }
        assert!(open_no_links(&root, &["linked", "id_rsa"]).is_err());
        assert!(open_no_links(&root, &["real", "b"]).is_err());
        // Swap `real` for a link after the check: the open refuses it.
        std::fs::rename(root.join("real"), tmp.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("moved"), root.join("real")).unwrap();
        assert!(open_no_links(&root, &["real", "a"]).is_err());
    }
}
