//! Linking: check references, expand feature membership, sequence files into cabinets, add
//! the generated properties and the sequence tables.

use super::error::Error;
use super::model::{Cell, Loc, Member, Model, PayloadFile, ProductInfo, ADVERTISED_TARGET};
use super::sequence;
use crate::cabinet::{CabEntry, MAX_FILES_PER_CABINET};
use std::collections::{BTreeMap, BTreeSet};

/// One embedded cabinet to build.
#[derive(Debug, Clone)]
pub struct CabPlan {
    /// Stream name (`Media.Cabinet` without the `#`).
    pub stream: String,
    /// Files, in `File.Sequence` order.
    pub entries: Vec<CabEntry>,
    /// MSZIP (true) or stored.
    pub compress: bool,
}

/// The linked model, ready to write.
#[derive(Debug)]
pub struct Linked {
    /// All tables (sequence tables included).
    pub model: Model,
    /// Cabinets to build and embed.
    pub cabinets: Vec<CabPlan>,
    /// Sum of payload sizes.
    pub payload_bytes: u64,
}

/// Links the lowered model.
pub fn link(mut model: Model, product: &ProductInfo) -> Result<Linked, Error> {
    check_references(&model)?;
    feature_components(&mut model)?;
    advertised_shortcuts(&mut model);
    feature_display(&mut model);
    let cabinets = media(&mut model)?;
    generated_properties(&mut model, product)?;
    let with_rows: BTreeSet<String> =
        model.tables.iter().filter(|(_, t)| !t.rows.is_empty()).map(|(n, _)| n.clone()).collect();
    let seqs = sequence::resolve(&model.actions, &with_rows)?;
    check_deferred_placement(&model, &seqs)?;
    for (table, rows) in seqs {
        let loc = product.loc.clone();
        for r in rows {
            model.add_row(&loc, &table, vec![r.action.into(), r.condition.into(), Cell::Int(r.sequence)])?;
        }
    }
    for t in model.ensured.clone() {
        if !model.tables.contains_key(&t) {
            let def = crate::tables::standard(&t).expect("EnsureTable checked the name");
            model.define_table_unchecked(def);
        }
    }
    let payload_bytes = model.files.iter().map(|f| f.size).sum();
    Ok(Linked { model, cabinets, payload_bytes })
}

/// A deferred (in-script) custom action only runs between `InstallInitialize` and
/// `InstallFinalize` (Windows Installer error 2762 otherwise): catch it at build time.
fn check_deferred_placement(model: &Model, seqs: &BTreeMap<String, Vec<sequence::SequenceRow>>) -> Result<(), Error> {
    use crate::tables::ca_bits::IN_SCRIPT;
    for (table, rows) in seqs {
        let at = |a: &str| rows.iter().find(|r| r.action == a).map(|r| r.sequence);
        let (lo, hi) = match (at("InstallInitialize"), at("InstallFinalize")) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => (i32::MAX, i32::MIN),
        };
        for r in rows {
            let Some(ca) = model.tables.get("CustomAction").and_then(|t| t.get(&[Cell::Str(r.action.clone())])) else {
                continue;
            };
            let ty = ca.cells[1].as_int().unwrap_or(0);
            if ty & IN_SCRIPT != 0 && !(r.sequence > lo && r.sequence < hi) {
                let loc = model
                    .actions
                    .iter()
                    .find(|s| &s.table == table && s.action == r.action)
                    .map_or(&ca.loc, |s| &s.loc);
                return Err(loc.error(format!(
                    "deferred custom action {} lands at {} in {table}, outside InstallInitialize..InstallFinalize; schedule it between them",
                    r.action, r.sequence
                )));
            }
        }
    }
    Ok(())
}

fn check_references(model: &Model) -> Result<(), Error> {
    for r in &model.references {
        let ok = match r.kind.as_str() {
            "Property" => model.is_defined("Property", &r.id) || model.secure.contains(&r.id),
            "Component" => model.is_defined("Component", &r.id),
            k => model.is_defined(k, &r.id),
        };
        if !ok {
            return Err(r
                .loc
                .error(format!("{} {} is referenced here but defined nowhere in the sources", r.kind, r.id)));
        }
    }
    Ok(())
}

