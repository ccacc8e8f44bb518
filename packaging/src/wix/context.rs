//! The lowering framework shared by every element family: source positions, attribute access
//! that rejects unknown attributes, `$(var.X)` / `!(loc.X)` substitution, and the table model
//! rows are added to.
//!
//! Contract for a lowering function (one per element family, e.g. `ui::lower_ui`):
//! `fn lower_x(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error>`. It reads attributes
//! with [`Ctx::attrs`] (listing every attribute it supports; any other is an error), walks
//! children with [`Ctx::elements`] (returning [`Ctx::unsupported`] for any child it does not
//! handle), adds rows with [`Ctx::add_row`], and records cross references with
//! [`Ctx::reference`] so the linker can report a dangling `*Ref` with its position.

use super::error::Error;
use super::model::{Cell, Loc, Model, Reference, WixVariable};
use super::source_map::SourceMap;
use roxmltree::Node;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The WiX v3 source namespace.
pub const WIX_NS: &str = "http://schemas.microsoft.com/wix/2006/wi";

/// The namespace of WiX v3's util extension (`xmlns:util`); only the elements a family lists
/// (see [`Ctx::elements_with_util`]) are accepted from it.
pub const UTIL_NS: &str = "http://schemas.microsoft.com/wix/UtilExtension";

/// The lowering context handed to every element family's lowering function.
pub struct Ctx<'a> {
    /// Positions in the (preprocessed) text being lowered -> source positions.
    pub map: &'a SourceMap,
    /// The `.wxs` file's directory: relative `Source`/`SourceFile` paths resolve against it
    /// when `bind_paths` is `None`.
    pub dir: &'a Path,
    /// `Some`: relative paths resolve as light does (the current directory, then these bind
    /// paths; see [`resolve_source`]).
    pub bind_paths: Option<&'a [BindPath]>,
    /// Preprocessor variables (`$(var.X)`): the build's variables plus this file's `<?define?>`s.
    pub vars: &'a BTreeMap<String, String>,
    /// Localization strings (`!(loc.X)`).
    pub strings: &'a BTreeMap<String, String>,
    /// The tables and symbols lowered so far.
    pub model: &'a mut Model,
    /// Whether components default to 64-bit (`Package/@Platform="x64"`).
    pub win64: bool,
}

/// The resolved attributes of one element, checked against the list its lowering supports.
#[derive(Debug, Clone)]
pub struct Attrs {
    /// The element name.
    pub element: String,
    /// The element's position.
    pub loc: Loc,
    vals: Vec<(String, String, Loc)>,
}

impl Attrs {
    /// The attribute's value after substitution, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vals.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v.as_str())
    }
    /// Whether the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// The attribute's value as an owned string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
    /// Position of the attribute (or of the element if absent).
    pub fn loc_of(&self, name: &str) -> &Loc {
        self.vals.iter().find(|(n, _, _)| n == name).map_or(&self.loc, |(_, _, l)| l)
    }
    /// An error about attribute `name`.
    pub fn error(&self, name: &str, message: impl std::fmt::Display) -> Error {
        self.loc_of(name).error(format!("<{}> attribute {name}: {message}", self.element))
    }
    /// The attribute's value, or an error saying it is required.
    pub fn required(&self, name: &str) -> Result<String, Error> {
        self.string(name).ok_or_else(|| self.loc.error(format!("<{}> requires the {name} attribute", self.element)))
    }
    /// A `yes`/`no` attribute.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(v) => Err(self.error(name, format!("{v:?} is not \"yes\" or \"no\""))),
        }
    }
    /// A `yes`/`no` attribute that is `true` only when `yes`.
    pub fn is_yes(&self, name: &str) -> Result<bool, Error> {
        Ok(self.yes_no(name)? == Some(true))
    }
    /// An integer attribute.
    pub fn int(&self, name: &str) -> Result<Option<i32>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.parse::<i32>().map(Some).map_err(|_| self.error(name, format!("{v:?} is not an integer"))),
        }
    }
    /// An attribute restricted to `allowed` values.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(self.error(name, format!("{v:?} is not one of: {}", allowed.join(", ")))),
        }
    }
    /// A GUID attribute normalised to `{XXXXXXXX-...}` upper case; `*` is returned as is.
    pub fn guid(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some("*") => Ok(Some("*".to_string())),
            Some(v) => {
                normalize_guid(v).map(Some).ok_or_else(|| self.error(name, format!("{v:?} is not a valid GUID")))
            }
        }
    }
    /// An identifier attribute (MSI `Identifier` rules, at most 72 characters).
    pub fn identifier(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if is_identifier(v) => Ok(Some(v.to_string())),
            Some(v) => Err(self.error(name, format!("{v:?} is not a valid identifier (letters, digits, _ and ., starting with a letter or _; at most 72 characters)"))),
        }
    }
    /// A required identifier attribute.
    pub fn required_id(&self, name: &str) -> Result<String, Error> {
        self.required(name)?;
        Ok(self.identifier(name)?.expect("checked present"))
    }
}

