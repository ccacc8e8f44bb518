//! Lowering of the WiX user-interface elements (UI, Dialog, Control, Publish, TextStyle, ...) to the UI tables.
//!
//! One function per element family, as in the rest of the backend ([`crate::wix::context`] describes
//! the contract). The numbers written to `Attributes` columns are the bits of the MSI SDK pages
//! "Dialog Style Bits" and "Control Attributes"; each constant below names its bit. The tab
//! order (`Control_Next`) follows WiX v3's rule: the controls of a dialog that take focus (not
//! `TabSkip`), in source order, each pointing to the next, the last one back to the first.
//!
//! Elements handled here: `UI` (and, inside it, `Dialog`, `DialogRef`, `UIRef`, `TextStyle`,
//! `UIText`, `ProgressText`, `Error`, `Publish`, `RadioButtonGroup`, `ListBox`, `ComboBox`,
//! `ListView`). `Property` and the `InstallUISequence`/`AdminUISequence` (with `Show`) found
//! inside a `UI` are handed to the families of [`super`] (`property`, `custom_action`). The caller defines the
//! `UI` symbol of `<UI Id>` before calling [`lower_ui`], so `<UIRef>` resolves.

use super::control::{control, list_items, publish, radio_button_group, required_int, PendingControl, CONTROL_NEXT};
use super::custom_action::sequence;
use super::property::property;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::Cell;
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
                // The dialog the event is published on must exist (WiX references it, so a
                // misspelt Dialog fails the link; ControlEvent.Dialog_ is a key into Dialog).
                ctx.reference(child, "Dialog", &dialog);
                publish(ctx, child, &a, &dialog, &control, order)?;
            }
            "RadioButtonGroup" => radio_button_group(ctx, child, None)?,
            "ListBox" | "ComboBox" | "ListView" => list_items(ctx, child, None)?,
            "Property" => property(ctx, child)?,
            "InstallUISequence" | "AdminUISequence" => sequence(ctx, child)?,
            _ => return Err(ctx.unsupported(child, CHILDREN)),
        }
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wix::lower::harness::{lower_with, texts};
    use crate::wix::model::Model;
    use std::path::Path;

    /// Lowers `<UI>` content (the children given) read from `dir/test.wxs`.
    fn lower_in(dir: &Path, body: &str) -> Result<Model, Error> {
        lower_with(dir, "UI", body, lower_ui)
    }

    fn lower(body: &str) -> Result<Model, Error> {
        lower_in(Path::new("."), body)
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
