//! Admin-machine side of the installer: custom-action logic written against the session traits of
//! [`session`] (one per execution context; tested on Linux with the [`fakes`]), the `.enc`
//! configuration-package format, and a thin `cfg(windows)` FFI shell that exports the actions
//! from the DLL.

pub mod account;
pub mod ceip;
pub mod connector;
pub mod enc;
pub mod fakes;
pub mod machine;
pub mod password_file;
pub mod prereq;
pub mod properties;
pub mod session;

#[cfg(windows)]
mod ffi;
