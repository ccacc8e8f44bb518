//! `cargo xtask wix walk`: WixUI wizards of a WiX v3 source walked under Wine on a virtual
//! display, as an administrator would. The cargo-wix-shaped source (`packaging/tests/wix_v3/main.wxs`)
//! is built with the project's backend twice, with `msiexec /i` run with its full UI and xdotool
//! clicking:
//!
//! - `WixUI_InstallDir` (with `WIXUI_INSTALLDIR`): Welcome -> License (the accept box) ->
//!   InstallDirDlg, where the folder is replaced by another one, -> VerifyReady -> Install ->
//!   Finish; the install must land in the typed folder, not in the default one.
//! - `WixUI_Advanced` (with `ApplicationFolderName="hello-adv"`, `WixAppFolder` per machine):
//!   AdvancedWelcomeEulaDlg (accept, Advanced) -> InstallScopeDlg -> InstallDirDlg -> FeaturesDlg
//!   -> Install -> Finish; the install must land in `Program Files\hello-adv` (the folder WiX's
//!   WixSetDefaultPerMachineFolder builds from ApplicationFolderName, not the source's own
//!   `hello-cli`).
//!
//! Each walk passes only with its full outcome ([`expect_outcome`]): exit code exactly 0, both
//! files of the fixture in the chosen folder with the bytes the walk wrote and nothing in the
//! default folder, the folder's `bin\` at the end of the machine PATH, the Start-menu shortcut,
//! and one Add/Remove Programs entry with the fixture's name, version, publisher and the chosen
//! folder as its InstallLocation. The expectations are read off `packaging/tests/wix_v3/main.wxs`
//! by hand, not from the built MSI.
//!
//! Part of `cargo xtask test` (with the other dialog walks). The dialog driving (windows
//! identified by their controls' texts, clicks at the Control table's coordinates, typing) is
//! the screenshots walk's (`crate::screenshots`), so both find dialogs the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use packaging::wix::{Arch, BindPath, BuildOptions, BuildSpec};
use xshell::Shell;

use crate::harness::{self, wine::Prefix, wine::Wine};
use crate::screenshots::display::{Screen, Xvfb};
use crate::screenshots::identify::{self, Probe};
use crate::screenshots::layout::Layout;
use crate::screenshots::walk::{Walker, STEP_TIMEOUT};
use crate::{project_root, target_dir};

/// The folder typed into InstallDirDlg (not the source's default, `C:\Program Files\hello-cli\`).
const CHOSEN_DIR: &str = r"C:\Tools\hello\";

/// How long msiexec may take to end after Finish.
const EXIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The folder WixUI_Advanced's per-machine default is built from (`ApplicationFolderName`).
const ADVANCED_DIR: &str = r"C:\Program Files\hello-adv\";

/// The source's own default folder (`ProgramFiles64Folder\hello-cli`), which neither walk keeps.
const DEFAULT_DIR: &str = r"C:\Program Files\hello-cli";

/// The bytes the walk writes as the fixture's program (copied, never run) and licence.
const PROGRAM: &[u8] = b"MZ walk payload";
const LICENCE: &str = "{\\rtf1\\ansi Walk licence text\\par}";

/// The fixture's Start-menu shortcut: `Shortcut Name="hello-cli"` in ProgramMenuFolder, which for
/// a per-machine install (ALLUSERS=1, `InstallScope="perMachine"`) is the All Users Programs
/// folder ("ProgramMenuFolder property"; Wine's All Users profile is `C:\ProgramData`).
const SHORTCUT: &str = r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\hello-cli.lnk";

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
    std::fs::write(dir.join("wix/License.rtf"), LICENCE)?;
    // Any bytes do for the walk: the file is copied, never run.
    std::fs::write(dir.join("target/release/hello-cli.exe"), PROGRAM)?;
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
    let probe = identify::build_probe(sh)?;
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
            let r = walk(sh, &screen, &layout, &prefix, &probe, &msi, &dir, w);
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

#[allow(clippy::too_many_arguments)]
fn walk(
    sh: &Shell,
    screen: &Screen<'_>,
    layout: &Layout,
    prefix: &Prefix,
    probe: &Path,
    msi: &Path,
    root: &Path,
    w: &Walk,
) -> Result<Vec<String>> {
    let alike = identify::indistinct(layout, &layout.dialogs.keys().map(String::as_str).collect::<Vec<_>>());
    if !alike.is_empty() {
        eprintln!("wix walk: {}: dialogs not told apart by their texts: {}", w.name, alike.join(", "));
    }
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
    let identified = {
        let mut walker = Walker::new(screen, layout, title, &shots, &log, &mut child, Probe::new(prefix, probe));
        (w.steps)(&mut walker, screen)?;
        let w = &mut walker;
        w.install_ends_with("ExitDialog", None)?;
        w.shot("exit")?;
        w.click("Finish")?;
        w.identified
    };
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
    let mut checks =
        vec![format!("{}: walked to ExitDialog, each dialog identified by its texts ({identified} reads)", w.name)];
    checks.extend(
        expect_outcome(sh, prefix, code, w.expected_dir, &log)
            .with_context(|| format!("{} (log {})", w.name, log.display()))?
            .into_iter()
            .map(|c| format!("{}: {c}", w.name)),
    );
    Ok(checks)
}

