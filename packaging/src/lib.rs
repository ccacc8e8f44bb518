//! Build-machine side of the installer toolchain: lowers WiX v3 sources to an MSI database with the
//! `msi` and `cab` crates, validates MSI databases (ICE-style checks), and writes the release bundle.
//!
//! The public surface is this list; every other module and item is private to the crate, so the
//! backend's internals (lowering, linking, the writer, the cabinet and codepage encoders) can be
//! reorganised without touching a caller.
//!
//! | module | what callers use |
//! | --- | --- |
//! | [`wix`] | [`wix::build`], [`wix::BuildSpec`], [`wix::BuildReport`], [`wix::Error`], [`wix::localization_culture`], [`wix::check_localizations`], [`wix::DEFAULT_EPOCH`] |
//! | [`validate`] | [`validate::validate_file`], [`validate::validate`], [`validate::Report`], [`validate::Finding`], [`validate::Severity`], [`validate::Db`], ... |
//! | [`product`] | [`product::ProductConfig`] (`wix/product.toml`), [`product::Guid`], [`product::InstallLayout`] |
//! | [`harvest`] | [`harvest::harvest`] and its result types (a folder -> WiX components) |
//! | [`bundle`] | [`bundle::write_bundle`], [`bundle::Entry`], [`bundle::sha256_hex`] (the release zip) |
//! | [`prerequisites`] | the prerequisite packages a release ships beside the MSI |
//! | [`tables`] | the standard MSI table definitions ([`tables::standard`]) shared with the validator's tests |

pub mod bundle;
pub mod file_versions;
pub mod harvest;
pub mod prerequisites;
pub mod product;
pub mod tables;
pub mod validate;
pub mod wix;

mod cabinet;
mod codepage;
mod compound;
mod summary_info;
