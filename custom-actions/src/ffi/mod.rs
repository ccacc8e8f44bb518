//! The Windows shell: a `Session` over `Msi*W` calls and the exported one-line action shims.
//!
//! Everything here is `cfg(windows)` (see `lib.rs`); the logic it calls is plain Rust tested on
//! Linux against [`crate::fakes`]. Only UTF-16 (`W`) entry points are used.

use windows_sys::Win32::Foundation::{ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS};
use windows_sys::Win32::System::ApplicationInstallationAndServicing::{
    MsiCloseHandle, MsiCreateRecord, MsiDatabaseOpenViewW, MsiGetActiveDatabase, MsiGetMode, MsiGetProductInfoW,
    MsiGetPropertyW, MsiProcessMessage, MsiRecordGetStringW, MsiRecordIsNull, MsiRecordSetStringW, MsiSetPropertyW,
    MsiViewClose, MsiViewExecute, MsiViewFetch, INSTALLMESSAGE_INFO, INSTALLPROPERTY_VERSIONSTRING, MSIHANDLE,
    MSIRUNMODE_COMMIT, MSIRUNMODE_ROLLBACK, MSIRUNMODE_ROLLBACKENABLED, MSIRUNMODE_SCHEDULED,
};

use std::marker::PhantomData;

use crate::properties::{CUSTOM_ACTION_DATA, PRODUCT_CODE, USER_SID};
use crate::session::{
    Deferred, Log, Mode, ProductCodeAccess, Rollback, ScriptKind, ScriptMode, ScriptSession, Session, SessionError,
};

/// Generates the exported entry point `ExportName` for a logic function, binding the session
/// type of its execution context (crate::session), so logic written for one context cannot be
/// exported as another:
///
/// ```ignore
/// export_immediate!(DetectEmbeddedConnector => crate::connector::detect);
/// export_deferred!(MoveEmbeddedConnector => crate::connector::backup::move_aside);
/// export_rollback!(RestoreEmbeddedConnector => crate::connector::backup::restore);
/// export_commit!(DeleteEmbeddedConnectorBackup => crate::connector::backup::delete_backup);
/// ```
///
/// The export catches panics (logged, then 1603) and maps `ActionResult` to 0 / 1602 / 1603.
/// The export name must equal the `DllEntry` of its `CustomAction` row, whose `Execute` must be
/// the context named by the macro (checked by tests/fragments.rs).
macro_rules! export_action {
    ($name:ident, $session:ty => $logic:path) => {
        /// Custom-action entry point called by the Windows Installer (see `export_action!`).
        #[no_mangle]
        pub extern "system" fn $name(
            install: ::windows_sys::Win32::System::ApplicationInstallationAndServicing::MSIHANDLE,
        ) -> u32 {
            let mut session = <$session>::from_handle(install);
            $crate::session::run_guarded(stringify!($name), &mut session, |session| $logic(session))
        }
    };
}
macro_rules! export_immediate {
    ($name:ident => $logic:path) => {
        export_action!($name, $crate::ffi::MsiSession => $logic);
    };
}
macro_rules! export_deferred {
    ($name:ident => $logic:path) => {
        export_action!($name, $crate::ffi::MsiScript<$crate::session::Deferred> => $logic);
    };
}
macro_rules! export_rollback {
    ($name:ident => $logic:path) => {
        export_action!($name, $crate::ffi::MsiScript<$crate::session::Rollback> => $logic);
    };
}
macro_rules! export_commit {
    ($name:ident => $logic:path) => {
        export_action!($name, $crate::ffi::MsiScript<$crate::session::Commit> => $logic);
    };
}

mod connector;
mod target_machine;

/// A NUL-terminated UTF-16 copy of `s` for the `W` APIs.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// An `MSIHANDLE` this code opened (record, view, database), closed on drop.
struct OwnedHandle(MSIHANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        if self.0 != 0 {
            // SAFETY: the handle was returned to us by an Msi* call, is owned by this value only
            // and is closed exactly once here.
            unsafe { MsiCloseHandle(self.0) };
        }
    }
}