/// The full outcome of a walk that installed into `dir` (a `C:\` folder ending in `\`): what
/// `packaging/tests/wix_v3/main.wxs` installs, as the module says.
fn expect_outcome(sh: &Shell, prefix: &Prefix, code: u32, dir: &str, log: &Path) -> Result<Vec<String>> {
    if code != 0 {
        bail!("msiexec ended with {code}, expected exactly 0");
    }
    let files: [(&str, &[u8]); 2] = [(r"bin\hello-cli.exe", PROGRAM), ("License.rtf", LICENCE.as_bytes())];
    for (rel, bytes) in files {
        let path = prefix.c(&format!("{dir}{rel}"));
        let got = std::fs::read(&path).with_context(|| format!("{dir}{rel} was not installed"))?;
        if got != bytes {
            bail!("{dir}{rel} holds {} bytes, not the {} the walk built the package with", got.len(), bytes.len());
        }
    }
    if prefix.c(DEFAULT_DIR).exists() {
        bail!("something was installed in the default folder {DEFAULT_DIR} too");
    }
    let shortcut = expect_shortcut(prefix, log)?;
    // wineserver writes system.reg when it exits: stop the prefix first.
    prefix.kill(sh);
    prefix.settle(sh)?;
    let reg = prefix.hklm()?;
    let env = [r"System\CurrentControlSet", r"System\ControlSet001"]
        .iter()
        .find_map(|set| reg.key(&format!(r"{set}\Control\Session Manager\Environment")))
        .context("no machine Environment key")?;
    let path = env.str("PATH");
    let bin = format!(r"{dir}bin\");
    // Part="last": appended, separated by a semicolon.
    if !path.to_lowercase().ends_with(&format!(";{}", bin.to_lowercase())) {
        bail!("the machine PATH does not end with ;{bin}: {path:?}");
    }
    let base = r"Software\Microsoft\Windows\CurrentVersion\Uninstall";
    let entries: Vec<_> = reg
        .subkeys(base)
        .iter()
        .filter_map(|k| reg.key(&format!(r"{base}\{k}")))
        .filter(|k| k.str("DisplayName") == "hello-cli")
        .map(|k| ["DisplayVersion", "Publisher", "InstallLocation", "HelpLink"].map(|v| k.str(v)))
        .collect();
    let want = ["0.1.0", "Example Maintainers", dir, "https://example.invalid/hello-cli"].map(String::from);
    if entries != [want.clone()] {
        bail!("Add/Remove Programs entries of hello-cli (version, publisher, location, help): {entries:?}, expected [{want:?}]");
    }
    Ok(vec![
        "exit code 0".to_string(),
        format!("hello-cli.exe and License.rtf in {dir} with the built bytes; nothing in {DEFAULT_DIR}"),
        format!("machine PATH ends with {bin}"),
        shortcut,
        format!("one Add/Remove Programs entry: hello-cli 0.1.0, Example Maintainers, InstallLocation {dir}"),
    ])
}

/// The Start-menu shortcut in the All Users Programs folder ([`SHORTCUT`]). Wine 8 sets
/// ProgramMenuFolder to the user's Programs folder even with ALLUSERS=1: accepted only as the
/// documented Wine difference `wine-programmenu-per-user`, with the shortcut in the folder the
/// verbose log names.
fn expect_shortcut(prefix: &Prefix, log: &Path) -> Result<String> {
    let text = harness::wine::read_log(log);
    let folder = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Property(S): ProgramMenuFolder = "))
        .map(str::to_string)
        .context("the verbose log has no ProgramMenuFolder")?;
    let common = prefix.c(SHORTCUT);
    if common.is_file() {
        return Ok(format!("Start-menu shortcut {SHORTCUT}"));
    }
    let all_users = SHORTCUT.trim_end_matches("hello-cli.lnk");
    if !folder.eq_ignore_ascii_case(all_users) && prefix.c(&format!("{folder}hello-cli.lnk")).is_file() {
        return crate::screenshots::wine_difference(
            "wine-programmenu-per-user",
            &format!(
                "the shortcut is in {folder} (ProgramMenuFolder with ALLUSERS=1), not in {all_users} as on Windows"
            ),
        );
    }
    bail!("no Start-menu shortcut {SHORTCUT} (the log's ProgramMenuFolder is {folder})")
}
