//! WiX sources in: what a build reads ([`BuildSpec`]), the `.wxl` localization strings, the
//! `.wxs` files parsed with positions, `<?define?>` collected per file, and every `<Product>`
//! and `<Fragment>` handed to the lowering ([`super::lower`]).

use super::context::{self, Ctx, WIX_NS};
use super::error::Error;
use super::lower;
use super::model::{Loc, Model, ProductInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to build: the WiX equivalent of `candle -dName=value *.wxs && light -loc *.wxl -out`.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// `.wxs` files; every `<Fragment>` in them is linked (and every `*Ref` must name something
    /// that exists).
    pub sources: Vec<PathBuf>,
    /// `.wxl` files (`WixLocalization`, all of one culture) providing `!(loc.Id)`.
    pub localizations: Vec<PathBuf>,
    /// Preprocessor variables `$(var.Name)`, like `candle -dName=value`.
    pub variables: BTreeMap<String, String>,
    /// The `.msi` to write; it is written to a temporary file beside it and renamed, so a
    /// failed build never leaves a partial MSI here.
    pub output: PathBuf,
    /// Timestamp for the summary information and cabinet file times; `None` reads
    /// `SOURCE_DATE_EPOCH`, else [`DEFAULT_EPOCH`].
    pub source_date_epoch: Option<u64>,
}

/// Timestamp used when neither the spec nor `SOURCE_DATE_EPOCH` gives one (2020-01-01 UTC).
pub const DEFAULT_EPOCH: u64 = 1_577_836_800;

/// One loaded source file.
struct Source {
    path: PathBuf,
    text: String,
}

/// The `Culture` of a `.wxl` file (lower case), so a caller can pick one language's files the
/// way `light -cultures:` does.
pub fn localization_culture(path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc = parse_xml(path, &text)?;
    let root = doc.root_element();
    let p = doc.text_pos_at(root.range().start);
    root.attribute("Culture").map(str::to_ascii_lowercase).ok_or_else(|| {
        Loc { file: path.to_path_buf(), line: p.row, column: p.col }.error("<WixLocalization> requires Culture")
    })
}

/// Loads the `.wxl` files into a map of string id -> text. They must all be of one culture
/// (a build is one language, as with `light -cultures:`).
pub fn load_localizations(paths: &[PathBuf]) -> Result<BTreeMap<String, String>, Error> {
    let mut strings = BTreeMap::new();
    let mut origin: BTreeMap<String, Loc> = BTreeMap::new();
    let mut culture: Option<(String, PathBuf)> = None;
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let doc = parse_xml(path, &text)?;
        let root = doc.root_element();
        let pos = |n: roxmltree::Node<'_, '_>| {
            let p = doc.text_pos_at(n.range().start);
            Loc { file: path.clone(), line: p.row, column: p.col }
        };
        if root.tag_name().name() != "WixLocalization" {
            return Err(pos(root).error(format!("expected <WixLocalization>, found <{}>", root.tag_name().name())));
        }
        for a in root.attributes() {
            match a.name() {
                "Culture" => match &culture {
                    Some((first, file)) if !first.eq_ignore_ascii_case(a.value()) => {
                        return Err(pos(root).error(format!(
                            "culture {:?} differs from {first:?} of {}: one build takes the strings of one culture",
                            a.value(),
                            file.display()
                        )))
                    }
                    Some(_) => {}
                    None => culture = Some((a.value().to_string(), path.clone())),
                },
                "Codepage" | "Language" => {}
                other => {
                    return Err(pos(root).error(format!(
                    "attribute {other} of <WixLocalization> is not supported (supported: Culture, Codepage, Language)"
                )))
                }
            }
        }
        for n in root.children() {
            if n.is_text() && n.text().unwrap_or("").trim().is_empty() || n.is_comment() {
                continue;
            }
            if !n.has_tag_name("String") {
                return Err(pos(n).error("only <String> is supported in <WixLocalization>"));
            }
            let mut id = None;
            for a in n.attributes() {
                match a.name() {
                    "Id" => id = Some(a.value().to_string()),
                    "Overridable" | "Localizable" => {}
                    other => {
                        return Err(pos(n).error(format!(
                            "attribute {other} of <String> is not supported (supported: Id, Overridable, Localizable)"
                        )))
                    }
                }
            }
            let id = id.ok_or_else(|| pos(n).error("<String> requires Id"))?;
            let value: String = n.children().filter_map(|c| c.text()).collect();
            if let Some(first) = origin.get(&id) {
                return Err(pos(n).error(format!("string {id} is defined twice (first at {first})")));
            }
            origin.insert(id.clone(), pos(n));
            strings.insert(id, value);
        }
    }
    Ok(strings)
}

