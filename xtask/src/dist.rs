//! `cargo xtask dist`: product config + payload -> rendered WiX sources -> MSI -> release bundle.
//!
//! Steps (each printed with its time): read the config, check the cross toolchain, cross-compile
//! the Windows binaries, stage the payload, harvest it, render every `wix/*.wxs.tera`, build the
//! MSI with `packaging::wix`, validate it, sign it (when configured), write the zip bundle, and
//! only then move the MSI and the zip into the output folder. A failure at any step leaves no
//! MSI or zip of this build in the output folder and exits non-zero.

mod render;
pub mod toolchain;
mod wix_toolset;

pub use render::xml_escape;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use packaging::bundle::Entry;
use packaging::product::ProductConfig;
use serde::Serialize;
use xshell::Shell;

use crate::{project_root, target_dir};

pub use crate::cli::{Backend, DistArgs as Options, Variant};

/// What `dist` produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// The MSI in the output folder.
    pub msi: PathBuf,
    /// The zip in the output folder.
    pub zip: PathBuf,
}

/// Everything needed to rebuild the same MSI and zip with the `packaging` API, written to
/// `<work>/build-spec.json` (the reproducibility tests rebuild from it).
#[derive(Debug, Serialize)]
struct BuildRecord {
    sources: Vec<PathBuf>,
    localizations: Vec<PathBuf>,
    variables: BTreeMap<String, String>,
    source_date_epoch: u64,
    msi_name: String,
    zip_name: String,
    payload_dir: PathBuf,
    /// Bundle entries other than the MSI (name in the zip -> file).
    bundle_files: BTreeMap<String, PathBuf>,
}

/// Runs `cargo xtask dist`: the pipeline, then a summary of what it wrote.
pub fn run(sh: &Shell, options: &Options) -> Result<Output> {
    let started = Instant::now();
    let output = dist(sh, options)?;
    note!("dist: done in {:.1}s", started.elapsed().as_secs_f64());
    for file in [&output.msi, &output.zip] {
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

/// `SOURCE_DATE_EPOCH` when set and valid, else the backend's default.
pub fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))
        }
        _ => Ok(packaging::wix::DEFAULT_EPOCH),
    }
}

/// `.wxs`/`.wxl` files directly in `dir` with this extension, sorted (none when absent).
fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
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

