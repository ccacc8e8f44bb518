//! The MSIs the matrix installs, built from the same sources as a release by `cargo xtask dist`
//! (other versions, other payloads, and a test variant with the fault-injection fragment).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::harness::product::Product;
use crate::project_root;

/// The file every payload the harness builds carries, naming the build (so "files upgraded" is
/// provable: each version's marker differs).
pub const MARKER: &str = "e2e-build.txt";

/// A file only the previous version carries: an upgrade must remove it.
pub const PREVIOUS_ONLY: &str = "e2e-previous-only.txt";

/// One MSI the scenarios install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Build {
    /// The release build: `product.toml`'s version and payload, `--variant release`.
    Current,
    /// The current version with `wix/test/fault-injection.wxs` (`--variant test`).
    CurrentTest,
    /// The previous version, with the embedded-connector configuration in its payload
    /// (`tests/fixtures/previous-payload/` over the sample payload).
    Previous,
    /// The previous version without an embedded-connector configuration.
    PreviousPlain,
    /// The next version (for the downgrade scenario).
    Next,
    /// The current version built from a copy of `product.toml` that also lists the test
    /// prerequisite (`wix/prereq-packages/test-prerequisite.toml`), whose package the bundle
    /// then carries (docs/target-machine.md).
    CurrentPrereq,
    /// The current version built from a copy of `product.toml` with `[refs] ui = ""`: no
    /// dialogs at all (docs/product-config.md).
    CurrentNoUi,
}

impl Build {
    /// Its name (folder and `--prebuilt` file stem).
    pub fn name(self) -> &'static str {
        match self {
            Build::Current => "current",
            Build::CurrentTest => "current-test",
            Build::Previous => "previous",
            Build::PreviousPlain => "previous-plain",
            Build::Next => "next",
            Build::CurrentPrereq => "current-prereq",
            Build::CurrentNoUi => "current-no-ui",
        }
    }

    /// Its product version.
    pub fn version(self, p: &Product) -> String {
        match self {
            Build::Current | Build::CurrentTest | Build::CurrentPrereq | Build::CurrentNoUi => p.version_text(),
            Build::Previous | Build::PreviousPlain => p.previous_version(),
            Build::Next => p.next_version(),
        }
    }
}

/// The built MSIs and the payload folders each was built from.
#[derive(Debug, Default)]
pub struct Builds {
    msis: BTreeMap<Build, PathBuf>,
    payloads: BTreeMap<Build, PathBuf>,
    errors: BTreeMap<Build, String>,
}

impl Builds {
    /// Builds (or, with `prebuilt`, finds) every MSI in `needed`. A build that fails is
    /// remembered, and the scenarios needing it fail naming the error; the others still run.
    pub fn prepare(
        sh: &Shell,
        product: &Product,
        root: &Path,
        needed: &[Build],
        prebuilt: Option<&Path>,
    ) -> Result<Builds> {
        let mut builds = Builds::default();
        for &b in needed {
            let payload = stage_payload(product, root, b)?;
            builds.payloads.insert(b, payload.clone());
            let t = Instant::now();
            let result = match prebuilt {
                Some(dir) => {
                    let msi = dir.join(format!("{}.msi", b.name()));
                    if msi.is_file() {
                        Ok(msi)
                    } else {
                        Err(anyhow::anyhow!("--prebuilt: {} does not exist", msi.display()))
                    }
                }
                None => dist(sh, product, root, b, &payload),
            };
            match result {
                Ok(msi) => {
                    eprintln!(
                        "e2e: built {} ({}) in {:.1} s: {}",
                        b.name(),
                        b.version(product),
                        t.elapsed().as_secs_f64(),
                        msi.display()
                    );
                    builds.msis.insert(b, msi);
                }
                Err(e) => {
                    eprintln!("e2e: BUILD FAILED: {} ({}): {e:#}", b.name(), b.version(product));
                    builds.errors.insert(b, format!("{e:#}"));
                }
            }
        }
        Ok(builds)
    }

