//! `cargo xtask wix walk`: WixUI wizards of a WiX v3 source walked under Wine on a virtual
//! display, as an administrator would. The cargo-wix-shaped source (`packaging/tests/wix_v3/main.wxs`)
//! is built with the project's backend twice, with `msiexec /i` run with its full UI and xdotool
//! clicking:
//!
//! - `WixUI_InstallDir` (with `WIXUI_INSTALLDIR`): Welcome -> License (the accept box) ->
//!   InstallDirDlg, where the folder is replaced by another one, -> VerifyReady -> Install ->
//!   Finish; passes when msiexec ends with 0 and the program is in the typed folder, not in the
//!   default one.
//! - `WixUI_Advanced` (with `ApplicationFolderName="hello-adv"`, `WixAppFolder` per machine):
//!   AdvancedWelcomeEulaDlg (accept, Advanced) -> InstallScopeDlg -> InstallDirDlg -> FeaturesDlg
//!   -> Install -> Finish; passes when msiexec ends with 0 and the program is in
//!   `Program Files\hello-adv` (the folder WiX's WixSetDefaultPerMachineFolder builds from
//!   ApplicationFolderName, not the source's own `hello-cli`).
//!
//! Part of `cargo xtask test` (with the other dialog walks). The dialog driving (windows, clicks at
//! the Control table's coordinates, typing) is the screenshots walk's (`crate::screenshots`), so
//! both find dialogs the same way.

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

/// The folder WixUI_Advanced's per-machine default is built from (`ApplicationFolderName`).
const ADVANCED_DIR: &str = r"C:\Program Files\hello-adv\";

/// A dialog set to walk: the lines added to the fixture, and the clicks.
struct Walk {
    name: &'static str,
    ui: &'static str,
    steps: fn(&mut Walker<'_>, &Screen<'_>) -> Result<()>,
    /// Where the program must land (a `C:\` folder ending in `\`).
    expected_dir: &'static str,
}

const WALKS: [Walk; 2] = [
    Walk {
        name: "WixUI_InstallDir",
        ui: "        <Property Id=\"WIXUI_INSTALLDIR\" Value=\"APPLICATIONFOLDER\" />\n        \
             <UIRef Id=\"WixUI_InstallDir\" />\n",
        steps: install_dir_steps,
        expected_dir: CHOSEN_DIR,
    },
    Walk {
        name: "WixUI_Advanced",
        ui: "        <Property Id=\"ApplicationFolderName\" Value=\"hello-adv\" />\n        \
             <Property Id=\"WixAppFolder\" Value=\"WixPerMachineFolder\" />\n        \
             <UIRef Id=\"WixUI_Advanced\" />\n",
        steps: advanced_steps,
        expected_dir: ADVANCED_DIR,
    },
];

/// Builds the fixture with `walk`'s UI under `dir`; returns the MSI.
fn build_fixture(dir: &Path, walk: &Walk) -> Result<PathBuf> {
    std::fs::create_dir_all(dir.join("wix"))?;
    std::fs::create_dir_all(dir.join("target/release"))?;
    let fixture = project_root().join("packaging/tests/wix_v3/main.wxs");
    let text = std::fs::read_to_string(&fixture).with_context(|| format!("reading {}", fixture.display()))?;
    let anchor = "        <SetProperty Id=\"ARPINSTALLLOCATION\"";
    if !text.contains(anchor) {
        bail!("{} no longer has the ARPINSTALLLOCATION SetProperty this walk adds the UI before", fixture.display());
    }
    let ui = format!("{}        <WixVariable Id=\"WixUILicenseRtf\" Value=\"wix\\License.rtf\" />\n", walk.ui);
    std::fs::write(dir.join("wix/main.wxs"), text.replace(anchor, &format!("{ui}{anchor}")))?;
    std::fs::write(dir.join("wix/License.rtf"), "{\\rtf1\\ansi Walk licence text\\par}")?;
    // Any bytes do for the walk: the file is copied, never run.
    std::fs::write(dir.join("target/release/hello-cli.exe"), b"MZ walk payload")?;
    let out = dir.join(format!("{}.msi", walk.name));
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
    packaging::wix::build_with(&spec, &options)
        .map_err(|e| anyhow::anyhow!("building the {} fixture: {e}", walk.name))?;
    Ok(out)
}

