//! The scenario toolkit: what a scenario of the matrix is, what it works with (`Ctx`: a fresh
//! copy of the template prefix, the run's builds) and the checks scenarios share (exit code,
//! files, installed products, the service's registry configuration, the log, the CEIP choice).
//! Scenarios assert effects, never the exit code alone: Wine logs and carries on when a DLL
//! custom action cannot load. The scenarios themselves are in `scenarios/`, by area.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::build::{self, Build, Builds};
use super::secrets;
use super::snapshot::{self, Snapshot};
use crate::harness::product::Product;
use crate::harness::registry::{Key, Registry, Value};
use crate::harness::wine::{MsiRun, Prefix, WORK_DIR_WIN};
use crate::harness::WineException;
use crate::{harness, project_root};

/// Everything a scenario needs from the run: the product, the built MSIs, the template prefix.
pub struct Env {
    /// The product configuration.
    pub product: Product,
    /// The MSIs and the payloads they were built from.
    pub builds: Builds,
    /// `<target>/e2e`.
    pub root: PathBuf,
    /// The run's template prefix.
    pub template: Prefix,
    /// Keep prefixes after the run.
    pub keep: bool,
    /// The host (Linux) `migrateEmbeddedConnector`, built on demand.
    pub migrate_tool: std::cell::OnceCell<std::result::Result<PathBuf, String>>,
}

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Scenario name.
    pub name: String,
    /// Every msiexec exit code, in order.
    pub codes: Vec<u32>,
    /// Wall time.
    pub seconds: f64,
    /// Failed checks (empty = pass).
    pub failures: Vec<String>,
    /// Verbose logs written (Linux paths, kept under `<target>/e2e/logs`).
    pub logs: Vec<PathBuf>,
    /// Secrets used: (name, value).
    pub secrets: Vec<(String, String)>,
    /// Observations that are not failures and weaken no check (facts worth reading).
    pub notes: Vec<String>,
    /// Checks weakened for a documented Wine difference (each must be listed in
    /// docs/windows-behaviour.md, else the run fails).
    pub exceptions: Vec<WineException>,
}

impl Outcome {
    /// A scenario that could not start (no MSI, no prefix), or an empty row to fill.
    pub fn failed(name: &str, failures: Vec<String>) -> Outcome {
        Outcome {
            name: name.into(),
            codes: vec![],
            seconds: 0.0,
            failures,
            logs: vec![],
            secrets: vec![],
            notes: vec![],
            exceptions: vec![],
        }
    }
}

/// One scenario of the matrix (the list is `scenarios::SCENARIOS`).
pub struct Scenario {
    /// Its name (`--only <name>`).
    pub name: &'static str,
    /// One line saying what it proves.
    pub about: &'static str,
    /// The MSIs it installs.
    pub needs: &'static [Build],
    /// Whether the prefix gets the prerequisites' registry values before the run.
    pub prerequisites: bool,
    /// The scenario.
    pub run: fn(&mut Ctx<'_>) -> Result<()>,
}

/// What a scenario works with: its prefix, the run's builds, and its findings so far.
pub struct Ctx<'a> {
    /// The shell commands run in.
    pub sh: &'a Shell,
    /// The run: product, builds, template.
    pub env: &'a Env,
    /// This scenario's prefix.
    pub prefix: Prefix,
    failures: Vec<String>,
    codes: Vec<u32>,
    secrets: Vec<(String, String)>,
    logs: Vec<PathBuf>,
    notes: Vec<String>,
    exceptions: Vec<WineException>,
    /// Where the logs are kept after the run (`<target>/e2e/logs/<scenario>`).
    log_dir: PathBuf,
}

