//! Which fragments are linked: WiX's `light` rule. The `<Product>` is the entry section; a
//! `<Fragment>` is linked when a linked section references anything it defines, and then the
//! whole fragment is linked ("an immutable, atomic unit which can either be completely included
//! or excluded from a product": WiX v3 Fragment element,
//! <https://docs.firegiant.com/wix3/xsd/wix/fragment>; `UIRef`, `*Ref`: "This will force the
//! entire referenced Fragment's contents to be included"). Fragments nothing reaches are left
//! out with everything in them: their rows, their references (a dangling reference in a
//! fragment that is not linked is no error, as in light) and their duplicates of symbols defined
//! elsewhere. The linked sections are merged in source order (the Product first), so a build
//! whose fragments are all referenced gives the same rows in the same order as before.
//!
//! A source the caller asked for by name (`dist --extra-wxs`) none of whose fragments is linked
//! is an error naming the file: light would drop it silently, which is never what was meant.

use super::error::Error;
use super::model::{Model, Reference, Section};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// The symbols a section defines, as (kind, id): the first key of each of its rows (kind = the
/// table), its declared symbols (`UI`, `ComponentGroup`, properties) and secure properties.
fn defined(model: &Model) -> BTreeSet<(String, String)> {
    let mut out: BTreeSet<(String, String)> = model.symbols.keys().cloned().collect();
    for (name, t) in &model.tables {
        out.extend(t.rows.iter().map(|r| (name.clone(), r.cells[0].key_text())));
    }
    out.extend(model.groups.keys().map(|g| ("ComponentGroup".to_string(), g.clone())));
    out.extend(model.secure.iter().map(|p| ("Property".to_string(), p.clone())));
    out
}

/// The indices of the fragments reachable from the product's references.
fn reachable(product: &Model, fragments: &[Section]) -> BTreeSet<usize> {
    let mut by_symbol: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in fragments.iter().enumerate() {
        for sym in defined(&s.model) {
            by_symbol.entry(sym).or_default().push(i);
        }
    }
    let mut linked = BTreeSet::new();
    let mut queue: VecDeque<&[Reference]> = VecDeque::from([product.references.as_slice()]);
    while let Some(refs) = queue.pop_front() {
        for r in refs {
            let key = (r.kind.clone(), r.id.clone());
            for &i in by_symbol.get(&key).map_or(&[][..], Vec::as_slice) {
                if linked.insert(i) {
                    queue.push_back(&fragments[i].model.references);
                }
            }
        }
    }
    linked
}

/// Links the product with the fragments it reaches and returns the merged model. `required`
/// lists sources of which at least one fragment must be linked (or that hold the product).
pub fn select(
    mut product: Model,
    product_source: &Path,
    fragments: Vec<Section>,
    required: &[PathBuf],
) -> Result<Model, Error> {
    let linked = reachable(&product, &fragments);
    for path in required {
        let mine: Vec<usize> = (0..fragments.len()).filter(|&i| fragments[i].source == *path).collect();
        if mine.iter().any(|i| linked.contains(i)) || product_source == path {
            continue;
        }
        let mut defines: Vec<String> =
            mine.iter().flat_map(|&i| defined(&fragments[i].model)).map(|(k, id)| format!("{k} {id}")).collect();
        let more = defines.len().saturating_sub(6);
        defines.truncate(6);
        let what = if defines.is_empty() {
            "it has no <Fragment> defining anything".to_string()
        } else {
            format!(
                "its fragments define {}{}",
                defines.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )
        };
        return Err(Error::Link(format!(
            "{}: nothing the <Product> links references this source ({what}). WiX links a <Fragment> only when \
             something linked references a symbol it defines: add a reference to it, e.g. <ComponentGroupRef> or \
             <ComponentRef> under a <Feature>, <FeatureRef>, <DirectoryRef>, <PropertyRef>, <CustomActionRef> or <UIRef>",
            path.display()
        )));
    }
    for (i, s) in fragments.into_iter().enumerate() {
        if linked.contains(&i) {
            absorb(&mut product, s.model)?;
        }
    }
    Ok(product)
}

/// Adds a linked fragment's contents to the model (the duplicate checks of the lowering apply
/// across fragments here, between linked sections only, as in light).
fn absorb(into: &mut Model, from: Model) -> Result<(), Error> {
    // Destructured in full so a new field of the model cannot be forgotten here.
    let Model {
        tables,
        symbols,
        references,
        ensured,
        files,
        feature_members,
        groups,
        actions,
        secure,
        hidden,
        admin,
        codepage: _,
        wix_variables: _,
        media_template,
        embedded_media,
        component_dirs,
    } = from;
    for (name, t) in tables {
        if crate::tables::standard(&name).is_none() {
            let first = t.rows.first().map(|r| r.loc.clone());
            if into.tables.contains_key(&name) {
                let msg = format!("table {name} is already defined");
                return Err(first.map_or(Error::Link(msg.clone()), |l| l.error(msg)));
            }
            into.define_table_unchecked(t.def.clone());
        }
        for r in t.rows {
            // Check boxes in different fragments may share a property when they agree on its
            // value (one CheckBox row), as within one fragment (lower/control.rs).
            if name == "CheckBox" {
                if let Some(first) = into.tables.get(&name).and_then(|t| t.get(&r.cells[..1])) {
                    if first.cells == r.cells {
                        continue;
                    }
                    let message = format!(
                        "check box property {} already has the value {:?} (at {})",
                        r.cells[0].key_text(),
                        first.cells[1].key_text(),
                        first.loc
                    );
                    return Err(r.loc.error(message));
                }
            }
            into.add_row(&r.loc, &name, r.cells)?;
        }
    }
    for (key, loc) in symbols {
        match into.symbols.get(&key) {
            // A property declared without a value in two places is one property.
            Some(_) if key.0 == "Property" => {}
            Some(first) => return Err(loc.error(format!("{} {} is defined twice (first at {first})", key.0, key.1))),
            None => {
                into.symbols.insert(key, loc);
            }
        }
    }
    if let Some(t) = media_template {
        if let Some(first) = &into.media_template {
            return Err(t.loc.error(format!("a second <MediaTemplate> (first at {})", first.loc)));
        }
        into.media_template = Some(t);
    }
    into.references.extend(references);
    into.ensured.extend(ensured);
    into.files.extend(files);
    into.feature_members.extend(feature_members);
    into.groups.extend(groups);
    into.actions.extend(actions);
    into.secure.extend(secure);
    into.hidden.extend(hidden);
    into.admin.extend(admin);
    into.embedded_media.extend(embedded_media);
    into.component_dirs.extend(component_dirs);
    Ok(())
}
