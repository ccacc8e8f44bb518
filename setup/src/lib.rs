//! The setup program (the bundle): elevates once (manifest `requireAdministrator`), installs
//! the missing prerequisites it carries, then runs the MSI it carries. See docs/setup.md.
//!
//! The logic ([`cli`], [`log`], [`flow`]) is plain Rust tested on any host; `win` binds it to
//! Windows (secure folder, processes, `MsiInstallProductW`, the window).

pub mod cli;
pub mod flow;
pub mod log;
#[cfg(windows)]
pub mod win;
