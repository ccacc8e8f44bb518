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

use super::identify::{self, Content, Probe};
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
/// `ready` holds, saves it as `<out>/<file>`; returns its window and geometry.
fn shoot(
    env: &Env<'_>,
    run: &MsiRun,
    file: &str,
    ready: impl Fn(&str) -> bool,
) -> Result<(u64, super::display::Geometry)> {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&run.log).unwrap_or_default();
        let windows = env.screen.windows(&env.title)?;
        if let (Some(&w), true) = (windows.last(), ready(&log)) {
            // Let it paint.
            std::thread::sleep(Duration::from_millis(800));
            let g = env.screen.geometry(w)?;
            env.screen.screenshot(g, &env.out.join(file))?;
            return Ok((w, g));
        }
        if start.elapsed() > super::STEP_TIMEOUT {
            bail!("no setup window for {file} within {} s (log {})", super::STEP_TIMEOUT.as_secs(), run.log.display());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Reads the setup window's controls (the probe) and asserts which screen it is: a text that
/// contains `heading` (setup/src/win/ui.rs writes it), a text that contains `listed`, and the
/// Cancel button enabled or not.
fn expect_screen(probe: &Probe<'_>, window: u64, heading: &str, listed: &str, cancel: bool) -> Result<Content> {
    let content = probe.read(window)?;
    let texts: Vec<&str> = content.controls.iter().map(|c| c.text.as_str()).collect();
    let has = |part: &str| content.controls.iter().any(|c| c.visible && c.text.contains(part));
    if !has(heading) || !has(listed) {
        bail!("the setup window does not show {heading:?} and {listed:?}: its texts are {texts:?}");
    }
    if identify::can_press(&content, "Cancel") != cancel {
        bail!("the setup window's Cancel should be {}: {texts:?}", if cancel { "enabled" } else { "disabled" });
    }
    Ok(content)
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

    let probe = Probe::new(prefix, &env.probe);
    let mut run = start(prefix, &exe, "setup-cancel", &[], false)?;
    let (w, g) = shoot(env, &run, "20-setup-prerequisites.png", |log| log.contains("prerequisite IDM test module"))?;
    expect_screen(&probe, w, "prerequisite(s) missing", "IDM test module: MISSING", true)?;
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
    if env.product_dir(prefix).exists() {
        bail!("Cancel on the prerequisites screen: {} was created", env.product_dir(prefix).display());
    }
    checks.push("prerequisites screen (read by its texts), Cancel: exit code 1602, neither the module nor the product installed".to_string());

    let mut run = start(prefix, &exe, "setup-passive", &["/passive"], true)?;
    let (w, _) =
        shoot(env, &run, "21-setup-progress.png", |log| log.contains("installing prerequisite IDM test module"))?;
    // The package waits (IDM_TEST_PREREQ_DELAY), so the progress screen is still up.
    expect_screen(&probe, w, "Installing IDM test module", "Step ", false)?;
    let code = env.finish(&mut run, prefix)?;
    // The product's full outcome (exit code exactly 0, every file, Add/Remove Programs, the
    // service); it stops the prefix, so the registry is on disk for the module check after it.
    let installed = env.expect_installed(prefix, code, &run.log, &std::collections::BTreeMap::new())?;
    if !module_installed(env, prefix)? {
        bail!("setup /passive: exit code 0 but the test module is not installed");
    }
    checks.push("/passive: progress screen (read by its texts), the test module installed".to_string());
    checks.extend(installed.into_iter().map(|c| format!("/passive: {c}")));
    Ok(checks)
}
