//! `--backend wix`: the same rendered sources built by the real WiX v3 toolset (`candle` +
//! `light`) instead of the project's Rust backend, for release engineers on Windows who want
//! Microsoft's ICE validation from `light` too. Linux has no WiX v3 (it needs .NET on Windows),
//! so here only the command lines are tested and a missing toolset is a clear error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use xshell::{cmd, Shell};

use super::toolchain::find_on_path;

/// The two programs, found on PATH or in `%WIX%bin` (where the WiX v3 installer puts them).
fn tool(name: &str) -> Result<PathBuf> {
    for candidate in [format!("{name}.exe"), name.to_string()] {
        if let Some(found) = find_on_path(&candidate) {
            return Ok(found);
        }
        if let Some(wix) = std::env::var_os("WIX") {
            let p = PathBuf::from(wix).join("bin").join(&candidate);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    bail!(
        "--backend wix needs WiX Toolset v3 `{name}` on PATH or in %WIX%\\bin (install WiX v3.14 on \
         Windows); without it use the default backend (`--backend rust`), which needs no WiX"
    )
}

/// Fails, saying how to get them, unless `candle` and `light` are both there.
pub fn check_installed() -> Result<()> {
    tool("candle")?;
    tool("light")?;
    Ok(())
}

/// `candle` arguments: x64, every preprocessor variable as `-dName=value`, objects into `obj_dir`.
pub fn candle_args(sources: &[PathBuf], variables: &BTreeMap<String, String>, obj_dir: &Path) -> Vec<String> {
    let mut args =
        vec!["-nologo".to_string(), "-arch".into(), "x64".into(), "-out".into(), format!("{}/", obj_dir.display())];
    args.extend(variables.iter().map(|(k, v)| format!("-d{k}={v}")));
    args.extend(sources.iter().map(|s| s.display().to_string()));
    args
}

/// `light` arguments: the culture's strings, bind paths (the folders of the sources, so relative
/// `SourceFile`s resolve as in the Rust backend), the objects, the MSI.
pub fn light_args(
    sources: &[PathBuf],
    culture: &str,
    localizations: &[PathBuf],
    obj_dir: &Path,
    msi: &Path,
) -> Vec<String> {
    let mut args = vec!["-nologo".to_string(), format!("-cultures:{culture}")];
    for l in localizations {
        args.push("-loc".into());
        args.push(l.display().to_string());
    }
    let mut bind: Vec<&Path> = sources.iter().filter_map(|s| s.parent()).collect();
    bind.sort();
    bind.dedup();
    for b in bind {
        args.push("-b".into());
        args.push(b.display().to_string());
    }
    args.push("-out".into());
    args.push(msi.display().to_string());
    args.extend(sources.iter().map(|s| {
        let stem = s.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        obj_dir.join(format!("{stem}.wixobj")).display().to_string()
    }));
    args
}

/// Builds `msi` with candle and light.
pub fn build(
    sh: &Shell,
    sources: &[PathBuf],
    culture: &str,
    localizations: &[PathBuf],
    variables: &BTreeMap<String, String>,
    msi: &Path,
) -> Result<()> {
    let (candle, light) = (tool("candle")?, tool("light")?);
    let obj_dir = msi.parent().context("the MSI has a folder")?.join("wixobj");
    std::fs::create_dir_all(&obj_dir)?;
    let args = candle_args(sources, variables, &obj_dir);
    cmd!(sh, "{candle} {args...}").run().context("candle failed")?;
    let args = light_args(sources, culture, localizations, &obj_dir, msi);
    cmd!(sh, "{light} {args...}").run().context("light failed")?;
    std::fs::remove_dir_all(&obj_dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_carry_every_variable_source_and_string_file() {
        let sources = vec![PathBuf::from("/t/wix/main.wxs"), PathBuf::from("/r/wix/ui/idm-ui.wxs")];
        let vars = BTreeMap::from([("ProductVersion".to_string(), "3.3.2".to_string())]);
        let c = candle_args(&sources, &vars, Path::new("/o"));
        assert_eq!(c[..5], ["-nologo", "-arch", "x64", "-out", "/o/"]);
        assert!(c.contains(&"-dProductVersion=3.3.2".to_string()));
        assert!(c.ends_with(&["/t/wix/main.wxs".to_string(), "/r/wix/ui/idm-ui.wxs".to_string()]));
        let l = light_args(
            &sources,
            "de-de",
            &[PathBuf::from("/r/wix/strings/de-de.wxl")],
            Path::new("/o"),
            Path::new("/d/x.msi"),
        );
        let text = l.join(" ");
        assert!(text.contains("-cultures:de-de -loc /r/wix/strings/de-de.wxl"), "{text}");
        assert!(text.contains("-b /r/wix/ui") && text.contains("-b /t/wix"), "{text}");
        assert!(text.ends_with("-out /d/x.msi /o/main.wixobj /o/idm-ui.wixobj"), "{text}");
    }

    #[test]
    fn a_missing_toolset_is_a_clear_error() {
        if find_on_path("candle.exe").is_some() || find_on_path("candle").is_some() || std::env::var_os("WIX").is_some()
        {
            test_support::skip_or_fail("WiX v3 is installed here; the missing-toolset message cannot be provoked");
            return;
        }
        let e = tool("candle").unwrap_err().to_string();
        assert!(e.contains("--backend wix needs WiX Toolset v3 `candle`") && e.contains("--backend rust"), "{e}");
    }
}
