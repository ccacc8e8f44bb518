//! `<RegistryKey>`, `<RegistryValue>`, `<RemoveRegistryKey>`/`<RemoveRegistryValue>`.
//!
//! Values: MSI SDK "Registry Table", "RemoveRegistry Table".

use super::common::gen_id;
use crate::wix::context::{Attrs, Ctx};
use crate::wix::error::Error;
use crate::wix::model::Cell;
use roxmltree::Node;

pub(super) fn reg_root(a: &Attrs, inherited: Option<i32>) -> Result<i32, Error> {
    match a.one_of("Root", &["HKMU", "HKCR", "HKCU", "HKLM", "HKU"])?.as_deref() {
        Some("HKMU") => Ok(-1),
        Some("HKCR") => Ok(0),
        Some("HKCU") => Ok(1),
        Some("HKLM") => Ok(2),
        Some("HKU") => Ok(3),
        _ => inherited.ok_or_else(|| a.error("Root", "is required (HKMU, HKCR, HKCU, HKLM or HKU)")),
    }
}

fn reg_key(a: &Attrs, parent: Option<&str>) -> Result<String, Error> {
    match (parent, a.get("Key")) {
        (Some(p), Some(k)) => Ok(format!("{p}\\{k}")),
        (Some(p), None) => Ok(p.to_string()),
        (None, Some(k)) => Ok(k.to_string()),
        (None, None) => Err(a.error("Key", "is required")),
    }
}

/// `<RegistryKey>`: returns (Registry id, KeyPath) of every value row it produced.
pub(super) fn registry_key(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    component: &str,
    root: Option<i32>,
    parent: Option<&str>,
) -> Result<Vec<(String, bool)>, Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Action", "ForceCreateOnInstall", "ForceDeleteOnUninstall"])?;
    let root = reg_root(&a, root)?;
    let key = reg_key(&a, parent)?;
    let mut marker = None;
    match a.one_of("Action", &["create", "createAndRemoveOnUninstall", "none"])?.as_deref() {
        Some("create") => marker = Some("+"),
        Some("createAndRemoveOnUninstall") => marker = Some("*"),
        _ => {}
    }
    match (a.is_yes("ForceCreateOnInstall")?, a.is_yes("ForceDeleteOnUninstall")?) {
        (true, true) => marker = Some("*"),
        (true, false) => marker = Some("+"),
        (false, true) => marker = Some("-"),
        _ => {}
    }
    if let Some(m) = marker {
        let id = match a.identifier("Id")? {
            Some(id) => id,
            None => gen_id("reg", &[component, &root.to_string(), &key, m]),
        };
        ctx.add_row(
            c,
            "Registry",
            vec![id.into(), root.into(), key.clone().into(), m.into(), Cell::Null, component.into()],
        )?;
    }
    let mut out = Vec::new();
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "RegistryKey" => out.extend(registry_key(ctx, ch, component, Some(root), Some(&key))?),
            "RegistryValue" => out.push(registry_value(ctx, ch, component, Some(root), Some(&key))?),
            _ => return Err(ctx.unsupported(ch, &["RegistryKey", "RegistryValue"])),
        }
    }
    Ok(out)
}

