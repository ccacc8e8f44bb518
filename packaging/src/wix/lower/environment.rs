//! `<Environment>`: the `Environment` table (MSI SDK "Environment Table"). The name carries the
//! action as prefix characters and the value the position of the part, as WiX v3 writes them
//! (its "Environment Element" page): `Action` create `+`, set `=`, remove `!`; `-` (remove on
//! uninstall) unless `Permanent="yes"`; `*` for a `System="yes"` (machine) variable; `Part`
//! first `value;[~]`, last `[~];value` with the `Separator` (default `;`).

use super::common::gen_id;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use roxmltree::Node;

/// `<Environment>` of component `component`.
pub(super) fn environment(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Name", "Value", "Action", "Part", "Permanent", "Separator", "System"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let name = a.required("Name")?;
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("env", &[component, &name]));
    let action = match a.one_of("Action", &["create", "set", "remove"])?.as_deref() {
        Some("create") => "+",
        Some("set") => "=",
        Some("remove") => "!",
        _ => "",
    };
    let separator = a.string("Separator").unwrap_or_else(|| ";".into());
    let mut value = a.string("Value");
    match a.one_of("Part", &["all", "first", "last"])?.as_deref() {
        Some(_) if action == "+" => {
            return Err(a.error("Part", "cannot be combined with Action=\"create\" (create sets the whole value)"))
        }
        Some("first") => value = Some(format!("{}{separator}[~]", value.unwrap_or_default())),
        Some("last") => value = Some(format!("[~]{separator}{}", value.unwrap_or_default())),
        _ => {}
    }
    let uninstall = if a.is_yes("Permanent")? { "" } else { "-" };
    let system = if a.is_yes("System")? { "*" } else { "" };
    ctx.add_row(
        c,
        "Environment",
        vec![id.into(), format!("{action}{uninstall}{system}{name}").into(), value.into(), component.into()],
    )
}

#[cfg(test)]
mod tests {
    use super::super::harness::{component, message, row};

    #[test]
    fn name_prefixes_and_parts() {
        let m = component(
            r#"<Environment Id="Path" Name="PATH" Value="[APPDIR]" Action="set" Part="last" System="yes" />
               <Environment Id="Home" Name="APP_HOME" Value="[APPDIR]" Action="create" Permanent="yes" />
               <Environment Id="Old" Name="OLD_VAR" Action="remove" />
               <Environment Id="First" Name="P2" Value="x" Action="set" Part="first" Separator="," />"#,
        )
        .unwrap();
        // Environment: Environment, Name (prefixes), Value, Component_.
        assert_eq!(row(&m, "Environment", "Path"), ["Path", "=-*PATH", "[~];[APPDIR]", "C"]);
        assert_eq!(row(&m, "Environment", "Home"), ["Home", "+APP_HOME", "[APPDIR]", "C"]);
        assert_eq!(row(&m, "Environment", "Old"), ["Old", "!-OLD_VAR", "", "C"]);
        assert_eq!(row(&m, "Environment", "First")[2], "x,[~]");
        let e = component(r#"<Environment Id="E" Name="N" Value="v" Action="create" Part="last" />"#).unwrap_err();
        assert!(message(e).contains("Part"));
    }
}
