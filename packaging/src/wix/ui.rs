//! Lowering of the WiX user-interface elements (UI, Dialog, Control, Publish, TextStyle, ...) to the UI tables.
//!
//! One function per element family, as in the rest of the backend ([`super::context`] describes
//! the contract). The numbers written to `Attributes` columns are the bits of the MSI SDK pages
//! "Dialog Style Bits" and "Control Attributes"; each constant below names its bit. The tab
//! order (`Control_Next`) follows WiX v3's rule: the controls of a dialog that take focus (not
//! `TabSkip`), in source order, each pointing to the next, the last one back to the first.
//!
//! Elements handled here: `UI` (and, inside it, `Dialog`, `DialogRef`, `UIRef`, `TextStyle`,
//! `UIText`, `ProgressText`, `Error`, `Publish`, `RadioButtonGroup`, `ListBox`, `ComboBox`,
//! `ListView`). `Property` and the `InstallUISequence`/`AdminUISequence` (with `Show`) found
//! inside a `UI` are handed to the generic lowering ([`super::lower`]). The caller defines the
//! `UI` symbol of `<UI Id>` before calling [`lower_ui`], so `<UIRef>` resolves.

use super::context::{Attrs, Cell, Ctx, Loc};
use super::Error;
use roxmltree::Node;

/// Dialog style bits (MSI SDK, "Dialog Style Bits").
mod dialog_bits {
    pub const VISIBLE: i32 = 0x1;
    pub const MODAL: i32 = 0x2;
    pub const MINIMIZE: i32 = 0x4;
    pub const SYS_MODAL: i32 = 0x8;
    pub const KEEP_MODELESS: i32 = 0x10;
    pub const TRACK_DISK_SPACE: i32 = 0x20;
    pub const USE_CUSTOM_PALETTE: i32 = 0x40;
    pub const RTLRO: i32 = 0x80;
    pub const RIGHT_ALIGNED: i32 = 0x100;
    pub const LEFT_SCROLL: i32 = 0x200;
    pub const ERROR: i32 = 0x10000;
}

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

/// Lowers one `<UI>` element (under `<Product>` or `<Fragment>`).
pub fn lower_ui(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(node, &["Id"])?;
    a.identifier("Id")?;
    const CHILDREN: &[&str] = &[
        "AdminUISequence",
        "ComboBox",
        "Dialog",
        "DialogRef",
        "Error",
        "InstallUISequence",
        "ListBox",
        "ListView",
        "ProgressText",
        "Property",
        "Publish",
        "RadioButtonGroup",
        "TextStyle",
        "UIRef",
        "UIText",
    ];
    for child in ctx.elements(node)? {
        match child.tag_name().name() {
            "Dialog" => dialog(ctx, child)?,
            "DialogRef" | "UIRef" => {
                let a = ctx.attrs(child, &["Id"])?;
                let id = a.required_id("Id")?;
                let kind = if child.tag_name().name() == "UIRef" { "UI" } else { "Dialog" };
                ctx.reference(child, kind, &id);
            }
            "TextStyle" => text_style(ctx, child)?,
            "UIText" => ui_text(ctx, child)?,
            "ProgressText" => progress_text(ctx, child)?,
            "Error" => error(ctx, child)?,
            "Publish" => {
                let a = ctx.attrs(child, &["Dialog", "Control", "Event", "Value", "Property", "Order"])?;
                let dialog = a.required_id("Dialog")?;
                let control = a.required_id("Control")?;
                let order = a.int("Order")?;
                publish(ctx, child, &a, &dialog, &control, order)?;
            }
            "RadioButtonGroup" => radio_button_group(ctx, child, None)?,
            "ListBox" | "ComboBox" | "ListView" => list_items(ctx, child, None)?,
            "Property" => super::lower::property(ctx, child)?,
            "InstallUISequence" | "AdminUISequence" => super::lower::sequence(ctx, child)?,
            _ => return Err(ctx.unsupported(child, CHILDREN)),
        }
    }
    Ok(())
}

/// A control of a dialog being lowered, kept until the tab order is known.
struct PendingControl {
    cells: Vec<Cell>,
    id: String,
    tabbable: bool,
    loc: Loc,
}

