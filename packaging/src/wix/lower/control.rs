//! `<Control>` (the `Control` row, its attribute bits and tab-order slot), `<Publish>` (the
//! `ControlEvent` rows), `<Subscribe>`, `<Condition>` of a control, check boxes, radio button
//! groups and list items: everything a dialog's controls produce. The numbers written to
//! `Attributes` are the bits of the MSI SDK page "Control Attributes"; each constant below names
//! its bit.

use crate::wix::context::{Attrs, Ctx};
use crate::wix::error::Error;
use crate::wix::model::{Cell, Loc};
use roxmltree::Node;

/// Control attribute bits (MSI SDK, "Control Attributes").
mod control_bits {
    pub const VISIBLE: i32 = 0x1;
    pub const ENABLED: i32 = 0x2;
    pub const SUNKEN: i32 = 0x4;
    pub const INDIRECT: i32 = 0x8;
    pub const INTEGER: i32 = 0x10;
    pub const RTLRO: i32 = 0x20;
    pub const RIGHT_ALIGNED: i32 = 0x40;
    pub const LEFT_SCROLL: i32 = 0x80;
    // Text controls.
    pub const TRANSPARENT: i32 = 0x1_0000;
    pub const NO_PREFIX: i32 = 0x2_0000;
    pub const NO_WRAP: i32 = 0x4_0000;
    pub const FORMAT_SIZE: i32 = 0x8_0000;
    pub const USERS_LANGUAGE: i32 = 0x10_0000;
    // Edit controls.
    pub const MULTILINE: i32 = 0x1_0000;
    pub const PASSWORD: i32 = 0x20_0000;
    // ProgressBar.
    pub const PROGRESS95: i32 = 0x1_0000;
    // Volume and directory controls.
    pub const REMOVABLE_VOLUME: i32 = 0x1_0000;
    pub const FIXED_VOLUME: i32 = 0x2_0000;
    pub const REMOTE_VOLUME: i32 = 0x4_0000;
    pub const CDROM_VOLUME: i32 = 0x8_0000;
    pub const RAMDISK_VOLUME: i32 = 0x10_0000;
    pub const FLOPPY_VOLUME: i32 = 0x20_0000;
    pub const SHOW_ROLLBACK_COST: i32 = 0x40_0000;
    // ListBox, ComboBox, ListView.
    pub const SORTED: i32 = 0x1_0000;
    pub const COMBO_LIST: i32 = 0x2_0000;
    // Picture buttons, Bitmap and Icon controls.
    pub const IMAGE_HANDLE: i32 = 0x1_0000;
    pub const PUSH_LIKE: i32 = 0x2_0000;
    pub const BITMAP: i32 = 0x4_0000;
    pub const ICON: i32 = 0x8_0000;
    pub const FIXED_SIZE: i32 = 0x10_0000;
    pub const ICON_SIZE16: i32 = 0x20_0000;
    pub const ICON_SIZE32: i32 = 0x40_0000;
    pub const ICON_SIZE48: i32 = 0x60_0000;
    pub const ELEVATION_SHIELD: i32 = 0x80_0000;
    // RadioButtonGroup.
    pub const HAS_BORDER: i32 = 0x100_0000;
}

/// The control types of the MSI SDK ("Controls").
const CONTROL_TYPES: &[&str] = &[
    "Billboard",
    "Bitmap",
    "CheckBox",
    "ComboBox",
    "DirectoryCombo",
    "DirectoryList",
    "Edit",
    "GroupBox",
    "Hyperlink",
    "Icon",
    "Line",
    "ListBox",
    "ListView",
    "MaskedEdit",
    "PathEdit",
    "ProgressBar",
    "PushButton",
    "RadioButtonGroup",
    "ScrollableText",
    "SelectionTree",
    "Text",
    "VolumeCostList",
    "VolumeSelectCombo",
];

/// Control types that never take focus, so WiX's default `TabSkip` is `yes` for them.
const NOT_TABBABLE: &[&str] = &["Billboard", "Bitmap", "GroupBox", "Icon", "Line", "ProgressBar", "Text"];

/// Control types that WiX creates without the `Enabled` bit (they are decoration only).
const NOT_ENABLED: &[&str] = &["Billboard", "Bitmap", "Icon", "Line", "ProgressBar"];

const PICTURE_TYPES: &[&str] = &["PushButton", "CheckBox", "RadioButtonGroup", "Bitmap", "Icon"];

const VOLUME_TYPES: &[&str] = &["DirectoryCombo", "VolumeCostList", "VolumeSelectCombo"];