/// Runs the walks; `Ok` with what was checked, an error naming every walk that failed.
pub fn run(sh: &Shell) -> Result<Vec<String>> {
    let started = Instant::now();
    let root = target_dir().join("wixui-walk");
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("removing {}", root.display()))?;
    }
    let wine = match Wine::detect(sh)? {
        Ok(wine) => wine,
        Err(why) => bail!("the WixUI walk needs Wine: {why}"),
    };
    let template = harness::template_prefix(sh, &wine, &root)?;
    let xvfb = Xvfb::start()?;
    let screen = Screen::new(sh, &xvfb.display);
    let mut checks = Vec::new();
    let mut failed = Vec::new();
    for w in &WALKS {
        let dir = root.join(w.name);
        let r = (|| {
            let msi = build_fixture(&dir.join("project"), w)?;
            let layout = Layout::read(sh, &msi)?;
            let prefix = Prefix::clone_from(sh, &template, &dir.join("prefix"))?.on_display(screen.display());
            let r = walk(&screen, &layout, &prefix, &msi, &dir, w);
            prefix.kill(sh);
            r
        })();
        match r {
            Ok(c) => checks.extend(c),
            Err(e) => failed.push(format!("{}: {e:#}", w.name)),
        }
    }
    drop(xvfb);
    if !failed.is_empty() {
        bail!("{}", failed.join("; "));
    }
    eprintln!("wix walk: passed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(checks)
}

/// WixUI_InstallDir: the folder replaced in InstallDirDlg.
fn install_dir_steps(w: &mut Walker<'_>, screen: &Screen<'_>) -> Result<()> {
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
    w.click("Install")
}

/// WixUI_Advanced: the Advanced path for all users, the folder as offered.
fn advanced_steps(w: &mut Walker<'_>, _screen: &Screen<'_>) -> Result<()> {
    w.show("AdvancedWelcomeEulaDlg", STEP_TIMEOUT)?;
    w.click("LicenseAcceptedCheckBox")?;
    w.shot("advanced-welcome")?;
    w.click("Advanced")?;
    w.show("InstallScopeDlg", STEP_TIMEOUT)?;
    w.shot("install-scope")?;
    w.click("Next")?;
    w.show("InstallDirDlg", STEP_TIMEOUT)?;
    w.shot("advanced-install-dir")?;
    w.click("Next")?;
    w.show("FeaturesDlg", STEP_TIMEOUT)?;
    w.shot("features")?;
    // ALLUSERS=1 (the source's InstallScope="perMachine"): the button with the shield.
    w.click("Install")
}

fn walk(
    screen: &Screen<'_>,
    layout: &Layout,
    prefix: &Prefix,
    msi: &Path,
    root: &Path,
    w: &Walk,
) -> Result<Vec<String>> {
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
        let mut walker = Walker::new(screen, layout, title, &shots, &log, &mut child);
        (w.steps)(&mut walker, screen)?;
        let w = &mut walker;
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
    let chosen = prefix.c(&format!(r"{}bin\hello-cli.exe", w.expected_dir));
    let default = prefix.c(r"C:\Program Files\hello-cli\bin\hello-cli.exe");
    if !chosen.is_file() {
        bail!("the program is not in the expected folder: {} is missing (log {})", chosen.display(), log.display());
    }
    if default.exists() {
        bail!("the program was also installed in the default folder {}", default.display());
    }
    Ok(vec![format!("{}: walked to ExitDialog; exit code 0; the program landed in {}bin\\", w.name, w.expected_dir)])
}
