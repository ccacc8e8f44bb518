//! `cargo xtask dist`: product config + payload -> rendered WiX sources -> MSI -> release bundle.
//!
//! Steps (each printed with its time): check every input (config, payload, extra sources, the
//! culture's strings, the backend's tools, `SOURCE_DATE_EPOCH`, signing), check the cross
//! toolchain, cross-compile the Windows binaries, stage the payload, harvest it, render every
//! `wix/*.wxs.tera`, build the MSI with `packaging::wix`, validate it, sign it (when
//! configured), write the setup program (docs/setup.md) and the zip bundle, and only then move them into the output
//! folder under this build's own names ([`inputs::ArtefactNames`]). Other builds' files there
//! are never touched, and a failure at any step leaves the output folder as it was.

mod inputs;
mod progress;
mod publish;
mod render;
mod setup;
pub mod toolchain;
mod wix_toolset;

pub use render::{product_name, xml_escape};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use packaging::bundle::Entry;
use packaging::product::ProductConfig;
use serde::{Deserialize, Serialize};
use xshell::Shell;

use crate::{project_root, target_dir};
use inputs::files_in;

pub use crate::cli::{Backend, DistArgs as Options, Variant};

/// What `dist` produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// The MSI in the output folder.
    pub msi: PathBuf,
    /// The zip in the output folder.
    pub zip: PathBuf,
    /// The setup program in the output folder (docs/setup.md).
    pub setup: PathBuf,
}

/// Everything needed to rebuild the same MSI and zip with the `packaging` API, written to
/// `<work>/build-spec.json` (the reproducibility tests rebuild from it).
#[derive(Debug, Serialize, Deserialize)]
struct BuildRecord {
    /// The output folder the MSI and the zip were moved to.
    out_dir: PathBuf,
    culture: String,
    variant: String,
    sources: Vec<PathBuf>,
    localizations: Vec<PathBuf>,
    variables: BTreeMap<String, String>,
    source_date_epoch: u64,
    msi_name: String,
    zip_name: String,
    setup_name: String,
    payload_dir: PathBuf,
    /// Bundle entries other than the MSI (name in the zip -> file).
    bundle_files: BTreeMap<String, PathBuf>,
}

/// Runs `cargo xtask dist`: the pipeline, then a summary of what it wrote.
pub fn run(sh: &Shell, options: &Options) -> Result<Output> {
    let started = Instant::now();
    let output = dist(sh, options)?;
    note!("dist: done in {:.1}s", started.elapsed().as_secs_f64());
    for file in [&output.msi, &output.setup, &output.zip] {
        let bytes = std::fs::metadata(file)?.len();
        let hash = packaging::bundle::sha256_hex(std::fs::File::open(file)?)?;
        eprintln!("  {} ({bytes} bytes, sha256 {hash})", file.display());
    }
    Ok(output)
}

/// Prints a step, runs it, prints its time.
fn step<T>(n: usize, total: usize, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    note!("[{n}/{total}] {name}");
    let t = Instant::now();
    let r = f().with_context(|| format!("dist step `{name}` failed"));
    if r.is_ok() {
        note!("      {name}: {:.2}s", t.elapsed().as_secs_f64());
    }
    r
}

/// Copies a folder tree (files only), replacing `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("cannot clear {}", to.display()))?;
    }
    for entry in walkdir::WalkDir::new(from).follow_links(true).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let rel = entry.path().strip_prefix(from)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).with_context(|| format!("cannot create {}", dest.display()))?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("cannot copy {} to {}", entry.path().display(), dest.display()))?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::copy(from, to).with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// The working folder of a build into `out_dir`: `target/wix` for the default output folder
/// (docs/architecture.md), else `<out_dir>/wix`, so two builds never share a staging area.
fn work_dir(out_dir: &Path) -> PathBuf {
    let target = target_dir();
    if out_dir == target.join("dist") {
        target.join("wix")
    } else {
        out_dir.join("wix")
    }
}

/// The artefacts of the last successful `dist` into `out_dir` (`<target>/dist` when `None`),
/// from its `build-spec.json`: the output folder may hold other builds too.
pub fn last_build(out_dir: Option<&Path>) -> Result<Output> {
    let out_dir = out_dir.map_or_else(|| target_dir().join("dist"), Path::to_path_buf);
    let record = work_dir(&out_dir).join("build-spec.json");
    let text = std::fs::read_to_string(&record)
        .with_context(|| format!("no record of a build into {}: run `cargo xtask dist` first", out_dir.display()))?;
    let record: BuildRecord =
        serde_json::from_str(&text).with_context(|| format!("{} is not a dist build record", record.display()))?;
    let output = Output {
        msi: record.out_dir.join(&record.msi_name),
        zip: record.out_dir.join(&record.zip_name),
        setup: record.out_dir.join(&record.setup_name),
    };
    if !output.msi.is_file() {
        bail!("{} (the last build) is gone: run `cargo xtask dist` again", output.msi.display());
    }
    Ok(output)
}