    /// The MSI of a build, or the reason it could not be built.
    pub fn msi(&self, b: Build) -> Result<&Path> {
        if let Some(p) = self.msis.get(&b) {
            return Ok(p);
        }
        match self.errors.get(&b) {
            Some(e) => bail!("the `{}` MSI could not be built: {e}", b.name()),
            None => bail!("the `{}` MSI was not requested by this scenario's `needs`", b.name()),
        }
    }

    /// The payload folder a build was made from (what must land under `PRODUCTDIR`).
    pub fn payload(&self, b: Build) -> Option<&Path> {
        self.payloads.get(&b).map(PathBuf::as_path)
    }

    /// Every MSI built.
    pub fn msis(&self) -> impl Iterator<Item = (Build, &Path)> {
        self.msis.iter().map(|(b, p)| (*b, p.as_path()))
    }
}

/// Builds one MSI with `cargo xtask dist` (run in-process) into `<root>/msi/<build>/`.
fn dist(sh: &Shell, product: &Product, root: &Path, b: Build, payload: &Path) -> Result<PathBuf> {
    let out = root.join("msi").join(b.name());
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let mut options = crate::dist::Options {
        product_version: Some(b.version(product)),
        out: Some(out.clone()),
        ..Default::default()
    };
    if b == Build::CurrentPrereq {
        options.config = Some(prereq_config(root)?);
    } else if b == Build::CurrentNoUi {
        options.config = Some(no_ui_config(root)?);
    } else if b != Build::Current && b != Build::CurrentTest {
        options.payload = Some(payload.to_path_buf());
    }
    if b == Build::CurrentTest {
        // The test variant links every wix/test/*.wxs (the fault-injection fragment).
        options.variant = crate::dist::Variant::Test;
    }
    eprintln!("e2e: dist {options:?}");
    // A shell of its own, so nothing `dist` changes leaks into the harness's shell.
    let dist_sh = Shell::new()?;
    dist_sh.change_dir(sh.current_dir());
    let built = crate::dist::run(&dist_sh, &options)
        .with_context(|| format!("`cargo xtask dist` for the `{}` build", b.name()))?;
    let msi = built.msi;
    // The prerequisites' packages travel in the bundle beside the MSI (`prerequisites/`); the
    // prerequisite action looks for them next to the MSI, so unpack them there.
    let zip = built.zip;
    if zip.is_file() {
        let _ = cmd!(sh, "unzip -q -o {zip} prerequisites/* -d {out}").quiet().ignore_status().ignore_stderr().run();
    }
    Ok(msi)
}

/// Stages the payload of a build under `<root>/payloads/<build>`: the sample payload, plus
/// (previous) the embedded-connector fixture, plus the marker files.
fn stage_payload(product: &Product, root: &Path, b: Build) -> Result<PathBuf> {
    let dir = root.join("payloads").join(b.name());
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    copy_tree(&product.payload_dir, &dir)
        .with_context(|| format!("copying the sample payload {}", product.payload_dir.display()))?;
    if matches!(b, Build::Current | Build::CurrentTest | Build::CurrentPrereq | Build::CurrentNoUi) {
        // The release payload, untouched: what `cargo xtask dist` builds by default.
        return Ok(dir);
    }
    if b == Build::Previous {
        let fixture = fixture_dir();
        for p in &product.connector_paths {
            if !fixture.join(p).exists() {
                bail!(
                    "{} lacks `{p}`, which wix/product.toml lists in embedded_connector.paths; add it so the previous version carries a configuration",
                    fixture.display()
                );
            }
        }
        copy_tree(&fixture, &dir)?;
    }
    std::fs::write(dir.join(MARKER), format!("build {} version {}\r\n", b.name(), b.version(product)))?;
    if matches!(b, Build::Previous | Build::PreviousPlain) {
        std::fs::write(dir.join(PREVIOUS_ONLY), "only in the previous version; an upgrade removes it\r\n")?;
    }
    Ok(dir)
}

/// `wix/prereq-packages/test-prerequisite.toml`: the test prerequisite's `[[prerequisite]]` block.
pub fn test_prerequisite_toml() -> PathBuf {
    project_root().join("wix/prereq-packages/test-prerequisite.toml")
}

