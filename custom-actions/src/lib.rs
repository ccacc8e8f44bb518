//! Admin-machine side of the installer: custom-action logic written against a [`session::Session`]
//! trait (tested on Linux with a fake session), the `.enc` configuration-package format, and a thin
//! `cfg(windows)` FFI shell that exports the actions from the DLL.

pub mod account;
pub mod ceip;
pub mod connector;
pub mod enc;
pub mod password_file;
pub mod prereq;
pub mod session;

#[cfg(windows)]
mod ffi;