/// Runs the whole pipeline.
pub fn dist(sh: &Shell, options: &Options) -> Result<Output> {
    let root = project_root();
    let wix_dir = root.join("wix");
    let target = target_dir();
    let default_out = target.join("dist");
    let out_dir = options.out.clone().unwrap_or_else(|| default_out.clone());
    let work = work_dir(&out_dir);
    if options.variant == Variant::Test && out_dir == default_out {
        bail!("--variant test needs --out DIR: a test build (with wix/test/*.wxs) never goes to target/dist");
    }
    const TOTAL: usize = 11;

    let inputs = step(1, TOTAL, "check the inputs", || {
        let inputs = inputs::check(options, &wix_dir)?;
        note!(
            "      {} {} ({}, {} variant) -> {}",
            inputs.config.name,
            inputs.config.version,
            options.culture,
            options.variant.as_str(),
            out_dir.join(&inputs.names.msi).display()
        );
        if inputs.signing.is_enabled() {
            note!("      signing is on (the DLL before the MSI, then the MSI)");
        }
        Ok(inputs)
    })?;
    // Read before the long steps, so an unreadable --previous fails at once.
    let previous = match &options.previous {
        Some(path) => {
            let files = packaging::file_versions::read(path).context("--previous")?;
            let versioned = files.iter().filter(|f| f.version.is_some()).count();
            note!("      previous release {}: {} files, {versioned} versioned", path.display(), files.len());
            Some((path.clone(), files))
        }
        None => None,
    };
    let config = &inputs.config;
    let names = &inputs.names;

    step(2, TOTAL, "check the Windows cross toolchain", || toolchain::ensure_windows_toolchain(sh))?;
    let binaries =
        step(3, TOTAL, "cross-compile the custom actions, the setup program and the sample service", || {
            let binaries = toolchain::build_windows_binaries(sh, &target, config.service.build_sample)?;
            let mut built = vec![&binaries.custom_actions_dll, &binaries.migration_tool, &binaries.setup_stub];
            built.extend(&binaries.sample_service);
            toolchain::check_no_build_paths(&built.iter().map(|p| p.as_path()).collect::<Vec<_>>(), &target)?;
            Ok(binaries)
        })?;

    let staged = work.join("payload");
    let bin_dir = work.join("bin");
    step(4, TOTAL, "stage the payload and the Windows binaries", || {
        std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
        copy_tree(config.payload_dir(), &staged)?;
        if let Some(exe) = &binaries.sample_service {
            copy_file(exe, &staged.join(&config.service.exe))?;
        }
        if bin_dir.exists() {
            std::fs::remove_dir_all(&bin_dir)?;
        }
        copy_file(&binaries.custom_actions_dll, &bin_dir.join("custom_actions.dll"))?;
        copy_file(&binaries.migration_tool, &bin_dir.join("migrateEmbeddedConnector.exe"))?;
        crate::sign::sign_file(sh, &bin_dir.join("custom_actions.dll"), &inputs.signing)?;
        Ok(())
    })?;

    let harvest = step(5, TOTAL, "harvest the payload", || {
        let h = packaging::harvest::harvest(
            &staged,
            "PRODUCTDIR",
            &config.upgrade_code.0,
            &config.install.product_dir,
            &[],
        )?;
        note!("      {} files, {} folders, {} bytes", h.files.len(), h.directories.len(), h.total_size());
        Ok(h)
    })?;

    let sources = step(6, TOTAL, "render the WiX templates", || {
        let templates = render::templates(&wix_dir)?;
        let context = render::TemplateContext::new(config, &harvest, "PRODUCTDIR", options.variant.as_str());
        // Only this build's renderings stay in the folder.
        for old in files_in(&work, "wxs") {
            std::fs::remove_file(old)?;
        }
        let mut sources = render::render_all(&templates, &context, &work)?;
        sources.extend(files_in(&wix_dir.join("fragments"), "wxs"));
        sources.extend(files_in(&wix_dir.join("ui"), "wxs"));
        if options.variant == Variant::Test {
            sources.extend(files_in(&wix_dir.join("test"), "wxs"));
        }
        sources.extend(inputs.extra_wxs.iter().cloned());
        for s in &sources {
            detail!("      source {}", s.strip_prefix(&root).unwrap_or(s).display());
        }
        Ok(sources)
    })?;
    let localizations = &inputs.localizations;
    let epoch = inputs.epoch;
    let payload_bytes = harvest.total_size();

    let mut variables = BTreeMap::new();
    variables.insert("ProductVersion".to_string(), config.version.to_string());
    variables.insert("PayloadDir".to_string(), slash(&staged));
    variables.insert("ServiceExe".to_string(), slash(&staged.join(&config.service.exe)));
    variables.insert("CustomActionsDll".to_string(), slash(&bin_dir.join("custom_actions.dll")));
    variables.insert("MigrationTool".to_string(), slash(&bin_dir.join("migrateEmbeddedConnector.exe")));
    variables.insert("WixDir".to_string(), slash(&wix_dir));

    let build_dir = work.join("out");
    let msi = build_dir.join(&names.msi);
    let zip = build_dir.join(&names.zip);
    let final_msi = out_dir.join(&names.msi);
    let final_zip = out_dir.join(&names.zip);
    let setup_name = setup::file_name(&names.stem);
    let setup_exe = build_dir.join(&setup_name);
    let final_setup = out_dir.join(&setup_name);
    let result = (|| -> Result<Output> {
        let _ = std::fs::remove_dir_all(&build_dir);
        std::fs::create_dir_all(&build_dir)?;
        step(7, TOTAL, "build the MSI", || {
            let spec = packaging::wix::BuildSpec {
                sources: sources.clone(),
                localizations: localizations.clone(),
                variables: variables.clone(),
                output: msi.clone(),
                source_date_epoch: Some(epoch),
            };
            if options.backend == Backend::Wix {
                return wix_toolset::build(
                    sh,
                    &spec.sources,
                    &options.culture,
                    &spec.localizations,
                    &spec.variables,
                    &msi,
                );
            }
            let report = progress::with_progress(progress::Measure::Read, payload_bytes, || {
                // An --extra-wxs source nothing references would be left out silently by
                // light's rule (only referenced fragments are linked): an error naming it.
                let options =
                    packaging::wix::BuildOptions { required_sources: inputs.extra_wxs.clone(), ..Default::default() };
                packaging::wix::build_with(&spec, &options)
            })?;
            note!(
                "      {} files in {} cabinet(s), {} payload bytes -> {} bytes; package code {}",
                report.files,
                report.cabinets,
                report.payload_bytes,
                report.msi_bytes,
                report.package_code
            );
            Ok(())
        })?;
        step(8, TOTAL, "validate the MSI", || {
            validate_msi(&msi)?;
            match &previous {
                Some((path, files)) => no_version_goes_backwards(&msi, path, files),
                None => Ok(()),
            }
        })?;
        step(9, TOTAL, "sign the MSI", || crate::sign::sign_file(sh, &msi, &inputs.signing))?;
        step(10, TOTAL, "write and sign the setup program", || {
            setup::build(sh, &binaries.setup_stub, &msi, config, &inputs.signing, &setup_exe)
        })?;
        let bundle_files = step(11, TOTAL, "write the release bundle", || {
            let mut bundle_files = bundle_files(&root, &bin_dir.join("migrateEmbeddedConnector.exe"), config)?;
            let mut entries = vec![Entry::file(names.msi.clone(), msi.clone())];
            entries.extend(bundle_files.iter().map(|(name, path)| Entry::file(name.clone(), path.clone())));
            entries.push(Entry::file(setup_name.clone(), setup_exe.clone()));
            // What the zip will hold, about: its entries are already compressed (cabinets, PE files).
            let entry_bytes: u64 = entries
                .iter()
                .map(|e| match &e.source {
                    packaging::bundle::Source::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                    packaging::bundle::Source::Bytes(b) => b.len() as u64,
                })
                .sum();
            let report = progress::with_progress(progress::Measure::Written, entry_bytes, || {
                packaging::bundle::write_bundle(&entries, &zip, epoch)
            })?;
            note!("      {} entries, {} bytes", report.entries.len(), report.bytes);
            // Recorded where it ends up, for the rebuild of the zip by the reproducibility tests.
            bundle_files.insert(setup_name.clone(), final_setup.clone());
            Ok(bundle_files)
        })?;
        let record = BuildRecord {
            out_dir: out_dir.clone(),
            culture: options.culture.clone(),
            variant: options.variant.as_str().to_string(),
            sources: sources.clone(),
            localizations: localizations.clone(),
            variables: variables.clone(),
            source_date_epoch: epoch,
            msi_name: names.msi.clone(),
            zip_name: names.zip.clone(),
            setup_name: setup_name.clone(),
            payload_dir: staged.clone(),
            bundle_files,
        };
        let record_tmp = build_dir.join("build-spec.json");
        std::fs::write(&record_tmp, serde_json::to_string_pretty(&record)?)?;
        // The build appears in the output folder only now, complete, replacing only its own names.
        std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
        for built in [&msi, &setup_exe, &zip] {
            readable_by_all(built)?;
        }
        publish::publish(
            &[
                (msi.clone(), final_msi.clone()),
                (setup_exe.clone(), final_setup.clone()),
                (zip.clone(), final_zip.clone()),
            ],
            &build_dir,
        )?;
        std::fs::rename(&record_tmp, work.join("build-spec.json"))?;
        Ok(Output { msi: final_msi.clone(), zip: final_zip.clone(), setup: final_setup.clone() })
    })();
    let _ = std::fs::remove_dir_all(&build_dir);
    result
}

