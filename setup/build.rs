//! Embeds the application manifest (`res/setup.exe.manifest`: `requireAdministrator`) into the
//! Windows build of the setup program: mingw-w64's `windres` compiles `res/setup.rc` into a COFF
//! object that is linked into the executable. Hand-written rather than the `embed-resource`
//! crate because it is one command and the cross toolchain (mingw-w64) is already required.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=res/setup.rc");
    println!("cargo:rerun-if-changed=res/setup.exe.manifest");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !target.contains("windows") {
        return;
    }
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("setup-resources.o");
    let windres = std::env::var("WINDRES").unwrap_or_else(|_| {
        if target.contains("gnu") {
            "x86_64-w64-mingw32-windres".into()
        } else {
            "windres".into()
        }
    });
    let status = Command::new(&windres)
        .current_dir(manifest_dir.join("res"))
        .args(["--input", "setup.rc", "--output-format=coff", "--output"])
        .arg(&out)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run {windres} (mingw-w64's resource compiler, package binutils-mingw-w64-x86-64): {e}")
        });
    assert!(status.success(), "{windres} failed on setup/res/setup.rc");
    println!("cargo:rustc-link-arg-bins={}", out.display());
}
