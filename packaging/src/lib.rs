//! Build-machine side of the installer toolchain: lowers WiX v3 sources to an MSI database with the
//! `msi` and `cab` crates, validates MSI databases (ICE-style checks), and writes the release bundle.

pub mod bundle;
pub mod cabinet;
pub mod harvest;
pub mod prerequisites;
pub mod product;
pub mod tables;
pub mod validate;
pub mod wix;
