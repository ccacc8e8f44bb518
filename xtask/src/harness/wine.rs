//! Wine prefixes for the e2e matrix and the dialog walk: one template prefix per run (with the
//! `ProcessPrng` shim), copied per scenario or path, and `msiexec` runs whose full Windows exit
//! code is read through a batch file (Wine truncates exit codes to 8 bits on the way to Linux).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::registry::Registry;

/// How long one `msiexec` run may take before the harness kills the prefix's processes.
/// A silent install of the sample product takes a few seconds; a hung dialog never ends.
pub const MSIEXEC_TIMEOUT: Duration = Duration::from_secs(300);

/// The folder inside every prefix where the harness puts MSIs, the batch file and logs.
pub const WORK_DIR_WIN: &str = r"C:\e2e";

/// The Wine programs the harness needs, found on `PATH`.
#[derive(Debug, Clone)]
pub struct Wine {
    /// `wine` (the 64-bit loader through Debian's wrapper).
    pub wine: PathBuf,
    /// `wineserver`, used to wait for a prefix to settle (and to save its registry).
    pub wineserver: PathBuf,
    /// `wine --version`.
    pub version: String,
}

impl Wine {
    /// Finds Wine; `Ok(None)` with the reason when it is not installed.
    pub fn detect(sh: &Shell) -> Result<std::result::Result<Wine, String>> {
        let Some(wine) = which("wine") else {
            return Ok(Err("`wine` is not on PATH (Debian: apt-get install wine wine64)".into()));
        };
        let wineserver = match which("wineserver").or_else(|| {
            ["/usr/lib/wine/wineserver64", "/usr/lib/wine/wineserver"].iter().map(PathBuf::from).find(|p| p.exists())
        }) {
            Some(p) => p,
            None => return Ok(Err("`wineserver` is not on PATH nor in /usr/lib/wine".into())),
        };
        let version = cmd!(sh, "{wine} --version").quiet().ignore_stderr().read().unwrap_or_default();
        if version.is_empty() {
            return Ok(Err(format!("`{} --version` did not answer", wine.display())));
        }
        Ok(Ok(Wine { wine, wineserver, version }))
    }

    /// Creates the run's template prefix at `path` (removing an old one): `wineboot -i`, the
    /// `bcryptprimitives.dll` shim in system32, the exit-code batch file in `C:\e2e`.
    pub fn create_template(&self, sh: &Shell, path: &Path, shim_dll: &Path, batch: &Path) -> Result<Prefix> {
        if path.exists() {
            std::fs::remove_dir_all(path)
                .with_context(|| format!("removing old template prefix {}", path.display()))?;
        }
        let prefix = Prefix {
            wine: self.clone(),
            path: path.to_path_buf(),
            runs: 0,
            display: String::new(),
            last_output: Vec::new(),
        };
        // Once, on a fresh machine, `wineboot -i` exited 1 after 1.6 s and the next run passed
        // (not reproduced). Creating the prefix is setup, not the product under test: a failed
        // attempt is printed with wineboot's own words, the half-made prefix removed, and the
        // creation tried once more; a second failure stops the run.
        if let Err(first) = prefix.wineboot(sh) {
            eprintln!("wine: `wineboot -i` failed creating {} ({first:#}); trying once more", path.display());
            prefix.kill(sh);
            let _ = prefix.settle(sh);
            std::fs::remove_dir_all(path)
                .with_context(|| format!("removing the half-made template prefix {}", path.display()))?;
            prefix.wineboot(sh)?;
        }
        let wine = &self.wine;
        // A fresh Wine 8 prefix reports Windows 7; the product needs Windows Server 2016 or
        // later (docs/target-machine.md), so report Windows 10 (10.0).
        prefix
            .env(cmd!(sh, "{wine} reg add HKCU\\Software\\Wine /v Version /d win10 /f"))
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .context("setting the template prefix to Windows 10")?;
        prefix.settle(sh)?;
        let system32 = path.join("drive_c/windows/system32");
        if !system32.join("msiexec.exe").exists() {
            bail!("`wineboot -i` left no {}: the prefix is not usable", system32.join("msiexec.exe").display());
        }
        std::fs::copy(shim_dll, system32.join("bcryptprimitives.dll"))
            .with_context(|| format!("copying the ProcessPrng shim into {}", system32.display()))?;
        let work = prefix.c(WORK_DIR_WIN);
        std::fs::create_dir_all(work.join("logs"))?;
        std::fs::create_dir_all(work.join("msi"))?;
        std::fs::copy(batch, work.join("msiexec-exit.cmd")).context("copying the exit-code batch file")?;
        Ok(prefix)
    }
}

