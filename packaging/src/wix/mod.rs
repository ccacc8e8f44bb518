//! WiX v3 source -> MSI: parse `.wxs`/`.wxl`, lower each element family to rows, write the package.
//!
//! The flow of [`build`]: load the `.wxl` strings and parse every `.wxs` with positions
//! (`frontend`), lower the `<Product>` and every `<Fragment>` to rows, each fragment on its own
//! (`lower/`, one file per element family), take the fragments the product reaches by references
//! as WiX's `light` does (`sections`), link (references, features, file sequences, media,
//! standard actions and `Before`/`After` placement: `link`, `sequence`), build the MSZIP cabinets, derive the package
//! code from a hash of all tables and streams, and write the database with the `msi` crate
//! (`writer`) to a temporary file beside the output that is renamed into place only when
//! complete.
//!
//! Layers (a module uses only those below it; no two files import each other):
//!
//! ```text
//! mod.rs (build)
//!   frontend   writer   sections
//!     lower/     link
//!       context    sequence
//!         model
//!           error
//! ```
//! `lower/` inside: `dispatch` (children of `<Product>`/`<Fragment>`) -> the families
//! (`product`, `directory`, `feature`, `property`, `custom_action`, `table`, `ui` -> `control`)
//! -> the families they contain (`file`, `registry`, `service`) -> `common`.

mod context;
mod error;
mod file_hash;
mod frontend;
mod link;
mod lower;
mod model;
mod preprocess;
mod sections;
mod sequence;
mod source_map;
mod wixui;
mod writer;

#[cfg(test)]
mod layers;

pub use context::BindPath;
pub use error::Error;
pub use frontend::{check_localizations, localization_culture, Arch, BuildOptions, BuildSpec, DEFAULT_EPOCH};

use frontend::{load_localizations, lower_sources};
pub use writer::BuildReport;

/// Builds the MSI described by `spec` (relative paths against each `.wxs` folder; a `<Package>`
/// without `Platform` is x86).
pub fn build(spec: &BuildSpec) -> Result<BuildReport, Error> {
    build_with(spec, &BuildOptions::default())
}

/// Builds the MSI described by `spec` with candle/light's command-line options.
pub fn build_with(spec: &BuildSpec, options: &BuildOptions) -> Result<BuildReport, Error> {
    let epoch = spec.source_date_epoch.unwrap_or_else(|| {
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(DEFAULT_EPOCH)
    });
    let localization = load_localizations(&spec.localizations)?;
    let lowered = lower_sources(spec, options, &localization)?;
    let model = sections::select(lowered.model, &lowered.product_source, lowered.fragments, &options.required_sources)?;
    let product = lowered.product;
    let mut linked = link::link(model, &product)?;
    file_hash::add_file_hashes(&mut linked.model)?;
    let mut report = writer::write(linked, &product, &spec.output, epoch)?;
    report.warnings = lowered.warnings;
    Ok(report)
}