/// A `yes`/`no` attribute of `<Control>` that sets a bit, and the control types it applies to
/// (`None`: every type).
struct Flag {
    attr: &'static str,
    bit: i32,
    types: Option<&'static [&'static str]>,
}

const CONTROL_FLAGS: &[Flag] = &[
    Flag { attr: "Sunken", bit: control_bits::SUNKEN, types: None },
    Flag { attr: "Indirect", bit: control_bits::INDIRECT, types: None },
    Flag { attr: "Integer", bit: control_bits::INTEGER, types: None },
    Flag { attr: "RightToLeft", bit: control_bits::RTLRO, types: None },
    Flag { attr: "RightAligned", bit: control_bits::RIGHT_ALIGNED, types: None },
    Flag { attr: "LeftScroll", bit: control_bits::LEFT_SCROLL, types: None },
    Flag { attr: "Transparent", bit: control_bits::TRANSPARENT, types: Some(&["Text", "Hyperlink"]) },
    Flag { attr: "NoPrefix", bit: control_bits::NO_PREFIX, types: Some(&["Text", "Hyperlink"]) },
    Flag { attr: "NoWrap", bit: control_bits::NO_WRAP, types: Some(&["Text", "Hyperlink"]) },
    Flag { attr: "FormatSize", bit: control_bits::FORMAT_SIZE, types: Some(&["Text"]) },
    Flag {
        attr: "UserLanguage",
        bit: control_bits::USERS_LANGUAGE,
        types: Some(&["Text", "Edit", "ComboBox", "ListBox", "ListView"]),
    },
    Flag { attr: "Multiline", bit: control_bits::MULTILINE, types: Some(&["Edit"]) },
    Flag { attr: "Password", bit: control_bits::PASSWORD, types: Some(&["Edit"]) },
    Flag { attr: "ProgressBlocks", bit: control_bits::PROGRESS95, types: Some(&["ProgressBar"]) },
    Flag { attr: "Removable", bit: control_bits::REMOVABLE_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "Fixed", bit: control_bits::FIXED_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "Remote", bit: control_bits::REMOTE_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "CDROM", bit: control_bits::CDROM_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "RAMDisk", bit: control_bits::RAMDISK_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "Floppy", bit: control_bits::FLOPPY_VOLUME, types: Some(VOLUME_TYPES) },
    Flag { attr: "ShowRollbackCost", bit: control_bits::SHOW_ROLLBACK_COST, types: Some(&["VolumeCostList"]) },
    Flag { attr: "Sorted", bit: control_bits::SORTED, types: Some(&["ListBox", "ComboBox", "ListView"]) },
    Flag { attr: "ComboList", bit: control_bits::COMBO_LIST, types: Some(&["ComboBox"]) },
    Flag { attr: "Image", bit: control_bits::IMAGE_HANDLE, types: Some(PICTURE_TYPES) },
    Flag { attr: "PushLike", bit: control_bits::PUSH_LIKE, types: Some(&["CheckBox", "RadioButtonGroup"]) },
    Flag { attr: "Bitmap", bit: control_bits::BITMAP, types: Some(&["PushButton", "CheckBox", "RadioButtonGroup"]) },
    Flag { attr: "Icon", bit: control_bits::ICON, types: Some(&["PushButton", "CheckBox", "RadioButtonGroup"]) },
    Flag { attr: "FixedSize", bit: control_bits::FIXED_SIZE, types: Some(PICTURE_TYPES) },
    Flag { attr: "ElevationShield", bit: control_bits::ELEVATION_SHIELD, types: Some(&["PushButton"]) },
    Flag { attr: "HasBorder", bit: control_bits::HAS_BORDER, types: Some(&["RadioButtonGroup"]) },
];

/// A control of a dialog being lowered, kept until the tab order is known.
pub(super) struct PendingControl {
    pub(super) cells: Vec<Cell>,
    pub(super) id: String,
    pub(super) tabbable: bool,
    pub(super) loc: Loc,
}

/// Index of `Control_Next` in a `Control` row (Dialog_, Control, Type, X, Y, Width, Height,
/// Attributes, Property, Text, Control_Next, Help).
pub(super) const CONTROL_NEXT: usize = 10;

/// What lowering one `<Control>` returns to its dialog.
pub(super) struct ControlOut {
    pub(super) control: PendingControl,
    pub(super) default: bool,
    pub(super) cancel: bool,
}

