//! The setup program on Windows: the entry point, and [`WinHost`], the real machine and screen
//! for [`crate::flow`].

mod ui;

use std::io;
use std::path::{Path, PathBuf};
use std::ptr::null_mut;

use bundle_core::win::{wide, WinSystem};
use windows_sys::Win32::Foundation::{GetLastError, LocalFree, ERROR_ALREADY_EXISTS, SYSTEMTIME};
use windows_sys::Win32::Security::Authorization::ConvertStringSecurityDescriptorToSecurityDescriptorW;
use windows_sys::Win32::Security::{PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES};
use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
use windows_sys::Win32::System::ApplicationInstallationAndServicing::{
    MsiEnableLogW, MsiInstallProductW, MsiSetInternalUI, INSTALLLOGATTRIBUTES_FLUSHEACHLINE, INSTALLLOGMODE_ACTIONDATA,
    INSTALLLOGMODE_ACTIONSTART, INSTALLLOGMODE_COMMONDATA, INSTALLLOGMODE_ERROR, INSTALLLOGMODE_FATALEXIT,
    INSTALLLOGMODE_INFO, INSTALLLOGMODE_OUTOFDISKSPACE, INSTALLLOGMODE_PROPERTYDUMP, INSTALLLOGMODE_RESOLVESOURCE,
    INSTALLLOGMODE_USER, INSTALLLOGMODE_VERBOSE, INSTALLLOGMODE_WARNING, INSTALLUILEVEL_BASIC, INSTALLUILEVEL_FULL,
    INSTALLUILEVEL_NONE, INSTALLUILEVEL_PROGRESSONLY,
};
use windows_sys::Win32::System::Console::{AttachConsole, ATTACH_PARENT_PROCESS};
use windows_sys::Win32::System::SystemInformation::{GetLocalTime, GetSystemDirectoryW, GetWindowsDirectoryW};
use windows_sys::Win32::System::Threading::CREATE_NO_WINDOW;

use crate::cli::{self, Display, Options};
use crate::flow::{Host, Setup, EXIT_BAD_COMMAND_LINE, EXIT_FAILURE};
use crate::log::Log;
use bundle_core::detect::{Module, State, SystemError};

/// The Windows folder with a trailing `\`, from `get` (`GetWindowsDirectoryW`, ...).
fn folder_of(get: unsafe extern "system" fn(*mut u16, u32) -> u32) -> Option<String> {
    let mut buf = vec![0u16; 520];
    // SAFETY: buf has the length passed; the call writes at most that many characters.
    let n = unsafe { get(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if n == 0 || n >= buf.len() {
        return None;
    }
    let mut s = String::from_utf16_lossy(&buf[..n]);
    if !s.ends_with('\\') {
        s.push('\\');
    }
    Some(s)
}

fn env_folder(name: &str) -> Option<String> {
    let v = std::env::var(name).ok().filter(|v| !v.is_empty())?;
    Some(if v.ends_with('\\') { v } else { v + "\\" })
}

/// The local time as `2026-12-01 01:02:03.456` (for log lines).
fn clock() -> String {
    // SAFETY: an all-zero SYSTEMTIME is valid; GetLocalTime fills it.
    let mut t: SYSTEMTIME = unsafe { std::mem::zeroed() };
    // SAFETY: t is a valid out pointer.
    unsafe { GetLocalTime(&mut t) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute, t.wSecond, t.wMilliseconds
    )
}

/// `20261201_010203`, for the default log's name.
fn file_stamp() -> String {
    clock().replace(['-', ':'], "").replace(' ', "_").split('.').next().unwrap_or_default().to_string()
}

/// The real machine and screen.
pub struct WinHost {
    system: WinSystem,
    display: Display,
    ui: ui::Ui,
}

impl std::fmt::Debug for WinHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WinHost").field("display", &self.display).finish_non_exhaustive()
    }
}

/// The working folder's DACL in SDDL: protected (`P`, nothing inherited from `%windir%\Temp`),
/// full access for Administrators (`BA`) and SYSTEM (`SY`) only, inherited by every file in it
/// (`OICI`). So no unprivileged process can replace a verified package between its check and
/// its run. SDDL: <https://learn.microsoft.com/en-us/windows/win32/secauthz/security-descriptor-string-format>;
/// <https://learn.microsoft.com/en-us/windows/win32/api/sddl/nf-sddl-convertstringsecuritydescriptortosecuritydescriptorw>.
pub const WORK_DIR_SDDL: &str = "D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)";

