//! The real Windows machine for the prerequisite detection ([`WinSystem`]), used by the
//! custom-action DLL and the setup program alike. It reports what Windows says and invents
//! nothing.

use std::os::windows::process::CommandExt;
use std::ptr::null_mut;

use windows_sys::Win32::Foundation::{GetLastError, ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_SUCCESS, NTSTATUS};
use windows_sys::Win32::Storage::FileSystem::{
    GetFileVersionInfoSizeW, GetFileVersionInfoW, VerQueryValueW, VS_FIXEDFILEINFO,
};
use windows_sys::Win32::System::Registry::{
    RegGetValueW, HKEY, HKEY_CLASSES_ROOT, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS, REG_DWORD, REG_EXPAND_SZ,
    REG_QWORD, REG_SZ, RRF_RT_ANY, RRF_SUBKEY_WOW6464KEY,
};
use windows_sys::Win32::System::SystemInformation::OSVERSIONINFOW;

use crate::detect::{FileProbe, RegValue, Root, System, SystemError, Version};

/// A NUL-terminated UTF-16 copy of `s`.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The real machine for the prerequisite logic.
#[derive(Debug, Clone, Copy, Default)]
pub struct WinSystem;

#[link(name = "ntdll")]
extern "system" {
    /// `RtlGetVersion` (ntdll): the true version, not subject to the manifest-based lies of
    /// `GetVersionEx` (nor to the `VersionNT`/`WindowsBuild` properties, which msiexec reports
    /// as 603/9600 on Windows 10 and later).
    fn RtlGetVersion(info: *mut OSVERSIONINFOW) -> NTSTATUS;
}

impl System for WinSystem {
    fn registry_value(&self, root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
        let hive: HKEY = match root {
            Root::LocalMachine => HKEY_LOCAL_MACHINE,
            Root::CurrentUser => HKEY_CURRENT_USER,
            Root::ClassesRoot => HKEY_CLASSES_ROOT,
            Root::Users => HKEY_USERS,
        };
        let (key, name) = (wide(key), wide(name));
        let mut buf: Vec<u8> = vec![0; 512];
        loop {
            let (mut kind, mut len) = (0u32, buf.len() as u32);
            // SAFETY: key and name are NUL-terminated and alive; buf has `len` writable bytes;
            // kind and len are valid out pointers. RRF_SUBKEY_WOW6464KEY reads the 64-bit view.
            let rc = unsafe {
                RegGetValueW(
                    hive,
                    key.as_ptr(),
                    name.as_ptr(),
                    RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY,
                    &mut kind,
                    buf.as_mut_ptr().cast(),
                    &mut len,
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    let data = &buf[..len as usize];
                    return Ok(Some(match kind {
                        REG_DWORD if data.len() >= 4 => {
                            RegValue::Number(u32::from_le_bytes([data[0], data[1], data[2], data[3]]).into())
                        }
                        REG_QWORD if data.len() >= 8 => {
                            RegValue::Number(u64::from_le_bytes(data[..8].try_into().expect("8 bytes")))
                        }
                        REG_SZ | REG_EXPAND_SZ => {
                            let units: Vec<u16> =
                                data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
                            RegValue::Text(String::from_utf16_lossy(&units[..end]))
                        }
                        _ => RegValue::Other,
                    }));
                }
                ERROR_MORE_DATA => buf = vec![0; len as usize + 2],
                ERROR_FILE_NOT_FOUND => return Ok(None),
                code => return Err(SystemError { call: "RegGetValueW", code }),
            }
        }
    }