/// The result of one `msiexec` run.
#[derive(Debug, Clone)]
pub struct MsiRun {
    /// The full Windows exit code (e.g. 1603), as the batch file printed it.
    pub code: u32,
    /// The verbose log on the Linux side.
    pub log: PathBuf,
    /// Wall time of the run.
    pub seconds: f64,
}

impl MsiRun {
    /// The verbose log as text (Wine writes it in the ANSI code page; UTF-16 is decoded too).
    pub fn log_text(&self) -> String {
        read_log(&self.log)
    }
}

/// Reads a verbose log whatever its encoding (UTF-16LE with BOM, else lossy UTF-8/ANSI).
pub fn read_log(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// A Wine prefix used by one scenario (or the template).
#[derive(Debug)]
pub struct Prefix {
    wine: Wine,
    /// The prefix folder (`WINEPREFIX`).
    pub path: PathBuf,
    runs: u32,
    /// Standard output and error of the last `msiexec` run (for the secret scan).
    pub last_output: Vec<u8>,
    /// The X display its programs use (empty: none, for silent runs).
    display: String,
}

impl Prefix {
    /// Copies the template to `path` (`cp -a`: a fresh prefix in ~2 s instead of ~20-60 s).
    pub fn clone_from(sh: &Shell, template: &Prefix, path: &Path) -> Result<Prefix> {
        if path.exists() {
            std::fs::remove_dir_all(path).with_context(|| format!("removing old prefix {}", path.display()))?;
        }
        let from = &template.path;
        cmd!(sh, "cp -a {from} {path}")
            .quiet()
            .run()
            .with_context(|| format!("copying the template prefix to {}", path.display()))?;
        Ok(Prefix {
            wine: template.wine.clone(),
            path: path.to_path_buf(),
            runs: 0,
            display: String::new(),
            last_output: Vec::new(),
        })
    }

    /// The same prefix with its programs on the X display `display` (the dialog walk).
    pub fn on_display(mut self, display: &str) -> Prefix {
        self.display = display.to_string();
        self
    }

    /// Adds the Wine environment of this prefix to a command.
    pub fn env<'a>(&self, cmd: xshell::Cmd<'a>) -> xshell::Cmd<'a> {
        cmd.env("WINEPREFIX", &self.path)
            .env("WINEARCH", "win64")
            .env("WINEDEBUG", "-all")
            // No Mono/Gecko download prompts; nothing here needs .NET or HTML.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            // `/qn` needs no display; an empty DISPLAY keeps Wine off any X server.
            .env("DISPLAY", &self.display)
    }

    /// `wine <args>` in this prefix as a `std::process::Command`, for a program that runs in
    /// the background while something else drives it (`xshell` runs to completion only).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(&self.wine.wine);
        c.args(args)
            .env("WINEPREFIX", &self.path)
            .env("WINEARCH", "win64")
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("DISPLAY", &self.display);
        c
    }

    /// The Linux path of a `C:\...` path in this prefix (`C:` is `<prefix>/drive_c`).
    pub fn c(&self, windows_path: &str) -> PathBuf {
        let rest = windows_path
            .strip_prefix("C:\\")
            .or_else(|| windows_path.strip_prefix("c:\\"))
            .unwrap_or_else(|| panic!("`{windows_path}` is not a C:\\ path"));
        let mut p = self.path.join("drive_c");
        for part in rest.split('\\').filter(|s| !s.is_empty()) {
            p.push(part);
        }
        p
    }

    /// Waits until every process of the prefix has ended and `wineserver` has exited, which
    /// also writes the registry files (`system.reg`) to disk.
    pub fn settle(&self, sh: &Shell) -> Result<()> {
        let ws = &self.wine.wineserver;
        self.env(cmd!(sh, "timeout 120 {ws} -w"))
            .quiet()
            .ignore_stderr()
            .run()
            .context("waiting for wineserver to exit")?;
        Ok(())
    }

    /// `wineboot -i`: makes the prefix; an error carries the exit status and wineboot's stderr.
    fn wineboot(&self, sh: &Shell) -> Result<()> {
        let wine = &self.wine.wine;
        let out = self
            .env(cmd!(sh, "{wine} wineboot -i"))
            .quiet()
            .ignore_status()
            .output()
            .context("starting `wineboot -i`")?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            bail!(
                "`wineboot -i` failed creating the prefix {} ({}): {}",
                self.path.display(),
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            );
        }
        Ok(())
    }

    /// Kills every process of the prefix (after a timeout).
    pub fn kill(&self, sh: &Shell) {
        let ws = &self.wine.wineserver;
        let _ = self.env(cmd!(sh, "{ws} -k")).quiet().ignore_status().ignore_stderr().run();
    }

    /// Copies an MSI into `C:\e2e\msi\` and returns its Windows path.
    pub fn stage_msi(&self, msi: &Path) -> Result<String> {
        let name = msi.file_name().context("MSI path has no file name")?.to_string_lossy().into_owned();
        let dest = self.c(WORK_DIR_WIN).join("msi").join(&name);
        if !dest.exists() {
            std::fs::copy(msi, &dest).with_context(|| format!("copying {} into the prefix", msi.display()))?;
        }
        Ok(format!(r"{WORK_DIR_WIN}\msi\{name}"))
    }

    /// Runs `msiexec <args> /l*v <log>` through the exit-code batch file and returns the full
    /// exit code. `label` names the log (`C:\e2e\logs\<n>-<label>.log`). The command line is
    /// never echoed (it may carry passwords).
    ///
    /// `wait_service`: a service the batch file stops, waiting until it is stopped, before
    /// msiexec starts (Windows Installer waits for a ServiceControl stop, Wine 8 does not; see
    /// `tests/wine/msiexec-exit.cmd` and docs/e2e.md), set once the product's service is installed.
    pub fn msiexec(&mut self, sh: &Shell, args: &[String], label: &str, wait_service: Option<&str>) -> Result<MsiRun> {
        self.runs += 1;
        let log_win = format!(r"{WORK_DIR_WIN}\logs\{:02}-{label}.log", self.runs);
        let batch = format!(r"{WORK_DIR_WIN}\msiexec-exit.cmd");
        let first = self.msiexec_once(sh, &batch, args, label, &log_win, wait_service)?;
        if !never_started(first.code, first.log.exists()) {
            return Ok(first);
        }
        // cmd's 9009 (MSG_DIR_BAD_COMMAND_OR_FILE, "not recognized as an internal or external
        // command") with no log: msiexec never ran, so there is no outcome to judge. Seen once
        // under Wine 8 on a loaded machine; started again, once, and said so.
        eprintln!("e2e:   msiexec {label}: cmd could not start it (exit 9009, no log written); starting it again");
        self.msiexec_once(sh, &batch, args, label, &log_win, wait_service)
    }

    fn msiexec_once(
        &mut self,
        sh: &Shell,
        batch: &str,
        args: &[String],
        label: &str,
        log_win: &str,
        wait_service: Option<&str>,
    ) -> Result<MsiRun> {
        let log = self.c(log_win);
        let wine = &self.wine.wine;
        let secs = MSIEXEC_TIMEOUT.as_secs().to_string();
        let start = Instant::now();
        let mut command = self.env(cmd!(sh, "timeout -k 10 {secs} {wine} cmd /c {batch} {args...} /l*v {log_win}"));
        // Unset, not empty: Wine's cmd counts an empty variable as defined.
        command = match wait_service {
            Some(name) => command.env("E2E_STOP_SERVICE", name),
            None => command.env_remove("E2E_STOP_SERVICE"),
        };
        let out = command.quiet().secret().ignore_status().output().context("running wine cmd /c msiexec-exit.cmd")?;
        let seconds = start.elapsed().as_secs_f64();
        if out.status.code() == Some(124) || out.status.code() == Some(137) {
            self.kill(sh);
            bail!("msiexec {label} did not finish within {secs} s (killed); log: {}", log.display());
        }
        self.settle(sh)?;
        self.last_output = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = parse_exit(&stdout).with_context(|| {
            format!(
                "the exit-code batch printed no EXIT= line for msiexec {label} (wine exit status {:?}); stdout: {}",
                out.status.code(),
                stdout.trim()
            )
        })?;
        Ok(MsiRun { code, log, seconds })
    }

    /// Runs a Windows program in the prefix (e.g. `reg`, `regedit`), waiting for it.
    pub fn wine(&self, sh: &Shell, args: &[&str]) -> Result<String> {
        let wine = &self.wine.wine;
        let out = self.env(cmd!(sh, "timeout -k 10 120 {wine} {args...}")).quiet().ignore_stderr().read()?;
        self.settle(sh)?;
        Ok(out)
    }

    /// Writes the registry values of every `[[prerequisite]]` of `product_toml` (each at its
    /// minimum) into the prefix, as on a machine that has them (docs/target-machine.md).
    pub fn provide_prerequisites(&self, sh: &Shell, product_toml: &Path) -> Result<()> {
        let reg = super::prerequisites::reg_file(&super::prerequisites::of_product(product_toml)?);
        if reg.is_empty() {
            return Ok(());
        }
        let file = self.c(WORK_DIR_WIN).join("prerequisites.reg");
        // regedit reads UTF-16LE with a BOM.
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(reg.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
        self.wine(sh, &["regedit", "/S", &format!(r"{WORK_DIR_WIN}\prerequisites.reg")])?;
        Ok(())
    }

    /// The prefix's machine registry (`system.reg`, i.e. `HKEY_LOCAL_MACHINE`), read after the
    /// prefix settled.
    pub fn hklm(&self) -> Result<Registry> {
        let file = self.path.join("system.reg");
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        Ok(Registry::parse(&text))
    }
}

