//! Shared helpers for the integration tests: where the built artefacts are, and loud skipping.
//!
//! The integration tests open what `cargo xtask dist` built. `cargo xtask test` runs `dist` first
//! and passes the dist folder in `IDM_DIST_DIR`; a plain `cargo test` looks in `<target>/dist`.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The environment variable naming the dist folder (set by `cargo xtask test`).
pub const DIST_DIR_ENV: &str = "IDM_DIST_DIR";

/// The workspace root (the parent of `tests/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set (relative paths are taken from the
/// workspace root, as Cargo does), else `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                project_root().join(dir)
            }
        }
        _ => project_root().join("target"),
    }
}

/// The folder holding the release artefacts: `$IDM_DIST_DIR`, else `<target>/dist`.
pub fn dist_dir() -> PathBuf {
    match std::env::var_os(DIST_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => target_dir().join("dist"),
    }
}

/// The folder where `cargo xtask dist` keeps the rendered `.wxs` sources (`<target>/wix`).
pub fn wix_out_dir() -> PathBuf {
    target_dir().join("wix")
}

/// The staged payload the release MSI was built from (the sample payload plus the
/// cross-compiled service executable): `<target>/wix/payload`.
pub fn staged_payload_dir() -> PathBuf {
    wix_out_dir().join("payload")
}

/// Whether we run under CI (the `CI` environment variable is set and non-empty).
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports a test that cannot run here: prints a loud `SKIPPED: <reason>` and returns, so the
/// caller can `return`; under CI (`CI` set) it panics instead, since CI installs everything.
pub fn skip_or_fail(reason: &str) {
    if under_ci() {
        panic!("test cannot run under CI: {reason}");
    }
    eprintln!("\n========== SKIPPED: {reason} ==========\n");
}

/// Whether a program is on `PATH` (e.g. `msiinfo`, `wixl`, `wine`).
pub fn have_tool(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}

/// Files with the given extension directly in `dir`, sorted.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case(extension)))
        .collect();
    found.sort();
    found
}

/// The release MSI in [`dist_dir`], if exactly one is there.
pub fn try_release_msi() -> Option<PathBuf> {
    let mut msis = files_with_extension(&dist_dir(), "msi");
    if msis.len() == 1 {
        msis.pop()
    } else {
        None
    }
}

/// The release MSI (the one `.msi` in [`dist_dir`]).
///
/// # Panics
/// When there is none (or several): run `cargo xtask dist` first.
pub fn release_msi() -> PathBuf {
    let dir = dist_dir();
    let msis = files_with_extension(&dir, "msi");
    match msis.len() {
        1 => msis.into_iter().next().expect("one element"),
        0 => panic!(
            "no .msi in {}: run `cargo xtask dist` first (or `cargo xtask test`, which does)",
            dir.display()
        ),
        n => panic!("{n} .msi files in {}, expected exactly one: {msis:?}", dir.display()),
    }
}

/// The release bundle (the one `.zip` in [`dist_dir`]).
///
/// # Panics
/// When there is none (or several): run `cargo xtask dist` first.
pub fn release_zip() -> PathBuf {
    let dir = dist_dir();
    let zips = files_with_extension(&dir, "zip");
    match zips.len() {
        1 => zips.into_iter().next().expect("one element"),
        0 => panic!("no .zip in {}: run `cargo xtask dist` first", dir.display()),
        n => panic!("{n} .zip files in {}, expected exactly one: {zips:?}", dir.display()),
    }
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

/// Reads every row of a table as strings (`Value::Null` as empty, integers in decimal), in the
/// order of the table's columns; an absent table gives no rows.
pub fn table_rows(package: &mut msi::Package<File>, table: &str) -> Vec<Vec<String>> {
    if !package.has_table(table) {
        return Vec::new();
    }
    let rows = package
        .select_rows(msi::Select::table(table))
        .unwrap_or_else(|e| panic!("cannot read table {table}: {e}"));
    rows.map(|row| {
        (0..row.len())
            .map(|i| match &row[i] {
                msi::Value::Null => String::new(),
                msi::Value::Int(n) => n.to_string(),
                msi::Value::Str(s) => s.clone(),
            })
            .collect()
    })
    .collect()
}

/// Reads every row of a table as a map from column name to value (as in [`table_rows`]).
pub fn table_maps(
    package: &mut msi::Package<File>,
    table: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let Some(columns) = package
        .get_table(table)
        .map(|t| t.columns().iter().map(|c| c.name().to_string()).collect::<Vec<_>>())
    else {
        return Vec::new();
    };
    table_rows(package, table)
        .into_iter()
        .map(|row| columns.iter().cloned().zip(row).collect())
        .collect()
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

    #[test]
    fn files_with_extension_filters_and_sorts() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["b.msi", "a.MSI", "c.zip"] {
            std::fs::write(tmp.path().join(name), b"x").unwrap();
        }
        let found = files_with_extension(tmp.path(), "msi");
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["a.MSI", "b.msi"]);
    }
}
