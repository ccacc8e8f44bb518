//! WiX sources in: what a build reads ([`BuildSpec`]), the `.wxl` localization strings, the
//! `.wxs` files parsed with positions, `<?define?>` collected per file, and every `<Product>`
//! and `<Fragment>` handed to the lowering ([`super::lower`]).

use super::context::{BindPath, Ctx, WIX_NS};
use super::error::Error;
use super::lower;
use super::model::{Loc, Model, ProductInfo, Section};
use super::preprocess;
use super::wixui;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to build: the WiX equivalent of `candle -dName=value *.wxs && light -loc *.wxl -out`.
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// `.wxs` files: one holds the `<Product>`; a `<Fragment>` is linked when the product, or a
    /// fragment it links, references something it defines (WiX's rule, the `sections` module), and
    /// every reference in what is linked must name something that exists.
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

/// Checks `.wxl` files the way a build reads them (well-formed, one culture, a codepage the
/// backend writes, every string defined once), without building: a caller can refuse bad
/// strings before any slow step.
pub fn check_localizations(paths: &[PathBuf]) -> Result<(), Error> {
    load_localizations(paths).map(|_| ())
}

/// The strings of a build's `.wxl` files and the codepage they declare.
#[derive(Debug, Default)]
pub struct Localization {
    /// String id -> text.
    pub strings: BTreeMap<String, String>,
    /// The database codepage: the `Codepage` of the first `.wxl` that declares one. As in WiX
    /// v3 it overrides `Product/@Codepage` (light's Linker and Binder replace the output's
    /// codepage with the localizer's, which is the first localization file's that has one).
    pub codepage: Option<i32>,
}

/// A `.wxl` `Codepage` value: a number (`1251`) or a name (`windows-1251`); `-1`/absent = none.
fn wxl_codepage(value: &str) -> Option<Option<i32>> {
    let v = value.trim().to_ascii_lowercase();
    let n: i32 = v.strip_prefix("windows-").unwrap_or(&v).parse().ok()?;
    match n {
        -1 => Some(None),
        n if crate::codepage::is_supported(n) => Some(Some(n)),
        _ => None,
    }
}

/// Loads the `.wxl` files: their strings and codepage. They must all be of one culture (a
/// build is one language, as with `light -cultures:`).
pub fn load_localizations(paths: &[PathBuf]) -> Result<Localization, Error> {
    let mut codepage: Option<i32> = None;
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
                "Codepage" => match wxl_codepage(a.value()) {
                    Some(cp) => codepage = codepage.or(cp),
                    None => {
                        return Err(pos(root).error(format!(
                            "Codepage {:?} is not a codepage this backend writes (932, 936, 949, 950, 1250-1258, \
                             as a number or windows-NNNN)",
                            a.value()
                        )))
                    }
                },
                "Language" => {}
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
    Ok(Localization { strings, codepage })
}

fn parse_xml<'t>(path: &Path, text: &'t str) -> Result<roxmltree::Document<'t>, Error> {
    if let Some((row, col)) = too_deep(text) {
        return Err(Error::Wix { file: path.to_path_buf(), line: row, column: col, message: too_deep_message() });
    }
    roxmltree::Document::parse(text).map_err(|e| {
        let p = e.pos();
        Error::Wix { file: path.to_path_buf(), line: p.row, column: p.col, message: format!("malformed XML: {e}") }
    })
}

/// Deepest element nesting accepted. `roxmltree` parses nested elements recursively and has no
/// depth option: about 2,000 nested elements overflowed the stack, an abort instead of an error
/// (issue 14 finding 14). Real WiX sources nest a few tens deep (Directory trees).
pub(crate) const MAX_DEPTH: usize = 256;

fn too_deep_message() -> String {
    format!("elements are nested more than {MAX_DEPTH} deep (a WiX source never needs that; is this file generated wrongly?)")
}

