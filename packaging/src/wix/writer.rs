//! Writes the linked tables, streams, cabinets and summary information with the `msi` crate.

use super::link::Linked;
use super::lower::ProductInfo;
use super::{BuildReport, Error};
use std::path::Path;

/// Writes the MSI.
pub fn write(_linked: Linked, _product: &ProductInfo, _output: &Path, _epoch: u64) -> Result<BuildReport, Error> {
    Err(Error::Link("the MSI writer is not implemented yet".into()))
}