/// Lowers a `<Control>`: its own row is returned (the dialog sets the tab order); its events,
/// conditions, subscriptions and check-box value are added directly.
pub(super) fn control(ctx: &mut Ctx<'_>, node: Node<'_, '_>, dialog: &str) -> Result<ControlOut, Error> {
    let mut supported = vec![
        "Id",
        "Type",
        "X",
        "Y",
        "Width",
        "Height",
        "Text",
        "Property",
        "Help",
        "ToolTip",
        "Default",
        "Cancel",
        "TabSkip",
        "Hidden",
        "Disabled",
        "CheckBoxValue",
        "IconSize",
    ];
    supported.extend(CONTROL_FLAGS.iter().map(|f| f.attr));
    let a = ctx.attrs(node, &supported)?;
    let id = a.required_id("Id")?;
    if id.len() > 50 {
        return Err(a.error("Id", "a control name has at most 50 characters (Control.Control is s50)"));
    }
    let ty = a.required("Type")?;
    if !CONTROL_TYPES.contains(&ty.as_str()) {
        return Err(a.error("Type", format!("{ty:?} is not a control type (supported: {})", CONTROL_TYPES.join(", "))));
    }
    let (x, y, w, h) =
        (required_int(&a, "X")?, required_int(&a, "Y")?, required_int(&a, "Width")?, required_int(&a, "Height")?);

    let mut bits = control_bits::VISIBLE;
    if a.is_yes("Hidden")? {
        bits &= !control_bits::VISIBLE;
    }
    if !a.is_yes("Disabled")? && !NOT_ENABLED.contains(&ty.as_str()) {
        bits |= control_bits::ENABLED;
    }
    for f in CONTROL_FLAGS {
        if a.is_yes(f.attr)? {
            if let Some(types) = f.types {
                if !types.contains(&ty.as_str()) {
                    return Err(a.error(
                        f.attr,
                        format!("applies only to controls of type {} (this one is {ty})", types.join(", ")),
                    ));
                }
            }
            bits |= f.bit;
        }
    }
    if let Some(size) = a.one_of("IconSize", &["16", "32", "48"])? {
        if !PICTURE_TYPES.contains(&ty.as_str()) {
            return Err(a.error(
                "IconSize",
                format!("applies only to controls of type {} (this one is {ty})", PICTURE_TYPES.join(", ")),
            ));
        }
        bits |= match size.as_str() {
            "16" => control_bits::ICON_SIZE16,
            "32" => control_bits::ICON_SIZE32,
            _ => control_bits::ICON_SIZE48,
        };
    }

    let tabbable = match a.yes_no("TabSkip")? {
        Some(skip) => !skip,
        None => !NOT_TABBABLE.contains(&ty.as_str()),
    };
    let property = a.string("Property");
    if let Some(p) = &property {
        if !crate::wix::context::is_identifier(p) {
            return Err(a.error("Property", format!("{p:?} is not a valid property name")));
        }
    }
    let help = help_text(&a);
    let mut text = a.string("Text");

    if let Some(value) = a.string("CheckBoxValue") {
        if ty != "CheckBox" {
            return Err(a.error("CheckBoxValue", format!("applies only to CheckBox controls (this one is {ty})")));
        }
        let prop = property.clone().ok_or_else(|| a.error("CheckBoxValue", "needs the Property the check box sets"))?;
        check_box_row(ctx, node, &prop, &value)?;
    }

    let mut order = 0;
    for child in ctx.elements(node)? {
        match child.tag_name().name() {
            "Text" => {
                if text.is_some() {
                    return Err(ctx.error(child, "the control's text is given twice (Text attribute and <Text>)"));
                }
                text = Some(control_text(ctx, child)?);
            }
            "Publish" => {
                let pa = ctx.attrs(child, &["Event", "Value", "Property", "Order"])?;
                // WiX v3: a nested Publish without Order comes one after the previous one.
                order = pa.int("Order")?.unwrap_or(order + 1);
                publish(ctx, child, &pa, dialog, &id, Some(order))?;
            }
            "Subscribe" => {
                let sa = ctx.attrs(child, &["Event", "Attribute"])?;
                let event = sa.required_id("Event")?;
                let attribute = sa.required_id("Attribute")?;
                ctx.add_row(
                    child,
                    "EventMapping",
                    vec![dialog.into(), id.as_str().into(), event.into(), attribute.into()],
                )?;
            }
            "Condition" => {
                let ca = ctx.attrs(child, &["Action"])?;
                let action = match ca.required("Action")?.as_str() {
                    "default" => "Default",
                    "disable" => "Disable",
                    "enable" => "Enable",
                    "hide" => "Hide",
                    "show" => "Show",
                    other => {
                        return Err(ca
                            .error("Action", format!("{other:?} is not one of: default, disable, enable, hide, show")))
                    }
                };
                let condition = ctx
                    .text(child)?
                    .ok_or_else(|| ctx.error(child, "<Condition> under <Control> needs the condition as its text"))?;
                ctx.add_row(
                    child,
                    "ControlCondition",
                    vec![dialog.into(), id.as_str().into(), action.into(), condition.into()],
                )?;
            }
            "RadioButtonGroup" => radio_button_group(ctx, child, property.as_deref())?,
            "ListBox" | "ComboBox" | "ListView" => list_items(ctx, child, property.as_deref())?,
            _ => {
                return Err(ctx.unsupported(
                    child,
                    &[
                        "ComboBox",
                        "Condition",
                        "ListBox",
                        "ListView",
                        "Publish",
                        "RadioButtonGroup",
                        "Subscribe",
                        "Text",
                    ],
                ))
            }
        }
    }

    let cells = vec![
        dialog.into(),
        id.as_str().into(),
        ty.as_str().into(),
        Cell::Int(x),
        Cell::Int(y),
        Cell::Int(w),
        Cell::Int(h),
        Cell::Int(bits),
        property.into(),
        text.into(),
        Cell::Null,
        help.into(),
    ];
    Ok(ControlOut {
        control: PendingControl { cells, id, tabbable, loc: ctx.loc(node) },
        default: a.is_yes("Default")?,
        cancel: a.is_yes("Cancel")?,
    })
}