/// Whether `s` is an MSI identifier.
pub fn is_identifier(s: &str) -> bool {
    s.len() <= 72
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` upper case, from a GUID with or without braces.
pub fn normalize_guid(v: &str) -> Option<String> {
    let inner = v.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(v);
    if inner.len() != 36 {
        return None;
    }
    let u = uuid::Uuid::parse_str(inner).ok()?;
    Some(format!("{{{}}}", u.hyphenated()).to_ascii_uppercase())
}

impl<'a> Ctx<'a> {
    /// Position of `node` in the current file.
    pub fn loc(&self, node: Node<'_, '_>) -> Loc {
        self.loc_at(node, node.range().start)
    }

    fn loc_at(&self, _node: Node<'_, '_>, pos: usize) -> Loc {
        self.map.loc(pos)
    }

    /// An error at `node`.
    pub fn error(&self, node: Node<'_, '_>, message: impl Into<String>) -> Error {
        self.loc(node).error(message)
    }

    /// The error for a child element that `parent`'s lowering does not support.
    pub fn unsupported(&self, child: Node<'_, '_>, supported: &[&str]) -> Error {
        let parent = child.parent_element().map_or("document".to_string(), |p| format!("<{}>", p.tag_name().name()));
        let name = match child.tag_name().namespace() {
            Some(UTIL_NS) => format!("util:{}", child.tag_name().name()),
            Some(ns) if ns != WIX_NS => format!("{{{ns}}}{}", child.tag_name().name()),
            _ => child.tag_name().name().to_string(),
        };
        self.error(
            child,
            format!(
                "<{name}> is not supported here (supported children of {parent}: {})",
                if supported.is_empty() { "none".to_string() } else { supported.join(", ") }
            ),
        )
    }

    /// The element children of `node`; non-whitespace text, or elements outside the WiX
    /// namespace, are errors. Comments are skipped; processing instructions are rejected
    /// unless they are `<?define?>` (handled when the file is loaded).
    pub fn elements<'n, 'i>(&self, node: Node<'n, 'i>) -> Result<Vec<Node<'n, 'i>>, Error> {
        self.elements_in(node, &[WIX_NS])
    }

    /// [`Ctx::elements`], also letting through elements of the util extension namespace
    /// ([`UTIL_NS`]); the caller dispatches on the namespace and name, since util reuses core
    /// names (`util:PermissionEx`).
    pub fn elements_with_util<'n, 'i>(&self, node: Node<'n, 'i>) -> Result<Vec<Node<'n, 'i>>, Error> {
        self.elements_in(node, &[WIX_NS, UTIL_NS])
    }

    fn elements_in<'n, 'i>(&self, node: Node<'n, 'i>, namespaces: &[&str]) -> Result<Vec<Node<'n, 'i>>, Error> {
        let mut out = Vec::new();
        for c in node.children() {
            if c.is_element() {
                if !c.tag_name().namespace().is_some_and(|ns| namespaces.contains(&ns)) {
                    return Err(self.unsupported(c, &[]));
                }
                out.push(c);
            } else if c.is_text() {
                if !c.text().unwrap_or("").trim().is_empty() {
                    return Err(self.error(c, format!("<{}> does not take text content", node.tag_name().name())));
                }
            } else if let Some(pi) = c.pi() {
                if pi.target != "define" {
                    return Err(self.error(
                        c,
                        format!("preprocessor instruction <?{}?> is not supported (only <?define?>)", pi.target),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The inner text of `node` (e.g. a condition), substituted; `None` if empty. Child
    /// elements are errors.
    pub fn text(&self, node: Node<'_, '_>) -> Result<Option<String>, Error> {
        let mut s = String::new();
        for c in node.children() {
            if c.is_element() {
                return Err(self.error(c, format!("<{}> takes only text content", node.tag_name().name())));
            }
            if c.is_text() {
                s.push_str(c.text().unwrap_or(""));
            }
        }
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            Ok(Some(self.substitute(s, &self.loc(node))?))
        }
    }

    /// Reads `node`'s attributes, substituting `$(var.X)`/`!(loc.X)`; an attribute not in
    /// `supported` (or in another namespace) is an error listing the supported ones.
    pub fn attrs(&self, node: Node<'_, '_>, supported: &[&str]) -> Result<Attrs, Error> {
        let element = node.tag_name().name().to_string();
        let mut vals = Vec::new();
        for a in node.attributes() {
            let loc = self.loc_at(node, a.range().start);
            if a.namespace().is_some() || !supported.contains(&a.name()) {
                let name = match a.namespace() {
                    Some(ns) => format!("{{{ns}}}{}", a.name()),
                    None => a.name().to_string(),
                };
                return Err(loc.error(format!(
                    "attribute {name} of <{element}> is not supported (supported: {})",
                    supported.join(", ")
                )));
            }
            let v = self.substitute(a.value(), &loc)?;
            vals.push((a.name().to_string(), v, loc));
        }
        Ok(Attrs { element, loc: self.loc(node), vals })
    }

    /// Substitutes `$(var.X)` and `!(loc.X)` in `s`; any other `$(...)`/`!(...)` form is an error.
    pub fn substitute(&self, s: &str, loc: &Loc) -> Result<String, Error> {
        substitute(s, self.vars, self.strings, &self.model.wix_variables, loc)
    }

    /// Adds a row to `table` for `node` (see [`Model::add_row`]).
    pub fn add_row(&mut self, node: Node<'_, '_>, table: &str, cells: Vec<Cell>) -> Result<(), Error> {
        let loc = self.loc(node);
        self.model.add_row(&loc, table, cells)
    }

    /// Records a reference from `node` to the symbol `kind`/`id`, checked after linking.
    pub fn reference(&mut self, node: Node<'_, '_>, kind: &str, id: &str) {
        let loc = self.loc(node);
        self.model.references.push(Reference { kind: kind.to_string(), id: id.to_string(), loc });
    }

    /// Defines the symbol `kind`/`id` at `node` (duplicates are errors).
    pub fn define(&mut self, node: Node<'_, '_>, kind: &str, id: &str) -> Result<(), Error> {
        let loc = self.loc(node);
        let key = (kind.to_string(), id.to_string());
        if let Some(first) = self.model.symbols.get(&key) {
            return Err(loc.error(format!("{kind} {id} is defined twice (first at {first})")));
        }
        self.model.symbols.insert(key, loc);
        Ok(())
    }

    /// A path attribute (`Source`, `SourceFile`) resolved to a file: Windows separators become
    /// `/`; a relative path resolves against the `.wxs` folder, or, with bind paths, as light does
    /// ([`resolve_source`]).
    pub fn source_path(&self, value: &str) -> PathBuf {
        let value = value.replace('\\', "/");
        let p = Path::new(&value);
        match self.bind_paths {
            _ if p.is_absolute() => p.to_path_buf(),
            None => self.dir.join(p),
            Some(bind) => resolve_source(&value, bind),
        }
    }
}

/// Substitutes `$(var.X)`, `!(loc.X)` and `!(wix.X)` (`<WixVariable>`) in `s`; `!(bindpath.X)`
/// is left for [`resolve_source`].
fn substitute(
    s: &str,
    vars: &BTreeMap<String, String>,
    strings: &BTreeMap<String, String>,
    wix: &BTreeMap<String, WixVariable>,
    loc: &Loc,
) -> Result<String, Error> {
    if !s.contains("$(") && !s.contains("!(") {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['$', '!']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        if !tail[1..].starts_with('(') {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        let end = tail.find(')').ok_or_else(|| loc.error(format!("unterminated {}( in {s:?}", &tail[..1])))?;
        let inner = &tail[2..end];
        let value = match (&tail[..1], inner.split_once('.')) {
            ("!", Some(("wix", name))) => wix.get(name).map(|v| &v.value).ok_or_else(|| {
                loc.error(format!("undefined WiX variable !(wix.{name}) (define it with <WixVariable Id=\"{name}\" Value=\"...\"/>)"))
            })?,
            ("!", Some(("bindpath", _))) => &tail[..end + 1],
            ("$", Some(("var", name))) => vars.get(name).ok_or_else(|| {
                loc.error(format!("undefined preprocessor variable $(var.{name}) (define it with <?define?> or the build's variables)"))
            })?,
            ("!", Some(("loc", name))) => strings.get(name).ok_or_else(|| {
                loc.error(format!("undefined localization string !(loc.{name}) (add it to a .wxl file)"))
            })?,
            (sigil, _) => {
                return Err(loc.error(format!(
                    "{sigil}({inner}) is not supported (only $(var.Name), !(loc.Name), !(wix.Name) and !(bindpath.Name))"
                )))
            }
        };
        out.push_str(value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A `light -b` bind path: `-b DIR` (unnamed) or `-b NAME=DIR` (for `!(bindpath.NAME)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindPath {
    /// The name, for `!(bindpath.NAME)\rest`.
    pub name: Option<String>,
    /// The folder.
    pub dir: PathBuf,
}

/// Resolves a relative `Source` as WiX v3's light does (its binder's file manager): `!(bindpath.N)\x`
/// in the bind paths named N; `SourceDir\x` in the unnamed bind paths; otherwise the path relative
/// to the current directory, then joined to each unnamed bind path. When nothing exists the
/// current-directory path is returned (the caller reports it missing).
pub fn resolve_source(value: &str, bind: &[BindPath]) -> PathBuf {
    let exists = |p: &Path| p.is_file();
    if let Some(rest) = value.strip_prefix("!(bindpath.") {
        if let Some((name, tail)) = rest.split_once(')') {
            let tail = tail.trim_start_matches('/');
            for b in bind.iter().filter(|b| b.name.as_deref() == Some(name)) {
                if exists(&b.dir.join(tail)) {
                    return b.dir.join(tail);
                }
            }
            return PathBuf::from(value);
        }
    }
    let unnamed = || bind.iter().filter(|b| b.name.is_none());
    if let Some(rest) = value.strip_prefix("SourceDir/") {
        if let Some(b) = unnamed().find(|b| exists(&b.dir.join(rest))) {
            return b.dir.join(rest);
        }
    }
    if exists(Path::new(value)) {
        return PathBuf::from(value);
    }
    unnamed().map(|b| b.dir.join(value)).find(|p| exists(p)).unwrap_or_else(|| PathBuf::from(value))
}