/// Index of `Control_Next` in a `Control` row (Dialog_, Control, Type, X, Y, Width, Height,
/// Attributes, Property, Text, Control_Next, Help).
const CONTROL_NEXT: usize = 10;

/// Lowers a `<Dialog>` and its controls.
fn dialog(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(
        node,
        &[
            "Id",
            "X",
            "Y",
            "Width",
            "Height",
            "Title",
            "Hidden",
            "Modeless",
            "NoMinimize",
            "SystemModal",
            "KeepModeless",
            "TrackDiskSpace",
            "CustomPalette",
            "RightToLeft",
            "RightAligned",
            "LeftScroll",
            "ErrorDialog",
        ],
    )?;
    let id = a.required_id("Id")?;
    let width = required_int(&a, "Width")?;
    let height = required_int(&a, "Height")?;
    let x = a.int("X")?.unwrap_or(50);
    let y = a.int("Y")?.unwrap_or(50);
    for (name, v) in [("X", x), ("Y", y)] {
        if !(0..=100).contains(&v) {
            return Err(a.error(name, format!("{v} is not a percentage (0-100) of the screen")));
        }
    }
    let mut bits = 0;
    if !a.is_yes("Hidden")? {
        bits |= dialog_bits::VISIBLE;
    }
    if !a.is_yes("Modeless")? {
        bits |= dialog_bits::MODAL;
    }
    if !a.is_yes("NoMinimize")? {
        bits |= dialog_bits::MINIMIZE;
    }
    for (attr, bit) in [
        ("SystemModal", dialog_bits::SYS_MODAL),
        ("KeepModeless", dialog_bits::KEEP_MODELESS),
        ("TrackDiskSpace", dialog_bits::TRACK_DISK_SPACE),
        ("CustomPalette", dialog_bits::USE_CUSTOM_PALETTE),
        ("RightToLeft", dialog_bits::RTLRO),
        ("RightAligned", dialog_bits::RIGHT_ALIGNED),
        ("LeftScroll", dialog_bits::LEFT_SCROLL),
        ("ErrorDialog", dialog_bits::ERROR),
    ] {
        if a.is_yes(attr)? {
            bits |= bit;
        }
    }

    let mut controls: Vec<PendingControl> = Vec::new();
    let mut default: Option<String> = None;
    let mut cancel: Option<String> = None;
    for child in ctx.elements(node)? {
        if child.tag_name().name() != "Control" {
            return Err(ctx.unsupported(child, &["Control"]));
        }
        let c = control(ctx, child, &id)?;
        if let Some(first) = controls.iter().find(|p| p.id == c.control.id) {
            return Err(ctx.error(
                child,
                format!("dialog {id} has two controls named {} (first at {})", c.control.id, first.loc),
            ));
        }
        for (slot, set, what) in [(&mut default, c.default, "Default"), (&mut cancel, c.cancel, "Cancel")] {
            if set {
                if let Some(prev) = slot {
                    return Err(ctx.error(
                        child,
                        format!("dialog {id} has two {what}=\"yes\" controls ({prev} and {})", c.control.id),
                    ));
                }
                *slot = Some(c.control.id.clone());
            }
        }
        controls.push(c.control);
    }
    if controls.is_empty() {
        return Err(ctx.error(node, format!("dialog {id} has no <Control>")));
    }

    // Tab order as WiX v3 computes it: each focusable control points to the next one in source
    // order and the last one back to the first; a dialog with one focusable control has no
    // chain (its Control_Next stays null).
    let tab: Vec<usize> = (0..controls.len()).filter(|&i| controls[i].tabbable).collect();
    if tab.len() > 1 {
        for (k, &i) in tab.iter().enumerate() {
            let next = controls[tab[(k + 1) % tab.len()]].id.clone();
            controls[i].cells[CONTROL_NEXT] = Cell::Str(next);
        }
    }
    // Control_First is not nullable: a dialog where nothing takes focus starts at its first control.
    let first = tab.first().map_or(&controls[0].id, |&i| &controls[i].id).clone();

    ctx.add_row(
        node,
        "Dialog",
        vec![
            Cell::Str(id.clone()),
            Cell::Int(x),
            Cell::Int(y),
            Cell::Int(width),
            Cell::Int(height),
            Cell::Int(bits),
            a.string("Title").into(),
            Cell::Str(first),
            default.into(),
            cancel.into(),
        ],
    )?;
    for c in controls {
        ctx.model.add_row(&c.loc, "Control", c.cells)?;
    }
    Ok(())
}

