//! `cargo xtask wix walk`: the WixUI_InstallDir wizard walked under Wine on a virtual display,
//! as an administrator would: a cargo-wix-shaped source (`packaging/tests/wix_v3/main.wxs`) with
//! `<UIRef Id="WixUI_InstallDir"/>` and `WIXUI_INSTALLDIR` is built with the project's backend,
//! `msiexec /i` runs it with its full UI, and xdotool clicks through Welcome -> License (the
//! accept box) -> InstallDirDlg, where the folder is replaced by another one, -> VerifyReady ->
//! Install -> Finish. The run passes when msiexec ends with 0 and the program is in the chosen
//! folder, not in the default one. Part of `cargo xtask test` (with the other dialog walks).
//!
//! The dialog driving (windows, clicks at the Control table's coordinates, typing) is the
//! screenshots walk's (`crate::screenshots`), so both walks find dialogs the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use packaging::wix::{Arch, BindPath, BuildOptions, BuildSpec};
use xshell::Shell;

use crate::harness::{self, wine::Prefix, wine::Wine};
use crate::screenshots::display::{Screen, Xvfb};
use crate::screenshots::layout::Layout;
use crate::screenshots::walk::{Walker, STEP_TIMEOUT};
use crate::{project_root, target_dir};

/// The folder typed into InstallDirDlg (not the source's default, `C:\Program Files\hello-cli\`).
const CHOSEN_DIR: &str = r"C:\Tools\hello\";

/// How long msiexec may take to end after Finish.
const EXIT_TIMEOUT: Duration = Duration::from_secs(120);

/// Builds the WixUI_InstallDir package of the cargo-wix fixture under `dir`; returns the MSI.
fn build_fixture(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir.join("wix"))?;
    std::fs::create_dir_all(dir.join("target/release"))?;
    let fixture = project_root().join("packaging/tests/wix_v3/main.wxs");
    let text = std::fs::read_to_string(&fixture).with_context(|| format!("reading {}", fixture.display()))?;
    let anchor = "        <SetProperty Id=\"ARPINSTALLLOCATION\"";
    if !text.contains(anchor) {
        bail!("{} no longer has the ARPINSTALLLOCATION SetProperty this walk adds the UI before", fixture.display());
    }
    let ui = "        <Property Id=\"WIXUI_INSTALLDIR\" Value=\"APPLICATIONFOLDER\" />\n        \
              <UIRef Id=\"WixUI_InstallDir\" />\n        \
              <WixVariable Id=\"WixUILicenseRtf\" Value=\"wix\\License.rtf\" />\n";
    std::fs::write(dir.join("wix/main.wxs"), text.replace(anchor, &format!("{ui}{anchor}")))?;
    std::fs::write(dir.join("wix/License.rtf"), "{\\rtf1\\ansi Walk licence text\\par}")?;
    // Any bytes do for the walk: the file is copied, never run.
    std::fs::write(dir.join("target/release/hello-cli.exe"), b"MZ walk payload")?;
    let out = dir.join("hello-wixui.msi");
    let spec = BuildSpec {
        sources: vec![dir.join("wix/main.wxs")],
        variables: BTreeMap::from([("CargoTargetBinDir".to_string(), "target\\release".to_string())]),
        output: out.clone(),
        source_date_epoch: Some(packaging::wix::DEFAULT_EPOCH),
        ..Default::default()
    };
    let options = BuildOptions {
        arch: Arch::X64,
        bind_paths: Some(vec![BindPath { name: None, dir: dir.to_path_buf() }]),
        ..Default::default()
    };
    packaging::wix::build_with(&spec, &options).map_err(|e| anyhow::anyhow!("building the WixUI fixture: {e}"))?;
    Ok(out)
}

