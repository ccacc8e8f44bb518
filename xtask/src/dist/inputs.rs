//! Every input of a `dist` run, checked before anything is compiled or written: the product
//! config and its overrides, the payload folder, the extra sources, the culture's string files,
//! the backend's tools, `SOURCE_DATE_EPOCH` and the signing command. A mistake in any of them is
//! reported in seconds, not after a cross-compile of several minutes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use packaging::product::ProductConfig;

use super::wix_toolset;
use crate::cli::{Backend, DistArgs as Options, Variant};
use crate::sign::SignConfig;

/// The checked inputs.
#[derive(Debug)]
pub struct Inputs {
    /// The product config, with the command-line overrides applied.
    pub config: ProductConfig,
    /// `--extra-wxs`, each a readable, well-formed WiX source.
    pub extra_wxs: Vec<PathBuf>,
    /// The `wix/strings/*.wxl` files of the chosen culture.
    pub localizations: Vec<PathBuf>,
    /// The timestamp of everything written (`SOURCE_DATE_EPOCH` or the default).
    pub epoch: u64,
    /// How to sign (or not).
    pub signing: SignConfig,
    /// The names of this build's artefacts.
    pub names: ArtefactNames,
}

/// The file names of one build: the product, version, culture and variant all in the name, so
/// builds of different versions, languages or variants never replace each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtefactNames {
    /// `<slug>-<version>-x64-<culture>` plus `-test` for the test variant.
    pub stem: String,
    /// `<stem>.msi`.
    pub msi: String,
    /// `<stem>.zip`.
    pub zip: String,
}

impl ArtefactNames {
    /// The names for a config, culture and variant.
    pub fn new(config: &ProductConfig, culture: &str, variant: Variant) -> ArtefactNames {
        let mut stem = format!("{}-{culture}", config.artefact_stem());
        if variant == Variant::Test {
            stem.push_str("-test");
        }
        ArtefactNames { msi: format!("{stem}.msi"), zip: format!("{stem}.zip"), stem }
    }
}

/// Checks every input; nothing is built or written.
pub fn check(options: &Options, wix_dir: &Path) -> Result<Inputs> {
    let config_file = options.config_file();
    let mut config = ProductConfig::load(&config_file)?;
    if let Some(v) = &options.product_version {
        config.set_version(v)?;
    }
    if let Some(p) = &options.payload {
        config.payload.dir = p.clone();
    }
    if !config.payload_dir().is_dir() {
        bail!(
            "payload folder {} does not exist (payload.dir in {}, or --payload)",
            config.payload_dir().display(),
            config_file.display()
        );
    }
    if !config.service.build_sample && !config.payload_dir().join(&config.service.exe).is_file() {
        bail!(
            "the service executable `{}` (service.exe) is not in the payload {}; set service.build_sample = true or add it",
            config.service.exe,
            config.payload_dir().display()
        );
    }
    for extra in &options.extra_wxs {
        check_wix_source(extra).with_context(|| format!("--extra-wxs {}", extra.display()))?;
    }
    let localizations = culture_files(wix_dir, &options.culture)?;
    if options.backend == Backend::Wix {
        wix_toolset::check_installed()?;
    }
    let epoch = source_date_epoch()?;
    let signing = SignConfig::from_env_or(SignConfig { command: config.signing.command.clone() })?;
    let names = ArtefactNames::new(&config, &options.culture, options.variant);
    Ok(Inputs { config, extra_wxs: options.extra_wxs.clone(), localizations, epoch, signing, names })
}

/// A source the user asked for: readable, well-formed XML, a `<Wix>` document. (The backend
/// checks the rest when it builds; this catches a typo or a truncated file before the
/// cross-compile.)
fn check_wix_source(path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc = roxmltree::Document::parse(&text).map_err(|e| {
        let pos = e.pos();
        anyhow::anyhow!("{}:{}:{}: not well-formed XML: {e}", path.display(), pos.row, pos.col)
    })?;
    let root = doc.root_element().tag_name().name();
    if root != "Wix" {
        bail!("{}: the root element is <{root}>, not <Wix>", path.display());
    }
    Ok(())
}

/// The `.wxl` files of one culture in `wix/strings/` (one build is one language, as with
/// `light -cultures:`); an error naming the cultures there when none matches.
pub fn culture_files(wix_dir: &Path, culture: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut cultures = Vec::new();
    for wxl in files_in(&wix_dir.join("strings"), "wxl") {
        let c = packaging::wix::localization_culture(&wxl)?;
        if c == culture {
            found.push(wxl);
        } else if !cultures.contains(&c) {
            cultures.push(c);
        }
    }
    if found.is_empty() {
        bail!(
            "--culture {culture}: no wix/strings/*.wxl has Culture=\"{culture}\" (there: {}); a translation is a copy \
             of wix/strings/en-us.wxl with its own Culture",
            if cultures.is_empty() { "none".to_string() } else { cultures.join(", ") }
        );
    }
    packaging::wix::check_localizations(&found)?;
    Ok(found)
}

