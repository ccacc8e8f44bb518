//! `cargo xtask test`: every test, in order: `cargo fmt --check`, `cargo clippy -D warnings` (host,
//! and the Windows-only code for the Windows target),
//! host tools, `dist`, `cargo test --workspace`, `e2e`, and the walks through the dialogs (`screenshots`, pictures written under the target folder; `wix walk`, the WixUI_InstallDir and WixUI_Advanced wizards of a WiX v3 source).
//!
//! This is the README's test command and what `.ci/run` runs. Host tools are installed with
//! apt-get when running as root on Debian/Ubuntu (saying so); otherwise a missing tool is
//! reported with the command that installs it, and the tests that need it skip loudly (or fail
//! under CI, where `.ci/run` installs everything first).

use std::time::Instant;

use anyhow::{Context as _, Result};
use xshell::{cmd, Shell};

use crate::cli::{E2eArgs, ScreenshotsArgs, TestArgs};
use crate::dist::toolchain::{apt_install, find_on_path};
use crate::{dist, e2e, screenshots, target_dir};

/// A host tool the tests use: the program (or, for a Python module, `python3`), its Debian
/// package, and what needs it.
struct Tool {
    program: &'static str,
    package: &'static str,
    needed_for: &'static str,
    /// A module `python3` must import (the program alone says nothing then).
    python_module: Option<&'static str>,
}

impl Tool {
    const fn program(program: &'static str, package: &'static str, needed_for: &'static str) -> Tool {
        Tool { program, package, needed_for, python_module: None }
    }

    fn present(&self) -> bool {
        match self.python_module {
            None => find_on_path(self.program).is_some(),
            // The system interpreter first, as the tests look for it: apt installs the module
            // there, and a `python3` earlier on PATH (pyenv) does not see it.
            Some(module) => [format!("/usr/bin/{}", self.program), self.program.to_string()].iter().any(|py| {
                std::process::Command::new(py)
                    .args(["-c", &format!("import {module}")])
                    .output()
                    .is_ok_and(|o| o.status.success())
            }),
        }
    }
}

const TOOLS: &[Tool] = &[
    Tool::program("msiinfo", "msitools", "reading the MSI back (tests/tests/msitools.rs)"),
    Tool::program("msiextract", "msitools", "extracting the MSI (tests/tests/msitools.rs)"),
    Tool::program("xmllint", "libxml2-utils", "the WiX schema tests"),
    Tool::program("cabextract", "cabextract", "the cabinet checksums (tests/tests/compound_file.rs)"),
    Tool {
        program: "python3",
        package: "python3-olefile",
        needed_for: "the second compound-file reader (tests/tests/compound_file.rs)",
        python_module: Some("olefile"),
    },
    Tool::program("osslsigncode", "osslsigncode", "signing the setup program (tests/tests/setup.rs)"),
    Tool::program("wixl", "wixl", "validating wixl's MSIs (packaging/tests/validate_wixl.rs)"),
    Tool::program("wine", "wine", "the end-to-end installs under Wine"),
    Tool::program("Xvfb", "xvfb", "the dialog tests"),
    Tool::program("xdotool", "xdotool", "the dialog tests"),
];

/// The workspace crates with code compiled only for Windows (`cfg(windows)`).
const WINDOWS_CRATES: &[&str] =
    &["custom-actions", "idm-setup", "bundle-core", "idm-sample-service", "idm-dialog-probe"];