/// Runs the ICE-style validation (`packaging::validate`): findings are printed; errors fail.
fn validate_msi(msi: &Path) -> Result<()> {
    let report = packaging::validate::validate_file(msi).with_context(|| format!("validating {}", msi.display()))?;
    for finding in &report.findings {
        eprintln!("      {finding}");
    }
    note!("      {} error(s), {} warning(s)", report.error_count(), report.warning_count());
    if report.has_errors() {
        bail!(
            "{} has {} validation error(s) (listed above; docs/validation.md explains each)",
            msi.display(),
            report.error_count()
        );
    }
    Ok(())
}

/// `--previous`: refuses the build when a versioned file of the previous release would not be
/// replaced by this build's file at the same path (packaging::file_versions explains why).
fn no_version_goes_backwards(
    msi: &Path,
    previous: &Path,
    previous_files: &[packaging::file_versions::InstalledFile],
) -> Result<()> {
    let current = packaging::file_versions::read(msi)?;
    let downgrades = packaging::file_versions::downgrades(previous_files, &current);
    if downgrades.is_empty() {
        note!("      no versioned file goes backwards against {}", previous.display());
        return Ok(());
    }
    let list: Vec<String> = downgrades.iter().map(|d| format!("  {d}")).collect();
    bail!(
        "{} versioned file(s) go backwards against the previous release {}:\n{}\n\
         The upgrade installs this build's files while the previous release is still on disk \
         (<MajorUpgrade Schedule=\"afterInstallExecute\"> in wix/main.wxs.tera), and Windows Installer \
         keeps the file with the higher version, and a versioned file over an unversioned one (MSI SDK \
         \"File Versioning Rules\"): nodes would keep the previous release's file, or lose it when the \
         previous release's removal deletes it. Raise the file's version (its PE version resource) to at \
         least the previous one; nothing was written to the output folder.",
        downgrades.len(),
        previous.display(),
        list.join("\n")
    )
}

