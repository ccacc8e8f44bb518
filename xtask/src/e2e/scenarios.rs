//! The scenarios of the silent-install matrix and the checks they share. Each scenario runs in
//! a fresh copy of the template prefix and asserts effects (files, installed products, the
//! service's registry configuration, the log), never the exit code alone: Wine logs and carries
//! on when a DLL custom action cannot load.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::build::{self, Build, MARKER, PREVIOUS_ONLY};
use super::registry::Key;
use super::snapshot::{self, Snapshot};
use super::wine::{MsiRun, Prefix, WORK_DIR_WIN};
use super::{Env, Outcome};
use crate::{project_root, target_dir};

/// The export password the export scenarios use (no `%`, `^`, `"` or spaces: it travels through
/// `cmd /c` and msiexec's command line).
const EXPORT_PASSWORD: &str = "E2e-Export-Pa55word!";
/// A password too short for the export (the policy asks for at least 8 characters).
const SHORT_PASSWORD: &str = "Sh0rt";
/// The service account password scenario 9 passes.
const SERVICE_PASSWORD: &str = "E2e-Svc-Secret#2026";
/// A file the admin (or the running product) created beside the installed files: an upgrade
/// keeps it.
const ADMIN_SETTINGS: &str = "e2e-admin-settings.properties";
/// The fault-injection action of `wix/test/fault-injection.wxs`.
const FAULT_ACTION: &str = "IdmTestFailAfterConnectorMove";

/// One scenario of the matrix.
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

/// The matrix, in the order it runs.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "fresh-install",
        about: "1: fresh /qn install as LocalSystem; uninstall leaves only logs and .enc exports",
        needs: &[Build::Current],
        prerequisites: true,
        run: fresh_install,
    },
    Scenario {
        name: "upgrade-plain",
        about: "2: previous -> current without a connector configuration: files upgraded, old version gone, settings kept",
        needs: &[Build::PreviousPlain, Build::Current],
        prerequisites: true,
        run: upgrade_plain,
    },
    Scenario {
        name: "connector-no-action",
        about: "3: configuration found, no EMBEDDED_CONNECTOR_ACTION: 1603 naming the property, nothing changed",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_no_action,
    },
    Scenario {
        name: "connector-discard",
        about: "4: EMBEDDED_CONNECTOR_ACTION=discard: upgrade done, configuration gone",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_discard,
    },
    Scenario {
        name: "connector-discard-runtime",
        about: "4b: as 4, with the configuration written at run time (owned by no MSI component); backup deleted on commit",
        needs: &[Build::PreviousPlain, Build::Current],
        prerequisites: true,
        run: connector_discard_runtime,
    },
    Scenario {
        name: "connector-export",
        about: "5: export + EXPORT_PASSWORD: 1602, a .enc the Linux tool decrypts to the originals, old install untouched",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_export,
    },
    Scenario {
        name: "connector-export-continue",
        about: "6: export-continue: .enc verified, then the upgrade is done",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_export_continue,
    },
    Scenario {
        name: "connector-short-password",
        about: "7a: export-continue with too short a password: 1603, nothing lost",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_short_password,
    },
    Scenario {
        name: "connector-unwritable",
        about: "7b: export-continue into a folder that cannot be written: 1603, nothing lost",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector_unwritable,
    },
    Scenario {
        name: "connector-rollback",
        about: "8: failure injected after the configuration (installed by the previous MSI) was moved: 1603, restored byte-identical",
        needs: &[Build::Previous, Build::CurrentTest],
        prerequisites: true,
        run: connector_rollback,
    },
    Scenario {
        name: "connector-rollback-runtime",
        about: "8b: as 8, with the configuration written at run time (owned by no MSI component), as the service does",
        needs: &[Build::PreviousPlain, Build::CurrentTest],
        prerequisites: true,
        run: connector_rollback_runtime,
    },
    Scenario {
        name: "service-account-ceip",
        about: "9: SERVICE_ACCOUNT/SERVICE_PASSWORD and CEIP_OPTIN end in the service's configuration",
        needs: &[Build::Current],
        prerequisites: true,
        run: service_account_ceip,
    },
    Scenario {
        name: "downgrade",
        about: "10: installing the current version over the next one is refused with a clear message",
        needs: &[Build::Next, Build::Current],
        prerequisites: true,
        run: downgrade,
    },
    Scenario {
        name: "prereq-missing",
        about: "the test prerequisite missing, INSTALL_PREREQUISITES unset: 1603 listing it, nothing installed",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: prereq_missing,
    },
    Scenario {
        name: "prereq-install",
        about: "the test prerequisite missing, INSTALL_PREREQUISITES=1: its package runs, then the product installs",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: prereq_install,
    },
];