fn expand_group(
    model: &Model,
    id: &str,
    loc: &Loc,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<(), Error> {
    if stack.iter().any(|s| s == id) {
        return Err(loc.error(format!("ComponentGroup cycle: {} -> {id}", stack.join(" -> "))));
    }
    let Some(members) = model.groups.get(id) else {
        return Err(loc.error(format!("ComponentGroup {id} is defined nowhere")));
    };
    stack.push(id.to_string());
    for (m, l) in members {
        match m {
            Member::Component(c) => out.push(c.clone()),
            Member::Group(g) => expand_group(model, g, l, stack, out)?,
        }
    }
    stack.pop();
    Ok(())
}

/// `FeatureComponents` from feature membership; every component must be in a feature.
fn feature_components(model: &mut Model) -> Result<(), Error> {
    let mut pairs: Vec<(String, String, Loc)> = Vec::new();
    for (f, m, loc) in &model.feature_members {
        match m {
            Member::Component(c) => pairs.push((f.clone(), c.clone(), loc.clone())),
            Member::Group(g) => {
                let mut comps = Vec::new();
                expand_group(model, g, loc, &mut Vec::new(), &mut comps)?;
                pairs.extend(comps.into_iter().map(|c| (f.clone(), c, loc.clone())));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (f, c, loc) in pairs {
        if seen.insert((f.clone(), c.clone())) {
            model.add_row(&loc, "FeatureComponents", vec![f.into(), c.into()])?;
        }
    }
    let in_feature: BTreeSet<String> = seen.into_iter().map(|(_, c)| c).collect();
    for r in model.rows("Component") {
        let id = r.cells[0].key_text();
        if !in_feature.contains(&id) {
            return Err(r.loc.error(format!(
                "component {id} is in no feature (add a ComponentRef or ComponentGroupRef under a <Feature>)"
            )));
        }
    }
    Ok(())
}

/// An advertised shortcut's `Target` is the feature that installs its component (MSI SDK
/// "Shortcut Table": "If the shortcut is advertised, this column is the name of a feature").
fn advertised_shortcuts(model: &mut Model) {
    let feature_of: BTreeMap<String, String> =
        model.rows("FeatureComponents").iter().rev().map(|r| (r.cells[1].key_text(), r.cells[0].key_text())).collect();
    let Some(t) = model.tables.get_mut("Shortcut") else { return };
    for r in &mut t.rows {
        if r.cells[4].as_str() == Some(ADVERTISED_TARGET) {
            if let Some(f) = feature_of.get(&r.cells[3].key_text()) {
                r.cells[4] = Cell::Str(f.clone());
            }
        }
    }
}

/// Feature `Display`: visible features are numbered in authoring order, each number's parity
/// saying how the node starts: odd = expanded, even = collapsed (MSI SDK "Feature Table",
/// Display column; wixl numbers the same way). The lowering left -1 (collapse, WiX's default) and
/// -2 (expand) as placeholders.
fn feature_display(model: &mut Model) {
    let Some(t) = model.tables.get_mut("Feature") else { return };
    let mut n = 0;
    for r in &mut t.rows {
        let want_even = match r.cells[4] {
            Cell::Int(-1) => true,
            Cell::Int(-2) => false,
            _ => continue,
        };
        n += 1;
        if (n % 2 == 0) != want_even {
            n += 1;
        }
        r.cells[4] = Cell::Int(n);
    }
}

/// Assigns `File.Sequence`, splits files into cabinets, writes `Media` rows.
fn media(model: &mut Model) -> Result<Vec<CabPlan>, Error> {
    let files = model.files.clone();
    let mut plans = Vec::new();
    let mut seq_of: BTreeMap<String, i32> = BTreeMap::new();
    let mut next_seq = 1i32;
    if let Some(t) = model.media_template.clone() {
        if !model.embedded_media.is_empty() {
            return Err(t.loc.error("<MediaTemplate> cannot be combined with <Media>"));
        }
        if let Some(f) = files.iter().find(|f| f.disk_id.is_some()) {
            return Err(f
                .loc
                .error("DiskId is not supported with <MediaTemplate> (cabinets are assigned automatically)"));
        }
        let mut groups: Vec<Vec<&PayloadFile>> = vec![Vec::new()];
        let mut size = 0u64;
        for f in &files {
            let cur = groups.last_mut().expect("non-empty");
            if !cur.is_empty() && (size + f.size > t.max_uncompressed || cur.len() >= MAX_FILES_PER_CABINET) {
                groups.push(Vec::new());
                size = 0;
            }
            size += f.size;
            groups.last_mut().expect("non-empty").push(f);
        }
        if files.is_empty() {
            groups.clear();
        }
        for (i, g) in groups.iter().enumerate() {
            let disk = i as i32 + 1;
            let stream = t.cabinet_template.replace("{0}", &disk.to_string());
            let mut entries = Vec::new();
            for f in g {
                seq_of.insert(f.id.clone(), next_seq);
                next_seq += 1;
                entries.push(CabEntry { name: f.id.clone(), source: f.source.clone(), size: f.size });
            }
            model.add_row(
                &t.loc,
                "Media",
                vec![
                    disk.into(),
                    (next_seq - 1).into(),
                    t.disk_prompt.clone().into(),
                    format!("#{stream}").into(),
                    t.volume_label.clone().into(),
                    Cell::Null,
                ],
            )?;
            plans.push(CabPlan { stream, entries, compress: t.compress });
        }
        if files.is_empty() {
            model.add_row(
                &t.loc,
                "Media",
                vec![
                    1.into(),
                    0.into(),
                    t.disk_prompt.clone().into(),
                    Cell::Null,
                    t.volume_label.clone().into(),
                    Cell::Null,
                ],
            )?;
        }
    } else {
        if !files.is_empty() && model.embedded_media.is_empty() {
            return Err(files[0].loc.error("files need media: add <MediaTemplate EmbedCab=\"yes\"/> (or <Media Id=\"1\" Cabinet=\"...\" EmbedCab=\"yes\"/>) to the <Product>"));
        }
        let media = model.embedded_media.clone();
        for (disk, (stream, compress)) in &media {
            let mut entries = Vec::new();
            let mut total = 0u64;
            for f in files.iter().filter(|f| f.disk_id.unwrap_or(1) == *disk) {
                seq_of.insert(f.id.clone(), next_seq);
                next_seq += 1;
                total += f.size;
                entries.push(CabEntry { name: f.id.clone(), source: f.source.clone(), size: f.size });
            }
            let row = model
                .tables
                .get_mut("Media")
                .and_then(|t| t.get_mut(&[Cell::Int(*disk)]))
                .expect("Media row added with the element");
            if total > 2000 * 1024 * 1024 || entries.len() > MAX_FILES_PER_CABINET {
                return Err(row.loc.error(format!("media {disk} holds {total} bytes in {} files, more than one cabinet can (2000 MiB, {MAX_FILES_PER_CABINET} files): use <MediaTemplate>", entries.len())));
            }
            row.cells[1] = Cell::Int(next_seq - 1);
            plans.push(CabPlan { stream: stream.clone(), entries, compress: *compress });
        }
        if let Some(f) = files.iter().find(|f| !media.contains_key(&f.disk_id.unwrap_or(1))) {
            return Err(f.loc.error(format!("no <Media Id=\"{}\"> for this file", f.disk_id.unwrap_or(1))));
        }
    }
    if let Some(t) = model.tables.get_mut("File") {
        for r in &mut t.rows {
            let id = r.cells[0].key_text();
            r.cells[7] = Cell::Int(*seq_of.get(&id).expect("every File row has a payload entry"));
        }
    }
    Ok(plans)
}

/// `SecureCustomProperties`, `MsiHiddenProperties`, `AdminProperties`.
fn generated_properties(model: &mut Model, product: &ProductInfo) -> Result<(), Error> {
    for (name, set) in [
        ("SecureCustomProperties", model.secure.clone()),
        ("MsiHiddenProperties", model.hidden.clone()),
        ("AdminProperties", model.admin.clone()),
    ] {
        if set.is_empty() {
            continue;
        }
        let joined = set.into_iter().collect::<Vec<_>>().join(";");
        let key = [Cell::Str(name.to_string())];
        if let Some(r) = model.tables.get_mut("Property").and_then(|t| t.get_mut(&key)) {
            let old = r.cells[1].key_text();
            r.cells[1] = Cell::Str(format!("{old};{joined}"));
        } else {
            model.add_row(&product.loc, "Property", vec![name.into(), joined.into()])?;
        }
    }
    Ok(())
}