/// cmd's exit code for a command it could not start: MSG_DIR_BAD_COMMAND_OR_FILE.
const CMD_COULD_NOT_START: u32 = 9009;

/// A run whose program never started: cmd's 9009 and no log. Neither msiexec nor the setup
/// program returns 9009, and msiexec writes its `/l*v` log as soon as it starts.
fn never_started(code: u32, log_exists: bool) -> bool {
    code == CMD_COULD_NOT_START && !log_exists
}

/// The exit code from the batch file's `EXIT=<n>` line (the last one wins).
pub fn parse_exit(stdout: &str) -> Option<u32> {
    stdout.lines().rev().find_map(|l| l.trim().strip_prefix("EXIT=").and_then(|n| n.trim().parse().ok()))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only cmd's "could not start" code without a log means msiexec never ran: a real 9009 with
    /// a log, or any other code without one (msiexec refusing its command line writes none), is
    /// an outcome to judge.
    #[test]
    fn only_9009_without_a_log_is_a_run_that_never_started() {
        assert!(never_started(9009, false));
        assert!(!never_started(9009, true));
        assert!(!never_started(1603, false));
        assert!(!never_started(0, false));
    }

    #[test]
    fn exit_code_is_parsed_in_full() {
        assert_eq!(parse_exit("EXIT=1603\r\n"), Some(1603));
        assert_eq!(parse_exit("noise\r\nEXIT=0\r\n"), Some(0));
        assert_eq!(parse_exit("EXIT=3010"), Some(3010));
        assert_eq!(parse_exit("EXIT=\r\n"), None);
        assert_eq!(parse_exit("67"), None);
    }

    #[test]
    fn utf16_logs_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.log");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("Return value 3.".encode_utf16().flat_map(|u| u.to_le_bytes()));
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(read_log(&p), "Return value 3.");
    }
}