/// What a scenario works with: its prefix, the run's builds, and its findings so far.
pub struct Ctx<'a> {
    sh: &'a Shell,
    env: &'a Env,
    prefix: Prefix,
    failures: Vec<String>,
    codes: Vec<u32>,
    secrets: Vec<(String, String)>,
    logs: Vec<PathBuf>,
    notes: Vec<String>,
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
        return Outcome {
            name: s.name.into(),
            codes: vec![],
            seconds: 0.0,
            failures,
            logs: vec![],
            secrets: vec![],
            notes: vec![],
        };
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
            log_dir: log_dir.clone(),
        },
        Err(e) => {
            failures.push(format!("{e:#}"));
            return Outcome {
                name: s.name.into(),
                codes: vec![],
                seconds: 0.0,
                failures,
                logs: vec![],
                secrets: vec![],
                notes: vec![],
            };
        }
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
    }
}

impl Ctx<'_> {
    /// `msiexec /i <build> /qn PROP=value...`.
    fn install(&mut self, b: Build, props: &[(&str, &str)], label: &str) -> Result<MsiRun> {
        let msi = self.env.builds.msi(b)?.to_path_buf();
        let win = self.stage(&msi)?;
        let mut args = vec!["/i".to_string(), win, "/qn".into()];
        for (k, v) in props {
            if k.contains("PASSWORD") {
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
    fn uninstall(&mut self, b: Build, label: &str) -> Result<MsiRun> {
        let msi = self.env.builds.msi(b)?.to_path_buf();
        let win = self.stage(&msi)?;
        let wait = self.installed_service()?;
        let run = self.prefix.msiexec(self.sh, &["/x".to_string(), win, "/qn".into()], label, wait.as_deref())?;
        eprintln!("e2e:   msiexec /x {} -> {} ({:.1} s)", b.name(), run.code, run.seconds);
        self.codes.push(run.code);
        Ok(run)
    }

    /// The product's service name when it is installed (its key exists), else `None`.
    fn installed_service(&self) -> Result<Option<String>> {
        Ok(self.service()?.map(|_| self.env.product.service_name.clone()))
    }

    /// Copies the MSI (and the `prerequisites` folder beside it, if any) into the prefix.
    fn stage(&self, msi: &Path) -> Result<String> {
        let win = self.prefix.stage_msi(msi)?;
        let prereqs = msi.parent().map(|d| d.join("prerequisites"));
        if let Some(dir) = prereqs.filter(|d| d.is_dir()) {
            build::copy_tree(&dir, &self.prefix.c(WORK_DIR_WIN).join("msi").join("prerequisites"))?;
        }
        Ok(win)
    }

    /// Records a failed check.
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }

    /// Where a log of this scenario is kept after the run (the prefix may be deleted).
    fn kept(&self, log: &Path) -> String {
        self.log_dir.join(log.file_name().unwrap_or_default()).display().to_string()
    }

    fn expect_code(&mut self, run: &MsiRun, want: u32, step: &str) {
        let got = run.code;
        let log = self.kept(&run.log);
        self.check(got == want, || format!("{step}: exit code {got}, expected {want} (log {log})"));
    }

    /// The log of `run` contains `needle` (case-insensitive).
    fn expect_log(&mut self, run: &MsiRun, needle: &str, why: &str) {
        let text = run.log_text().to_lowercase();
        let log = self.kept(&run.log);
        self.check(text.contains(&needle.to_lowercase()), || format!("log {log} does not mention `{needle}` ({why})"));
    }

    /// `C:\Program Files\<folder>\<product_dir>` on the Linux side.
    fn product_dir(&self) -> PathBuf {
        self.prefix.c(&self.env.product.product_dir_win())
    }

    /// The installed versions of the product (Add/Remove Programs entries with its name).
    fn installed(&self) -> Result<Vec<String>> {
        let reg = self.prefix.hklm()?;
        let base = r"Software\Microsoft\Windows\CurrentVersion\Uninstall";
        let mut v: Vec<String> = reg
            .subkeys(base)
            .iter()
            .filter_map(|k| reg.key(&format!(r"{base}\{k}")))
            .filter(|k| k.str("DisplayName") == self.env.product.name)
            .map(|k| k.str("DisplayVersion"))
            .collect();
        v.sort();
        Ok(v)
    }

    fn expect_installed(&mut self, want: &[String], step: &str) -> Result<()> {
        let got = self.installed()?;
        self.check(got == want, || format!("{step}: installed versions {got:?}, expected {want:?}"));
        Ok(())
    }

    /// The service's key (`HKLM\System\CurrentControlSet\Services\<name>`).
    fn service(&self) -> Result<Option<Key>> {
        let reg = self.prefix.hklm()?;
        let name = &self.env.product.service_name;
        Ok(reg
            .key(&format!(r"System\CurrentControlSet\Services\{name}"))
            .or_else(|| reg.key(&format!(r"System\ControlSet001\Services\{name}")))
            .cloned())
    }

    /// The service exists, runs the installed executable, and logs on as `account`.
    fn expect_service(&mut self, account: &str, step: &str) -> Result<()> {
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
    fn expect_payload(&mut self, b: Build, step: &str) -> Result<()> {
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
    fn connector_snapshot(&self) -> Result<Snapshot> {
        let all = snapshot::take(&self.product_dir())?;
        let paths = self.env.product.connector_paths.clone();
        Ok(snapshot::filter(&all, |p| paths.iter().any(|c| p == c || p.starts_with(&format!("{c}/")))))
    }

    /// The configuration is installed (precondition of scenarios 3-8).
    fn expect_connector_present(&mut self) -> Result<Snapshot> {
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
    fn enc_files(&self) -> Vec<PathBuf> {
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
    fn expect_enc_decrypts(&mut self, enc: &Path, password: &str, step: &str) -> Result<()> {
        let tool = self.env.migrate_tool.get_or_init(|| build_migrate_tool(self.sh).map_err(|e| format!("{e:#}")));
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
            let hits = super::secrets::scan(stream, &[("EXPORT_PASSWORD".into(), password.into())]);
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
        let reg = super::prereqs::reg_file(&project_root().join("wix/product.toml"))?;
        if reg.is_empty() {
            return Ok(());
        }
        let file = self.prefix.c(WORK_DIR_WIN).join("prerequisites.reg");
        // regedit reads UTF-16LE with a BOM.
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(reg.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&file, bytes)?;
        self.prefix.wine(self.sh, &["regedit", "/S", &format!(r"{WORK_DIR_WIN}\prerequisites.reg")])?;
        Ok(())
    }
}

fn summarise(lines: &[String]) -> String {
    let mut s = lines.iter().take(6).cloned().collect::<Vec<_>>().join("; ");
    if lines.len() > 6 {
        s.push_str(&format!("; ... {} more", lines.len() - 6));
    }
    s
}

/// Builds the host (Linux) `migrateEmbeddedConnector` and returns its path.
fn build_migrate_tool(sh: &Shell) -> Result<PathBuf> {
    cmd!(sh, "cargo build --quiet -p custom-actions --bin migrateEmbeddedConnector")
        .run()
        .context("cargo build -p custom-actions --bin migrateEmbeddedConnector")?;
    let bin = target_dir().join("debug/migrateEmbeddedConnector");
    if !bin.is_file() {
        bail!("{} was not built", bin.display());
    }
    Ok(bin)
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

fn fresh_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    let run = ctx.install(Build::Current, &[], "install")?;
    ctx.expect_code(&run, 0, "install");
    ctx.expect_payload(Build::Current, "install")?;
    ctx.expect_installed(&[version], "install")?;
    ctx.expect_service("LocalSystem", "install")?;
    super::prereqs::expect_ceip(ctx, true, "install (CEIP_OPTIN defaults to 1)")?;

    let run = ctx.uninstall(Build::Current, "uninstall")?;
    ctx.expect_code(&run, 0, "uninstall");
    let left: Vec<String> = snapshot::take(&ctx.product_dir())?
        .into_iter()
        .filter(|(p, h)| {
            let lower = p.to_lowercase();
            h != "<dir>" && !lower.ends_with(".log") && !lower.ends_with(".enc")
        })
        .map(|(p, _)| p)
        .collect();
    ctx.check(left.is_empty(), || format!("uninstall left files behind: {}", summarise(&left)));
    ctx.expect_installed(&[], "uninstall")?;
    let svc = ctx.service()?.is_some();
    ctx.check(!svc, || "uninstall left the service key behind".into());
    Ok(())
}

fn upgrade_plain(ctx: &mut Ctx<'_>) -> Result<()> {
    let (prev, cur) = (ctx.env.product.previous_version(), ctx.env.product.version_text());
    let run = ctx.install(Build::PreviousPlain, &[("CEIP_OPTIN", "0")], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_payload(Build::PreviousPlain, "install previous")?;
    ctx.expect_installed(&[prev], "install previous")?;
    super::prereqs::expect_ceip(ctx, false, "install previous with CEIP_OPTIN=0")?;
    let settings = ctx.product_dir().join(ADMIN_SETTINGS);
    let content = b"# written after install by the admin; an upgrade keeps it\r\nproxy=http://proxy.example:3128\r\n";
    std::fs::write(&settings, content).context("writing the admin settings file")?;

    let run = ctx.install(Build::Current, &[], "upgrade")?;
    ctx.expect_code(&run, 0, "upgrade");
    ctx.expect_payload(Build::Current, "upgrade")?;
    ctx.expect_installed(&[cur], "upgrade")?;
    for gone in [PREVIOUS_ONLY, MARKER] {
        let still = ctx.product_dir().join(gone).exists();
        ctx.check(!still, || format!("upgrade: `{gone}` (only in the previous version) is still installed"));
    }
    let kept = std::fs::read(&settings).ok();
    ctx.check(kept.as_deref() == Some(&content[..]), || {
        format!("upgrade: {ADMIN_SETTINGS} was not kept byte-identical")
    });
    ctx.expect_service("LocalSystem", "upgrade")?;
    // No CEIP_OPTIN on the upgrade's command line: the previous decision stands.
    super::prereqs::expect_ceip(ctx, false, "upgrade keeps the CEIP decision")?;
    Ok(())
}

/// Installs the previous version with its configuration; returns the snapshot of `PRODUCTDIR`.
fn install_previous_with_connector(ctx: &mut Ctx<'_>) -> Result<Snapshot> {
    let prev = ctx.env.product.previous_version();
    let run = ctx.install(Build::Previous, &[], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_payload(Build::Previous, "install previous")?;
    ctx.expect_installed(&[prev], "install previous")?;
    ctx.expect_connector_present()?;
    snapshot::take(&ctx.product_dir())
}

/// Installs the previous version without a configuration in its MSI, then writes the fixture
/// configuration into `PRODUCTDIR` as the previous version's service does at run time (files no
/// MSI component owns, so the old product's uninstall leaves them). Returns the snapshot.
fn install_previous_with_runtime_connector(ctx: &mut Ctx<'_>) -> Result<Snapshot> {
    let prev = ctx.env.product.previous_version();
    let run = ctx.install(Build::PreviousPlain, &[], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_installed(&[prev], "install previous")?;
    let fixture = build::fixture_dir();
    for p in ctx.env.product.connector_paths.clone() {
        let from = fixture.join(&p);
        let to = ctx.product_dir().join(&p);
        if from.is_dir() {
            build::copy_tree(&from, &to)?;
        } else {
            std::fs::create_dir_all(to.parent().context("connector path has no parent")?)?;
            std::fs::copy(&from, &to).with_context(|| format!("writing the runtime configuration {}", to.display()))?;
        }
    }
    ctx.expect_connector_present()?;
    snapshot::take(&ctx.product_dir())
}

/// `PRODUCTDIR` and the installed products are as before (the "nothing lost" checks).
fn expect_untouched(ctx: &mut Ctx<'_>, before: &Snapshot, step: &str) -> Result<()> {
    let after = snapshot::filter(&snapshot::take(&ctx.product_dir())?, |p| !p.to_lowercase().ends_with(".enc"));
    let d = snapshot::diff(before, &after);
    ctx.check(d.is_empty(), || format!("{step}: the previous install changed: {}", summarise(&d)));
    ctx.expect_installed(&[ctx.env.product.previous_version()], step)?;
    Ok(())
}

fn connector_no_action(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(Build::Current, &[], "upgrade-no-action")?;
    ctx.expect_code(&run, 1603, "upgrade without EMBEDDED_CONNECTOR_ACTION");
    ctx.expect_log(&run, "EMBEDDED_CONNECTOR_ACTION", "the log must say which property to set");
    expect_untouched(ctx, &before, "upgrade without EMBEDDED_CONNECTOR_ACTION")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("no export was asked for, yet {encs:?} exist"));
    Ok(())
}

fn connector_discard(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    expect_discard_upgrades(ctx)
}

fn connector_discard_runtime(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_runtime_connector(ctx)?;
    expect_discard_upgrades(ctx)
}

/// Upgrades with `discard`: exit 0, the current version in place, the configuration and its
/// backup gone (the commit action deletes the backup), no export.
fn expect_discard_upgrades(ctx: &mut Ctx<'_>) -> Result<()> {
    let cur = ctx.env.product.version_text();
    let run = ctx.install(Build::Current, &[("EMBEDDED_CONNECTOR_ACTION", "discard")], "upgrade-discard")?;
    ctx.expect_code(&run, 0, "upgrade with discard");
    ctx.expect_payload(Build::Current, "upgrade with discard")?;
    ctx.expect_installed(&[cur], "upgrade with discard")?;
    let left = ctx.connector_snapshot()?;
    ctx.check(left.is_empty(), || {
        format!("discard: the configuration is still there: {:?}", left.keys().collect::<Vec<_>>())
    });
    let backups: Vec<String> = snapshot::take(&ctx.product_dir())?
        .into_keys()
        .filter(|p| p.starts_with("embedded-connector-backup"))
        .collect();
    ctx.check(backups.is_empty(), || {
        format!("discard: the backup was not deleted after the upgrade: {}", summarise(&backups))
    });
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("discard wrote an export: {encs:?}"));
    ctx.expect_service("LocalSystem", "upgrade with discard")?;
    Ok(())
}

fn connector_export(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export"), ("EXPORT_PASSWORD", EXPORT_PASSWORD)],
        "export",
    )?;
    ctx.expect_code(&run, 1602, "export");
    expect_untouched(ctx, &before, "export")?;
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || format!("export: expected one .enc under PRODUCTDIR, found {encs:?}"));
    if let Some(enc) = encs.first() {
        let name = enc.file_name().unwrap_or_default().to_string_lossy().into_owned();
        ctx.check(name.contains("-conn-"), || {
            format!("export: `{name}` is not named <cluster>-<host>-<domain>-conn-<timestamp>.enc")
        });
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "export")?;
        ctx.expect_log(&run, &name, "the log must say where the export is");
    }
    Ok(())
}

fn connector_export_continue(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    let cur = ctx.env.product.version_text();
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export-continue"), ("EXPORT_PASSWORD", EXPORT_PASSWORD)],
        "export-continue",
    )?;
    ctx.expect_code(&run, 0, "export-continue");
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || format!("export-continue: expected one .enc under PRODUCTDIR, found {encs:?}"));
    if let Some(enc) = encs.first() {
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "export-continue")?;
    }
    ctx.expect_payload(Build::Current, "export-continue")?;
    ctx.expect_installed(&[cur], "export-continue")?;
    let left = ctx.connector_snapshot()?;
    ctx.check(left.is_empty(), || {
        format!(
            "export-continue: the configuration is still there after the upgrade: {:?}",
            left.keys().collect::<Vec<_>>()
        )
    });
    Ok(())
}

