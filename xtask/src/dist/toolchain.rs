//! The Windows cross-compilation toolchain: the rustup target and the mingw-w64 linker, checked
//! (and installed when that is safe) before `dist` cross-compiles the Windows binaries.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use xshell::{cmd, Shell};

/// The Rust target the Windows binaries are built for.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";
/// The linker `.cargo/config.toml` names for that target.
pub const MINGW_LINKER: &str = "x86_64-w64-mingw32-gcc";
/// The Debian/Ubuntu package that provides it.
pub const MINGW_PACKAGE: &str = "gcc-mingw-w64-x86-64";

/// Where a program is on `PATH`, if anywhere.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// Whether we run as root on a Debian-like system (so installing with apt-get is our call).
fn root_with_apt(sh: &Shell) -> bool {
    let root = cmd!(sh, "id -u").quiet().ignore_stderr().read().map(|s| s.trim() == "0").unwrap_or(false);
    root && Path::new("/usr/bin/apt-get").is_file()
}

/// Installs Debian packages with apt-get (only called when running as root), saying so first.
pub fn apt_install(sh: &Shell, packages: &[&str], why: &str) -> Result<()> {
    eprintln!("    installing {} with apt-get ({why}; running as root on Debian/Ubuntu)", packages.join(" "));
    let _env = sh.push_env("DEBIAN_FRONTEND", "noninteractive");
    cmd!(sh, "apt-get update -qq").run().context("apt-get update failed")?;
    cmd!(sh, "apt-get install -y -qq --no-install-recommends {packages...}")
        .run()
        .with_context(|| format!("apt-get install {} failed", packages.join(" ")))
}

/// Makes sure a host tool is there: if not, installs its package when running as root on
/// Debian, else fails with how to install it.
pub fn ensure_tool(sh: &Shell, program: &str, package: &str, why: &str) -> Result<()> {
    if find_on_path(program).is_some() {
        return Ok(());
    }
    if root_with_apt(sh) {
        apt_install(sh, &[package], why)?;
        if find_on_path(program).is_some() {
            return Ok(());
        }
    }
    bail!(
        "`{program}` is not installed; it is needed {why}.\n\
         Install it: `sudo apt-get install {package}` (Debian/Ubuntu){}",
        if program == MINGW_LINKER {
            ", `sudo dnf install mingw64-gcc` (Fedora), `brew install mingw-w64` (macOS)"
        } else {
            ""
        }
    )
}

/// Checks the rustup target (normally installed by rustup from `rust-toolchain.toml`) and the
/// mingw-w64 linker.
pub fn ensure_windows_toolchain(sh: &Shell) -> Result<()> {
    let sysroot = cmd!(sh, "rustc --print sysroot").quiet().read().context("cannot run rustc")?;
    let target_lib = Path::new(sysroot.trim()).join("lib/rustlib").join(WINDOWS_TARGET);
    if !target_lib.is_dir() {
        if find_on_path("rustup").is_none() {
            bail!("the Rust target {WINDOWS_TARGET} is not installed and rustup is not available: install it for your toolchain");
        }
        eprintln!("    adding the Rust target {WINDOWS_TARGET} with rustup");
        cmd!(sh, "rustup target add {WINDOWS_TARGET}").run().context("rustup target add failed")?;
    }
    ensure_tool(sh, MINGW_LINKER, MINGW_PACKAGE, "to link the Windows binaries (custom-action DLL, service)")
}

/// A `--config` value making the Windows binaries reproducible: no link-time stamp in the PE
/// header, and the checkout and Cargo's home remapped (panic messages embed source paths), so
/// the DLL, and so the MSI, do not depend on when or where they were built. Only the Windows target gets it: host builds keep
/// their fingerprints.
pub fn remap_config() -> String {
    // GNU ld stamps PE files with the link time unless told not to.
    let mut flags = vec!["-Clink-arg=-Wl,--no-insert-timestamp".to_string()];
    for (from, to) in build_path_prefixes() {
        flags.push(format!("--remap-path-prefix={}={to}", from.display()));
    }
    let quoted: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
    format!("target.{WINDOWS_TARGET}.rustflags=[{}]", quoted.join(", "))
}

/// The build machine's folders that end up in source paths (panic locations, `file!()`), and
/// what [`remap_config`] writes instead: the checkout (with the target folder in it) and Cargo's
/// home (the registry sources).
fn build_path_prefixes() -> Vec<(PathBuf, &'static str)> {
    let mut prefixes = vec![(crate::project_root(), "/idm")];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        prefixes.push((home, "/cargo"));
    }
    prefixes
}