/// Runs one scenario in a fresh prefix; never panics, never returns early: every problem is a
/// failure in the outcome.
pub fn run_one(sh: &Shell, env: &Env, s: &Scenario) -> Outcome {
    let start = Instant::now();
    let prefix_path = env.root.join("prefixes").join(s.name);
    let log_dir = env.root.join("logs").join(s.name);
    let _ = std::fs::remove_dir_all(&log_dir);
    let mut failures = Vec::new();
    // A scenario whose MSI could not be built fails at once, naming the build error.
    for b in s.needs {
        if let Err(e) = env.builds.msi(*b) {
            failures.push(format!("{e:#}"));
        }
    }
    if !failures.is_empty() {
        return Outcome::failed(s.name, failures);
    }
    let _ = std::fs::create_dir_all(env.root.join("prefixes"));
    let mut ctx = match Prefix::clone_from(sh, &env.template, &prefix_path) {
        Ok(prefix) => Ctx {
            sh,
            env,
            prefix,
            failures: vec![],
            codes: vec![],
            secrets: vec![],
            logs: vec![],
            notes: vec![],
            exceptions: vec![],
            log_dir: log_dir.clone(),
        },
        Err(e) => return Outcome::failed(s.name, vec![format!("{e:#}")]),
    };
    let result = (|| -> Result<()> {
        if s.prerequisites {
            ctx.provide_prerequisites()?;
        }
        (s.run)(&mut ctx)
    })();
    if let Err(e) = result {
        ctx.failures.push(format!("error: {e:#}"));
    }
    // The secret scan beyond the logs (issue 14 finding 15): the prefix's registry hives, the
    // temporary and per-user folders, and Windows Installer's own store (cached packages,
    // rollback scripts), which are kept after the run on Windows too.
    for place in
        ["system.reg", "user.reg", "userdef.reg", "drive_c/windows/temp", "drive_c/users", "drive_c/windows/Installer"]
    {
        let path = prefix_path.join(place);
        if path.exists() {
            ctx.failures.extend(super::secrets::scan_tree(&path, &ctx.secrets, 64 << 20));
        }
    }
    // Keep the logs (for the secret scan and for reading) whatever happens to the prefix.
    let logs_in_prefix = ctx.prefix.c(WORK_DIR_WIN).join("logs");
    let _ = build::copy_tree(&logs_in_prefix, &log_dir);
    let logs: Vec<PathBuf> =
        std::fs::read_dir(&log_dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    if !env.keep {
        ctx.prefix.kill(sh);
        let _ = std::fs::remove_dir_all(&prefix_path);
    }
    Outcome {
        name: s.name.into(),
        codes: ctx.codes,
        seconds: start.elapsed().as_secs_f64(),
        failures: ctx.failures,
        logs,
        secrets: ctx.secrets,
        notes: ctx.notes,
        exceptions: ctx.exceptions,
    }
}

impl Ctx<'_> {
    /// Registers a secret the scenario used without passing it as a property (e.g. in a
    /// `*_PASSWORD_FILE`), so that the secret scan looks for it.
    pub fn secret(&mut self, name: &str, value: &str) {
        self.secrets.push((name.to_string(), value.to_string()));
    }

    /// `msiexec /i <build> /qn PROP=value...`.
    pub fn install(&mut self, b: Build, props: &[(&str, &str)], label: &str) -> Result<MsiRun> {
        let msi = self.env.builds.msi(b)?.to_path_buf();
        let win = self.stage(&msi)?;
        let mut args = vec!["/i".to_string(), win, "/qn".into()];
        for (k, v) in props {
            // A `*_PASSWORD_FILE` value is a path, not a secret (the password is registered
            // with `Ctx::secret` by the scenario that writes the file).
            if k.contains("PASSWORD") && !k.ends_with("_FILE") {
                self.secrets.push((k.to_string(), v.to_string()));
            }
            args.push(format!("{k}={v}"));
        }
        let wait = self.installed_service()?;
        let run = self.prefix.msiexec(self.sh, &args, label, wait.as_deref())?;
        eprintln!("e2e:   msiexec /i {} {} -> {} ({:.1} s)", b.name(), label, run.code, run.seconds);
        self.codes.push(run.code);
        self.logs.push(run.log.clone());
        Ok(run)
    }

    /// `msiexec /x <build> /qn`.
    pub fn uninstall(&mut self, b: Build, label: &str) -> Result<MsiRun> {
        let msi = self.env.builds.msi(b)?.to_path_buf();
        let win = self.stage(&msi)?;
        let wait = self.installed_service()?;
        let run = self.prefix.msiexec(self.sh, &["/x".to_string(), win, "/qn".into()], label, wait.as_deref())?;
        eprintln!("e2e:   msiexec /x {} -> {} ({:.1} s)", b.name(), run.code, run.seconds);
        self.codes.push(run.code);
        Ok(run)
    }

    /// The product's service name when it is installed (its key exists), else `None`.
    pub fn installed_service(&self) -> Result<Option<String>> {
        Ok(self.service()?.map(|_| self.env.product.service_name.clone()))
    }

    /// Copies the MSI (and the `prerequisites` folder beside it, if any) into the prefix.
    pub fn stage(&self, msi: &Path) -> Result<String> {
        let win = self.prefix.stage_msi(msi)?;
        let prereqs = msi.parent().map(|d| d.join("prerequisites"));
        if let Some(dir) = prereqs.filter(|d| d.is_dir()) {
            build::copy_tree(&dir, &self.prefix.c(WORK_DIR_WIN).join("msi").join("prerequisites"))?;
        }
        Ok(win)
    }

    /// Records a failed check.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }

    /// Where a log of this scenario is kept after the run (the prefix may be deleted).
    pub fn kept(&self, log: &Path) -> String {
        self.log_dir.join(log.file_name().unwrap_or_default()).display().to_string()
    }

    pub fn expect_code(&mut self, run: &MsiRun, want: u32, step: &str) {
        let got = run.code;
        let log = self.kept(&run.log);
        self.check(got == want, || format!("{step}: exit code {got}, expected {want} (log {log})"));
    }

    /// The exit code is `want`, or `wine_code` where Wine is documented to differ from Windows:
    /// then the weakened check is recorded under `exception` (an id of docs/windows-behaviour.md)
    /// and listed in the summary; any other code fails.
    pub fn expect_code_or_wine(
        &mut self,
        run: &MsiRun,
        want: u32,
        (wine_code, exception): (u32, &'static str),
        step: &str,
    ) {
        if run.code == wine_code && wine_code != want {
            self.wine_exception(exception, format!("{step}: exit code {wine_code} where Windows returns {want}"));
        } else {
            self.expect_code(run, want, step);
        }
    }

    /// The custom action `action` ran and said so itself: the log of `run` has a line it wrote
    /// (`<action>: ...`, the prefix every action of custom-actions logs with) containing `text`.
    /// The action's name alone is not enough: it also appears in `Action start`, in the names
    /// of the actions and properties that prepare it (`GrantLogonAsServiceData`), and in the
    /// property dump, whether it ran or not.
    pub fn expect_action_logged(&mut self, run: &MsiRun, action: &str, text: &str, why: &str) {
        let log = run.log_text();
        let found = action_lines(&log, action).any(|line| line.contains(text));
        let kept = self.kept(&run.log);
        self.check(found, || format!("log {kept} has no line `{action}: ...{text}...` written by {action} ({why})"));
    }

    /// The action `action` ran in the script and failed: an `Action ended <time>: <action>.
    /// Return value 3.` line (3 = ERROR_INSTALL_FAILURE, "a fatal error": MSI SDK "Logging of
    /// Action Return Values", learn.microsoft.com/windows/win32/msi/logging-of-action-return-values).
    /// Wine 8 logs `Return value 0` for a failed deferred action instead: a documented difference
    /// (`wine-failed-action-return-0`).
    pub fn expect_action_failed(&mut self, run: &MsiRun, action: &str, why: &str) {
        let log = run.log_text();
        let values: Vec<String> = log
            .lines()
            .filter_map(|l| l.strip_prefix("Action ended "))
            .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest))
            .filter_map(|rest| rest.strip_prefix(action).and_then(|r| r.strip_prefix(". Return value ")))
            .map(|v| v.trim().trim_end_matches('.').to_string())
            .collect();
        let kept = self.kept(&run.log);
        if values.iter().any(|v| v == "3") {
            return;
        }
        if values.iter().any(|v| v == "0") {
            self.wine_exception(
                "wine-failed-action-return-0",
                format!("{action} ended with `Return value 0` where Windows logs 3 (fatal error)"),
            );
            return;
        }
        self.fail(format!("log {kept}: {action} did not end with a failure (return values {values:?}; {why})"));
    }

    /// The log of `run` contains `needle` (case-insensitive).
    pub fn expect_log(&mut self, run: &MsiRun, needle: &str, why: &str) {
        let text = run.log_text().to_lowercase();
        let log = self.kept(&run.log);
        self.check(text.contains(&needle.to_lowercase()), || format!("log {log} does not mention `{needle}` ({why})"));
    }

    /// `C:\Program Files\<folder>\<product_dir>` on the Linux side.
    pub fn product_dir(&self) -> PathBuf {
        self.prefix.c(&self.env.product.product_dir_win())
    }

    /// The installed versions of the product (Add/Remove Programs entries with its name).
    pub fn installed(&self) -> Result<Vec<String>> {
        let reg = self.prefix.hklm()?;
        let base = r"Software\Microsoft\Windows\CurrentVersion\Uninstall";
        let mut v: Vec<String> = reg
            .subkeys(base)
            .iter()
            .filter_map(|k| reg.key(&format!(r"{base}\{k}")))
            .filter(|k| {
                // The release's name, or the test variant's (which says so in its ProductName).
                let name = k.str("DisplayName");
                name == self.env.product.name || name == crate::dist::product_name(&self.env.product.name, "test")
            })
            .map(|k| k.str("DisplayVersion"))
            .collect();
        v.sort();
        Ok(v)
    }

    pub fn expect_installed(&mut self, want: &[String], step: &str) -> Result<()> {
        let got = self.installed()?;
        self.check(got == want, || format!("{step}: installed versions {got:?}, expected {want:?}"));
        Ok(())
    }

    /// The product's service runs and works: started (Wine's services run only while a Wine
    /// process lives, and the harness stopped it before the msiexec run, so it is started here
    /// as Windows' rollback of `StopServices` would), it writes a `running` heartbeat stamped
    /// after this check began (wix/sample-service: every 5 s, `running <beat> <unix seconds>` in
    /// `%ProgramData%\VMware\IdentityManager\heartbeat.txt`). Wine gives services
    /// `ProgramData=C:\users\Public` where `cmd` sees `C:\ProgramData` (measured), so both are read.
    pub fn expect_service_running(&mut self, step: &str) -> Result<()> {
        let (fresh, what) = self.service_beats()?;
        self.check(fresh, || format!("{step}: {what}"));
        Ok(())
    }

    /// Starts the service and waits two beats (see [`Ctx::expect_service_running`]): whether a
    /// fresh `running` beat was written, and what was found.
    pub fn service_beats(&mut self) -> Result<(bool, String)> {
        let name = self.env.product.service_name.clone();
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        // One Wine process that lives long enough for two beats.
        let script = format!("sc start {name} >nul & ping -n 13 127.0.0.1 >nul & exit /b 0");
        self.prefix.wine(self.sh, &["cmd", "/c", &script])?;
        let beats: Vec<String> = [r"C:\ProgramData", r"C:\users\Public"]
            .iter()
            .filter_map(|base| {
                std::fs::read_to_string(self.prefix.c(&format!(r"{base}\VMware\IdentityManager\heartbeat.txt"))).ok()
            })
            .map(|t| t.trim().to_string())
            .collect();
        let fresh = beats.iter().any(|l| {
            let mut f = l.split_whitespace();
            matches!(
                (f.next(), f.next(), f.next().and_then(|t| t.parse::<u64>().ok())),
                (Some("running"), Some(_), Some(t)) if t >= since
            )
        });
        Ok((
            fresh,
            format!(
                "the service {name} is not running: heartbeat files {beats:?} (want `running` stamped at or after {since})"
            ),
        ))
    }

    /// The service's key (`HKLM\System\CurrentControlSet\Services\<name>`).
    pub fn service(&self) -> Result<Option<Key>> {
        let reg = self.prefix.hklm()?;
        let name = &self.env.product.service_name;
        Ok(reg
            .key(&format!(r"System\CurrentControlSet\Services\{name}"))
            .or_else(|| reg.key(&format!(r"System\ControlSet001\Services\{name}")))
            .cloned())
    }

    /// The service exists, runs the installed executable, and logs on as `account`.
    pub fn expect_service(&mut self, account: &str, step: &str) -> Result<()> {
        let name = self.env.product.service_name.clone();
        let Some(svc) = self.service()? else {
            self.failures.push(format!("{step}: no service key Services\\{name}"));
            return Ok(());
        };
        let exe =
            format!(r"{}\{}", self.env.product.product_dir_win(), self.env.product.service_exe.replace('/', "\\"));
        let image = svc.str("ImagePath");
        self.check(image.to_lowercase().contains(&exe.to_lowercase()), || {
            format!("{step}: service {name} ImagePath `{image}` does not run `{exe}`")
        });
        let obj = svc.str("ObjectName");
        self.check(obj.eq_ignore_ascii_case(account), || {
            if obj.is_empty() {
                format!(
                    "{step}: service {name} ObjectName is empty, expected `{account}`: ServiceInstall.StartName formatted to an empty string; CreateService documents NULL (not \"\") as LocalSystem"
                )
            } else {
                format!("{step}: service {name} ObjectName `{obj}`, expected `{account}`")
            }
        });
        Ok(())
    }

    /// Every file of the build's payload is installed under `PRODUCTDIR`, byte-identical.
    pub fn expect_payload(&mut self, b: Build, step: &str) -> Result<()> {
        let payload = self.env.builds.payload(b).context("payload not staged")?.to_path_buf();
        let want = snapshot::take(&payload)?;
        let got = snapshot::take(&self.product_dir())?;
        let mut bad = Vec::new();
        for (path, hash) in &want {
            match got.get(path) {
                Some(h) if h == hash => {}
                Some(_) => bad.push(format!("differs: {path}")),
                None => bad.push(format!("missing: {path}")),
            }
        }
        let exe = self.env.product.service_exe.clone();
        if !exe.is_empty() && !got.contains_key(&exe) {
            bad.push(format!("missing service executable: {exe}"));
        }
        let tool = format!("{}/migrateEmbeddedConnector.exe", self.env.product.support_dir);
        if !got.contains_key(&tool) {
            bad.push(format!("missing migration tool: {tool}"));
        }
        let n = want.len();
        self.check(bad.is_empty(), || {
            format!("{step}: installed files do not match the {} payload ({n} entries): {}", b.name(), summarise(&bad))
        });
        Ok(())
    }

    /// The embedded-connector configuration under `PRODUCTDIR` (only its paths).
    pub fn connector_snapshot(&self) -> Result<Snapshot> {
        let all = snapshot::take(&self.product_dir())?;
        let paths = self.env.product.connector_paths.clone();
        Ok(snapshot::filter(&all, |p| paths.iter().any(|c| p == c || p.starts_with(&format!("{c}/")))))
    }

    /// The configuration is installed (precondition of scenarios 3-8).
    pub fn expect_connector_present(&mut self) -> Result<Snapshot> {
        if self.env.product.connector_paths.is_empty() {
            bail!("wix/product.toml lists no embedded_connector.paths: the connector scenarios cannot run");
        }
        let snap = self.connector_snapshot()?;
        let want = snapshot::filter(&snapshot::take(&build::fixture_dir())?, |_| true);
        let want = snapshot::filter(&want, |p| {
            self.env.product.connector_paths.iter().any(|c| p == c || p.starts_with(&format!("{c}/")))
        });
        let d = snapshot::diff(&want, &snap);
        self.check(d.is_empty(), || {
            format!("previous install: the configuration is not as in the fixture: {}", summarise(&d))
        });
        Ok(snap)
    }

    /// `.enc` files directly under `PRODUCTDIR`.
    pub fn enc_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.product_dir())
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("enc")))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Decrypts a `.enc` with the Linux `migrateEmbeddedConnector` and compares it with the
    /// fixture configuration.
    pub fn expect_enc_decrypts(&mut self, enc: &Path, password: &str, step: &str) -> Result<()> {
        let tool = self.env.migrate_tool.get_or_init(|| harness::migrate_tool(self.sh).map_err(|e| format!("{e:#}")));
        let tool = match tool {
            Ok(t) => t.clone(),
            Err(e) => bail!("building the Linux migrateEmbeddedConnector: {e}"),
        };
        let out = self.env.root.join("decrypted").join(enc.file_name().unwrap_or_default());
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(out.parent().context("decrypt folder has no parent")?)?;
        let sh = self.sh;
        let res = cmd!(sh, "{tool} decrypt {enc} --out {out} --password-stdin")
            .stdin(format!("{password}\n"))
            .quiet()
            .ignore_status()
            .output()?;
        if !res.status.success() {
            self.failures.push(format!(
                "{step}: migrateEmbeddedConnector decrypt {} failed ({}): {}",
                enc.display(),
                res.status,
                String::from_utf8_lossy(&res.stderr).trim()
            ));
            return Ok(());
        }
        for stream in [&res.stdout, &res.stderr] {
            let hits = secrets::scan(stream, &[("EXPORT_PASSWORD".into(), password.into())]);
            self.check(hits.is_empty(), || format!("{step}: migrateEmbeddedConnector printed the password"));
        }
        let paths = self.env.product.connector_paths.clone();
        let keep = |p: &str| paths.iter().any(|c| p == c || p.starts_with(&format!("{c}/")));
        let want = snapshot::filter(&snapshot::take(&build::fixture_dir())?, keep);
        let got = snapshot::filter(&snapshot::take(&out)?, keep);
        let d = snapshot::diff(&want, &got);
        self.check(!want.is_empty() && d.is_empty(), || {
            format!(
                "{step}: {} decrypted into {} differs from the fixture: {}",
                enc.display(),
                out.display(),
                summarise(&d)
            )
        });
        Ok(())
    }

    /// Writes the prerequisites' registry values (from `wix/product.toml`) into the prefix, as
    /// on a machine that has them (docs/target-machine.md).
    fn provide_prerequisites(&mut self) -> Result<()> {
        self.prefix.provide_prerequisites(self.sh, &project_root().join("wix/product.toml"))
    }
}