fn connector_short_password(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export-continue"), ("EXPORT_PASSWORD", SHORT_PASSWORD)],
        "short-password",
    )?;
    ctx.expect_code(&run, 1603, "export-continue with a short password");
    ctx.expect_log(&run, "EXPORT_PASSWORD", "the log must name the property that is wrong");
    expect_untouched(ctx, &before, "export-continue with a short password")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("a rejected password still produced {encs:?}"));
    Ok(())
}

fn connector_unwritable(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    // EXPORT_FOLDER (custom-actions connector::EXPORT_FOLDER) names where the package goes. The
    // harness runs as root, for whom permission bits mean nothing; the immutable attribute stops
    // root too (no file can be created in the folder). It needs CAP_LINUX_IMMUTABLE, which some
    // CI containers lack: then the folder is made unwritable another way, by a regular file
    // standing where the folder should be (every create below it fails).
    let folder_win = format!(r"{WORK_DIR_WIN}\readonly");
    let folder = ctx.prefix.c(&folder_win);
    std::fs::create_dir_all(&folder)?;
    let sh = ctx.sh;
    let immutable = cmd!(sh, "chattr +i {folder}").quiet().ignore_stderr().run().is_ok();
    if !immutable {
        eprintln!("   note: `chattr +i` failed (no CAP_LINUX_IMMUTABLE); the export folder is a regular file instead");
        std::fs::remove_dir(&folder)?;
        std::fs::write(&folder, b"not a folder\n")?;
    }
    let export_folder = format!(r"{folder_win}\");
    let run = ctx.install(
        Build::Current,
        &[
            ("EMBEDDED_CONNECTOR_ACTION", "export-continue"),
            ("EXPORT_PASSWORD", EXPORT_PASSWORD),
            ("EXPORT_FOLDER", &export_folder),
        ],
        "unwritable",
    );
    let undo = if immutable { cmd!(sh, "chattr -i {folder}").quiet().run() } else { Ok(()) };
    let run = run?;
    undo.context("`chattr -i` on the export folder")?;
    ctx.expect_code(&run, 1603, "export into an unwritable folder");
    ctx.expect_log(&run, &folder_win, "the log must name the folder that cannot be written");
    expect_untouched(ctx, &before, "export into an unwritable folder")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("an export into an unwritable folder left {encs:?}"));
    if immutable {
        let in_folder = std::fs::read_dir(&folder).map(|rd| rd.count()).unwrap_or(0);
        ctx.check(in_folder == 0, || format!("{in_folder} file(s) appeared in the immutable export folder"));
    } else {
        let still_file = std::fs::metadata(&folder).map(|m| m.is_file()).unwrap_or(false);
        ctx.check(still_file, || "the file standing in for the export folder was replaced".to_string());
    }
    Ok(())
}