/// Runs the whole pipeline.
pub fn dist(sh: &Shell, options: &Options) -> Result<Output> {
    let root = project_root();
    let wix_dir = root.join("wix");
    let target = target_dir();
    let default_out = target.join("dist");
    let out_dir = options.out.clone().unwrap_or_else(|| default_out.clone());
    // With the default output, the working files are target/wix (docs/architecture.md); with
    // another output folder they go beside it, so two builds never share a staging area.
    let work = if out_dir == default_out { target.join("wix") } else { out_dir.join("wix") };
    if options.variant == Variant::Test && out_dir == default_out {
        bail!("--variant test needs --out DIR: a test build (with wix/test/*.wxs) never goes to target/dist");
    }
    const TOTAL: usize = 10;

    let config = step(1, TOTAL, "read the product config", || {
        let mut config = ProductConfig::load(&options.config_file())?;
        if let Some(v) = &options.product_version {
            config.set_version(v)?;
        }
        if let Some(p) = &options.payload {
            config.payload.dir = p.clone();
        }
        if !config.payload_dir().is_dir() {
            bail!(
                "payload folder {} does not exist (payload.dir in {}, or --payload)",
                config.payload_dir().display(),
                options.config_file().display()
            );
        }
        note!("      {} {} ({} variant)", config.name, config.version, options.variant.as_str());
        Ok(config)
    })?;
    let signing =
        crate::sign::SignConfig::from_env_or(crate::sign::SignConfig { command: config.signing.command.clone() })?;
    if signing.is_enabled() {
        note!("      signing is on (the DLL before the MSI, then the MSI)");
    }
    let stem = config.artefact_stem();
    let msi_name = format!("{stem}.msi");
    let zip_name = format!("{stem}.zip");
    let final_msi = out_dir.join(&msi_name);
    let final_zip = out_dir.join(&zip_name);

    // Nothing of an earlier build with the same names may survive a failure of this one; the
    // default output folder holds exactly one release, so it is cleared.
    clear_outputs(&out_dir, out_dir == default_out, &[&final_msi, &final_zip])?;

    step(2, TOTAL, "check the Windows cross toolchain", || toolchain::ensure_windows_toolchain(sh))?;
    let binaries = step(3, TOTAL, "cross-compile the custom actions and the sample service", || {
        toolchain::build_windows_binaries(sh, &target, config.service.build_sample)
    })?;

    let staged = work.join("payload");
    let bin_dir = work.join("bin");
    step(4, TOTAL, "stage the payload and the Windows binaries", || {
        std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
        copy_tree(config.payload_dir(), &staged)?;
        if let Some(exe) = &binaries.sample_service {
            copy_file(exe, &staged.join(&config.service.exe))?;
        }
        if !staged.join(&config.service.exe).is_file() {
            bail!(
                "the service executable `{}` (service.exe) is not in the payload {}; set service.build_sample = true or add it",
                config.service.exe,
                config.payload_dir().display()
            );
        }
        if bin_dir.exists() {
            std::fs::remove_dir_all(&bin_dir)?;
        }
        copy_file(&binaries.custom_actions_dll, &bin_dir.join("custom_actions.dll"))?;
        copy_file(&binaries.migration_tool, &bin_dir.join("migrateEmbeddedConnector.exe"))?;
        crate::sign::sign_file(sh, &bin_dir.join("custom_actions.dll"), &signing)?;
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

    let (sources, localizations) = step(6, TOTAL, "render the WiX templates", || {
        let templates = render::templates(&wix_dir)?;
        let context = render::TemplateContext::new(&config, &harvest, "PRODUCTDIR", options.variant.as_str());
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
        for extra in &options.extra_wxs {
            if !extra.is_file() {
                bail!("--extra-wxs {}: no such file", extra.display());
            }
            sources.push(extra.clone());
        }
        // One build is one language, as `light -cultures:` picks: a translation is another
        // `.wxl` file in wix/strings/ with its own Culture.
        let mut localizations = Vec::new();
        for wxl in files_in(&wix_dir.join("strings"), "wxl") {
            if packaging::wix::localization_culture(&wxl)? == options.culture {
                localizations.push(wxl);
            }
        }
        if localizations.is_empty() {
            bail!("no wix/strings/*.wxl has Culture=\"{}\" (see --culture)", options.culture);
        }
        for s in &sources {
            detail!("      source {}", s.strip_prefix(&root).unwrap_or(s).display());
        }
        Ok((sources, localizations))
    })?;

    let epoch = source_date_epoch()?;
    let mut variables = BTreeMap::new();
    variables.insert("ProductVersion".to_string(), config.version.to_string());
    variables.insert("PayloadDir".to_string(), slash(&staged));
    variables.insert("ServiceExe".to_string(), slash(&staged.join(&config.service.exe)));
    variables.insert("CustomActionsDll".to_string(), slash(&bin_dir.join("custom_actions.dll")));
    variables.insert("MigrationTool".to_string(), slash(&bin_dir.join("migrateEmbeddedConnector.exe")));
    variables.insert("WixDir".to_string(), slash(&wix_dir));

    let build_dir = work.join("out");
    let msi = build_dir.join(&msi_name);
    let zip = build_dir.join(&zip_name);
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
                return wix_toolset::build(sh, &spec.sources, &spec.localizations, &spec.variables, &msi);
            }
            let report = packaging::wix::build(&spec)?;
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
        step(8, TOTAL, "validate the MSI", || validate_msi(&msi))?;
        step(9, TOTAL, "sign the MSI", || crate::sign::sign_file(sh, &msi, &signing))?;
        let bundle_files = step(10, TOTAL, "write the release bundle", || {
            let bundle_files = bundle_files(&root, &bin_dir.join("migrateEmbeddedConnector.exe"), &config)?;
            let mut entries = vec![Entry::file(msi_name.clone(), msi.clone())];
            entries.extend(bundle_files.iter().map(|(name, path)| Entry::file(name.clone(), path.clone())));
            let report = packaging::bundle::write_bundle(&entries, &zip, epoch)?;
            note!("      {} entries, {} bytes", report.entries.len(), report.bytes);
            Ok(bundle_files)
        })?;
        let record = BuildRecord {
            sources: sources.clone(),
            localizations: localizations.clone(),
            variables: variables.clone(),
            source_date_epoch: epoch,
            msi_name: msi_name.clone(),
            zip_name: zip_name.clone(),
            payload_dir: staged.clone(),
            bundle_files,
        };
        std::fs::write(work.join("build-spec.json"), serde_json::to_string_pretty(&record)?)?;
        // The release appears in the output folder only now, complete.
        std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
        for built in [&msi, &zip] {
            readable_by_all(built)?;
        }
        move_file(&msi, &final_msi)?;
        if let Err(e) = move_file(&zip, &final_zip) {
            let _ = std::fs::remove_file(&final_msi);
            return Err(e);
        }
        Ok(Output { msi: final_msi.clone(), zip: final_zip.clone() })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&final_msi);
        let _ = std::fs::remove_file(&final_zip);
        let _ = std::fs::remove_dir_all(&build_dir);
    }
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

/// Renames, falling back to copy + remove across file systems.
fn move_file(from: &Path, to: &Path) -> Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("cannot rename {} to {}", tmp.display(), to.display()))?;
    std::fs::remove_file(from).ok();
    Ok(())
}

/// Removes earlier outputs: every `.msi`/`.zip` of the default output folder, or just the files
/// this build will write in another folder.
fn clear_outputs(out_dir: &Path, whole_folder: bool, names: &[&Path]) -> Result<()> {
    if whole_folder {
        for p in files_in(out_dir, "msi").into_iter().chain(files_in(out_dir, "zip")) {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove the earlier {}", p.display()))?;
        }
    }
    for p in names {
        if p.exists() {
            std::fs::remove_file(p).with_context(|| format!("cannot remove the earlier {}", p.display()))?;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_outputs_in_default_folder_removes_all_releases() {
        let t = tempfile::tempdir().unwrap();
        for n in ["a.msi", "b.zip", "keep.txt"] {
            std::fs::write(t.path().join(n), "x").unwrap();
        }
        clear_outputs(t.path(), true, &[]).unwrap();
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["keep.txt"]);
    }
}