    fn file_version(&self, path: &str) -> Result<FileProbe, SystemError> {
        if !std::path::Path::new(path).is_file() {
            return Ok(FileProbe::Missing);
        }
        let wpath = wide(path);
        let mut handle = 0u32;
        // SAFETY: wpath is NUL-terminated; handle is a valid out pointer.
        let size = unsafe { GetFileVersionInfoSizeW(wpath.as_ptr(), &mut handle) };
        if size == 0 {
            return Ok(FileProbe::NoVersion);
        }
        let mut block = vec![0u8; size as usize];
        // SAFETY: block has `size` writable bytes, as GetFileVersionInfoSizeW asked for.
        if unsafe { GetFileVersionInfoW(wpath.as_ptr(), 0, size, block.as_mut_ptr().cast()) } == 0 {
            // SAFETY: plain call.
            return Err(SystemError { call: "GetFileVersionInfoW", code: unsafe { GetLastError() } });
        }
        let root = wide("\\");
        let (mut info, mut len) = (null_mut(), 0u32);
        // SAFETY: block holds a version resource filled above; info/len are valid out pointers;
        // the returned pointer points into `block`, which outlives its use below.
        let ok = unsafe { VerQueryValueW(block.as_ptr().cast(), root.as_ptr(), &mut info, &mut len) };
        if ok == 0 || info.is_null() || (len as usize) < std::mem::size_of::<VS_FIXEDFILEINFO>() {
            return Ok(FileProbe::NoVersion);
        }
        // SAFETY: VerQueryValueW returned a VS_FIXEDFILEINFO of at least its size inside `block`;
        // read_unaligned because the resource gives no alignment promise.
        let fixed = unsafe { std::ptr::read_unaligned(info.cast::<VS_FIXEDFILEINFO>()) };
        let (ms, ls) = (fixed.dwFileVersionMS, fixed.dwFileVersionLS);
        Ok(FileProbe::Version(Version(vec![
            (ms >> 16).into(),
            (ms & 0xFFFF).into(),
            (ls >> 16).into(),
            (ls & 0xFFFF).into(),
        ])))
    }

    fn os_version(&self) -> Result<Version, SystemError> {
        // SAFETY: an all-zero OSVERSIONINFOW is a valid value of this plain C struct.
        let mut info: OSVERSIONINFOW = unsafe { std::mem::zeroed() };
        info.dwOSVersionInfoSize = std::mem::size_of::<OSVERSIONINFOW>() as u32;
        // SAFETY: info is a properly sized OSVERSIONINFOW with its size field set.
        let status = unsafe { RtlGetVersion(&mut info) };
        if status != 0 {
            return Err(SystemError { call: "RtlGetVersion", code: status as u32 });
        }
        Ok(Version(vec![info.dwMajorVersion.into(), info.dwMinorVersion.into(), info.dwBuildNumber.into()]))
    }

    fn run(&mut self, program: &str, args: &str) -> Result<u32, SystemError> {
        let mut command = std::process::Command::new(program);
        if !args.is_empty() {
            // Verbatim: installers have their own argument syntax (e.g. `/q`, `cmd /s /c "..."`).
            command.raw_arg(args);
        }
        match command.status() {
            Ok(status) => Ok(status.code().map_or(u32::MAX, |c| c as u32)),
            Err(e) => Err(SystemError { call: "CreateProcessW", code: e.raw_os_error().map_or(0, |c| c as u32) }),
        }
    }
}

/// Runs against the running Windows (or Wine: `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
/// cargo test -p bundle-core --target x86_64-pc-windows-gnu`). Only facts every Windows has are
/// asserted.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_windows_version() {
        let v = WinSystem.os_version().unwrap();
        assert!(v >= Version(vec![6, 1]), "{v}");
    }

    #[test]
    fn reads_registry_values_and_reports_absence() {
        let key = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
        let build = WinSystem.registry_value(Root::LocalMachine, key, "CurrentBuildNumber").unwrap();
        assert!(matches!(build, Some(RegValue::Text(ref t)) if t.parse::<u32>().is_ok()), "{build:?}");
        assert_eq!(WinSystem.registry_value(Root::LocalMachine, key, "NoSuchValue-IdmTest").unwrap(), None);
        assert_eq!(WinSystem.registry_value(Root::LocalMachine, r"SOFTWARE\NoSuchKey-IdmTest", "x").unwrap(), None);
    }

    #[test]
    fn reads_file_versions() {
        let windir = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".into());
        let probe = WinSystem.file_version(&format!(r"{windir}\System32\kernel32.dll")).unwrap();
        assert!(matches!(probe, FileProbe::Version(ref v) if v.0[0] >= 5), "{probe:?}");
        assert_eq!(
            WinSystem.file_version(&format!(r"{windir}\System32\no-such-file.dll")).unwrap(),
            FileProbe::Missing
        );
    }

    #[test]
    fn runs_a_process_and_returns_its_exit_code() {
        let windir = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".into());
        assert_eq!(WinSystem.run(&format!(r"{windir}\System32\cmd.exe"), "/d /c exit 3010").unwrap(), 3010);
        assert!(WinSystem.run(r"C:\no\such\installer.exe", "").is_err());
    }
}
