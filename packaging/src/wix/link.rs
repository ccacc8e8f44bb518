//! Linking: check references, expand feature membership, sequence files into cabinets, add
//! the generated properties and the sequence tables.

use super::context::Model;
use super::lower::ProductInfo;
use super::Error;

/// The linked model, ready to write.
#[derive(Debug)]
pub struct Linked {
    /// All tables.
    pub model: Model,
}

/// Links the lowered model.
pub fn link(model: Model, _product: &ProductInfo) -> Result<Linked, Error> {
    Ok(Linked { model })
}
