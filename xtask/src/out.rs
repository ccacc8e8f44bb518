//! How much the commands print: `-q` (warnings, errors and results only), the default (every
//! step with its time), `-v` (details: every source, the compiler's full output).
//!
//! Set once from the command line; read through [`note!`] (the default level) and [`detail!`]
//! (`-v`). Errors and results are printed unconditionally.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::cli::Verbosity;

/// 0 = quiet, 1 = normal, 2 and more = verbose.
static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Sets the level from `-v` / `-q`.
pub fn set(verbosity: Verbosity) {
    let level = if verbosity.quiet { 0 } else { 1 + verbosity.verbose };
    LEVEL.store(level, Ordering::Relaxed);
}

/// True unless `-q` was given.
pub fn normal() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 1
}

/// True with `-v`.
pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// Progress on stderr, unless `-q`.
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::out::normal() {
            eprintln!($($arg)*);
        }
    };
}

/// Details on stderr, only with `-v`.
macro_rules! detail {
    ($($arg:tt)*) => {
        if $crate::out::verbose() {
            eprintln!($($arg)*);
        }
    };
}
