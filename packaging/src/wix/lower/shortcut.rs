//! `<Shortcut>` (under `<File>` or `<Component>`, advertised or not) and its `<ShortcutProperty>`
//! children: the `Shortcut` and `MsiShortcutProperty` tables (MSI SDK "Shortcut Table",
//! "MsiShortcutProperty Table"), with WiX v3's defaults (its "Shortcut Element" page):
//! a shortcut under a `<File>` targets that file (`[#FileId]`); under a `<Component>` it needs
//! `Target`, or targets the component's folder (`[DirId]`); an advertised one targets the
//! feature of its component (filled in by the linker, see [`ADVERTISED_TARGET`]).

use super::common::gen_id;
use super::common::{check_long_name, msi_name};
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::{Cell, ADVERTISED_TARGET};
use roxmltree::Node;

/// What a shortcut is under.
pub(super) enum Parent<'p> {
    /// `<File Id>`.
    File(&'p str),
    /// `<Component>` whose folder is given.
    Component(&'p str),
}

/// `<Shortcut>` of component `component`.
pub(super) fn shortcut(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str, parent: Parent<'_>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "ShortName",
            "Directory",
            "Target",
            "Arguments",
            "Description",
            "Hotkey",
            "Icon",
            "IconIndex",
            "Show",
            "WorkingDirectory",
            "Advertise",
            "DisplayResourceDll",
            "DisplayResourceId",
            "DescriptionResourceDll",
            "DescriptionResourceId",
        ],
    )?;
    let id = a.required_id("Id")?;
    let name = a.required("Name")?;
    check_long_name(&a, "Name", &name)?;
    let advertise = a.is_yes("Advertise")?;
    if advertise && a.has("Target") {
        return Err(a.error("Target", "cannot be combined with Advertise=\"yes\" (the target is the feature)"));
    }
    let directory = match (a.identifier("Directory")?, &parent) {
        (Some(d), _) => d,
        (None, Parent::Component(dir)) => dir.to_string(),
        (None, Parent::File(_)) => return Err(a.error("Directory", "is required for a shortcut under <File>")),
    };
    ctx.reference(c, "Directory", &directory);
    let target = match (&parent, a.string("Target")) {
        _ if advertise => ADVERTISED_TARGET.to_string(),
        (Parent::File(_), Some(_)) => return Err(a.error("Target", "is not allowed on a shortcut under <File>")),
        (_, Some(t)) => t,
        (Parent::File(f), None) => format!("[#{f}]"),
        (Parent::Component(dir), None) => format!("[{dir}]"),
    };
    if let Some(icon) = a.identifier("Icon")? {
        ctx.reference(c, "Icon", &icon);
    }
    let show = match a.one_of("Show", &["normal", "maximized", "minimized"])?.as_deref() {
        Some("normal") => Cell::Int(1),
        Some("maximized") => Cell::Int(3),
        Some("minimized") => Cell::Int(7),
        _ => Cell::Null,
    };
    for (dll, res) in [("DisplayResourceDll", "DisplayResourceId"), ("DescriptionResourceDll", "DescriptionResourceId")]
    {
        if a.has(dll) != a.has(res) {
            return Err(a.error(if a.has(dll) { dll } else { res }, format!("{dll} and {res} go together")));
        }
    }
    ctx.add_row(
        c,
        "Shortcut",
        vec![
            id.clone().into(),
            directory.into(),
            msi_name(&name, a.get("ShortName")).into(),
            component.into(),
            target.into(),
            a.string("Arguments").into(),
            a.string("Description").into(),
            a.int("Hotkey")?.into(),
            a.string("Icon").into(),
            a.int("IconIndex")?.into(),
            show,
            a.string("WorkingDirectory").into(),
            a.string("DisplayResourceDll").into(),
            a.int("DisplayResourceId")?.into(),
            a.string("DescriptionResourceDll").into(),
            a.int("DescriptionResourceId")?.into(),
        ],
    )?;
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("ShortcutProperty") {
            return Err(ctx.unsupported(ch, &["ShortcutProperty"]));
        }
        let p = ctx.attrs(ch, &["Id", "Key", "Value"])?;
        let key = p.required("Key")?;
        let value = p.required("Value")?;
        let pid = p.identifier("Id")?.unwrap_or_else(|| gen_id("scp", &[&id, &key.to_ascii_uppercase()]));
        ctx.add_row(ch, "MsiShortcutProperty", vec![pid.into(), id.clone().into(), key.into(), value.into()])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row};
    use crate::wix::model::ADVERTISED_TARGET;

    fn component(body: &str) -> Result<crate::wix::model::Model, crate::wix::error::Error> {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        fragment(&format!(
            r#"<DirectoryRef Id="APPDIR"><Component Id="C" Guid="{{11111111-2222-3333-4444-555555555555}}">
                 <File Id="App" Source="{src}">{body}</File></Component></DirectoryRef>"#
        ))
    }

    #[test]
    fn shortcut_rows_follow_wix_defaults() {
        let m = component(
            r#"<Shortcut Id="S" Directory="ProgramMenuDir" Name="My App" WorkingDirectory="APPDIR" Show="minimized" Icon="i.ico">
                 <ShortcutProperty Key="System.AppUserModel.ID" Value="Co.App" />
               </Shortcut>
               <Shortcut Id="Adv" Directory="DesktopFolder" Name="App" Advertise="yes" />"#,
        )
        .unwrap();
        // Shortcut: Shortcut, Directory_, Name, Component_, Target, Arguments, Description, Hotkey,
        // Icon_, IconIndex, ShowCmd (7 = minimized), WkDir, and four resource columns.
        let s = row(&m, "Shortcut", "S");
        assert_eq!(&s[..5], ["S", "ProgramMenuDir", &s[2], "C", "[#App]"]);
        assert!(s[2].ends_with("|My App"), "{s:?}");
        assert_eq!((s[8].as_str(), s[10].as_str(), s[11].as_str()), ("i.ico", "7", "APPDIR"));
        assert_eq!(row(&m, "Shortcut", "Adv")[4], ADVERTISED_TARGET);
        let p = &m.rows("MsiShortcutProperty")[0].cells;
        assert_eq!(p[1].key_text(), "S");
        assert_eq!((p[2].key_text(), p[3].key_text()), ("System.AppUserModel.ID".into(), "Co.App".into()));
    }

    #[test]
    fn shortcut_mistakes() {
        assert!(message(component(r#"<Shortcut Id="S" Name="x" />"#).unwrap_err()).contains("Directory"));
        let e = component(r#"<Shortcut Id="S" Directory="D" Name="x" Advertise="yes" Target="[#App]" />"#).unwrap_err();
        assert!(message(e).contains("Advertise"));
    }
}
