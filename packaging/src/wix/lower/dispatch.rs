//! The children of `<Product>` and `<Fragment>`, each handed to its element family.

use super::product as package;
use super::{common, custom_action, directory, feature, file, property, table, ui, util};
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::ProductInfo;
use roxmltree::Node;

/// Elements accepted both under `<Product>` and `<Fragment>`.
const COMMON_CHILDREN: &[&str] = &[
    "AdminExecuteSequence",
    "AdminUISequence",
    "AdvertiseExecuteSequence",
    "Binary",
    "Component",
    "ComponentGroup",
    "Condition",
    "CustomAction",
    "CustomActionRef",
    "CustomTable",
    "Directory",
    "DirectoryRef",
    "EnsureTable",
    "Feature",
    "FeatureRef",
    "Icon",
    "InstallExecuteSequence",
    "InstallUISequence",
    "Media",
    "MediaTemplate",
    "Property",
    "PropertyRef",
    "SetDirectory",
    "SetProperty",
    "UI",
    "UIRef",
    "Upgrade",
    "WixVariable",
];

/// Lowers `<Product>` (its `<Package>` and every child).
pub fn product(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<ProductInfo, Error> {
    let info = package::product_and_package(ctx, node)?;
    let mut product_only = vec!["Package", "MajorUpgrade"];
    product_only.extend_from_slice(COMMON_CHILDREN);
    for c in ctx.elements(node)? {
        match c.tag_name().name() {
            "Package" => {}
            "MajorUpgrade" => package::major_upgrade(ctx, c, &info)?,
            _ => {
                if !common_child(ctx, c)? {
                    return Err(ctx.unsupported(c, &product_only));
                }
            }
        }
    }
    Ok(info)
}

/// Lowers a `<Fragment>`.
pub fn fragment(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    ctx.attrs(node, &["Id"])?;
    for c in ctx.elements(node)? {
        if !common_child(ctx, c)? {
            return Err(ctx.unsupported(c, COMMON_CHILDREN));
        }
    }
    Ok(())
}

/// Lowers a child that may appear under `<Product>` or `<Fragment>`; `Ok(false)` if `c` is not
/// one of [`COMMON_CHILDREN`].
fn common_child(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<bool, Error> {
    match c.tag_name().name() {
        "Binary" => table::binary(ctx, c, "Binary")?,
        "Icon" => table::binary(ctx, c, "Icon")?,
        "Component" => {
            directory::component(ctx, c, None)?;
        }
        "ComponentGroup" => directory::component_group(ctx, c)?,
        "Condition" => package::launch_condition(ctx, c)?,
        "CustomAction" => custom_action::custom_action(ctx, c)?,
        "CustomActionRef" => {
            if let Some(why) = c.attribute("Id").and_then(util::util_custom_action) {
                return Err(ctx.error(c, format!("CustomAction {} {why}", c.attribute("Id").unwrap_or_default())));
            }
            common::simple_ref(ctx, c, "CustomAction")?
        }
        "CustomTable" => table::custom_table(ctx, c)?,
        "Directory" => directory::directory(ctx, c, None)?,
        "DirectoryRef" => directory::directory_ref(ctx, c)?,
        "EnsureTable" => table::ensure_table(ctx, c)?,
        "Feature" => feature::feature(ctx, c, None)?,
        "FeatureRef" => feature::feature_ref(ctx, c)?,
        "InstallExecuteSequence"
        | "InstallUISequence"
        | "AdminExecuteSequence"
        | "AdminUISequence"
        | "AdvertiseExecuteSequence" => custom_action::sequence(ctx, c)?,
        "Media" => file::media(ctx, c)?,
        "MediaTemplate" => file::media_template(ctx, c)?,
        "Property" => property::property(ctx, c)?,
        "PropertyRef" => common::simple_ref(ctx, c, "Property")?,
        "SetDirectory" => custom_action::set_directory(ctx, c)?,
        "SetProperty" => custom_action::set_property(ctx, c)?,
        "UI" => {
            if let Some(id) = c.attribute("Id") {
                ctx.define(c, "UI", id)?;
            }
            ui::lower_ui(ctx, c)?;
        }
        "UIRef" => common::simple_ref(ctx, c, "UI")?,
        "Upgrade" => package::upgrade(ctx, c)?,
        // Collected from every source before lowering (`!(wix.X)` may be used before it).
        "WixVariable" => {}
        _ => return Ok(false),
    }
    Ok(true)
}
