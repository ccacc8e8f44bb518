//! The parts the setup program (the bundle, `setup/`) shares with the rest of the workspace, in
//! one place so they are never copied:
//!
//! - [`detect`]: the `[[prerequisite]]` rules as rows of the `IdmPrerequisite` table, and their
//!   detection against a [`detect::System`]. The custom-action DLL (`custom-actions::prereq`)
//!   and the setup program both call it; [`win::WinSystem`] is the real Windows machine for both.
//! - [`payload`]: the format of the payload appended to `setup.exe` (the MSI and the
//!   prerequisite packages, each with its SHA-256), written by `packaging::bundle` on the build
//!   machine and read by the setup program on the admin's.
//! - `fixtures` (tests only, feature `fixtures`): the prerequisite rows and fake machine the
//!   tests of every crate above share.

pub mod detect;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod payload;
#[cfg(windows)]
pub mod win;
