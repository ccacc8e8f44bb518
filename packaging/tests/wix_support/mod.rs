//! Building a WiX source in a test: the one place that writes a source into a folder, builds it
//! with a fixed `SOURCE_DATE_EPOCH` (so two builds of one source are byte-identical) and reads
//! tables of the MSI back as text. Each test file keeps its own product source: what it authors
//! is what the test is about.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use packaging::wix::{build, BuildReport, BuildSpec};

/// The spec that builds `dir/<name>.wxs` (written from `source`) into `dir/out/<name>.msi`.
pub fn spec_for(dir: &Path, name: &str, source: &str) -> BuildSpec {
    let wxs = dir.join(format!("{name}.wxs"));
    std::fs::write(&wxs, source).unwrap();
    BuildSpec {
        sources: vec![wxs],
        localizations: vec![],
        variables: BTreeMap::new(),
        output: dir.join("out").join(format!("{name}.msi")),
        source_date_epoch: Some(1_700_000_000),
    }
}

/// Builds `source` in `dir` (see `spec_for`): the MSI's path and the build's report, or the
/// build's error as text.
pub fn build_source(dir: &Path, name: &str, source: &str) -> Result<(PathBuf, BuildReport), String> {
    let spec = spec_for(dir, name, source);
    let report = build(&spec).map_err(|e| e.to_string())?;
    Ok((spec.output, report))
}

/// The rows of each of `tables` in the MSI at `msi`, as text (`test_support::table_rows`).
pub fn read_tables(msi: &Path, tables: &[&str]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut pkg = msi::open(msi).unwrap();
    tables.iter().map(|t| (t.to_string(), test_support::table_rows(&mut pkg, t))).collect()
}

/// Builds `source` in a fresh temporary folder and reads `tables` back, or the build's error.
pub fn build_tables(source: &str, tables: &[&str]) -> Result<BTreeMap<String, Vec<Vec<String>>>, String> {
    let dir = tempfile::tempdir().unwrap();
    let (msi, _) = build_source(dir.path(), "test", source)?;
    Ok(read_tables(&msi, tables))
}