/// The position (row, column, 1-based; columns in characters like `roxmltree`) of the first
/// start tag nested deeper than [`MAX_DEPTH`], found by a scan of the text before parsing.
/// Hand-written because the parser itself is what overflows: it only needs to tell start,
/// end and empty tags apart and skip comments, processing instructions, CDATA, declarations
/// and quoted attribute values. Malformed text is left to the parser's own errors.
fn too_deep(text: &str) -> Option<(u32, u32)> {
    let b = text.as_bytes();
    let skip_to = |from: usize, end: &[u8]| {
        b[from..].windows(end.len()).position(|w| w == end).map_or(b.len(), |p| from + p + end.len())
    };
    let (mut i, mut depth) = (0, 0usize);
    while let Some(p) = b[i..].iter().position(|&c| c == b'<') {
        let at = i + p;
        let rest = &b[at..];
        i = if rest.starts_with(b"<!--") {
            skip_to(at, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_to(at, b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_to(at, b"?>")
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            depth = depth.saturating_sub(usize::from(rest[1] == b'/'));
            skip_to(at, b">")
        } else {
            // A start tag: find its '>' outside quoted attribute values.
            let (mut j, mut quote) = (at + 1, None);
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j > at && b.get(j - 1) != Some(&b'/') {
                depth += 1;
                if depth > MAX_DEPTH {
                    let before = &text[..at];
                    let row = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    return Some((row as u32, col as u32));
                }
            }
            j + 1
        };
        if i >= b.len() {
            break;
        }
    }
    None
}

/// Options of a build that candle and light take on their command line.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `-arch`: the architecture of a `<Package>` without `Platform` (WiX's default is x86).
    pub arch: Arch,
    /// `-I`: folders searched for `<?include?>` after the including file's folder.
    pub include_paths: Vec<PathBuf>,
    /// `-b`: with `Some`, relative `Source` paths resolve as light does (current directory, then
    /// these bind paths); `None` resolves them against each `.wxs` file's folder.
    pub bind_paths: Option<Vec<BindPath>>,
    /// Sources the user asked for by name (`dist --extra-wxs`): the build fails, naming the file,
    /// when none of their fragments is linked (light would leave such a source out silently).
    pub required_sources: Vec<PathBuf>,
}

/// A package architecture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Arch {
    /// 32-bit (`Intel` template); WiX's default.
    #[default]
    X86,
    /// 64-bit (`x64` template, 64-bit components).
    X64,
}

impl Arch {
    /// `x86` / `x64` (`$(sys.BUILDARCH)`, `-arch`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
        }
    }
}