/// The `Help` column as WiX writes it: `ToolTip|Help`.
fn help_text(a: &Attrs) -> Option<String> {
    match (a.get("ToolTip"), a.get("Help")) {
        (None, None) => None,
        (t, h) => Some(format!("{}|{}", t.unwrap_or(""), h.unwrap_or(""))),
    }
}

/// The text of a `<Text>` child of a `<Control>`: its content, or the file named by `SourceFile`
/// (e.g. the RTF of a ScrollableText control), resolved against the source file's folder.
fn control_text(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<String, Error> {
    let a = ctx.attrs(node, &["SourceFile"])?;
    let inner = ctx.text(node)?;
    match (a.string("SourceFile"), inner) {
        (Some(_), Some(_)) => Err(ctx.error(node, "<Text> has both SourceFile and text content; use one")),
        (None, Some(t)) => Ok(t),
        (None, None) => Err(ctx.error(node, "<Text> needs text content or a SourceFile")),
        (Some(file), None) => {
            let path = ctx.source_path(&file);
            let bytes = std::fs::read(&path)
                .map_err(|e| a.error("SourceFile", format!("cannot read {}: {e}", path.display())))?;
            // The Control table holds text, not bytes: an RTF file is 7-bit ASCII (RTF escapes
            // everything else), so a file that is not UTF-8 is a mistake worth reporting.
            String::from_utf8(bytes)
                .map_err(|_| a.error("SourceFile", format!("{} is not text (RTF files are ASCII)", path.display())))
        }
    }
}

/// Adds the `CheckBox` row of a check box's property (several check boxes may share one
/// property if they agree on the value).
fn check_box_row(ctx: &mut Ctx<'_>, node: Node<'_, '_>, property: &str, value: &str) -> Result<(), Error> {
    if let Some(row) = ctx.model.tables.get("CheckBox").and_then(|t| t.get(&[Cell::Str(property.to_string())])) {
        if row.cells[1].as_str() == Some(value) {
            return Ok(());
        }
        let message = format!(
            "check box property {property} already has the value {:?} (at {})",
            row.cells[1].key_text(),
            row.loc
        );
        return Err(ctx.error(node, message));
    }
    ctx.add_row(node, "CheckBox", vec![property.into(), value.into()])
}

/// Lowers a `<Publish>` to a `ControlEvent` row: `Event`+`Value`, or `Property`+`Value` (the
/// event `[Property]` sets the property; the value `{}` clears it). The condition is the text
/// (`1` when empty). `DoAction` references a custom action and `NewDialog`/`SpawnDialog`/
/// `SpawnWaitDialog` a dialog, as WiX does, so a misspelt name fails the link.
pub(super) fn publish(
    ctx: &mut Ctx<'_>,
    node: Node<'_, '_>,
    a: &Attrs,
    dialog: &str,
    control: &str,
    order: Option<i32>,
) -> Result<(), Error> {
    let event = match (a.string("Event"), a.string("Property")) {
        (Some(_), Some(_)) => return Err(a.error("Property", "use either Event or Property, not both")),
        (None, None) => return Err(ctx.error(node, "<Publish> needs Event or Property")),
        (None, Some(p)) => {
            if !crate::wix::context::is_identifier(&p) {
                return Err(a.error("Property", format!("{p:?} is not a valid property name")));
            }
            format!("[{p}]")
        }
        (Some(e), None) => e,
    };
    let value = a.required("Value")?;
    match event.as_str() {
        "DoAction" => ctx.reference(node, "CustomAction", &value),
        "NewDialog" | "SpawnDialog" | "SpawnWaitDialog" => ctx.reference(node, "Dialog", &value),
        _ => {}
    }
    let condition = ctx.text(node)?.unwrap_or_else(|| "1".to_string());
    ctx.add_row(
        node,
        "ControlEvent",
        vec![dialog.into(), control.into(), event.into(), value.into(), condition.into(), order.into()],
    )
}

/// Lowers a `<RadioButtonGroup>` and its `<RadioButton>`s to `RadioButton` rows; inside a
/// `<Control>` the property may be omitted (the control's own is used).
pub(super) fn radio_button_group(
    ctx: &mut Ctx<'_>,
    node: Node<'_, '_>,
    control_property: Option<&str>,
) -> Result<(), Error> {
    let a = ctx.attrs(node, &["Property"])?;
    let property = group_property(ctx, node, &a, control_property)?;
    let mut order = 0;
    for child in ctx.elements(node)? {
        if child.tag_name().name() != "RadioButton" {
            return Err(ctx.unsupported(child, &["RadioButton"]));
        }
        let b = ctx.attrs(child, &["Value", "X", "Y", "Width", "Height", "Text", "Help", "ToolTip"])?;
        order += 1;
        let cells = vec![
            property.as_str().into(),
            Cell::Int(order),
            b.required("Value")?.into(),
            Cell::Int(required_int(&b, "X")?),
            Cell::Int(required_int(&b, "Y")?),
            Cell::Int(required_int(&b, "Width")?),
            Cell::Int(required_int(&b, "Height")?),
            b.string("Text").into(),
            help_text(&b).into(),
        ];
        ctx.add_row(child, "RadioButton", cells)?;
    }
    if order == 0 {
        return Err(ctx.error(node, "<RadioButtonGroup> has no <RadioButton>"));
    }
    Ok(())
}

/// Lowers a `<ListBox>`, `<ComboBox>` or `<ListView>` and its `<ListItem>`s to rows of the
/// table of the same name.
pub(super) fn list_items(ctx: &mut Ctx<'_>, node: Node<'_, '_>, control_property: Option<&str>) -> Result<(), Error> {
    let table = node.tag_name().name().to_string();
    let a = ctx.attrs(node, &["Property"])?;
    let property = group_property(ctx, node, &a, control_property)?;
    let mut order = 0;
    for child in ctx.elements(node)? {
        if child.tag_name().name() != "ListItem" {
            return Err(ctx.unsupported(child, &["ListItem"]));
        }
        let supported: &[&str] = if table == "ListView" { &["Value", "Text", "Icon"] } else { &["Value", "Text"] };
        let b = ctx.attrs(child, supported)?;
        order += 1;
        let mut cells =
            vec![property.as_str().into(), Cell::Int(order), b.required("Value")?.into(), b.string("Text").into()];
        if table == "ListView" {
            let icon = b.identifier("Icon")?;
            if let Some(icon) = &icon {
                ctx.reference(child, "Binary", icon);
            }
            cells.push(icon.into());
        }
        ctx.add_row(child, &table, cells)?;
    }
    Ok(())
}

/// The property of a radio-button group or list: its own `Property`, else the enclosing
/// control's.
fn group_property(
    ctx: &Ctx<'_>,
    node: Node<'_, '_>,
    a: &Attrs,
    control_property: Option<&str>,
) -> Result<String, Error> {
    match (a.identifier("Property")?, control_property) {
        (Some(p), Some(c)) if p != c => {
            Err(a.error("Property", format!("differs from the enclosing control's property {c}")))
        }
        (Some(p), _) => Ok(p),
        (None, Some(c)) => Ok(c.to_string()),
        (None, None) => Err(ctx.error(node, format!("<{}> requires the Property attribute", node.tag_name().name()))),
    }
}

/// A required integer attribute.
pub(super) fn required_int(a: &Attrs, name: &str) -> Result<i32, Error> {
    a.required(name)?;
    Ok(a.int(name)?.expect("checked present"))
}
