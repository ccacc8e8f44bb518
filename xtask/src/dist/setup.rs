//! The `dist` step that writes the setup program: the cross-compiled stub (`setup.exe` of the
//! `idm-setup` crate) with the signed MSI and the prerequisite packages present at build time
//! appended (`packaging::bundle::setup`), then signed itself, so its signature covers the payload.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use packaging::product::ProductConfig;
use xshell::Shell;

use crate::sign::SignConfig;

/// The setup program's file name for an artefact stem: `<stem>-setup.exe`.
pub fn file_name(stem: &str) -> String {
    format!("{stem}-setup.exe")
}

/// Writes `<build_dir>/<stem>-setup.exe` from `stub` and the (already signed) `msi`, then signs it.
pub fn build(
    sh: &Shell,
    stub: &Path,
    msi: &Path,
    config: &ProductConfig,
    signing: &SignConfig,
    output: &Path,
) -> Result<PathBuf> {
    let packages: Vec<(String, PathBuf)> =
        packaging::prerequisites::package_sources(&config.prerequisite, &config.prerequisite_packages)
            .into_iter()
            .filter(|p| p.present)
            .map(|p| (p.file, p.source))
            .collect();
    let report = packaging::bundle::setup::write_setup(stub, msi, &packages, output)
        .with_context(|| format!("writing the setup program {}", output.display()))?;
    eprintln!(
        "      {} file(s) carried ({}), {} prerequisite rule(s), {} bytes",
        report.manifest.files.len(),
        report.manifest.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
        report.manifest.prerequisites.len(),
        report.bytes
    );
    crate::sign::sign_file(sh, output, signing)?;
    Ok(output.to_path_buf())
}