/// Creates `path` with [`WORK_DIR_SDDL`]; fails if it exists (`CreateDirectoryW` never opens an
/// existing folder, so a folder planted in advance is not used).
fn create_private_dir(path: &Path) -> io::Result<()> {
    let sddl = wide(WORK_DIR_SDDL);
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: sddl is NUL-terminated; sd is a valid out pointer; the size pointer may be null.
    if unsafe { ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.as_ptr(), 1, &mut sd, null_mut()) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd,
        bInheritHandle: 0,
    };
    let wpath = wide(&path.to_string_lossy());
    // SAFETY: wpath is NUL-terminated; attributes points at a security descriptor that stays
    // alive until LocalFree below.
    let ok = unsafe { CreateDirectoryW(wpath.as_ptr(), &attributes) };
    let err = io::Error::last_os_error();
    // SAFETY: sd was allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW with
    // LocalAlloc; freed once.
    unsafe { LocalFree(sd) };
    if ok == 0 {
        return Err(err);
    }
    Ok(())
}

impl Host for WinHost {
    type Sys = WinSystem;

    fn system(&self) -> &WinSystem {
        &self.system
    }

    fn system_mut(&mut self) -> &mut WinSystem {
        &mut self.system
    }

    /// Windows Installer's folder properties for a 64-bit package
    /// (<https://learn.microsoft.com/en-us/windows/win32/msi/property-reference#system-folder-properties>).
    fn folder(&self, property: &str) -> Option<String> {
        let windows = folder_of(GetWindowsDirectoryW);
        match property {
            "WindowsFolder" => windows,
            "System64Folder" => folder_of(GetSystemDirectoryW),
            "SystemFolder" => windows.map(|w| w + "SysWOW64\\"),
            "ProgramFiles64Folder" => env_folder("ProgramW6432"),
            "ProgramFilesFolder" => env_folder("ProgramFiles(x86)"),
            "CommonFiles64Folder" => env_folder("CommonProgramW6432"),
            "CommonFilesFolder" => env_folder("CommonProgramFiles(x86)"),
            "CommonAppDataFolder" => env_folder("ProgramData"),
            "TempFolder" => env_folder("TEMP"),
            _ => None,
        }
    }

    fn private_dir(&mut self) -> io::Result<PathBuf> {
        let base = folder_of(GetWindowsDirectoryW).map(|w| PathBuf::from(w).join("Temp")).filter(|p| p.is_dir());
        let base = base.unwrap_or_else(std::env::temp_dir);
        for _ in 0..16 {
            let mut random = [0u8; 8];
            getrandom::getrandom(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
            let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let path = base.join(format!("IdmSetup-{name}"));
            match create_private_dir(&path) {
                Ok(()) => return Ok(path),
                // SAFETY: plain call.
                Err(_) if unsafe { GetLastError() } == ERROR_ALREADY_EXISTS => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("no unused working folder name after 16 tries"))
    }

    /// Runs the installer as `WinSystem::run` does (the arguments verbatim), but keeps the
    /// window painted while it runs.
    fn run_installer(&mut self, program: &str, args: &str) -> Result<u32, SystemError> {
        use std::os::windows::process::CommandExt;
        let mut command = std::process::Command::new(program);
        if !args.is_empty() {
            command.raw_arg(args);
        }
        // No console window for a console installer (cmd.exe, wusa, dism) started from this
        // GUI program (process creation flags:
        // https://learn.microsoft.com/en-us/windows/win32/procthread/process-creation-flags).
        command.creation_flags(CREATE_NO_WINDOW);
        let start_error =
            |e: io::Error| SystemError { call: "CreateProcessW", code: e.raw_os_error().map_or(0, |c| c as u32) };
        let mut child = command.spawn().map_err(start_error)?;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status.code().map_or(u32::MAX, |c| c as u32)),
                Ok(None) => {
                    self.ui.pump();
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(SystemError { call: "WaitForSingleObject", code: e.raw_os_error().unwrap_or(0) as u32 })
                }
            }
        }
    }

    fn product(&mut self, name: &str) {
        self.ui.set_product(name);
    }

    fn confirm(&mut self, product: &str, states: &[(Module, State)]) -> bool {
        self.ui.confirm(product, states)
    }

    fn progress(&mut self, text: &str, done: usize, total: usize) {
        if self.display != Display::Quiet {
            self.ui.progress(text, done, total);
        }
    }

    fn tell(&mut self, text: &str, error: bool) {
        if self.display == Display::Full {
            self.ui.tell(text, error);
        }
    }

    fn install_msi(&mut self, msi: &Path, command_line: &str, display: Display, log: Option<&Path>) -> u32 {
        // The MSI's own dialogs need the screen: the setup window steps aside.
        self.ui.hide();
        // msiexec /qn, /passive (= /qb!- progress only) and the full UI:
        // https://learn.microsoft.com/en-us/windows/win32/msi/command-line-options
        let level = match display {
            Display::Quiet => INSTALLUILEVEL_NONE,
            Display::Passive => INSTALLUILEVEL_BASIC | INSTALLUILEVEL_PROGRESSONLY,
            Display::Full => INSTALLUILEVEL_FULL,
        };
        // SAFETY: plain call; a null window handle keeps the current owner.
        unsafe { MsiSetInternalUI(level, null_mut()) };
        if let Some(log) = log {
            // `/l*v`: every mode but extra debug, plus verbose
            // (https://learn.microsoft.com/en-us/windows/win32/api/msi/nf-msi-msienablelogw).
            let mode = INSTALLLOGMODE_FATALEXIT
                | INSTALLLOGMODE_ERROR
                | INSTALLLOGMODE_WARNING
                | INSTALLLOGMODE_USER
                | INSTALLLOGMODE_INFO
                | INSTALLLOGMODE_RESOLVESOURCE
                | INSTALLLOGMODE_OUTOFDISKSPACE
                | INSTALLLOGMODE_ACTIONSTART
                | INSTALLLOGMODE_ACTIONDATA
                | INSTALLLOGMODE_COMMONDATA
                | INSTALLLOGMODE_PROPERTYDUMP
                | INSTALLLOGMODE_VERBOSE;
            let wlog = wide(&log.to_string_lossy());
            // SAFETY: wlog is NUL-terminated and alive for the call (msi.dll copies the path).
            unsafe { MsiEnableLogW(mode as u32, wlog.as_ptr(), INSTALLLOGATTRIBUTES_FLUSHEACHLINE as u32) };
        }
        let (wmsi, wcmd) = (wide(&msi.to_string_lossy()), wide(command_line));
        // SAFETY: both strings are NUL-terminated and alive for the call.
        let code = unsafe { MsiInstallProductW(wmsi.as_ptr(), wcmd.as_ptr()) };
        self.ui.show();
        code
    }
}

