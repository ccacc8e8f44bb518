//! Shared helpers for the integration tests: where the built artefacts are, and what they need
//! to read them. The workspace-wide helpers (folders, loud skipping, MSI tables as strings) are
//! `test-support`'s, re-exported here.
//!
//! The integration tests open what `cargo xtask dist` built. `cargo xtask test` runs `dist` first
//! and passes the dist folder in `IDM_DIST_DIR`; a plain `cargo test` looks in `<target>/dist`.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The environment variable naming the dist folder (set by `cargo xtask test`).
pub const DIST_DIR_ENV: &str = "IDM_DIST_DIR";

pub use test_support::{have_tool, project_root, skip_or_fail, table_rows, target_dir, under_ci};

/// The folder holding the release artefacts: `$IDM_DIST_DIR`, else `<target>/dist`.
pub fn dist_dir() -> PathBuf {
    match std::env::var_os(DIST_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => target_dir().join("dist"),
    }
}

/// The folder where `cargo xtask dist` kept its working files (rendered `.wxs`, staged payload,
/// `build-spec.json`): `<target>/wix` for the default output folder, else `<dist>/wix`.
pub fn wix_out_dir() -> PathBuf {
    let dist = dist_dir();
    if dist == target_dir().join("dist") {
        target_dir().join("wix")
    } else {
        dist.join("wix")
    }
}

/// The staged payload the release MSI was built from (the sample payload plus the
/// cross-compiled service executable): `<wix_out_dir>/payload`.
pub fn staged_payload_dir() -> PathBuf {
    wix_out_dir().join("payload")
}

/// What `cargo xtask dist` recorded about its build (`<wix_out_dir>/build-spec.json`): enough
/// to rebuild the same MSI and zip with the `packaging` API.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct BuildRecord {
    /// The `.wxs` sources, rendered and static.
    pub sources: Vec<PathBuf>,
    /// The `.wxl` files.
    pub localizations: Vec<PathBuf>,
    /// The preprocessor variables (`ProductVersion`, `PayloadDir`, ...).
    pub variables: std::collections::BTreeMap<String, String>,
    /// The timestamp used for the MSI and the zip.
    pub source_date_epoch: u64,
    /// The MSI's file name.
    pub msi_name: String,
    /// The zip's file name.
    pub zip_name: String,
    /// The staged payload folder.
    pub payload_dir: PathBuf,
    /// The bundle's entries besides the MSI: name in the zip -> file.
    pub bundle_files: std::collections::BTreeMap<String, PathBuf>,
}

impl BuildRecord {
    /// The equivalent build spec, writing to `output`.
    pub fn spec(&self, output: &Path) -> packaging::wix::BuildSpec {
        packaging::wix::BuildSpec {
            sources: self.sources.clone(),
            localizations: self.localizations.clone(),
            variables: self.variables.clone(),
            output: output.to_path_buf(),
            source_date_epoch: Some(self.source_date_epoch),
        }
    }
}

/// Reads the record of the last `cargo xtask dist`.
///
/// # Panics
/// When it is missing or unreadable: run `cargo xtask dist` first.
pub fn build_record() -> BuildRecord {
    let path = wix_out_dir().join("build-spec.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `cargo xtask dist` first", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not a dist build record: {e}", path.display()))
}

/// The product config the default build uses (`wix/product.toml`).
pub fn product_config() -> packaging::product::ProductConfig {
    let path = project_root().join("wix/product.toml");
    packaging::product::ProductConfig::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every file under `dir`, as `/`-separated relative path -> bytes, sorted.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap_or_else(|e| panic!("cannot walk {}: {e}", dir.display())))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("under dir");
            let rel =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
            let bytes =
                std::fs::read(e.path()).unwrap_or_else(|err| panic!("cannot read {}: {err}", e.path().display()));
            (rel, bytes)
        })
        .collect()
}

/// The `xtask` binary a previous `cargo xtask ...` built (`<target>/debug/xtask`), if any.
/// Tests run it directly rather than through `cargo run`, which would wait on the build lock.
pub fn xtask_binary() -> Option<PathBuf> {
    let exe = target_dir().join("debug").join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    exe.is_file().then_some(exe)
}

/// Runs the built xtask's `dist <args>` from the project root: (success, stderr), or `None` (after
/// [`skip_or_fail`]) when the binary is not built.
pub fn run_dist<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Option<(bool, String)> {
    let Some(xtask) = xtask_binary() else {
        skip_or_fail("the xtask binary is not built: run `cargo xtask test` (or `cargo xtask dist` once)");
        return None;
    };
    let output = std::process::Command::new(xtask)
        .arg("dist")
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .current_dir(project_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run xtask dist: {e}"));
    Some((output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned()))
}

/// The last build's artefact of this name in [`dist_dir`], if it is there.
fn last_build_file(name: impl FnOnce(&BuildRecord) -> &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string(wix_out_dir().join("build-spec.json")).ok()?;
    let record: BuildRecord = serde_json::from_str(&text).ok()?;
    let path = dist_dir().join(name(&record));
    path.is_file().then_some(path)
}

/// The MSI of the last `cargo xtask dist` into [`dist_dir`] (named in its `build-spec.json`; the
/// folder may also hold other versions' builds), if it is there.
pub fn try_release_msi() -> Option<PathBuf> {
    last_build_file(|r| &r.msi_name)
}

/// The MSI of the last `cargo xtask dist` into [`dist_dir`].
///
/// # Panics
/// When there is none: run `cargo xtask dist` first.
pub fn release_msi() -> PathBuf {
    try_release_msi().unwrap_or_else(|| {
        panic!(
            "no MSI of a last build in {} (see {}): run `cargo xtask dist` first (or `cargo xtask test`, which does)",
            dist_dir().display(),
            wix_out_dir().join("build-spec.json").display()
        )
    })
}

/// The release bundle of the last `cargo xtask dist` into [`dist_dir`].
///
/// # Panics
/// When there is none: run `cargo xtask dist` first.
pub fn release_zip() -> PathBuf {
    last_build_file(|r| &r.zip_name)
        .unwrap_or_else(|| panic!("no zip of a last build in {}: run `cargo xtask dist` first", dist_dir().display()))
}

/// Opens the release MSI with the `msi` crate.
///
/// # Panics
/// When the MSI is missing or cannot be opened.
pub fn open_msi() -> msi::Package<File> {
    open_msi_at(&release_msi())
}

/// Opens any MSI with the `msi` crate.
///
/// # Panics
/// When the file cannot be opened as an MSI database.
pub fn open_msi_at(path: &Path) -> msi::Package<File> {
    msi::open(path).unwrap_or_else(|e| panic!("cannot open {} as an MSI: {e}", path.display()))
}

/// Reads every row of a table as a map from column name to value (as in [`table_rows`]).
pub fn table_maps(package: &mut msi::Package<File>, table: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let Some(columns) =
        package.get_table(table).map(|t| t.columns().iter().map(|c| c.name().to_string()).collect::<Vec<_>>())
    else {
        return Vec::new();
    };
    table_rows(package, table).into_iter().map(|row| columns.iter().cloned().zip(row).collect()).collect()
}

/// The SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_dir_is_under_target_by_default_or_env() {
        let dir = dist_dir();
        match std::env::var_os(DIST_DIR_ENV) {
            Some(env) if !env.is_empty() => assert_eq!(dir, PathBuf::from(env)),
            _ => assert!(dir.ends_with("dist") && dir.starts_with(target_dir())),
        }
    }
}