fn connector_rollback(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    expect_rollback_restores(ctx)
}

fn connector_rollback_runtime(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_runtime_connector(ctx)?;
    expect_rollback_restores(ctx)
}

/// Upgrades to the test variant with `discard` and the fault injected after the move: 1603,
/// the fault action ran, the configuration is back byte-identical.
fn expect_rollback_restores(ctx: &mut Ctx<'_>) -> Result<()> {
    let conn_before = ctx.connector_snapshot()?;
    let run = ctx.install(
        Build::CurrentTest,
        &[("EMBEDDED_CONNECTOR_ACTION", "discard"), ("IDM_FAIL_AFTER_CONNECTOR_MOVE", "1")],
        "fault-after-move",
    )?;
    // Windows ends any fatal error with 1603. Wine 8 hands back the failing action's own code
    // instead: ERROR_FUNCTION_FAILED (1627) for a failed deferred action (measured; also for a
    // failed StartServices), so 1627 is accepted here, with a note, and nothing else.
    if run.code == 1627 {
        ctx.note(
            "Wine 8 returned 1627 (ERROR_FUNCTION_FAILED) for the failed deferred action; Windows returns 1603".into(),
        );
    } else {
        ctx.expect_code(&run, 1603, "injected failure after the move");
    }
    ctx.expect_log(&run, FAULT_ACTION, "the fault-injection action must have run");
    ctx.expect_log(&run, "RestoreEmbeddedConnector", "the rollback action must have run");
    ctx.expect_log(&run, "MoveEmbeddedConnector", "the move must have run before the fault");
    let conn_after = ctx.connector_snapshot()?;
    let d = snapshot::diff(&conn_before, &conn_after);
    ctx.check(d.is_empty(), || {
        format!("rollback: the configuration was not restored byte-identical: {}", summarise(&d))
    });
    let current = ctx.env.product.version_text();
    let installed = ctx.installed()?;
    ctx.check(!installed.contains(&current), || {
        format!("rollback: the failed version {current} is registered as installed")
    });
    // RemoveExistingProducts after InstallValidate removes the old product in a transaction of
    // its own, so a later failure leaves neither version installed (MSI SDK,
    // "RemoveExistingProducts Action"); the contract asks that the configuration survive.
    ctx.note(format!("after the failed upgrade, installed versions: {installed:?}"));
    Ok(())
}

