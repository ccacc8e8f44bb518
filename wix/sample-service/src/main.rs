//! Sample product service: a Windows service that writes a heartbeat file every few seconds.
//!
//! It stands for the real product's service in the installer's sample payload, so the MSI's
//! `ServiceInstall`/`ServiceControl` rows install, start and stop something real (under Windows
//! or Wine). The heartbeat file is `%ProgramData%\VMware\IdentityManager\heartbeat.txt`
//! (outside the install folder, so an uninstall leaves no stray file in Program Files); each
//! beat replaces it with `running <beat> <unix seconds>`, and a clean stop writes `stopped ...`.
//!
//! Only the thin service shell is `cfg(windows)`; the heartbeat logic builds and is tested on
//! any platform.

mod heartbeat;

/// The service name passed to the service control dispatcher. With `SERVICE_WIN32_OWN_PROCESS`
/// the name is not checked, so the product config may install it under any name.
#[cfg(windows)]
const SERVICE_NAME: &str = "VMwareIdentityManager";

#[cfg(windows)]
mod service;

#[cfg(windows)]
fn main() {
    if std::env::args().nth(1).as_deref() == Some("--console") {
        // Debugging aid: beat three times in the foreground.
        let path = heartbeat::default_path();
        for beat in 1..=3 {
            if let Err(e) = heartbeat::write(&path, heartbeat::State::Running, beat) {
                eprintln!("cannot write {}: {e}", path.display());
                std::process::exit(1);
            }
            std::thread::sleep(heartbeat::INTERVAL);
        }
        return;
    }
    if let Err(code) = service::run_dispatcher() {
        eprintln!(
            "idm-sample-service: not started by the service control manager (error {code}); \
             run it as a service, or with --console to beat in the foreground"
        );
        std::process::exit(1);
    }
}

#[cfg(not(windows))]
fn main() {
    println!("idm-sample-service is a Windows service; build it for x86_64-pc-windows-gnu (cargo xtask dist does).");
}