/// Fails when a Windows binary holds one of the build machine's folders ([`build_path_prefixes`],
/// and the target folder when it lies outside the checkout), as UTF-8 or UTF-16LE text: the MSI
/// (which embeds the custom-action DLL and the tools) would then differ between two checkouts of
/// the same commit. A cheap stand-in for building twice in two folders.
pub fn check_no_build_paths(files: &[&Path], target_dir: &Path) -> Result<()> {
    let mut prefixes: Vec<PathBuf> = build_path_prefixes().into_iter().map(|(p, _)| p).collect();
    prefixes.push(target_dir.to_path_buf());
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        if let Some(found) = build_path_in(&bytes, &prefixes) {
            bail!(
                "{} contains the build path {} (a source path the --remap-path-prefix flags of the cross build did not \
                 cover): the binary, and so the MSI, would differ when built in another folder",
                file.display(),
                found.display()
            );
        }
    }
    Ok(())
}

/// The first of `prefixes` found in `bytes`, as UTF-8 or UTF-16LE.
fn build_path_in<'a>(bytes: &[u8], prefixes: &'a [PathBuf]) -> Option<&'a Path> {
    prefixes.iter().map(PathBuf::as_path).find(|p| {
        let text = p.to_string_lossy();
        // A path of one or two components (`/`, `/root`) says nothing about the build folder.
        if text.len() < 6 {
            return false;
        }
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        [text.as_bytes(), &utf16[..]].iter().any(|needle| memchr::memmem::find(bytes, needle).is_some())
    })
}

/// The Windows binaries `dist` needs, once built.
#[derive(Debug, Clone)]
pub struct WindowsBinaries {
    /// `custom_actions.dll`.
    pub custom_actions_dll: PathBuf,
    /// `migrateEmbeddedConnector.exe`.
    pub migration_tool: PathBuf,
    /// `setup.exe`: the setup program without its payload (`setup/`).
    pub setup_stub: PathBuf,
    /// `idm-sample-service.exe`, when it was built.
    pub sample_service: Option<PathBuf>,
}

/// Cross-compiles the custom actions (DLL and migration tool), the setup program and, when asked, the sample
/// service, in release mode into `<target>/x86_64-pc-windows-gnu/release/`.
pub fn build_windows_binaries(sh: &Shell, target_dir: &Path, with_sample_service: bool) -> Result<WindowsBinaries> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut packages = vec!["-p", "custom-actions", "-p", "idm-setup"];
    if with_sample_service {
        packages.extend(["-p", "idm-sample-service"]);
    }
    let _env = sh.push_env("CARGO_TARGET_DIR", target_dir);
    let remap = remap_config();
    // Cargo's own progress (a first build takes minutes): `--quiet` only with `-q`.
    let verbosity: &[&str] = if !crate::out::normal() {
        &["--quiet"]
    } else if crate::out::verbose() {
        &["--verbose"]
    } else {
        &[]
    };
    cmd!(sh, "{cargo} build {verbosity...} --release --target {WINDOWS_TARGET} --config {remap} {packages...}")
        .quiet()
        .run()
        .context("cross-compiling the Windows binaries failed (see the compiler output above)")?;
    let out = target_dir.join(WINDOWS_TARGET).join("release");
    let must = |name: &str| -> Result<PathBuf> {
        let p = out.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            bail!("cargo build succeeded but {} is missing", p.display())
        }
    };
    Ok(WindowsBinaries {
        custom_actions_dll: must("custom_actions.dll")?,
        migration_tool: must("migrateEmbeddedConnector.exe")?,
        setup_stub: must("setup.exe")?,
        sample_service: if with_sample_service { Some(must("idm-sample-service.exe")?) } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_path_is_found_as_utf8_and_utf16() {
        let prefixes = vec![PathBuf::from("/work/checkout-a"), PathBuf::from("/root")];
        let mut dll = vec![0u8; 4096];
        assert_eq!(build_path_in(&dll, &prefixes), None);
        // `/root` alone is too short to mean anything; `/root/...` in a binary is not flagged by it.
        dll[100..116].copy_from_slice(b"/root/.cargo/reg");
        assert_eq!(build_path_in(&dll, &prefixes), None);
        let mut with_path = dll.clone();
        with_path[1000..1030].copy_from_slice(b"/work/checkout-a/src/lib.rs\0\0\0");
        assert_eq!(build_path_in(&with_path, &prefixes), Some(Path::new("/work/checkout-a")));
        let wide: Vec<u8> = "/work/checkout-a\\x".encode_utf16().flat_map(u16::to_le_bytes).collect();
        dll[2000..2000 + wide.len()].copy_from_slice(&wide);
        assert_eq!(build_path_in(&dll, &prefixes), Some(Path::new("/work/checkout-a")));
    }

    #[test]
    fn the_release_binaries_hold_no_build_path() {
        // The cross build of the last `cargo xtask dist`, when there is one.
        let release = crate::target_dir().join(WINDOWS_TARGET).join("release");
        let files: Vec<PathBuf> = ["custom_actions.dll", "setup.exe", "migrateEmbeddedConnector.exe"]
            .iter()
            .map(|n| release.join(n))
            .filter(|p| p.is_file())
            .collect();
        if files.is_empty() {
            test_support::skip_or_fail(&format!("no cross build in {} (run cargo xtask dist)", release.display()));
            return;
        }
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        check_no_build_paths(&refs, &crate::target_dir()).unwrap();
    }
}