impl Ctx<'_> {
    /// The prefix's machine registry.
    pub fn hklm(&self) -> Result<Registry> {
        self.prefix.hklm()
    }

    /// The product configuration.
    pub fn product(&self) -> &Product {
        &self.env.product
    }

    /// Records a check weakened because Wine differs from Windows as docs/windows-behaviour.md
    /// lists under `id` (the run fails if it does not).
    pub fn wine_exception(&mut self, id: &'static str, what: String) {
        eprintln!("e2e:   Wine difference `{id}`: {what}");
        self.exceptions.push(WineException { id, what });
    }

    /// Records an observation that is not a failure.
    pub fn note(&mut self, what: String) {
        eprintln!("e2e:   note: {what}");
        self.notes.push(what);
    }

    /// Records a failed check.
    pub fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    /// Records a run this toolkit did not start (the setup program's, `scenarios::bundle`): its
    /// exit code, its logs (scanned for secrets) and the secrets it was given.
    pub fn record(&mut self, code: u32, logs: &[PathBuf], secrets: &[(String, String)]) {
        self.codes.push(code);
        self.logs.extend(logs.iter().cloned());
        self.secrets.extend(secrets.iter().cloned());
    }

    /// The CEIP decision the install recorded: `HKLM\SOFTWARE\<manufacturer>\<name>\CEIP`,
    /// `Enabled` = 1 or 0 (wix/target-machine.wxs.tera, component `CeipSetting`).
    pub fn expect_ceip(&mut self, opted_in: bool, step: &str) -> Result<()> {
        let key = self.product().ceip_key();
        let reg = self.hklm()?;
        let got = reg.key(&key).and_then(|k| k.get("Enabled")).cloned();
        let want = Value::Dword(u32::from(opted_in));
        if got.as_ref() != Some(&want) {
            self.fail(format!("{step}: HKLM\\{key}\\Enabled is {got:?}, expected {want:?}"));
        }
        Ok(())
    }
}

