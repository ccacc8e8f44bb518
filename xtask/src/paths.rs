//! Where the workspace and Cargo's target folder are: the one definition, compiled into `xtask`
//! and (by `#[path]`) into the integration tests' support library, so the two can never disagree
//! (e.g. on an empty `CARGO_TARGET_DIR`).

use std::path::{Path, PathBuf};

/// The workspace root: the parent of the crate this file is compiled into (`xtask/`, `tests/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate is inside the workspace").to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set and not empty (a relative path is taken
/// from the workspace root, as Cargo does), else `<root>/target`.
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
