//! The setup program's scenarios (docs/setup.md): `<stem>-setup.exe`, as `dist` builds it
//! beside each MSI, run under Wine with `/quiet /norestart /log`, through the same exit-code
//! batch file as msiexec (`E2E_PROGRAM`). Its log and the MSI's verbose log beside it are in
//! `C:\e2e\logs`, so the secret scan reads them too.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::cmd;

use super::connector::{install_previous_with_connector, EXPORT_PASSWORD};
use super::prerequisites::expect_present;
use crate::e2e::build::{self, Build};
use crate::e2e::toolkit::Ctx;
use crate::harness::prerequisites;
use crate::harness::wine::{parse_exit, MsiRun, Wine, MSIEXEC_TIMEOUT, WORK_DIR_WIN};

/// The registry value the test prerequisite's package writes (wix/prereq-packages/).
const TEST_MODULE_KEY: &str = r"SOFTWARE\VMware, Inc.\IdmTestPrerequisite";

/// The setup program `dist` wrote beside a build's MSI.
fn setup_exe(msi: &Path) -> Result<PathBuf> {
    let name = msi.file_name().context("MSI without a file name")?.to_string_lossy();
    let stem = name.strip_suffix(".msi").context("MSI name without .msi")?;
    let exe = msi.with_file_name(format!("{stem}-setup.exe"));
    if !exe.is_file() {
        bail!("dist wrote no setup program beside {}: {} is missing", msi.display(), exe.display());
    }
    Ok(exe)
}

/// A setup run: its exit code and both logs.
struct SetupRun {
    /// Exit code and the bundle log.
    bundle: MsiRun,
    /// The MSI's verbose log (`<stem>_msi.log` beside the bundle log).
    msi_log: PathBuf,
}

/// Copies `exe` into `C:\e2e\setup\` (flipping the byte at `flip`, if any) and runs it with
/// `args`, `/log C:\e2e\logs\setup-<label>.log` and the extra environment `env`.
fn run_setup(
    ctx: &mut Ctx<'_>,
    exe: &Path,
    args: &[String],
    label: &str,
    env: &[(&str, &str)],
    flip: Option<u64>,
) -> Result<SetupRun> {
    let name = exe.file_name().context("no file name")?.to_string_lossy().into_owned();
    let win_exe = format!(r"{WORK_DIR_WIN}\setup\{name}");
    let dest = ctx.prefix.c(&win_exe);
    std::fs::create_dir_all(dest.parent().expect("has a parent"))?;
    let mut bytes = std::fs::read(exe).with_context(|| format!("reading {}", exe.display()))?;
    if let Some(at) = flip {
        bytes[at as usize] ^= 0x01;
    }
    std::fs::write(&dest, bytes)?;
    let log_win = format!(r"{WORK_DIR_WIN}\logs\setup-{label}.log");
    let msi_log_win = format!(r"{WORK_DIR_WIN}\logs\setup-{label}_msi.log");
    let secrets: Vec<(String, String)> = args
        .iter()
        .filter_map(|a| a.split_once('='))
        .filter(|(k, _)| k.contains("PASSWORD"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let wine = match Wine::detect(ctx.sh)? {
        Ok(w) => w.wine,
        Err(why) => bail!("{why}"),
    };
    let batch = format!(r"{WORK_DIR_WIN}\msiexec-exit.cmd");
    let secs = MSIEXEC_TIMEOUT.as_secs().to_string();
    let wait = ctx.installed_service()?;
    let sh = ctx.sh;
    let start = Instant::now();
    let mut command = ctx
        .prefix
        .env(cmd!(sh, "timeout -k 10 {secs} {wine} cmd /c {batch} {args...} /log {log_win}"))
        .env("E2E_PROGRAM", &win_exe);
    // Unset, not empty: Wine's cmd counts an empty variable as defined.
    command = match wait {
        Some(service) => command.env("E2E_STOP_SERVICE", service),
        None => command.env_remove("E2E_STOP_SERVICE"),
    };
    for (k, v) in env {
        command = command.env(k, v);
    }
    let out = command.quiet().secret().ignore_status().output().context("running the setup program")?;
    let seconds = start.elapsed().as_secs_f64();
    if matches!(out.status.code(), Some(124) | Some(137)) {
        ctx.prefix.kill(sh);
        bail!("setup {label} did not finish within {secs} s (killed)");
    }
    ctx.prefix.settle(sh)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = parse_exit(&stdout).with_context(|| format!("no EXIT= line from setup {label}: {}", stdout.trim()))?;
    eprintln!("e2e:   {name} {label} -> {code} ({seconds:.1} s)");
    let log = ctx.prefix.c(&log_win);
    let msi_log = ctx.prefix.c(&msi_log_win);
    ctx.record(code, &[log.clone(), msi_log.clone()], &secrets);
    Ok(SetupRun { bundle: MsiRun { code, log, seconds }, msi_log })
}

/// No per-run working folder is left in `C:\windows\Temp`.
fn expect_no_working_folder(ctx: &mut Ctx<'_>, step: &str) {
    let temp = ctx.prefix.c(r"C:\windows\temp");
    let left: Vec<String> = std::fs::read_dir(&temp)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("IdmSetup-"))
                .collect()
        })
        .unwrap_or_default();
    ctx.check(left.is_empty(), || format!("{step}: working folder(s) left in C:\\windows\\Temp: {left:?}"));
}

