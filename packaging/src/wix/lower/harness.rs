//! The per-element test harness every family's tests share: lower a snippet of WiX source with a
//! fresh context (file `dir/test.wxs`, no variables, one localization string `Next`) and look at
//! the rows it produced. Expectations in the tests come from the MSI SDK table pages and WiX v3's
//! documentation, not from this code.

use crate::wix::context::{Ctx, UTIL_NS, WIX_NS};
use crate::wix::error::Error;
use crate::wix::model::{Cell, Model};
use crate::wix::source_map::SourceMap;
use roxmltree::Node;
use std::collections::BTreeMap;
use std::path::Path;

/// Lowers `<{root} xmlns=WiX>{body}</{root}>`, read from `dir/test.wxs`, with `lower`. `root`
/// may carry attributes (`Product Id="*" Name="N"`).
pub fn lower_with(
    dir: &Path,
    root: &str,
    body: &str,
    lower: impl FnOnce(&mut Ctx<'_>, Node<'_, '_>) -> Result<(), Error>,
) -> Result<Model, Error> {
    let tag = root.split_whitespace().next().unwrap_or(root);
    let xml = format!("<{root} xmlns=\"{WIX_NS}\">\n{body}\n</{tag}>");
    let doc = roxmltree::Document::parse(&xml).expect("test XML parses");
    let mut model = Model::default();
    let vars = BTreeMap::new();
    let strings = BTreeMap::from([("Next".to_string(), "&Next".to_string())]);
    let file = dir.join("test.wxs");
    let map = SourceMap::single(&file, &xml);
    let mut ctx =
        Ctx { map: &map, dir, bind_paths: None, vars: &vars, strings: &strings, model: &mut model, win64: true };
    lower(&mut ctx, doc.root_element())?;
    Ok(model)
}

/// Lowers the children of a `<Fragment>` (every element a fragment accepts).
pub fn fragment(body: &str) -> Result<Model, Error> {
    lower_with(Path::new("."), "Fragment", body, super::dispatch::fragment)
}

/// Lowers `body` as the children of component `C` (a fixed GUID) in directory `D`, with the util
/// extension's namespace declared as `util:`.
pub fn component(body: &str) -> Result<Model, Error> {
    fragment(&format!(
        r#"<DirectoryRef Id="D"><Component Id="C" Guid="{{11111111-2222-3333-4444-555555555555}}" xmlns:util="{UTIL_NS}">{body}</Component></DirectoryRef>"#
    ))
}

/// The cells of a row as text (null as empty, integers in decimal).
pub fn texts(cells: &[Cell]) -> Vec<String> {
    cells.iter().map(Cell::key_text).collect()
}

/// Every row of `table` as text, in the order added.
pub fn rows(m: &Model, table: &str) -> Vec<Vec<String>> {
    m.rows(table).iter().map(|r| texts(&r.cells)).collect()
}

/// The row of `table` whose first column is `key`, as text.
pub fn row(m: &Model, table: &str, key: &str) -> Vec<String> {
    rows(m, table).into_iter().find(|r| r[0] == key).unwrap_or_else(|| panic!("no {table} row {key}"))
}

/// The message of an error, without its position.
pub fn message(e: Error) -> String {
    match e {
        Error::Wix { message, .. } => message,
        other => other.to_string(),
    }
}