/// Runs the walk; `Ok` with what was checked.
pub fn run(sh: &Shell) -> Result<Vec<String>> {
    let started = Instant::now();
    let root = target_dir().join("wixui-walk");
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("removing {}", root.display()))?;
    }
    let msi = build_fixture(&root.join("project"))?;
    let layout = Layout::read(sh, &msi)?;
    let wine = match Wine::detect(sh)? {
        Ok(wine) => wine,
        Err(why) => bail!("the WixUI walk needs Wine: {why}"),
    };
    let template = harness::template_prefix(sh, &wine, &root)?;
    let xvfb = Xvfb::start()?;
    let screen = Screen::new(sh, &xvfb.display);
    let prefix = Prefix::clone_from(sh, &template, &root.join("prefix"))?.on_display(screen.display());
    let result = walk(&screen, &layout, &prefix, &msi, &root);
    prefix.kill(sh);
    drop(xvfb);
    let checks = result?;
    eprintln!("wix walk: passed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(checks)
}

fn walk(screen: &Screen<'_>, layout: &Layout, prefix: &Prefix, msi: &Path, root: &Path) -> Result<Vec<String>> {
    let work = prefix.c(harness::wine::WORK_DIR_WIN);
    std::fs::copy(msi, work.join("wixui.msi"))?;
    let log_win = format!(r"{}\logs\wixui.log", harness::wine::WORK_DIR_WIN);
    let stdout = work.join("wixui.out");
    let mut child = prefix
        .command(&[
            "cmd",
            "/c",
            &format!(r"{}\msiexec-exit.cmd", harness::wine::WORK_DIR_WIN),
            "/i",
            &format!(r"{}\wixui.msi", harness::wine::WORK_DIR_WIN),
            "/l*v",
            &log_win,
        ])
        .stdout(std::fs::File::create(&stdout)?)
        .stderr(Stdio::null())
        .spawn()
        .context("starting wine cmd /c msiexec-exit.cmd")?;
    let log = prefix.c(&log_win);
    // The WixUI dialogs' title is "[ProductName] Setup" (WiX's en-us strings).
    let title = "^hello-cli Setup$";
    let shots = root.join("png");
    std::fs::create_dir_all(&shots)?;
    {
        let mut w = Walker::new(screen, layout, title, &shots, &log, &mut child);
        w.show("WelcomeDlg", STEP_TIMEOUT)?;
        w.click("Next")?;
        w.show("LicenseAgreementDlg", STEP_TIMEOUT)?;
        w.click("LicenseAcceptedCheckBox")?;
        w.click("Next")?;
        w.show("InstallDirDlg", STEP_TIMEOUT)?;
        w.shot("install-dir-default")?;
        // Replace the folder: select what the PathEdit shows, type the new one, leave with Tab.
        w.click("Folder")?;
        screen.key("ctrl+a")?;
        screen.type_text(CHOSEN_DIR)?;
        screen.key("Tab")?;
        w.shot("install-dir-chosen")?;
        w.click("Next")?;
        w.show("VerifyReadyDlg", STEP_TIMEOUT)?;
        w.click("Install")?;
        w.maybe_show("ProgressDlg", Duration::from_secs(20))?;
        w.show("ExitDialog", STEP_TIMEOUT)?;
        w.shot("exit")?;
        w.click("Finish")?;
    }
    let start = Instant::now();
    while child.try_wait()?.is_none() {
        if start.elapsed() > EXIT_TIMEOUT {
            bail!("msiexec did not end within {} s after Finish (log {})", EXIT_TIMEOUT.as_secs(), log.display());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = std::fs::read_to_string(&stdout).unwrap_or_default();
    let code =
        harness::wine::parse_exit(&out).with_context(|| format!("no EXIT= line from the batch file: {out:?}"))?;
    if code != 0 {
        bail!("msiexec ended with {code}, expected 0 (log {})", log.display());
    }
    let chosen = prefix.c(&format!(r"{CHOSEN_DIR}bin\hello-cli.exe"));
    let default = prefix.c(r"C:\Program Files\hello-cli\bin\hello-cli.exe");
    if !chosen.is_file() {
        bail!("the program is not in the chosen folder: {} is missing (log {})", chosen.display(), log.display());
    }
    if default.exists() {
        bail!("the program was also installed in the default folder {}", default.display());
    }
    Ok(vec![
        "WelcomeDlg -> LicenseAgreementDlg (accepted) -> InstallDirDlg -> VerifyReadyDlg -> ExitDialog".to_string(),
        format!(
            "folder changed in InstallDirDlg to {CHOSEN_DIR}: the program landed in {CHOSEN_DIR}bin\\, exit code 0"
        ),
    ])
}
