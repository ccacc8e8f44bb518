//! Private output on disk: a temporary folder only its owner can open, files written inside it, and termination signals held while plaintext is being written.
//!
//! On Unix the folder is created 0700 and files 0600 (whatever the umask). On Windows the
//! folder gets a protected DACL granting full control to its owner, Administrators and
//! SYSTEM only (no inheritance from the parent), which the files inherit.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use zeroize::Zeroizing;

use super::EncError;

/// A new private temporary folder `.<name>.<random>.tmp` in `parent`, removed when dropped.
pub(crate) fn temp_dir(parent: &Path, name: &str) -> Result<tempfile::TempDir, EncError> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o700));
    }
    let dir = builder.tempdir_in(parent).map_err(|e| EncError::Io {
        path: parent.to_owned(),
        op: "create a temporary folder in",
        source: e,
    })?;
    #[cfg(unix)]
    {
        // `permissions` is subject to the umask only in what it removes; make sure.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).map_err(|e| EncError::Io {
            path: dir.path().to_owned(),
            op: "make private",
            source: e,
        })?;
    }
    #[cfg(windows)]
    windows_acl::protect(dir.path()).map_err(|e| EncError::Io {
        path: dir.path().to_owned(),
        op: "make private",
        source: e,
    })?;
    Ok(dir)
}

/// Writes `data` to `root/<rel>` (a checked `/`-separated package path): folders 0700, the
/// file 0600 on Unix, created exclusively, flushed and synced.
pub(crate) fn write_file(root: &Path, rel: &str, data: &mut dyn Read) -> Result<(), EncError> {
    let path = rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c));
    let io = |op, source| EncError::Io { path: path.clone(), op, source };
    if let Some(dir) = path.parent() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| io("create the folder of", e))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path).map_err(|e| io("create", e))?;
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = data.read(&mut chunk[..]).map_err(|e| io("decompress", e))?;
        if n == 0 {
            break;
        }
        f.write_all(&chunk[..n]).map_err(|e| io("write", e))?;
    }
    f.sync_all().map_err(|e| io("sync", e))
}

/// Makes a rename durable (Unix: fsync the folder). Best effort: Windows has no folder fsync.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Holds termination signals while plaintext is being written, so an interruption can remove
/// what was written before the signal takes effect (issue 14 finding 3).
///
/// Unix: SIGINT, SIGTERM, SIGHUP and SIGQUIT are blocked for this thread (the tool is
/// single-threaded while decrypting); [`HeldSignals::pending`] says whether one arrived, and
/// dropping the guard restores the mask, which delivers it. Windows: Ctrl+C and Ctrl+Break are
/// caught by a console handler that records them, and the handler is removed on drop, after
/// which the process ends with the usual Ctrl+C status. `SIGKILL`, a crash or power loss cannot
/// be held: they can leave the hidden temporary folder, which is private.
pub(crate) struct HeldSignals {
    #[cfg(unix)]
    old: libc::sigset_t,
}

#[cfg(unix)]
impl HeldSignals {
    fn set() -> libc::sigset_t {
        // SAFETY: sigemptyset/sigaddset initialise and fill a local sigset_t.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::sigaddset(&mut set, s);
            }
            set
        }
    }

    pub(crate) fn hold() -> HeldSignals {
        let set = Self::set();
        // SAFETY: both pointers are to valid local sigset_t values.
        unsafe {
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            HeldSignals { old }
        }
    }

    pub(crate) fn pending(&self) -> bool {
        let held = Self::set();
        // SAFETY: sigpending fills a valid local sigset_t; sigismember reads two valid sets.
        unsafe {
            let mut pending: libc::sigset_t = std::mem::zeroed();
            libc::sigpending(&mut pending);
            [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT]
                .into_iter()
                .any(|s| libc::sigismember(&pending, s) == 1 && libc::sigismember(&held, s) == 1)
        }
    }
}

#[cfg(unix)]
impl Drop for HeldSignals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `hold`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

#[cfg(windows)]
mod console {
    use std::sync::atomic::{AtomicBool, Ordering};

    use windows_sys::Win32::Foundation::BOOL;
    use windows_sys::Win32::System::Console::{SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT};

    pub(super) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

    /// HandlerRoutine (learn.microsoft.com/windows/console/handlerroutine): TRUE = handled.
    pub(super) unsafe extern "system" fn handler(event: u32) -> BOOL {
        if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
            INTERRUPTED.store(true, Ordering::SeqCst);
            return 1;
        }
        0
    }

    pub(super) fn install(on: bool) {
        // SAFETY: `handler` has the HandlerRoutine signature and lives for the whole program.
        unsafe {
            SetConsoleCtrlHandler(Some(handler), BOOL::from(on));
        }
    }
}

#[cfg(windows)]
impl HeldSignals {
    pub(crate) fn hold() -> HeldSignals {
        console::INTERRUPTED.store(false, std::sync::atomic::Ordering::SeqCst);
        console::install(true);
        HeldSignals {}
    }

    pub(crate) fn pending(&self) -> bool {
        console::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(windows)]
impl Drop for HeldSignals {
    fn drop(&mut self) {
        console::install(false);
        if self.pending() {
            // What the default Ctrl+C handler does (ExitProcess with STATUS_CONTROL_C_EXIT).
            std::process::exit(0xC000_013Au32 as i32);
        }
    }
}

#[cfg(not(any(unix, windows)))]
impl HeldSignals {
    pub(crate) fn hold() -> HeldSignals {
        HeldSignals {}
    }
    pub(crate) fn pending(&self) -> bool {
        false
    }
}

#[cfg(windows)]
mod windows_acl {
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;

    use windows_sys::Win32::Foundation::{LocalFree, ERROR_SUCCESS};
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        GetSecurityDescriptorDacl, DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
    };

    /// Protected DACL (no inheritance from the parent): full control for the object's owner
    /// (OW, "OWNER RIGHTS"), Administrators (BA) and SYSTEM (SY), inherited by files and
    /// folders created inside (OICI). SDDL: learn.microsoft.com/windows/win32/secauthz/ace-strings.
    const SDDL: &str = "D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)";

    pub(super) fn protect(path: &Path) -> std::io::Result<()> {
        let sddl: Vec<u16> = SDDL.encode_utf16().chain([0]).collect();
        let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
        // SAFETY: all pointers are to valid NUL-terminated buffers or out-parameters; the
        // descriptor is freed with LocalFree as the API requires.
        unsafe {
            let mut sd = std::ptr::null_mut();
            if ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            ) == 0
            {
                return Err(std::io::Error::last_os_error());
            }
            let (mut present, mut defaulted) = (0, 0);
            let mut dacl = std::ptr::null_mut();
            let ok = GetSecurityDescriptorDacl(sd, &mut present, &mut dacl, &mut defaulted);
            let rc = if ok == 0 {
                std::io::Error::last_os_error().raw_os_error().unwrap_or(1) as u32
            } else {
                SetNamedSecurityInfoW(
                    wide.as_ptr(),
                    SE_FILE_OBJECT,
                    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    dacl,
                    std::ptr::null(),
                )
            };
            LocalFree(sd as _);
            if rc == ERROR_SUCCESS {
                Ok(())
            } else {
                Err(std::io::Error::from_raw_os_error(rc as i32))
            }
        }
    }
}