fn read_toml(p: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    text.parse::<toml::Table>().with_context(|| format!("parsing {}", p.display()))
}

/// Writes `<root>/config-no-ui/product.toml`: `wix/product.toml` with `[refs] ui = ""`.
pub fn no_ui_config(root: &Path) -> Result<PathBuf> {
    config_copy(root, "config-no-ui", |config| {
        let Some(toml::Value::Table(refs)) = config.get_mut("refs") else {
            bail!("wix/product.toml has no [refs] table");
        };
        refs.insert("ui".into(), toml::Value::String(String::new()));
        Ok(())
    })
}

/// Writes `<root>/config-prereq/product.toml`: `wix/product.toml` with the test prerequisite
/// appended.
pub fn prereq_config(root: &Path) -> Result<PathBuf> {
    let extra = read_toml(&test_prerequisite_toml())?;
    config_copy(root, "config-prereq", |config| {
        let list = config.entry("prerequisite").or_insert_with(|| toml::Value::Array(vec![]));
        let (toml::Value::Array(list), Some(toml::Value::Array(more))) = (list, extra.get("prerequisite")) else {
            bail!("{} has no [[prerequisite]] block", test_prerequisite_toml().display());
        };
        list.extend(more.iter().cloned());
        Ok(())
    })
}

/// Writes `<root>/<name>/product.toml`: `wix/product.toml` changed by `edit`, its relative
/// folders made absolute (they are taken from the config's folder).
fn config_copy(root: &Path, name: &str, edit: impl FnOnce(&mut toml::Table) -> Result<()>) -> Result<PathBuf> {
    let wix = project_root().join("wix");
    let mut config = read_toml(&wix.join("product.toml"))?;
    let absolute = |v: Option<&toml::Value>, default: &str| -> toml::Value {
        let rel = v.and_then(toml::Value::as_str).unwrap_or(default);
        toml::Value::String(wix.join(rel).display().to_string())
    };
    let packages = absolute(config.get("prerequisite_packages"), "prereq-packages");
    config.insert("prerequisite_packages".into(), packages);
    if let Some(toml::Value::Table(payload)) = config.get_mut("payload") {
        let dir = absolute(payload.get("dir"), "payload");
        payload.insert("dir".into(), dir);
    }
    edit(&mut config)?;
    let dir = root.join(name);
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("product.toml");
    std::fs::write(&file, toml::to_string(&config)?)?;
    Ok(file)
}

/// `tests/fixtures/previous-payload`: the embedded-connector configuration of the previous version.
pub fn fixture_dir() -> PathBuf {
    project_root().join("tests/fixtures/previous-payload")
}

/// Copies a folder tree (files and folders) into `to`.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let dest = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else {
            std::fs::copy(entry.path(), &dest).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Every table of an MSI as `msiinfo export` prints it (an independent reader), also written
/// to `dir/<table>.idt` for inspection.
pub fn table_dumps(sh: &Shell, msi: &Path, dir: &Path) -> Result<Vec<(String, String)>> {
    std::fs::create_dir_all(dir)?;
    let msi = &std::fs::canonicalize(msi).with_context(|| format!("{}", msi.display()))?;
    // `msiinfo export` writes the streams of a binary table (Binary/, Icon/) into its current
    // folder: run it in the dump folder, never in the checkout.
    let _cwd = sh.push_dir(dir);
    let tables = cmd!(sh, "msiinfo tables {msi}").quiet().read().context("`msiinfo tables` (msitools) failed")?;
    let mut out = Vec::new();
    for t in tables.lines().map(str::trim).filter(|t| !t.is_empty()) {
        let text = cmd!(sh, "msiinfo export {msi} {t}")
            .quiet()
            .read()
            .with_context(|| format!("`msiinfo export {t}` failed"))?;
        std::fs::write(dir.join(format!("{t}.idt")), &text)?;
        out.push((t.to_string(), text));
    }
    Ok(out)
}