/// Preprocesses, parses and lowers the sources: the `<Product>` and each `<Fragment>` into a
/// [`Model`] of its own (no linking).
pub fn lower_sources(spec: &BuildSpec, options: &BuildOptions, localization: &Localization) -> Result<Lowered, Error> {
    let strings = &localization.strings;
    let pre_opts = preprocess::Options {
        variables: &spec.variables,
        arch: options.arch.name(),
        include_paths: &options.include_paths,
    };
    let mut sources = Vec::new();
    let mut sets = Vec::new();
    for path in &spec.sources {
        let text = preprocess::read_source(path)?;
        let pre = preprocess::preprocess(path, &text, &pre_opts)?;
        wixui::referenced(&pre.text, &mut sets);
        sources.push((path.clone(), pre));
    }
    // The WixUI library: its sources (with their own variables) and the strings the sources'
    // .wxl files do not define.
    let mut strings = strings.clone();
    if !sets.is_empty() {
        let lib_vars = BTreeMap::from([("WixUIDir".to_string(), wixui::dir().display().to_string())]);
        let lib_opts = preprocess::Options { variables: &lib_vars, ..pre_opts.clone() };
        for path in wixui::sources(&sets) {
            let text = preprocess::read_source(&path)?;
            sources.push((path.clone(), preprocess::preprocess(&path, &text, &lib_opts)?));
        }
        for (id, text) in load_localizations(&[wixui::strings()])?.strings {
            strings.entry(id).or_insert(text);
        }
    }
    let strings = &strings;
    let warnings = sources.iter().flat_map(|(_, p)| p.warnings.iter().cloned()).collect();
    let docs = sources
        .iter()
        .map(|(_, p)| {
            if let Some((row, col)) = too_deep(&p.text) {
                return Err(p.map.loc_of_line_col(&p.text, row, col).error(too_deep_message()));
            }
            roxmltree::Document::parse(&p.text).map_err(|e| {
                let pos = e.pos();
                p.map.loc_of_line_col(&p.text, pos.row, pos.col).error(format!("malformed XML: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The .wxl codepage, if any, is the database's from the first row on (the Product's lowering
    // keeps it over its own Codepage attribute).
    let mut model = Model { codepage: localization.codepage, ..Model::default() };
    let mut product: Option<(ProductInfo, PathBuf)> = None;
    let mut fragments = Vec::new();
    // The Product first (its Package/@Platform sets the components' default bitness), then the
    // fragments in source order, each into a model of its own: the linker takes or leaves
    // whole fragments (the `sections` module).
    let mut win64 = options.arch == Arch::X64;
    // Pass 0 collects the <WixVariable>s (bind-time: usable anywhere), 1 lowers the Product, 2
    // the fragments.
    for pass in 0..3 {
        for ((path, pre), doc) in sources.iter().zip(&docs) {
            let root = doc.root_element();
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let mut ctx = Ctx {
                map: &pre.map,
                dir: &dir,
                bind_paths: options.bind_paths.as_deref(),
                vars: &pre.variables,
                strings,
                model: &mut model,
                win64,
            };
            if root.tag_name().name() != "Wix" || root.tag_name().namespace() != Some(WIX_NS) {
                return Err(ctx.error(root, format!("the root element must be <Wix xmlns=\"{WIX_NS}\">")));
            }
            ctx.attrs(root, &[])?;
            for child in ctx.elements(root)? {
                match (pass, child.tag_name().name()) {
                    (0, "Product" | "Fragment") => {
                        for c in ctx.elements(child)? {
                            if c.has_tag_name("WixVariable") {
                                lower::wix_variable(&mut ctx, c)?;
                            }
                        }
                    }
                    (1, "Product") => {
                        if let Some((p, _)) = &product {
                            return Err(ctx.error(child, format!("a second <Product> (the first is at {})", p.loc)));
                        }
                        let info = lower::product(&mut ctx, child)?;
                        win64 = info.win64;
                        product = Some((info, path.clone()));
                    }
                    (2, "Fragment") => {
                        let mut section = Model {
                            codepage: ctx.model.codepage,
                            wix_variables: ctx.model.wix_variables.clone(),
                            ..Model::default()
                        };
                        let mut fctx = Ctx {
                            map: ctx.map,
                            dir: ctx.dir,
                            bind_paths: ctx.bind_paths,
                            vars: ctx.vars,
                            strings: ctx.strings,
                            model: &mut section,
                            win64: ctx.win64,
                        };
                        lower::fragment(&mut fctx, child)?;
                        fragments.push(Section { source: path.clone(), model: section });
                    }
                    (_, "Product" | "Fragment") => {}
                    _ => return Err(ctx.unsupported(child, &["Product", "Fragment"])),
                }
            }
        }
    }
    let (product, product_source) =
        product.ok_or_else(|| Error::Link("no <Product> element in any source".to_string()))?;
    Ok(Lowered { model, product_source, fragments, product, warnings })
}

/// The lowered sources, before linking.
pub struct Lowered {
    /// The `<Product>`'s section (and every `<WixVariable>`).
    pub model: Model,
    /// The source file holding the `<Product>`.
    pub product_source: PathBuf,
    /// Every `<Fragment>`, in source order.
    pub fragments: Vec<Section>,
    /// What the `<Product>` says.
    pub product: ProductInfo,
    /// The `<?warning?>` messages.
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 finding 14: thousands of nested elements give an error with file, line and
    /// column, not a stack overflow.
    #[test]
    fn deep_nesting_is_an_error_with_a_position() {
        let tmp = tempfile::tempdir().unwrap();
        let wxs = tmp.path().join("deep.wxs");
        let depth = 5000;
        let mut text = String::from("<?xml version=\"1.0\"?>\n<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\">\n<Fragment>\n<DirectoryRef Id=\"TARGETDIR\">\n");
        for i in 0..depth {
            text.push_str(&format!("<Directory Id=\"d{i}\" Name=\"d{i}\">\n"));
        }
        for _ in 0..depth {
            text.push_str("</Directory>\n");
        }
        text.push_str("</DirectoryRef>\n</Fragment>\n</Wix>\n");
        std::fs::write(&wxs, text).unwrap();
        let spec = BuildSpec {
            sources: vec![wxs.clone()],
            localizations: vec![],
            variables: BTreeMap::new(),
            output: tmp.path().join("out.msi"),
            source_date_epoch: Some(DEFAULT_EPOCH),
        };
        let err = super::super::build(&spec).unwrap_err().to_string();
        // <Wix> is depth 1, so the first element deeper than MAX_DEPTH is on line MAX_DEPTH + 2.
        let line = MAX_DEPTH + 2;
        assert!(err.contains(&format!("deep.wxs:{line}:1")), "{err}");
        assert!(err.contains("nested more than"), "{err}");
        assert!(!tmp.path().join("out.msi").exists());
    }

    /// WiX v3: the first `.wxl` that declares a Codepage sets the database codepage, over
    /// `Product/@Codepage`; without one, the Product's stays.
    #[test]
    fn the_wxl_codepage_overrides_the_products() {
        let tmp = tempfile::tempdir().unwrap();
        let wxs = tmp.path().join("p.wxs");
        std::fs::write(&wxs, format!(
            "<Wix xmlns=\"{WIX_NS}\"><Product Id=\"*\" Name=\"P\" Language=\"1049\" Codepage=\"1250\" Version=\"1.0.0\" \
             Manufacturer=\"M\" UpgradeCode=\"{{4A0B1C3D-5E6F-4701-8293-A4B5C6D7E8F9}}\"><Package Compressed=\"yes\" InstallerVersion=\"500\" />\
             <Property Id=\"GREETING\" Value=\"!(loc.N)\" /></Product></Wix>"
        ))
        .unwrap();
        let wxl = |name: &str, attrs: &str, text: &str| {
            let p = tmp.path().join(name);
            std::fs::write(
                &p,
                format!(
                    "<WixLocalization Culture=\"ru-ru\" {attrs}><String Id=\"N\">{text}</String></WixLocalization>"
                ),
            )
            .unwrap();
            p
        };
        let build = |locs: Vec<PathBuf>| {
            let spec = BuildSpec {
                sources: vec![wxs.clone()],
                localizations: locs,
                variables: BTreeMap::new(),
                output: tmp.path().join("out.msi"),
                source_date_epoch: Some(DEFAULT_EPOCH),
            };
            super::super::build(&spec).map(|_| msi::open(tmp.path().join("out.msi")).unwrap().database_codepage().id())
        };
        let first = wxl("a.wxl", "Codepage=\"1251\"", "Привет");
        let none = wxl("b.wxl", "", "x");
        let later = wxl("c.wxl", "Codepage=\"windows-1253\"", "y");
        assert_eq!(build(vec![first.clone()]).unwrap(), 1251);
        // The first one that declares a codepage; a later declaration does not change it.
        std::fs::write(&none, "<WixLocalization Culture=\"ru-ru\"><String Id=\"Other\">x</String></WixLocalization>")
            .unwrap();
        std::fs::write(&later, "<WixLocalization Culture=\"ru-ru\" Codepage=\"windows-1253\"><String Id=\"More\">y</String></WixLocalization>").unwrap();
        assert_eq!(build(vec![none.clone(), first.clone(), later]).unwrap(), 1251);
        // No codepage in the .wxl: the Product's 1250, where Cyrillic does not fit.
        let latin = wxl("d.wxl", "", "Ahoj");
        assert_eq!(build(vec![latin]).unwrap(), 1250);
        let e = build(vec![wxl("e.wxl", "", "Привет")]).unwrap_err().to_string();
        assert!(e.contains("Windows-1250"), "{e}");
    }

    #[test]
    fn depth_scan_counts_only_element_nesting() {
        let nest = |n: usize, open: &str, close: &str| format!("{}{}", open.repeat(n), close.repeat(n));
        assert_eq!(too_deep(&nest(MAX_DEPTH, "<a>", "</a>")), None);
        assert_eq!(too_deep(&nest(MAX_DEPTH + 1, "<a>", "</a>")), Some((1, 3 * MAX_DEPTH as u32 + 1)));
        // Empty elements, comments, PIs, CDATA and '>' in attribute values do not nest.
        let flat = "<a x='>' y=\"/>\"><!-- <b> --><?pi <c>?><![CDATA[<d>]]><e/></a>".repeat(1000);
        assert_eq!(too_deep(&flat), None);
        assert_eq!(too_deep(&format!("<r>\n{}", nest(MAX_DEPTH, "<a/><b>", "</b>"))), Some((2, 7 * 256 - 2)));
    }
}