/// Runs `cargo xtask test`.
pub fn run(sh: &Shell, args: &TestArgs) -> Result<()> {
    let e2e_too = !args.no_e2e;
    let ui_too = !args.no_ui;
    let cargo_args = &args.cargo_args;
    let started = Instant::now();
    // Every test that skips (no tool, no Wine) is recorded and printed at the end, passed or not.
    let _skips = test_support::SkipReport::start(&target_dir().join("test-skips.log"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    // Style and lints first: seconds, and they fail for reasons nothing later would show.
    eprintln!("== cargo fmt --all --check");
    cmd!(sh, "{cargo} fmt --all --check")
        .run()
        .context("the code is not formatted as rustfmt.toml says: run `cargo fmt --all`")?;
    eprintln!("== cargo clippy --workspace --all-targets -- -D warnings");
    {
        let _target = sh.push_env("CARGO_TARGET_DIR", target_dir());
        cmd!(sh, "{cargo} clippy --workspace --all-targets -- -D warnings")
            .run()
            .context("clippy found warnings (listed above)")?;
    }

    // The code behind `cfg(windows)` (the DLL's exports, the setup program, the sample service,
    // the dialog probe) is invisible to the host clippy above: lint it for the Windows target too
    // (a check build; no mingw linker needed).
    let windows = dist::toolchain::WINDOWS_TARGET;
    let packages: Vec<&str> = WINDOWS_CRATES.iter().flat_map(|p| ["-p", *p]).collect();
    eprintln!("== cargo clippy --target {windows} {} -- -D warnings", packages.join(" "));
    {
        let _target = sh.push_env("CARGO_TARGET_DIR", target_dir());
        cmd!(sh, "{cargo} clippy --target {windows} {packages...} -- -D warnings")
            .run()
            .context("clippy found warnings in the Windows-only code (listed above)")?;
    }

    eprintln!("== host tools");
    check_host_tools(sh)?;

    eprintln!("== cargo xtask dist");
    let output = dist::run(sh, &dist::Options::default())?;
    let dist_dir = output.msi.parent().context("the MSI is in a folder")?.to_path_buf();

    eprintln!("== cargo test --workspace");
    let t = Instant::now();
    {
        let _dist = sh.push_env("IDM_DIST_DIR", &dist_dir);
        let _target = sh.push_env("CARGO_TARGET_DIR", target_dir());
        cmd!(sh, "{cargo} test --workspace {cargo_args...}").run().context("cargo test failed")?;
    }
    eprintln!("   cargo test: {:.0}s", t.elapsed().as_secs_f64());

    if e2e_too {
        // Both Wine stages run even when the first fails, so one run reports everything.
        eprintln!("== cargo xtask e2e");
        let t = Instant::now();
        let e2e = e2e::run(sh, &E2eArgs::default()).context("the end-to-end tests failed");
        eprintln!("   e2e: {:.0}s", t.elapsed().as_secs_f64());
        let ui = if ui_too {
            eprintln!("== cargo xtask screenshots (every dialog path under Xvfb + xdotool)");
            let t = Instant::now();
            let pictures = target_dir().join("screenshots").join("png");
            let args = ScreenshotsArgs {
                msi: Some(output.msi.clone()),
                test_msi: None,
                out: Some(pictures),
                only: None,
                keep: false,
            };
            let ui = screenshots::run(sh, &args).context("the dialog walk failed");
            eprintln!("   dialogs: {:.0}s", t.elapsed().as_secs_f64());
            eprintln!("== cargo xtask wix walk (the WixUI_InstallDir and WixUI_Advanced wizards of a WiX v3 source)");
            let wixui = crate::wix::walk::run(sh).context("the WixUI walks failed");
            match (ui, wixui) {
                (Ok(()), Ok(_)) => Ok(()),
                (Err(e), Ok(_)) | (Ok(()), Err(e)) => Err(e),
                (Err(e), Err(w)) => Err(e.context(format!("and {w:#}"))),
            }
        } else {
            Ok(())
        };
        match (e2e, ui) {
            (Ok(()), Ok(())) => {}
            (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(e),
            (Err(e), Err(u)) => return Err(e.context(format!("and {u:#}"))),
        }
    }
    eprintln!("== all tests passed in {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Installs (as root on Debian) or reports the host tools; the Windows linker is required.
fn check_host_tools(sh: &Shell) -> Result<()> {
    dist::toolchain::ensure_windows_toolchain(sh)?;
    let missing: Vec<&Tool> = TOOLS.iter().filter(|t| !t.present()).collect();
    if missing.is_empty() {
        let mut packages: Vec<&str> = TOOLS.iter().map(|t| t.package).collect();
        packages.dedup();
        eprintln!("   all present (mingw-w64, {})", packages.join(", "));
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    packages.dedup();
    let root = cmd!(sh, "id -u").quiet().ignore_stderr().read().map(|s| s.trim() == "0").unwrap_or(false);
    if root && std::path::Path::new("/usr/bin/apt-get").is_file() {
        apt_install(sh, &packages, "the tests need them")?;
        return Ok(());
    }
    for t in &missing {
        eprintln!("   MISSING: `{}` (package {}), needed for {}", t.program, t.package, t.needed_for);
    }
    eprintln!(
        "   install them with: sudo apt-get install {}\n   (the tests that need them will print SKIPPED; under CI they fail)",
        packages.join(" ")
    );
    Ok(())
}