fn service_account_ceip(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    // Wine has no domain: LookupAccountNameW resolves only the prefix's own account, so the
    // account is %COMPUTERNAME%\%USERNAME% (docs/target-machine.md); LogonUserW is a stub
    // that accepts any password, so the password check cannot fail here (see docs/e2e.md).
    let out = ctx.prefix.wine(ctx.sh, &["cmd", "/c", "echo %COMPUTERNAME%\\%USERNAME%"])?;
    let account = out.lines().map(str::trim).find(|l| l.contains('\\') && !l.contains('%')).map(str::to_string);
    let Some(account) = account else {
        bail!("cannot read the prefix's %COMPUTERNAME%\\%USERNAME% (got `{}`)", out.trim())
    };
    let run = ctx.install(
        Build::Current,
        &[("SERVICE_ACCOUNT", &account), ("SERVICE_PASSWORD", SERVICE_PASSWORD), ("CEIP_OPTIN", "0")],
        "service-account",
    )?;
    ctx.expect_code(&run, 0, "install with a service account");
    ctx.expect_installed(&[version], "install with a service account")?;
    ctx.expect_service(&account, "install with a service account")?;
    ctx.expect_log(&run, &format!("the service will run as {account}"), "CheckServiceAccount must name the account");
    ctx.expect_log(&run, "GrantLogonAsService", "the logon right must be granted");
    super::prereqs::expect_ceip(ctx, false, "install with CEIP_OPTIN=0")?;
    Ok(())
}