fn parse_xml<'t>(path: &Path, text: &'t str) -> Result<roxmltree::Document<'t>, Error> {
    roxmltree::Document::parse(text).map_err(|e| {
        let p = e.pos();
        Error::Wix { file: path.to_path_buf(), line: p.row, column: p.col, message: format!("malformed XML: {e}") }
    })
}

/// Collects `<?define Name = "value"?>` instructions of a document.
fn defines(
    path: &Path,
    doc: &roxmltree::Document<'_>,
    base: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut vars = base.clone();
    for n in doc.descendants() {
        let Some(pi) = n.pi() else { continue };
        let p = doc.text_pos_at(n.range().start);
        let loc = Loc { file: path.to_path_buf(), line: p.row, column: p.col };
        if pi.target != "define" {
            return Err(
                loc.error(format!("preprocessor instruction <?{}?> is not supported (only <?define?>)", pi.target))
            );
        }
        let body = pi.value.unwrap_or("");
        let (name, value) = body.split_once('=').ok_or_else(|| loc.error("<?define?> must be Name = \"value\""))?;
        let name = name.trim();
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        let value = context::substitute(value, &vars, &BTreeMap::new(), &loc)?;
        if vars.contains_key(name) {
            return Err(loc.error(format!("preprocessor variable {name} is already defined")));
        }
        vars.insert(name.to_string(), value);
    }
    Ok(vars)
}

/// Parses and lowers the sources into a [`Model`] (no linking).
pub fn lower_sources(spec: &BuildSpec, strings: &BTreeMap<String, String>) -> Result<(Model, ProductInfo), Error> {
    let mut sources = Vec::new();
    for path in &spec.sources {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        sources.push(Source { path: path.clone(), text });
    }
    let docs = sources.iter().map(|s| parse_xml(&s.path, &s.text)).collect::<Result<Vec<_>, _>>()?;
    let mut model = Model::default();
    let mut product: Option<ProductInfo> = None;
    // The Product first (its Package/@Platform sets the components' default bitness), then the
    // fragments in source order.
    let mut win64 = true;
    for pass in 0..2 {
        for (src, doc) in sources.iter().zip(&docs) {
            let root = doc.root_element();
            let vars = defines(&src.path, doc, &spec.variables)?;
            let dir = src.path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let mut ctx = Ctx { file: &src.path, dir: &dir, vars: &vars, strings, model: &mut model, win64 };
            if root.tag_name().name() != "Wix" || root.tag_name().namespace() != Some(WIX_NS) {
                return Err(ctx.error(root, format!("the root element must be <Wix xmlns=\"{WIX_NS}\">")));
            }
            ctx.attrs(root, &[])?;
            for child in ctx.elements(root)? {
                match (pass, child.tag_name().name()) {
                    (0, "Product") => {
                        if let Some(p) = &product {
                            return Err(ctx.error(child, format!("a second <Product> (the first is at {})", p.loc)));
                        }
                        let info = lower::product(&mut ctx, child)?;
                        win64 = info.win64;
                        product = Some(info);
                    }
                    (1, "Fragment") => lower::fragment(&mut ctx, child)?,
                    (_, "Product" | "Fragment") => {}
                    _ => return Err(ctx.unsupported(child, &["Product", "Fragment"])),
                }
            }
        }
    }
    let product = product.ok_or_else(|| Error::Link("no <Product> element in any source".to_string()))?;
    Ok((model, product))
}