/// The first six lines, and how many more there are.
pub fn summarise(lines: &[String]) -> String {
    let mut s = lines.iter().take(6).cloned().collect::<Vec<_>>().join("; ");
    if lines.len() > 6 {
        s.push_str(&format!("; ... {} more", lines.len() - 6));
    }
    s
}

/// The lines of a verbose log that the custom action `action` wrote (they start with
/// `<action>: `; a longer name such as `<action>Data: ` is another action).
pub fn action_lines<'l>(log: &'l str, action: &'l str) -> impl Iterator<Item = &'l str> + 'l {
    let prefix = format!("{action}: ");
    log.lines().filter(move |l| {
        l.match_indices(&prefix).any(|(i, _)| {
            l[..i].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_lines_are_the_actions_own() {
        let log = "Action start 12:00:00: GrantLogonAsService.\r\n\
                   GrantLogonAsServiceData: PC\\user does not hold SeServiceLogonRight\r\n\
                   Property(S): GrantLogonAsService = 0|PC\\user\r\n\
                   MSI (s) (1C:20): GrantLogonAsService: granted SeServiceLogonRight to PC\\user\r\n\
                   XGrantLogonAsService: not it\r\n";
        let lines: Vec<&str> = action_lines(log, "GrantLogonAsService").collect();
        assert_eq!(lines, ["MSI (s) (1C:20): GrantLogonAsService: granted SeServiceLogonRight to PC\\user"]);
        assert_eq!(action_lines("Action start: RestoreEmbeddedConnector.\n", "RestoreEmbeddedConnector").count(), 0);
    }
}