fn downgrade(ctx: &mut Ctx<'_>) -> Result<()> {
    let next = ctx.env.product.next_version();
    let run = ctx.install(Build::Next, &[], "install-next")?;
    ctx.expect_code(&run, 0, "install next");
    ctx.expect_installed(std::slice::from_ref(&next), "install next")?;
    let before = snapshot::take(&ctx.product_dir())?;
    let run = ctx.install(Build::Current, &[], "downgrade")?;
    ctx.expect_code(&run, 1603, "downgrade");
    expect_downgrade_message(ctx, &run)?;
    let d = snapshot::diff(&before, &snapshot::take(&ctx.product_dir())?);
    ctx.check(d.is_empty(), || format!("downgrade: the installed files changed: {}", summarise(&d)));
    ctx.expect_installed(&[next], "downgrade")?;
    Ok(())
}

/// The refusal names a newer version. Windows writes the text of the error action (type 19,
/// WiX's `DowngradeErrorMessage`) into the verbose log; Wine 8 does not. So either the log has
/// the text, or the log shows that an error action whose text says so ran, with
/// `WIX_DOWNGRADE_DETECTED` set (the text itself read from the MSI's CustomAction table).
fn expect_downgrade_message(ctx: &mut Ctx<'_>, run: &MsiRun) -> Result<()> {
    let log = run.log_text();
    if log.to_lowercase().contains("newer version") {
        return Ok(());
    }
    let msi = ctx.env.builds.msi(Build::Current)?.to_path_buf();
    let sh = ctx.sh;
    let actions =
        cmd!(sh, "msiinfo export {msi} CustomAction").quiet().read().context("msiinfo export CustomAction")?;
    // Columns: Action, Type, Source, Target. Type 19 = error message (MSI SDK "Custom Action Type 19").
    let fired: Vec<(String, String)> = actions
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 4
                && c[1].parse::<u32>().is_ok_and(|t| t & 0x3F == 19)
                && c[3].to_lowercase().contains("newer version"))
            .then(|| (c[0].to_string(), c[3].to_string()))
        })
        .filter(|(a, _)| log.contains(&format!(": {a}.")))
        .collect();
    let detected = log.contains("WIX_DOWNGRADE_DETECTED = {");
    match fired.first() {
        Some((action, text)) if detected => {
            ctx.note(format!("Wine 8 does not log a type-19 error text; the action that ran, {action}, says: {text}"));
        }
        _ => ctx.fail(format!(
            "downgrade: the log {} neither says `newer version` nor shows a type-19 action saying so running with WIX_DOWNGRADE_DETECTED set",
            ctx.kept(&run.log)
        )),
    }
    Ok(())
}