/// `.wxs`/`.wxl` files directly in `dir` with this extension, sorted (none when absent).
pub fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

/// The range of timestamps every artefact can hold: a zip's and a cabinet's DOS dates run from
/// 1980-01-01 to 2107-12-31 (the MSI's FILETIMEs hold more).
const EPOCH_RANGE: std::ops::RangeInclusive<u64> = 315_532_800..=4_354_819_198;

/// `SOURCE_DATE_EPOCH` when set (a number of seconds in [`EPOCH_RANGE`]), else the backend's
/// default.
pub fn source_date_epoch() -> Result<u64> {
    parse_epoch(std::env::var("SOURCE_DATE_EPOCH").ok())
}

/// [`source_date_epoch`] on a given value.
fn parse_epoch(value: Option<String>) -> Result<u64> {
    match value {
        Some(v) if !v.trim().is_empty() => {
            let seconds: u64 =
                v.trim().parse().with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))?;
            if !EPOCH_RANGE.contains(&seconds) {
                bail!(
                    "SOURCE_DATE_EPOCH={seconds} is outside 1980-01-01 .. 2107-12-31 ({} .. {}), the dates a zip and a \
                     cabinet can hold",
                    EPOCH_RANGE.start(),
                    EPOCH_RANGE.end()
                );
            }
            Ok(seconds)
        }
        _ => Ok(packaging::wix::DEFAULT_EPOCH),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ProductConfig {
        ProductConfig::load(&crate::project_root().join("wix/product.toml")).unwrap()
    }

    #[test]
    fn names_carry_version_culture_and_variant() {
        let c = config();
        let release = ArtefactNames::new(&c, "en-us", Variant::Release);
        assert_eq!(release.msi, format!("{}-{}-x64-en-us.msi", c.slug, c.version));
        assert_eq!(release.zip, format!("{}-{}-x64-en-us.zip", c.slug, c.version));
        let test = ArtefactNames::new(&c, "de-de", Variant::Test);
        assert_eq!(test.msi, format!("{}-{}-x64-de-de-test.msi", c.slug, c.version));
    }

    #[test]
    fn a_source_must_be_well_formed_wix() {
        let t = tempfile::tempdir().unwrap();
        let good = t.path().join("good.wxs");
        std::fs::write(&good, "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\"><Fragment/></Wix>").unwrap();
        check_wix_source(&good).unwrap();
        let bad = t.path().join("bad.wxs");
        std::fs::write(&bad, "<Wix>\n  <Fragment>\n</Wix>").unwrap();
        let e = check_wix_source(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.wxs:3:"), "{e}");
        let other = t.path().join("other.wxs");
        std::fs::write(&other, "<Include/>").unwrap();
        assert!(check_wix_source(&other).unwrap_err().to_string().contains("<Include>"));
        assert!(check_wix_source(&t.path().join("missing.wxs")).is_err());
    }

    #[test]
    fn an_unknown_culture_names_the_ones_there() {
        let wix = crate::project_root().join("wix");
        assert!(!culture_files(&wix, "en-us").unwrap().is_empty());
        let e = culture_files(&wix, "xx-yy").unwrap_err().to_string();
        assert!(e.contains("xx-yy") && e.contains("en-us"), "{e}");
    }

    #[test]
    fn the_epoch_is_checked() {
        assert_eq!(parse_epoch(None).unwrap(), packaging::wix::DEFAULT_EPOCH);
        assert_eq!(parse_epoch(Some(" ".into())).unwrap(), packaging::wix::DEFAULT_EPOCH);
        assert_eq!(parse_epoch(Some("1700000000".into())).unwrap(), 1_700_000_000);
        for bad in ["yesterday", "-1", "0", "315532799", "4354819199"] {
            let e = parse_epoch(Some(bad.into())).unwrap_err().to_string();
            assert!(e.contains("SOURCE_DATE_EPOCH"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_epoch_range_is_the_dos_dates() {
        // Independent of the constant: the civil dates of its ends.
        assert_eq!(*EPOCH_RANGE.start(), 10 * 365 * 86_400 + 2 * 86_400); // 1970 -> 1980, two leap days
        let days_1970_to_2108 = (2108 - 1970) * 365 + (1972..2108).step_by(4).count() as u64 - 1; // 2100 is not leap
        assert_eq!(*EPOCH_RANGE.end(), days_1970_to_2108 * 86_400 - 2); // DOS seconds are even
    }
}