/// What lowering one `<Control>` returns to its dialog.
struct ControlOut {
    control: PendingControl,
    default: bool,
    cancel: bool,
}

/// Lowers a `<Control>`: its own row is returned (the dialog sets the tab order); its events,
/// conditions, subscriptions and check-box value are added directly.
fn control(ctx: &mut Ctx<'_>, node: Node<'_, '_>, dialog: &str) -> Result<ControlOut, Error> {
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
        if !super::context::is_identifier(p) {
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
fn publish(
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
            if !super::context::is_identifier(&p) {
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

/// Lowers a `<TextStyle>` (color as the COLORREF `R + 256 G + 65536 B`; style bits of the MSI
/// SDK "TextStyle Table": bold 1, italic 2, underline 4, strike 8).
fn text_style(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a =
        ctx.attrs(node, &["Id", "FaceName", "Size", "Red", "Green", "Blue", "Bold", "Italic", "Strike", "Underline"])?;
    let id = a.required_id("Id")?;
    let face = a.required("FaceName")?;
    let size = required_int(&a, "Size")?;
    let mut color = None;
    for (name, shift) in [("Red", 0), ("Green", 8), ("Blue", 16)] {
        if let Some(v) = a.int(name)? {
            if !(0..=255).contains(&v) {
                return Err(a.error(name, format!("{v} is not between 0 and 255")));
            }
            color = Some(color.unwrap_or(0) | (v << shift));
        }
    }
    let mut style = 0;
    for (name, bit) in [("Bold", 1), ("Italic", 2), ("Underline", 4), ("Strike", 8)] {
        if a.is_yes(name)? {
            style |= bit;
        }
    }
    ctx.add_row(
        node,
        "TextStyle",
        vec![id.into(), face.into(), Cell::Int(size), color.into(), (style != 0).then_some(style).into()],
    )
}

/// Lowers a `<UIText>` (key and text).
fn ui_text(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(node, &["Id"])?;
    let id = a.required_id("Id")?;
    let text = ctx.text(node)?;
    ctx.add_row(node, "UIText", vec![id.into(), text.into()])
}

/// Lowers a `<ProgressText>` to an `ActionText` row (the text is the description).
fn progress_text(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(node, &["Action", "Template"])?;
    let action = a.required_id("Action")?;
    let text = ctx.text(node)?;
    ctx.add_row(node, "ActionText", vec![action.into(), text.into(), a.string("Template").into()])
}

/// Lowers an `<Error>` (number and message template).
fn error(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(node, &["Id"])?;
    let id = required_int(&a, "Id")?;
    let text = ctx.text(node)?;
    ctx.add_row(node, "Error", vec![Cell::Int(id), text.into()])
}

/// Lowers a `<RadioButtonGroup>` and its `<RadioButton>`s to `RadioButton` rows; inside a
/// `<Control>` the property may be omitted (the control's own is used).
fn radio_button_group(ctx: &mut Ctx<'_>, node: Node<'_, '_>, control_property: Option<&str>) -> Result<(), Error> {
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
fn list_items(ctx: &mut Ctx<'_>, node: Node<'_, '_>, control_property: Option<&str>) -> Result<(), Error> {
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
fn required_int(a: &Attrs, name: &str) -> Result<i32, Error> {
    a.required(name)?;
    Ok(a.int(name)?.expect("checked present"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wix::context::{Model, WIX_NS};
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Lowers `<UI>` content (the children given) read from `dir/test.wxs`.
    fn lower_in(dir: &Path, body: &str) -> Result<Model, Error> {
        let xml = format!("<UI xmlns=\"{WIX_NS}\">\n{body}\n</UI>");
        let doc = roxmltree::Document::parse(&xml).expect("test XML parses");
        let mut model = Model::default();
        let vars = BTreeMap::new();
        let strings = BTreeMap::from([("Next".to_string(), "&Next".to_string())]);
        let file = dir.join("test.wxs");
        let mut ctx = Ctx { file: &file, dir, vars: &vars, strings: &strings, model: &mut model, win64: true };
        lower_ui(&mut ctx, doc.root_element())?;
        Ok(model)
    }

    fn lower(body: &str) -> Result<Model, Error> {
        lower_in(Path::new("."), body)
    }

    fn texts(cells: &[Cell]) -> Vec<String> {
        cells.iter().map(Cell::key_text).collect()
    }

    fn control<'m>(m: &'m Model, id: &str) -> &'m [Cell] {
        &m.rows("Control").iter().find(|r| r.cells[1].key_text() == id).unwrap_or_else(|| panic!("control {id}")).cells
    }

    const WIZARD: &str = r#"
      <Dialog Id="D" Width="370" Height="270" Title="T" NoMinimize="yes">
        <Control Id="Title" Type="Text" X="1" Y="1" Width="10" Height="10" Text="{\S}Hi" />
        <Control Id="Name" Type="Edit" X="1" Y="1" Width="10" Height="10" Property="NAME" />
        <Control Id="Line" Type="Line" X="0" Y="1" Width="370" Height="0" />
        <Control Id="Pwd" Type="Edit" X="1" Y="1" Width="10" Height="10" Property="PWD" Password="yes" />
        <Control Id="Next" Type="PushButton" X="1" Y="1" Width="10" Height="10" Default="yes" Text="!(loc.Next)">
          <Publish Property="CHOICE" Value="a">1</Publish>
          <Publish Event="DoAction" Value="Check" />
          <Publish Event="NewDialog" Value="E">OK = "1"</Publish>
          <Condition Action="disable">NOT NAME</Condition>
        </Control>
        <Control Id="Cancel" Type="PushButton" X="1" Y="1" Width="10" Height="10" Cancel="yes" Text="Cancel">
          <Publish Event="SpawnDialog" Value="C" Order="7" />
        </Control>
      </Dialog>"#;

    #[test]
    fn dialog_row_has_style_bits_and_first_default_cancel() {
        let m = lower(WIZARD).unwrap();
        let d = &m.rows("Dialog")[0].cells;
        // Visible | Modal, no Minimize (MSI SDK "Dialog Style Bits"); centred at 50 %.
        assert_eq!(texts(d), ["D", "50", "50", "370", "270", "3", "T", "Name", "Next", "Cancel"]);
        let modeless = lower(
            r#"<Dialog Id="P" Width="1" Height="1" Modeless="yes" ErrorDialog="yes" TrackDiskSpace="yes">
            <Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
        )
        .unwrap();
        assert_eq!(modeless.rows("Dialog")[0].cells[5], Cell::Int(0x1 | 0x4 | 0x20 | 0x10000));
    }

    #[test]
    fn tab_order_skips_text_and_line_and_closes_the_loop() {
        let m = lower(WIZARD).unwrap();
        let next = |id| control(&m, id)[CONTROL_NEXT].key_text();
        assert_eq!(next("Name"), "Pwd");
        assert_eq!(next("Pwd"), "Next");
        assert_eq!(next("Next"), "Cancel");
        assert_eq!(next("Cancel"), "Name");
        assert_eq!(next("Title"), "");
        assert_eq!(next("Line"), "");
        // TabSkip overrides the type's default either way.
        let m = lower(
            r#"<Dialog Id="D" Width="1" Height="1">
            <Control Id="T" Type="Text" X="1" Y="1" Width="1" Height="1" TabSkip="no" />
            <Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" TabSkip="yes" />
            <Control Id="C" Type="PushButton" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
        )
        .unwrap();
        assert_eq!(control(&m, "T")[CONTROL_NEXT].key_text(), "C");
        assert_eq!(control(&m, "C")[CONTROL_NEXT].key_text(), "T");
        assert_eq!(control(&m, "B")[CONTROL_NEXT], Cell::Null);
        assert_eq!(m.rows("Dialog")[0].cells[7].key_text(), "T");
    }

    #[test]
    fn a_single_focusable_control_has_no_chain() {
        let m = lower(
            r#"<Dialog Id="D" Width="1" Height="1">
            <Control Id="T" Type="Text" X="1" Y="1" Width="1" Height="1" />
            <Control Id="OK" Type="PushButton" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
        )
        .unwrap();
        assert_eq!(control(&m, "OK")[CONTROL_NEXT], Cell::Null);
        assert_eq!(m.rows("Dialog")[0].cells[7].key_text(), "OK");
    }

    #[test]
    fn control_attribute_bits() {
        let m = lower(WIZARD).unwrap();
        let bits = |id| control(&m, id)[7].as_int().unwrap();
        assert_eq!(bits("Title"), 0x3, "Text: Visible | Enabled");
        assert_eq!(bits("Line"), 0x1, "Line: Visible only");
        assert_eq!(bits("Pwd"), 0x3 | 0x20_0000, "Edit with the Password bit");
        let m = lower(r#"<Dialog Id="D" Width="1" Height="1">
            <Control Id="A" Type="Text" X="1" Y="1" Width="1" Height="1" Hidden="yes" Transparent="yes" NoPrefix="yes" />
            <Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" Disabled="yes" ElevationShield="yes" />
            <Control Id="C" Type="PathEdit" X="1" Y="1" Width="1" Height="1" Property="P" Indirect="yes" />
            <Control Id="E" Type="ProgressBar" X="1" Y="1" Width="1" Height="1" ProgressBlocks="yes" /></Dialog>"#)
        .unwrap();
        let bits = |id| control(&m, id)[7].as_int().unwrap();
        assert_eq!(bits("A"), 0x2 | 0x1_0000 | 0x2_0000);
        assert_eq!(bits("B"), 0x1 | 0x80_0000);
        assert_eq!(bits("C"), 0x3 | 0x8);
        assert_eq!(bits("E"), 0x1 | 0x1_0000);
    }

    #[test]
    fn publish_rows_number_in_order_and_reference_their_targets() {
        let m = lower(WIZARD).unwrap();
        let events: Vec<Vec<String>> = m.rows("ControlEvent").iter().map(|r| texts(&r.cells)).collect();
        assert_eq!(
            events,
            [
                ["D", "Next", "[CHOICE]", "a", "1", "1"],
                ["D", "Next", "DoAction", "Check", "1", "2"],
                ["D", "Next", "NewDialog", "E", "OK = \"1\"", "3"],
                ["D", "Cancel", "SpawnDialog", "C", "1", "7"],
            ]
        );
        let refs: Vec<(String, String)> = m.references.iter().map(|r| (r.kind.clone(), r.id.clone())).collect();
        for want in [("CustomAction", "Check"), ("Dialog", "E"), ("Dialog", "C")] {
            assert!(refs.contains(&(want.0.to_string(), want.1.to_string())), "no reference {want:?} in {refs:?}");
        }
        assert_eq!(control(&m, "Next")[9].key_text(), "&Next", "!(loc.X) substituted");
        let cond = texts(&m.rows("ControlCondition")[0].cells);
        assert_eq!(cond, ["D", "Next", "Disable", "NOT NAME"]);
    }

    #[test]
    fn subscribe_check_box_radio_and_text_styles() {
        let m = lower(r#"
          <TextStyle Id="Red" FaceName="Tahoma" Size="8" Red="192" Bold="yes" Underline="yes" />
          <TextStyle Id="Plain" FaceName="Tahoma" Size="8" />
          <UIText Id="NewFolder">New</UIText>
          <ProgressText Action="InstallFiles" Template="File: [1]">Copying</ProgressText>
          <Error Id="25000">Oops [1]</Error>
          <Dialog Id="D" Width="1" Height="1">
            <Control Id="A" Type="Text" X="1" Y="1" Width="1" Height="1"><Subscribe Event="ActionText" Attribute="Text" /></Control>
            <Control Id="B" Type="CheckBox" X="1" Y="1" Width="1" Height="1" Property="BOX" CheckBoxValue="1" />
            <Control Id="C" Type="RadioButtonGroup" X="1" Y="1" Width="1" Height="1" Property="R">
              <RadioButtonGroup Property="R">
                <RadioButton Value="x" X="0" Y="0" Width="5" Height="5" Text="X" />
                <RadioButton Value="y" X="0" Y="5" Width="5" Height="5" Text="Y" />
              </RadioButtonGroup>
            </Control>
          </Dialog>"#)
        .unwrap();
        assert_eq!(texts(&m.rows("EventMapping")[0].cells), ["D", "A", "ActionText", "Text"]);
        assert_eq!(texts(&m.rows("CheckBox")[0].cells), ["BOX", "1"]);
        let radios: Vec<Vec<String>> = m.rows("RadioButton").iter().map(|r| texts(&r.cells)).collect();
        assert_eq!(radios[1], ["R", "2", "y", "0", "5", "5", "5", "Y", ""]);
        assert_eq!(texts(&m.rows("TextStyle")[0].cells), ["Red", "Tahoma", "8", "192", "5"]);
        assert_eq!(texts(&m.rows("TextStyle")[1].cells), ["Plain", "Tahoma", "8", "", ""]);
        assert_eq!(texts(&m.rows("UIText")[0].cells), ["NewFolder", "New"]);
        assert_eq!(texts(&m.rows("ActionText")[0].cells), ["InstallFiles", "Copying", "File: [1]"]);
        assert_eq!(texts(&m.rows("Error")[0].cells), ["25000", "Oops [1]"]);
    }

    #[test]
    fn scrollable_text_reads_its_source_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("eula.rtf"), "{\\rtf1 Terms}").unwrap();
        let m = lower_in(
            dir.path(),
            r#"<Dialog Id="D" Width="1" Height="1">
                 <Control Id="L" Type="ScrollableText" X="1" Y="1" Width="1" Height="1"><Text SourceFile="eula.rtf" /></Control>
               </Dialog>"#,
        )
        .unwrap();
        assert_eq!(control(&m, "L")[9].key_text(), "{\\rtf1 Terms}");
        let err = lower_in(
            dir.path(),
            r#"<Dialog Id="D" Width="1" Height="1">
                 <Control Id="L" Type="ScrollableText" X="1" Y="1" Width="1" Height="1"><Text SourceFile="missing.rtf" /></Control>
               </Dialog>"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("missing.rtf") && err.contains("test.wxs:3:"), "{err}");
    }

    #[test]
    fn mistakes_are_errors_with_positions() {
        let cases = [
            (
                r#"<Dialog Id="D" Width="1" Height="1" Colour="red"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
                "attribute Colour of <Dialog> is not supported",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" Transparent="yes" /></Dialog>"#,
                "applies only to controls of type Text",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="Button" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
                "is not a control type",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1"><Condition Action="grey">1</Condition></Control></Dialog>"#,
                "is not one of: default, disable",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" Default="yes" /><Control Id="C" Type="PushButton" X="1" Y="1" Width="1" Height="1" Default="yes" /></Dialog>"#,
                "two Default=\"yes\" controls",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1" /><Control Id="B" Type="Text" X="1" Y="1" Width="1" Height="1" /></Dialog>"#,
                "two controls named B",
            ),
            (
                r#"<Dialog Id="D" Width="1" Height="1"><Control Id="B" Type="PushButton" X="1" Y="1" Width="1" Height="1"><Publish Value="x" /></Control></Dialog>"#,
                "needs Event or Property",
            ),
            (r#"<Billboard Id="B" />"#, "<Billboard> is not supported here"),
            (r#"<Dialog Id="D" Width="1" Height="1" />"#, "has no <Control>"),
        ];
        for (body, want) in cases {
            let err = lower(body).unwrap_err().to_string();
            assert!(err.contains(want), "{body}\n  gave: {err}\n  want: {want}");
            assert!(err.contains("test.wxs:2:"), "no file:line:col in {err}");
        }
    }
}