/// A path as text with `/` separators (what the WiX sources and the backend expect).
fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Release files are world-readable (the backend's temporary file starts private, 0600).
fn readable_by_all(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The bundle's files besides the MSI: the silent-install guide, the migration tool, and the
/// prerequisites' packages that are present (missing ones are reported: the admin supplies them).
fn bundle_files(root: &Path, migration_tool: &Path, config: &ProductConfig) -> Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    let guide = root.join("docs/silent-install.md");
    if !guide.is_file() {
        bail!("{} is missing: the bundle ships it", guide.display());
    }
    files.insert("silent-install.md".to_string(), guide);
    files.insert(format!("{}/migrateEmbeddedConnector.exe", config.install.support_dir), migration_tool.to_path_buf());
    for p in packaging::prerequisites::package_sources(&config.prerequisite, &config.prerequisite_packages) {
        if p.present {
            files.insert(p.bundle_path.clone(), p.source.clone());
        } else {
            eprintln!(
                "      note: prerequisite package {} ({}) is not in {}: the admin supplies it beside the MSI{}",
                p.file,
                p.prerequisite,
                config.prerequisite_packages.display(),
                p.url.as_deref().map(|u| format!(" (download: {u})")).unwrap_or_default()
            );
        }
    }
    Ok(files)
}