/// Reads a string through an `Msi*W` getter following the SDK's two-step protocol: try a
/// buffer, and on `ERROR_MORE_DATA` retry with the length (without the NUL) it reported.
fn read_string(call: &'static str, mut get: impl FnMut(*mut u16, *mut u32) -> u32) -> Result<String, SessionError> {
    // Zeroized: the buffers hold property values such as EXPORT_PASSWORD (issue 14 finding 9).
    let mut buf = zeroize::Zeroizing::new(vec![0u16; 256]);
    loop {
        let mut len = buf.len() as u32;
        let rc = get(buf.as_mut_ptr(), &mut len);
        match rc {
            ERROR_SUCCESS => return Ok(String::from_utf16_lossy(&buf[..len as usize])),
            ERROR_MORE_DATA => buf = zeroize::Zeroizing::new(vec![0; len as usize + 1]),
            code => return Err(SessionError::Api { call, code }),
        }
    }
}

/// `MsiGetPropertyW` on `handle`.
fn get_property(handle: MSIHANDLE, name: &str) -> Result<String, SessionError> {
    let name = wide(name);
    read_string("MsiGetPropertyW", |buf, len| {
        // SAFETY: `name` is NUL-terminated and alive for the call; `buf` points to `*len`
        // writable u16s (read_string sizes it), and `len` is a valid in/out pointer.
        unsafe { MsiGetPropertyW(handle, name.as_ptr(), buf, len) }
    })
}

/// One line to the verbose log through `MsiProcessMessage(INSTALLMESSAGE_INFO)`, allowed in every
/// context.
fn log_line(handle: MSIHANDLE, line: &str) {
    // SAFETY: plain call; a zero handle (failure) is checked below.
    let record = OwnedHandle(unsafe { MsiCreateRecord(1) });
    if record.0 == 0 {
        return;
    }
    // Field 0 is the format template: "[1]" prints field 1 verbatim, so brackets in the
    // text are never expanded as property references (MSI SDK "MsiFormatRecord").
    let (template, text) = (wide("[1]"), wide(line));
    // SAFETY: `record` is a live record with one field; the strings are NUL-terminated
    // and alive for the calls.
    unsafe {
        MsiRecordSetStringW(record.0, 0, template.as_ptr());
        MsiRecordSetStringW(record.0, 1, text.as_ptr());
        MsiProcessMessage(handle, INSTALLMESSAGE_INFO, record.0);
    }
}

/// The session of an immediate action (client or server). The handle belongs to the installer
/// and is not closed here.
pub(crate) struct MsiSession(MSIHANDLE);

impl MsiSession {
    pub(crate) fn from_handle(handle: MSIHANDLE) -> Self {
        MsiSession(handle)
    }
}

/// The session of a deferred, rollback or commit action: only the calls "Obtaining Context
/// Information for Deferred Execution Custom Actions" allows.
pub(crate) struct MsiScript<K: ScriptKind>(MSIHANDLE, PhantomData<K>);

impl<K: ScriptKind> MsiScript<K> {
    pub(crate) fn from_handle(handle: MSIHANDLE) -> Self {
        MsiScript(handle, PhantomData)
    }
}

impl<K: ScriptKind> Log for MsiScript<K> {
    fn log(&mut self, line: &str) {
        log_line(self.0, line);
    }
}

impl<K: ScriptKind> ScriptSession for MsiScript<K> {
    type Kind = K;
    fn custom_action_data(&self) -> Result<String, SessionError> {
        get_property(self.0, CUSTOM_ACTION_DATA)
    }
    fn user_sid(&self) -> Result<String, SessionError> {
        get_property(self.0, USER_SID)
    }
    fn mode(&self, mode: ScriptMode) -> bool {
        let run_mode = match mode {
            ScriptMode::Scheduled => MSIRUNMODE_SCHEDULED,
            ScriptMode::Rollback => MSIRUNMODE_ROLLBACK,
            ScriptMode::Commit => MSIRUNMODE_COMMIT,
        };
        // SAFETY: plain call on the installer's handle.
        unsafe { MsiGetMode(self.0, run_mode) != 0 }
    }
}

impl ProductCodeAccess for MsiScript<Deferred> {
    fn product_code(&self) -> Result<String, SessionError> {
        get_property(self.0, PRODUCT_CODE)
    }
}

impl ProductCodeAccess for MsiScript<Rollback> {
    fn product_code(&self) -> Result<String, SessionError> {
        get_property(self.0, PRODUCT_CODE)
    }
}

