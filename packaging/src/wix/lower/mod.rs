//! Lowering of the WiX v3 elements to rows: one file per element family, one function per
//! element, each taking the lowering context ([`Ctx`]) and the element. This file dispatches the
//! children of `<Product>` and `<Fragment>` to the families; the families call each other only
//! downwards (a component lowers its files, registry values and services; a `<UI>` its
//! properties and sequences), never back into this file.
//!
//! Bit values come from the MSI SDK table pages named in each family's module documentation.

mod common;
mod control;
#[cfg(test)]
mod coverage;
mod custom_action;
mod directory;
mod dispatch;
mod environment;
mod feature;
mod file;
#[cfg(test)]
mod harness;
mod ini_file;
mod product;
mod property;
mod registry;
mod service;
mod shortcut;
mod table;
mod ui;
mod util;

pub use dispatch::{fragment, product};
pub use property::wix_variable;
