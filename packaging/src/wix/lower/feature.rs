//! `<Feature>` (with its component and group members) and `<FeatureRef>`.
//!
//! Bit values: MSI SDK "Feature Table".

use super::common::ref_id;
use super::directory::component;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::Member;
use roxmltree::Node;

/// The children of `<Feature>`/`<FeatureRef>`: membership, sub-features, level conditions.
fn feature_common(ctx: &mut Ctx<'_>, c: Node<'_, '_>, id: &str) -> Result<(), Error> {
    for ch in ctx.elements(c)? {
        let loc = ctx.loc(ch);
        match ch.tag_name().name() {
            "Feature" => feature(ctx, ch, Some(id))?,
            "ComponentRef" => {
                let cid = ref_id(ctx, ch, "Component")?;
                ctx.model.feature_members.push((id.to_string(), Member::Component(cid), loc));
            }
            "ComponentGroupRef" => {
                let gid = ref_id(ctx, ch, "ComponentGroup")?;
                ctx.model.feature_members.push((id.to_string(), Member::Group(gid), loc));
            }
            "Component" => {
                let cid = component(ctx, ch, None)?;
                ctx.model.feature_members.push((id.to_string(), Member::Component(cid), loc));
            }
            "Condition" => {
                let a = ctx.attrs(ch, &["Level"])?;
                let level = a.int("Level")?.ok_or_else(|| a.error("Level", "is required"))?;
                let cond = ctx.text(ch)?.ok_or_else(|| ctx.error(ch, "<Condition> needs the condition as its text"))?;
                ctx.add_row(ch, "Condition", vec![id.into(), level.into(), cond.into()])?;
            }
            _ => {
                return Err(
                    ctx.unsupported(ch, &["Feature", "ComponentRef", "ComponentGroupRef", "Component", "Condition"])
                )
            }
        }
    }
    Ok(())
}

/// `<Feature>`; attribute bits per the MSI SDK "Feature Table".
pub(super) fn feature(ctx: &mut Ctx<'_>, c: Node<'_, '_>, parent: Option<&str>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Title",
            "Description",
            "Level",
            "Display",
            "ConfigurableDirectory",
            "AllowAdvertise",
            "Absent",
            "InstallDefault",
            "TypicalDefault",
        ],
    )?;
    let id = a.required_id("Id")?;
    if id.len() > 38 {
        return Err(a.error("Id", "a feature id has at most 38 characters"));
    }
    let level = a.int("Level")?.unwrap_or(1);
    let mut bits = 0;
    match a.one_of("InstallDefault", &["local", "source", "followParent"])?.as_deref() {
        Some("source") => bits |= 0x1,
        Some("followParent") => bits |= 0x2,
        _ => {}
    }
    if a.one_of("TypicalDefault", &["install", "advertise"])?.as_deref() == Some("advertise") {
        bits |= 0x4;
    }
    match a.one_of("AllowAdvertise", &["no", "system", "yes"])?.as_deref() {
        Some("no") => bits |= 0x8,
        Some("system") => bits |= 0x20,
        _ => {}
    }
    if a.one_of("Absent", &["allow", "disallow"])?.as_deref() == Some("disallow") {
        bits |= 0x10;
    }
    // Display: hidden = 0; otherwise a placeholder the linker turns into the order number
    // (-1 collapse: an even number; -2 expand: an odd one; MSI SDK "Feature Table").
    let display = match a.one_of("Display", &["collapse", "expand", "hidden"])?.as_deref() {
        Some("hidden") => 0,
        Some("expand") => -2,
        _ => -1,
    };
    let dir = a.identifier("ConfigurableDirectory")?;
    if let Some(d) = &dir {
        if d.chars().any(|ch| ch.is_ascii_lowercase()) {
            return Err(a.error("ConfigurableDirectory", "must be a public property (upper case)"));
        }
        ctx.reference(c, "Directory", d);
    }
    ctx.add_row(
        c,
        "Feature",
        vec![
            id.clone().into(),
            parent.into(),
            a.string("Title").into(),
            a.string("Description").into(),
            display.into(),
            level.into(),
            dir.into(),
            bits.into(),
        ],
    )?;
    feature_common(ctx, c, &id)
}

/// `<FeatureRef>`.
pub(super) fn feature_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "IgnoreParent"])?;
    let id = a.required_id("Id")?;
    ctx.reference(c, "Feature", &id);
    feature_common(ctx, c, &id)
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row};

    #[test]
    fn feature_rows_bits_and_members() {
        let m = fragment(
            r#"<Feature Id="Main" Title="Main" Level="1" Absent="disallow" AllowAdvertise="no" ConfigurableDirectory="APPDIR">
                 <Feature Id="Docs" Level="3" Display="hidden" InstallDefault="followParent" />
                 <ComponentRef Id="C1" />
                 <Condition Level="0">NOT VersionNT64</Condition>
               </Feature>"#,
        )
        .unwrap();
        // Feature: Feature, Feature_Parent, Title, Description, Display, Level, Directory_,
        // Attributes (MSI SDK "Feature Table": 0x8 disallow advertise, 0x10 UIDisallowAbsent,
        // 0x2 follow parent); Display is numbered by the linker, 0 = hidden.
        let main = row(&m, "Feature", "Main");
        assert_eq!((main[1].as_str(), main[5].as_str(), main[6].as_str(), main[7].as_str()), ("", "1", "APPDIR", "24"));
        let docs = row(&m, "Feature", "Docs");
        assert_eq!((docs[1].as_str(), docs[4].as_str(), docs[5].as_str(), docs[7].as_str()), ("Main", "0", "3", "2"));
        assert_eq!(row(&m, "Condition", "Main"), ["Main", "0", "NOT VersionNT64"]);
        assert_eq!(m.feature_members.len(), 1);
        assert!(m.references.iter().any(|r| r.kind == "Component" && r.id == "C1"));
    }

    #[test]
    fn lower_case_configurable_directory_is_an_error() {
        let e = fragment(r#"<Feature Id="F" ConfigurableDirectory="appdir" />"#).unwrap_err();
        assert!(message(e).contains("public property"));
    }
}