fn prereq_missing(ctx: &mut Ctx<'_>) -> Result<()> {
    // The default prerequisites are present (provide_prerequisites); the test module is not.
    let names = super::prereqs::names(&build::test_prerequisite_toml())?;
    if names.is_empty() {
        bail!("{} declares no [[prerequisite]]: nothing to prove", build::test_prerequisite_toml().display());
    }
    let run = ctx.install(Build::CurrentPrereq, &[], "prereq-missing")?;
    ctx.expect_code(&run, 1603, "install without a prerequisite");
    ctx.expect_log(&run, "missing prerequisites", "the log must say prerequisites are missing");
    for n in &names {
        ctx.expect_log(&run, n, "the log must list each missing prerequisite");
    }
    ctx.expect_installed(&[], "install without a prerequisite")?;
    let files = snapshot::take(&ctx.product_dir())?.len();
    ctx.check(files == 0, || format!("install without a prerequisite: {files} entries under PRODUCTDIR"));
    Ok(())
}

fn prereq_install(ctx: &mut Ctx<'_>) -> Result<()> {
    let version = ctx.env.product.version_text();
    let run = ctx.install(Build::CurrentPrereq, &[("INSTALL_PREREQUISITES", "1")], "prereq-install")?;
    ctx.expect_code(&run, 0, "install with INSTALL_PREREQUISITES=1");
    for n in super::prereqs::names(&build::test_prerequisite_toml())? {
        ctx.expect_log(&run, &format!("Installing prerequisite {n}"), "the log must say the package ran");
    }
    ctx.expect_installed(&[version], "install with INSTALL_PREREQUISITES=1")?;
    ctx.expect_payload(Build::CurrentPrereq, "install with INSTALL_PREREQUISITES=1")?;
    super::prereqs::expect_present(ctx, &build::test_prerequisite_toml())?;
    Ok(())
}

impl Ctx<'_> {
    /// The prefix's machine registry.
    pub(super) fn hklm(&self) -> Result<super::registry::Registry> {
        self.prefix.hklm()
    }

    /// The product configuration.
    pub(super) fn product(&self) -> &super::product::Product {
        &self.env.product
    }

    /// Records an observation that is not a failure.
    fn note(&mut self, what: String) {
        eprintln!("e2e:   note: {what}");
        self.notes.push(what);
    }

    /// Records a failed check (for sibling modules).
    pub(super) fn fail(&mut self, what: String) {
        self.failures.push(what);
    }
}
