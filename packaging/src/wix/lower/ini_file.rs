//! `<IniFile>` under a `<Component>`: one row of the IniFile table (add, create or tag a value)
//! or of the RemoveIniFile table (remove a line or a tag), as WiX v3's IniFile element documents
//! it. Columns and action values: MSI SDK "IniFile Table" (msidbIniFileActionAddLine 0,
//! CreateLine 1, AddTag 3) and "RemoveIniFile Table" (RemoveLine 2, RemoveTag 4). The
//! WriteIniValues / RemoveIniValues actions are sequenced when either table has rows.

use super::common::{check_long_name, msi_name};
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use roxmltree::Node;

/// `<IniFile>` in `component`.
pub(super) fn ini_file(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Action", "Directory", "Key", "Name", "ShortName", "Section", "Value"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let id = a.required_id("Id")?;
    let (table, action) =
        match a.one_of("Action", &["addLine", "createLine", "addTag", "removeLine", "removeTag"])?.as_deref() {
            Some("addLine") => ("IniFile", 0),
            Some("createLine") => ("IniFile", 1),
            Some("addTag") => ("IniFile", 3),
            Some("removeLine") => ("RemoveIniFile", 2),
            Some("removeTag") => ("RemoveIniFile", 4),
            _ => return Err(a.error("Action", "is required (addLine, createLine, addTag, removeLine or removeTag)")),
        };
    let name = a.required("Name")?;
    check_long_name(&a, "Name", &name)?;
    let file_name = msi_name(&name, a.get("ShortName"));
    let section = a.required("Section")?;
    let key = a.required("Key")?;
    let value = a.string("Value");
    if value.is_none() && table == "IniFile" {
        return Err(a.error("Value", "is required for addLine, createLine and addTag"));
    }
    if value.is_none() && action == 4 {
        return Err(a.error("Value", "is required for removeTag (the tag to remove)"));
    }
    // Without Directory the installer uses the Windows folder (MSI SDK "IniFile Table").
    let dir = a.identifier("Directory")?;
    ctx.add_row(
        c,
        table,
        vec![
            id.into(),
            file_name.into(),
            dir.into(),
            section.into(),
            key.into(),
            value.into(),
            action.into(),
            component.into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::harness::{component, message, rows};

    #[test]
    fn ini_rows_by_action() {
        let m = component(
            r#"<IniFile Id="Add" Action="addLine" Directory="D" Name="app.ini" Section="Main" Key="Port" Value="8080" />
               <IniFile Id="Create" Action="createLine" Name="hello-settings.ini" Section="S" Key="K" Value="v" />
               <IniFile Id="Tag" Action="addTag" Directory="D" Name="app.ini" Section="Main" Key="List" Value="b" />
               <IniFile Id="Rm" Action="removeLine" Directory="D" Name="app.ini" Section="Old" Key="Gone" />
               <IniFile Id="RmTag" Action="removeTag" Directory="D" Name="app.ini" Section="Main" Key="List" Value="a" />"#,
        )
        .unwrap();
        // IniFile: IniFile, FileName, DirProperty, Section, Key, Value, Action, Component_.
        let ini = rows(&m, "IniFile");
        assert_eq!(ini[0], ["Add", "app.ini", "D", "Main", "Port", "8080", "0", "C"]);
        // No Directory: DirProperty null (the Windows folder); a long name gets a short|long pair.
        assert_eq!((ini[1][2].as_str(), ini[1][6].as_str()), ("", "1"));
        assert!(ini[1][1].ends_with("|hello-settings.ini"), "{:?}", ini[1]);
        assert_eq!(ini[2][6], "3");
        let rm = rows(&m, "RemoveIniFile");
        assert_eq!(rm[0], ["Rm", "app.ini", "D", "Old", "Gone", "", "2", "C"]);
        assert_eq!((rm[1][5].as_str(), rm[1][6].as_str()), ("a", "4"));
    }

    #[test]
    fn ini_errors() {
        let err = |body: &str| message(component(body).unwrap_err());
        assert!(err(r#"<IniFile Id="I" Name="a.ini" Section="S" Key="K" Value="v" />"#).contains("Action"));
        assert!(err(r#"<IniFile Id="I" Action="addLine" Name="a.ini" Section="S" Key="K" />"#).contains("Value"));
        assert!(err(r#"<IniFile Id="I" Action="removeTag" Name="a.ini" Section="S" Key="K" />"#).contains("Value"));
        assert!(err(r#"<IniFile Id="I" Action="addLine" Name="a.ini" Key="K" Value="v" />"#).contains("Section"));
        assert!(
            err(r#"<IniFile Id="I" Action="append" Name="a.ini" Section="S" Key="K" Value="v" />"#).contains("Action")
        );
        assert!(err(r#"<IniFile Id="I" Action="addLine" Name="a:b.ini" Section="S" Key="K" Value="v" />"#)
            .contains("file name"));
    }
}