/// `<RegistryValue>`: returns (id, KeyPath).
pub(super) fn registry_value(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    component: &str,
    root: Option<i32>,
    parent: Option<&str>,
) -> Result<(String, bool), Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Name", "Value", "Type", "Action", "KeyPath"])?;
    let root = reg_root(&a, root)?;
    let key = reg_key(&a, parent)?;
    let ty = a
        .one_of("Type", &["string", "integer", "expandable", "binary", "multiString"])?
        .unwrap_or_else(|| "string".into());
    let mut multi = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("MultiStringValue") || ty != "multiString" {
            return Err(ctx.unsupported(ch, if ty == "multiString" { &["MultiStringValue"] } else { &[] }));
        }
        ctx.attrs(ch, &[])?;
        multi.push(ctx.text(ch)?.unwrap_or_default());
    }
    let raw = a.string("Value");
    let value = match ty.as_str() {
        "string" => raw.map(|v| if v.starts_with('#') { format!("#{v}") } else { v }),
        "integer" => Some(format!("#{}", raw.ok_or_else(|| a.error("Value", "is required for an integer"))?)),
        "expandable" => Some(format!("#%{}", raw.unwrap_or_default())),
        "binary" => Some(format!("#x{}", raw.ok_or_else(|| a.error("Value", "is required for binary"))?)),
        _ => {
            let mut items: Vec<String> = raw.into_iter().collect();
            items.extend(multi);
            let joined = items.join("[~]");
            Some(match a.one_of("Action", &["write", "append", "prepend"])?.as_deref() {
                Some("append") => format!("[~]{joined}"),
                Some("prepend") => format!("{joined}[~]"),
                _ => format!("[~]{joined}[~]"),
            })
        }
    };
    if ty != "multiString" {
        a.one_of("Action", &["write"])?;
    }
    let name = a.string("Name");
    let id = match a.identifier("Id")? {
        Some(id) => id,
        None => gen_id("reg", &[component, &root.to_string(), &key, name.as_deref().unwrap_or("")]),
    };
    ctx.add_row(
        c,
        "Registry",
        vec![id.clone().into(), root.into(), key.into(), name.into(), value.into(), component.into()],
    )?;
    Ok((id, a.is_yes("KeyPath")?))
}

pub(super) fn remove_registry(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let is_key = c.has_tag_name("RemoveRegistryKey");
    let a = ctx.attrs(c, if is_key { &["Id", "Root", "Key", "Action"] } else { &["Id", "Root", "Key", "Name"] })?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let root = reg_root(&a, None)?;
    let key = reg_key(&a, None)?;
    let name: Option<String> = if is_key {
        if a.one_of("Action", &["removeOnInstall", "removeOnUninstall"])?.as_deref() == Some("removeOnUninstall") {
            // Removal on uninstall is a Registry row named "-".
            let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("reg", &[component, &key, "-"]));
            return ctx.add_row(
                c,
                "Registry",
                vec![id.into(), root.into(), key.into(), "-".into(), Cell::Null, component.into()],
            );
        }
        Some("-".into())
    } else {
        a.string("Name")
    };
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("rreg", &[component, &key, name.as_deref().unwrap_or("")]));
    ctx.add_row(c, "RemoveRegistry", vec![id.into(), root.into(), key.into(), name.into(), component.into()])
}

#[cfg(test)]
mod tests {
    use super::super::harness::{component, rows};

    #[test]
    fn values_by_type() {
        let m = component(
            r#"<RegistryKey Root="HKLM" Key="Software\Co\App">
                 <RegistryValue Id="s" Name="Path" Type="string" Value="[APPDIR]" />
                 <RegistryValue Id="i" Name="Count" Type="integer" Value="5" />
                 <RegistryValue Id="x" Name="Exp" Type="expandable" Value="%TEMP%" />
               </RegistryKey>
               <RegistryValue Id="m" Root="HKCU" Key="K" Name="L" Type="multiString" Value="a" />"#,
        )
        .unwrap();
        // Registry: Registry, Root (HKLM 2, HKCU 1), Key, Name, Value, Component_ (MSI SDK "Registry
        // Table": "#" integer, "#%" expandable, "[~]" separated multi-string).
        let r = rows(&m, "Registry");
        assert!(
            r.contains(&vec![
                "s".into(),
                "2".into(),
                "Software\\Co\\App".into(),
                "Path".into(),
                "[APPDIR]".into(),
                "C".into()
            ]),
            "{r:?}"
        );
        assert!(r.iter().any(|x| x[0] == "i" && x[4] == "#5"), "{r:?}");
        assert!(r.iter().any(|x| x[0] == "x" && x[4] == "#%%TEMP%"), "{r:?}");
        assert!(r.iter().any(|x| x[0] == "m" && x[1] == "1" && x[4].contains('a') && x[4].contains("[~]")), "{r:?}");
    }

    #[test]
    fn remove_registry_key_on_uninstall() {
        let m = component(r#"<RemoveRegistryKey Id="rk" Root="HKLM" Key="Software\Old" Action="removeOnUninstall" />"#)
            .unwrap();
        // Registry row with Name "-": remove the whole key on uninstall (MSI SDK "Registry Table").
        assert!(rows(&m, "Registry").iter().any(|r| r[0] == "rk" && r[3] == "-"), "{:?}", rows(&m, "Registry"));
    }
}