impl Log for MsiSession {
    fn log(&mut self, line: &str) {
        log_line(self.0, line);
    }
}

impl Session for MsiSession {
    fn property(&self, name: &str) -> Result<String, SessionError> {
        get_property(self.0, name)
    }

    fn set_property(&mut self, name: &str, value: &str) -> Result<(), SessionError> {
        let (name, value) = (wide(name), wide(value));
        // SAFETY: both strings are NUL-terminated and alive for the call.
        let rc = unsafe { MsiSetPropertyW(self.0, name.as_ptr(), value.as_ptr()) };
        match rc {
            ERROR_SUCCESS => Ok(()),
            code => Err(SessionError::Api { call: "MsiSetPropertyW", code }),
        }
    }

    fn product_version(&self, product_code: &str) -> Option<String> {
        let code = wide(product_code);
        read_string("MsiGetProductInfoW", |buf, len| {
            // SAFETY: `code` is NUL-terminated and alive; INSTALLPROPERTY_VERSIONSTRING is a static
            // NUL-terminated string; `buf` points to `*len` writable u16s.
            unsafe { MsiGetProductInfoW(code.as_ptr(), INSTALLPROPERTY_VERSIONSTRING, buf, len) }
        })
        .ok()
        .filter(|v| !v.is_empty())
    }

    fn mode(&self, mode: Mode) -> bool {
        let run_mode = match mode {
            Mode::Scheduled => MSIRUNMODE_SCHEDULED,
            Mode::Rollback => MSIRUNMODE_ROLLBACK,
            Mode::Commit => MSIRUNMODE_COMMIT,
            Mode::RollbackEnabled => MSIRUNMODE_ROLLBACKENABLED,
        };
        // SAFETY: plain call on the installer's handle.
        unsafe { MsiGetMode(self.0, run_mode) != 0 }
    }

    fn table(&self, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<String>>>, SessionError> {
        // SAFETY: plain call on the installer's handle; zero means failure and is checked.
        let database = OwnedHandle(unsafe { MsiGetActiveDatabase(self.0) });
        if database.0 == 0 {
            // ERROR_INSTALL_FAILURE-style: the SDK gives no code, 1627 is ERROR_FUNCTION_FAILED.
            return Err(SessionError::Api { call: "MsiGetActiveDatabase", code: 1627 });
        }
        let list: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        let query = wide(&format!("SELECT {} FROM `{table}`", list.join(", ")));
        let mut view = OwnedHandle(0);
        // SAFETY: `query` is NUL-terminated; `view.0` is a valid out pointer.
        let rc = unsafe { MsiDatabaseOpenViewW(database.0, query.as_ptr(), &mut view.0) };
        if rc != ERROR_SUCCESS {
            return Err(SessionError::Api { call: "MsiDatabaseOpenViewW", code: rc });
        }
        // SAFETY: `view` is an open view; no parameter record.
        let rc = unsafe { MsiViewExecute(view.0, 0) };
        if rc != ERROR_SUCCESS {
            return Err(SessionError::Api { call: "MsiViewExecute", code: rc });
        }
        let mut rows = Vec::new();
        loop {
            let mut record = OwnedHandle(0);
            // SAFETY: `view` is executed; `record.0` is a valid out pointer.
            let rc = unsafe { MsiViewFetch(view.0, &mut record.0) };
            match rc {
                ERROR_SUCCESS => {}
                ERROR_NO_MORE_ITEMS => break,
                code => return Err(SessionError::Api { call: "MsiViewFetch", code }),
            }
            let mut row = Vec::with_capacity(columns.len());
            for field in 1..=columns.len() as u32 {
                // SAFETY: `record` is a live record fetched above.
                if unsafe { MsiRecordIsNull(record.0, field) } != 0 {
                    row.push(None);
                    continue;
                }
                let value = read_string("MsiRecordGetStringW", |buf, len| {
                    // SAFETY: `record` is live; `buf` points to `*len` writable u16s.
                    unsafe { MsiRecordGetStringW(record.0, field, buf, len) }
                })?;
                row.push(Some(value));
            }
            rows.push(row);
        }
        // SAFETY: `view` is an executed view; closing it before the handle is released.
        unsafe { MsiViewClose(view.0) };
        Ok(rows)
    }
}