fn test_module_present(ctx: &Ctx<'_>) -> Result<bool> {
    Ok(ctx.hklm()?.key(TEST_MODULE_KEY).and_then(|k| k.get("Version")).is_some())
}

fn quiet(props: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["/quiet".to_string(), "/norestart".into()];
    args.extend(props.iter().map(|(k, v)| format!("{k}={v}")));
    args
}

/// The test prerequisite missing: `setup.exe /quiet /norestart /log` installs it, then the product.
pub fn setup_prereq_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let exe = setup_exe(ctx.env.builds.msi(Build::CurrentPrereq)?)?;
    let version = ctx.env.product.version_text();
    let run = run_setup(ctx, &exe, &quiet(&[]), "prereq-install", &[], None)?;
    ctx.expect_code(&run.bundle, 0, "setup /quiet with the test prerequisite missing");
    for n in prerequisites::names(&prerequisites::of_file(&build::test_prerequisite_toml())?) {
        ctx.expect_log(&run.bundle, &format!("installing prerequisite {n}"), "the bundle log must say the package ran");
    }
    ctx.expect_log(
        &run.bundle,
        "prerequisites/idm-test-prereq.cmd verified",
        "each package is verified before it runs",
    );
    ctx.expect_log(&run.bundle, "REBOOT=ReallySuppress", "/norestart reaches the MSI");
    ctx.check(run.msi_log.is_file(), || format!("no MSI verbose log at {}", run.msi_log.display()));
    ctx.expect_installed(&[version], "setup /quiet")?;
    ctx.expect_payload(Build::CurrentPrereq, "setup /quiet")?;
    expect_present(ctx, &build::test_prerequisite_toml())?;
    expect_no_working_folder(ctx, "setup /quiet");
    Ok(())
}

/// The test prerequisite's package exits 3010: setup ends with 3010, the product installed.
pub fn setup_prereq_reboot(ctx: &mut Ctx<'_>) -> Result<()> {
    let exe = setup_exe(ctx.env.builds.msi(Build::CurrentPrereq)?)?;
    let version = ctx.env.product.version_text();
    let env = [("IDM_TEST_PREREQ_EXIT", "3010")];
    let run = run_setup(ctx, &exe, &quiet(&[]), "prereq-reboot", &env, None)?;
    ctx.expect_code(&run.bundle, 3010, "setup /quiet with a prerequisite that exits 3010");
    ctx.expect_log(&run.bundle, "a restart is needed (exit code 3010); not restarting", "3010 is recorded");
    ctx.expect_log(&run.bundle, "the MSI returned 0", "the MSI still ran");
    ctx.expect_installed(&[version], "setup after a 3010 prerequisite")?;
    ctx.expect_payload(Build::CurrentPrereq, "setup after a 3010 prerequisite")?;
    expect_no_working_folder(ctx, "setup after a 3010 prerequisite");
    Ok(())
}

/// One byte of the carried MSI changed: refused with 1620 before anything runs.
pub fn setup_tampered(ctx: &mut Ctx<'_>) -> Result<()> {
    let exe = setup_exe(ctx.env.builds.msi(Build::CurrentPrereq)?)?;
    let len = std::fs::metadata(&exe)?.len();
    // The MSI is most of the file and lies before the packages and the manifest: the byte in
    // the middle of the file is one of the MSI's.
    let run = run_setup(ctx, &exe, &quiet(&[]), "tampered", &[], Some(len / 2))?;
    ctx.expect_code(&run.bundle, 1620, "setup with a tampered payload");
    ctx.expect_log(&run.bundle, "damaged or was altered", "the bundle log says why");
    let ran = test_module_present(ctx)?;
    ctx.check(!ran, || "setup with a tampered payload: the prerequisite package ran".into());
    ctx.expect_installed(&[], "setup with a tampered payload")?;
    ctx.check(!run.msi_log.exists(), || "setup with a tampered payload: the MSI ran (it wrote its log)".into());
    expect_no_working_folder(ctx, "setup with a tampered payload");
    Ok(())
}

/// An upgrade through the setup program with properties passed through to the MSI.
pub fn setup_upgrade_export_continue(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    let exe = setup_exe(ctx.env.builds.msi(Build::Current)?)?;
    let cur = ctx.env.product.version_text();
    let args = quiet(&[("EMBEDDED_CONNECTOR_ACTION", "export-continue"), ("EXPORT_PASSWORD", EXPORT_PASSWORD)]);
    let run = run_setup(ctx, &exe, &args, "upgrade-export-continue", &[], None)?;
    ctx.expect_code(&run.bundle, 0, "setup upgrade with export-continue");
    ctx.expect_log(&run.bundle, "EXPORT_PASSWORD=**********", "the hidden property is masked in the bundle log");
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || format!("setup export-continue: expected one .enc under PRODUCTDIR, found {encs:?}"));
    if let Some(enc) = encs.first() {
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "setup export-continue")?;
    }
    ctx.expect_payload(Build::Current, "setup export-continue")?;
    ctx.expect_installed(&[cur], "setup export-continue")?;
    expect_no_working_folder(ctx, "setup export-continue");
    Ok(())
}
