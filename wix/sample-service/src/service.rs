//! The Windows service shell: dispatcher, control handler, status reports (`windows-sys`).

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{GetLastError, NO_ERROR};
use windows_sys::Win32::System::Services::{
    RegisterServiceCtrlHandlerW, SetServiceStatus, StartServiceCtrlDispatcherW, SERVICE_ACCEPT_SHUTDOWN,
    SERVICE_ACCEPT_STOP, SERVICE_CONTROL_INTERROGATE, SERVICE_CONTROL_SHUTDOWN, SERVICE_CONTROL_STOP, SERVICE_RUNNING,
    SERVICE_START_PENDING, SERVICE_STATUS, SERVICE_STATUS_CURRENT_STATE, SERVICE_STATUS_HANDLE, SERVICE_STOPPED,
    SERVICE_STOP_PENDING, SERVICE_TABLE_ENTRYW, SERVICE_WIN32_OWN_PROCESS,
};

use crate::heartbeat::{self, State};

/// Set by the control handler when the service control manager asks us to stop.
static STOP: AtomicBool = AtomicBool::new(false);
/// The status handle from `RegisterServiceCtrlHandlerW` (null until registered).
static STATUS_HANDLE: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(core::ptr::null_mut());

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

/// Connects to the service control manager and runs the service until it stops. Returns the
/// Win32 error when the process was not started as a service.
pub fn run_dispatcher() -> Result<(), u32> {
    let mut name = wide(crate::SERVICE_NAME);
    let table = [
        SERVICE_TABLE_ENTRYW { lpServiceName: name.as_mut_ptr(), lpServiceProc: Some(service_main) },
        SERVICE_TABLE_ENTRYW { lpServiceName: core::ptr::null_mut(), lpServiceProc: None },
    ];
    // SAFETY: `table` is a valid, null-terminated service table whose name buffer outlives the
    // call (the dispatcher returns only after the service has stopped).
    let ok = unsafe { StartServiceCtrlDispatcherW(table.as_ptr()) };
    if ok == 0 {
        // SAFETY: reads the calling thread's last-error value; no preconditions.
        Err(unsafe { GetLastError() })
    } else {
        Ok(())
    }
}

/// Reports a state to the service control manager.
fn report(state: SERVICE_STATUS_CURRENT_STATE, wait_hint: Duration) {
    let handle: SERVICE_STATUS_HANDLE = STATUS_HANDLE.load(Ordering::SeqCst);
    if handle.is_null() {
        return;
    }
    let accepted = if state == SERVICE_RUNNING { SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN } else { 0 };
    let status = SERVICE_STATUS {
        dwServiceType: SERVICE_WIN32_OWN_PROCESS,
        dwCurrentState: state,
        dwControlsAccepted: accepted,
        dwWin32ExitCode: NO_ERROR,
        dwServiceSpecificExitCode: 0,
        dwCheckPoint: 0,
        dwWaitHint: u32::try_from(wait_hint.as_millis()).unwrap_or(u32::MAX),
    };
    // SAFETY: `handle` came from RegisterServiceCtrlHandlerW and `status` is a valid struct for
    // the duration of the call.
    unsafe { SetServiceStatus(handle, &status) };
}

/// The control handler: stop and shutdown set [`STOP`]; interrogate needs no action.
unsafe extern "system" fn control_handler(control: u32) {
    match control {
        SERVICE_CONTROL_STOP | SERVICE_CONTROL_SHUTDOWN => {
            STOP.store(true, Ordering::SeqCst);
            report(SERVICE_STOP_PENDING, Duration::from_secs(3));
        }
        SERVICE_CONTROL_INTERROGATE => {}
        _ => {}
    }
}

/// The service's main function, called by the dispatcher on its own thread.
unsafe extern "system" fn service_main(_argc: u32, _argv: *mut windows_sys::core::PWSTR) {
    let name = wide(crate::SERVICE_NAME);
    // SAFETY: `name` is a valid null-terminated UTF-16 string and `control_handler` has the
    // handler signature; the handle stays valid for the life of the process.
    let handle = unsafe { RegisterServiceCtrlHandlerW(name.as_ptr(), Some(control_handler)) };
    if handle.is_null() {
        return;
    }
    STATUS_HANDLE.store(handle, Ordering::SeqCst);
    report(SERVICE_START_PENDING, Duration::from_secs(3));
    let path = heartbeat::default_path();
    let mut beat = 0u64;
    // The first beat is written before reporting "running", so a started service has a file.
    let _ = heartbeat::write(&path, State::Running, beat);
    report(SERVICE_RUNNING, Duration::ZERO);
    let mut last = Instant::now();
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        if last.elapsed() >= heartbeat::INTERVAL {
            beat += 1;
            // A failed write (disk full, permissions) is retried at the next beat.
            let _ = heartbeat::write(&path, State::Running, beat);
            last = Instant::now();
        }
    }
    let _ = heartbeat::write(&path, State::Stopped, beat + 1);
    report(SERVICE_STOPPED, Duration::ZERO);
}