/// Writes `text` to the console of the process that started us, if there is one (a GUI
/// program has none of its own); false when there is none.
fn to_parent_console(text: &str) -> bool {
    // SAFETY: plain call.
    if unsafe { AttachConsole(ATTACH_PARENT_PROCESS) } == 0 {
        return false;
    }
    use std::io::Write;
    let mut out = io::stdout();
    out.write_all(text.as_bytes()).is_ok() && out.flush().is_ok()
}

/// The log files: `/log <file>` or `%TEMP%\<setup name>_<time>.log`; the MSI's beside it as
/// `<stem>_msi.log`.
fn log_paths(options: &Options, exe: &Path) -> (PathBuf, PathBuf) {
    let bundle = options.log.clone().unwrap_or_else(|| {
        let stem = exe.file_stem().map_or_else(|| "setup".into(), |s| s.to_string_lossy().into_owned());
        std::env::temp_dir().join(format!("{stem}_{}.log", file_stamp()))
    });
    let stem = bundle.file_stem().map_or_else(|| "setup".into(), |s| s.to_string_lossy().into_owned());
    let msi = bundle.with_file_name(format!("{stem}_msi.log"));
    (bundle, msi)
}

/// The program: parse, open the log, run the flow; returns the exit code.
pub fn main() -> u32 {
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let options = match cli::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            let text = format!("{e}\n\n{}", cli::HELP);
            if !to_parent_console(&text)
                && !args.iter().any(|a| a.eq_ignore_ascii_case("/quiet") || a.eq_ignore_ascii_case("/q"))
            {
                ui::message("Setup", &text, true);
            }
            return EXIT_BAD_COMMAND_LINE;
        }
    };
    if options.help {
        if !to_parent_console(cli::HELP) {
            ui::message("Setup", cli::HELP, false);
        }
        return 0;
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            ui::message("Setup", &format!("cannot find this program's own file: {e}"), true);
            return EXIT_FAILURE;
        }
    };
    let (bundle_log, msi_log) = log_paths(&options, &exe);
    if let Some(dir) = bundle_log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match std::fs::File::create(&bundle_log) {
        Ok(f) => f,
        Err(e) => {
            let text = format!("cannot write the log {}: {e}", bundle_log.display());
            if !to_parent_console(&text) && options.display == Display::Full {
                ui::message("Setup", &text, true);
            }
            return EXIT_FAILURE;
        }
    };
    let mut log = Log::new(Some(Box::new(file)), clock);
    log.line(&format!("log {}; the MSI's verbose log: {}", bundle_log.display(), msi_log.display()));
    let mut host = WinHost { system: WinSystem, display: options.display, ui: ui::Ui::new(options.display) };
    Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log: Some(msi_log) }.run()
}
