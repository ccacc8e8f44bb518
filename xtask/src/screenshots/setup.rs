//! The setup program's screens (docs/setup.md), walked like the MSI's dialogs: the setup
//! program built with the e2e test prerequisite (its package is carried), in a prefix where
//! that module is missing.
//!
//! - `setup`: its window lists the prerequisites with their state (screenshot), Cancel ends
//!   it with 1602 and nothing installed; then, with `/passive`, the progress screen while the
//!   package runs (screenshot; the package waits a few seconds when `IDM_TEST_PREREQ_DELAY`
//!   is set), ending with 0, the module and the product installed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{Env, MsiRun, WORK_WIN};
use crate::harness::wine::Prefix;

/// The registry key the test prerequisite's package writes.
const TEST_MODULE_KEY: &str = r"SOFTWARE\VMware, Inc.\IdmTestPrerequisite";

/// Builds (once per run) the setup program of the product config with the test prerequisite.
pub(super) fn setup_exe(env: &Env<'_>) -> Result<PathBuf> {
    let dir = env.root.join("prereq-dist");
    let config = crate::e2e::prereq_config(&env.root)?;
    let options = crate::dist::Options { config: Some(config), out: Some(dir), ..Default::default() };
    let built = crate::dist::run(env.sh, &options).context("building the setup program with the test prerequisite")?;
    Ok(built.setup)
}

/// Starts the setup program with `args` in the background, through the exit-code batch file.
fn start(prefix: &Prefix, exe: &Path, name: &str, args: &[&str], delay: bool) -> Result<MsiRun> {
    let work = prefix.c(WORK_WIN);
    std::fs::copy(exe, work.join("setup.exe"))?;
    let log_win = format!(r"{WORK_WIN}\logs\{name}.log");
    let stdout = work.join(format!("{name}.out"));
    let batch = format!(r"{WORK_WIN}\msiexec-exit.cmd");
    let mut command = prefix.command(&["cmd", "/c", &batch]);
    command
        .args(args)
        .args(["/log", &log_win])
        .env("E2E_PROGRAM", format!(r"{WORK_WIN}\setup.exe"))
        .stdout(std::fs::File::create(&stdout)?)
        .stderr(Stdio::null());
    if delay {
        command.env("IDM_TEST_PREREQ_DELAY", "6");
    }
    let child = command.spawn().context("starting the setup program")?;
    Ok(MsiRun { child, stdout, log: prefix.c(&log_win) })
}

/// Waits for the setup window (its title is the MSI dialogs' `<product> Setup`) and, once
/// `ready` holds, saves it as `<out>/<file>`.
fn shoot(env: &Env<'_>, run: &MsiRun, file: &str, ready: impl Fn(&str) -> bool) -> Result<super::display::Geometry> {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&run.log).unwrap_or_default();
        let windows = env.screen.windows(&env.title)?;
        if let (Some(&w), true) = (windows.last(), ready(&log)) {
            // Let it paint.
            std::thread::sleep(Duration::from_millis(800));
            let g = env.screen.geometry(w)?;
            env.screen.screenshot(g, &env.out.join(file))?;
            return Ok(g);
        }
        if start.elapsed() > super::STEP_TIMEOUT {
            bail!("no setup window for {file} within {} s (log {})", super::STEP_TIMEOUT.as_secs(), run.log.display());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Whether the test module's registry value exists, once the prefix has written its registry
/// (the same reader as the e2e checks: `Prefix::hklm`).
fn module_installed(env: &Env<'_>, prefix: &Prefix) -> Result<bool> {
    let _ = prefix.settle(env.sh);
    Ok(prefix.hklm()?.key(TEST_MODULE_KEY).and_then(|k| k.get("Version")).is_some())
}

/// The path: prerequisites screen and Cancel, then `/passive` with its progress screen.
pub(super) fn walk(env: &Env<'_>, prefix: &Prefix) -> Result<Vec<String>> {
    let exe = setup_exe(env)?;
    env.install_prerequisites(prefix)?;
    let mut checks = Vec::new();

    let mut run = start(prefix, &exe, "setup-cancel", &[], false)?;
    let g = shoot(env, &run, "20-setup-prerequisites.png", |log| log.contains("prerequisite IDM test module"))?;
    // Cancel: the button at client (440, 300), 90 x 26 (setup/src/win/ui.rs); no window
    // manager, so the window's origin is its client area's.
    env.screen.click(g.x + 485, g.y + 313)?;
    let code = env.finish(&mut run, prefix)?;
    if code != 1602 {
        bail!("Cancel on the prerequisites screen: exit code {code}, expected 1602");
    }
    if module_installed(env, prefix)? {
        bail!("Cancel on the prerequisites screen: the test module was installed anyway");
    }
    checks.push("prerequisites screen, Cancel: 1602, nothing installed".to_string());

    let mut run = start(prefix, &exe, "setup-passive", &["/passive"], true)?;
    shoot(env, &run, "21-setup-progress.png", |log| log.contains("installing prerequisite IDM test module"))?;
    let code = env.finish(&mut run, prefix)?;
    if code != 0 {
        bail!("setup /passive: exit code {code}, expected 0 (log {})", run.log.display());
    }
    if !module_installed(env, prefix)? {
        bail!("setup /passive: exit code 0 but the test module is not installed");
    }
    if !env.product_dir(prefix).is_dir() {
        bail!("setup /passive: exit code 0 but {} does not exist", env.product_dir(prefix).display());
    }
    checks.push("/passive: progress screen, module and product installed, 0".to_string());
    Ok(checks)
}
