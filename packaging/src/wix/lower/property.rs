//! `<Property>` and the searches that set one: `<RegistrySearch>`, `<DirectorySearch>`.
//!
//! Values: MSI SDK "RegLocator Table", "DrLocator Table", "AppSearch Table".

use super::registry::reg_root;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::{Cell, WixVariable};
use roxmltree::Node;

/// `<Property>` (also called for `<Property>` inside `<UI>`).
pub(super) fn property(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Secure", "Hidden", "Admin", "SuppressModularization", "ComplianceCheck"])?;
    let id = a.required_id("Id")?;
    if a.is_yes("ComplianceCheck")? {
        return Err(a.error("ComplianceCheck", "is not supported"));
    }
    if a.is_yes("Secure")? {
        if id.chars().any(|ch| ch.is_ascii_lowercase()) {
            return Err(a.error("Secure", format!("{id} must be a public property (upper case) to be secure")));
        }
        ctx.model.secure.insert(id.clone());
    }
    if a.is_yes("Hidden")? {
        ctx.model.hidden.insert(id.clone());
    }
    if a.is_yes("Admin")? {
        ctx.model.admin.insert(id.clone());
    }
    let mut searched = false;
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "RegistrySearch" => registry_search(ctx, ch, &id)?,
            "DirectorySearch" => {
                directory_search(ctx, ch, &id, None)?;
            }
            _ => return Err(ctx.unsupported(ch, &["RegistrySearch", "DirectorySearch"])),
        }
        searched = true;
    }
    if searched && id.chars().any(|ch| ch.is_ascii_lowercase()) {
        return Err(a.error("Id", "a property set by a search must be public (upper case)"));
    }
    match a.string("Value") {
        Some(v) if v.is_empty() => {
            return Err(a.error("Value", "an empty value means the property is unset; omit Value"))
        }
        Some(v) => ctx.add_row(c, "Property", vec![id.into(), v.into()])?,
        None => {
            if !ctx.model.is_defined("Property", &id) {
                ctx.model.symbols.entry(("Property".into(), id)).or_insert_with(|| a.loc.clone());
            }
        }
    }
    Ok(())
}

/// `<RegistrySearch>` -> `RegLocator` + `AppSearch`.
fn registry_search(ctx: &mut Ctx<'_>, c: Node<'_, '_>, property: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Name", "Type", "Win64"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let id = a.required_id("Id")?;
    let root = match reg_root(&a, None)? {
        -1 => return Err(a.error("Root", "HKMU cannot be searched")),
        r => r,
    };
    // RegLocator types (MSI SDK "RegLocator Table"): directory 0, file 1, raw 2; 64-bit 0x10.
    let mut ty = match a.one_of("Type", &["directory", "file", "raw"])?.as_deref() {
        Some("directory") => 0,
        Some("file") => 1,
        Some(_) => 2,
        None => return Err(a.error("Type", "is required (directory, file or raw)")),
    };
    if a.yes_no("Win64")?.unwrap_or(ctx.win64) {
        ty |= 0x10;
    }
    ctx.add_row(
        c,
        "RegLocator",
        vec![id.clone().into(), root.into(), a.required("Key")?.into(), a.string("Name").into(), ty.into()],
    )?;
    ctx.add_row(c, "AppSearch", vec![property.into(), id.into()])
}

/// `<DirectorySearch>` -> `DrLocator` + `AppSearch` (nested searches chain through `Parent`).
fn directory_search(ctx: &mut Ctx<'_>, c: Node<'_, '_>, property: &str, parent: Option<&str>) -> Result<String, Error> {
    let a = ctx.attrs(c, &["Id", "Path", "Depth", "AssignToProperty"])?;
    let id = a.required_id("Id")?;
    ctx.add_row(
        c,
        "DrLocator",
        vec![id.clone().into(), parent.into(), a.string("Path").into(), a.int("Depth")?.into()],
    )?;
    let mut last = id.clone();
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "DirectorySearch" => last = directory_search(ctx, ch, property, Some(&id))?,
            "FileSearch" => {
                let f =
                    ctx.attrs(ch, &["Id", "Name", "MinVersion", "MaxVersion", "MinSize", "MaxSize", "Languages"])?;
                let fid = f.required_id("Id")?;
                ctx.add_row(
                    ch,
                    "Signature",
                    vec![
                        fid.clone().into(),
                        f.required("Name")?.into(),
                        f.string("MinVersion").into(),
                        f.string("MaxVersion").into(),
                        f.int("MinSize")?.into(),
                        f.int("MaxSize")?.into(),
                        Cell::Null,
                        Cell::Null,
                        f.string("Languages").into(),
                    ],
                )?;
                ctx.add_row(ch, "DrLocator", vec![fid.clone().into(), id.clone().into(), Cell::Null, Cell::Null])?;
                last = fid;
            }
            _ => return Err(ctx.unsupported(ch, &["DirectorySearch", "FileSearch"])),
        }
    }
    if parent.is_none() || a.is_yes("AssignToProperty")? {
        ctx.add_row(c, "AppSearch", vec![property.into(), last.clone().into()])?;
    }
    Ok(last)
}

/// `<WixVariable>`: records a bind-time variable. Of two definitions, a non-overridable one
/// replaces an overridable one; two of the same kind are an error (WiX v3's linker rules).
pub fn wix_variable(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Overridable"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let id = a.required_id("Id")?;
    let new = WixVariable {
        value: a.string("Value").unwrap_or_default(),
        overridable: a.is_yes("Overridable")?,
        loc: ctx.loc(c),
    };
    match ctx.model.wix_variables.get(&id) {
        Some(old) if old.overridable == new.overridable => {
            return Err(new.loc.error(format!("WiX variable {id} is defined twice (first at {})", old.loc)))
        }
        Some(old) if !old.overridable => {}
        _ => {
            ctx.model.wix_variables.insert(id, new);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row, rows};

    #[test]
    fn properties_and_their_flags() {
        let m = fragment(r#"<Property Id="MODE" Value="a" Secure="yes" /><Property Id="PWD" Hidden="yes" />"#).unwrap();
        assert_eq!(row(&m, "Property", "MODE"), ["MODE", "a"]);
        // No Value: no row, but a declared symbol (a PropertyRef to it resolves).
        assert!(rows(&m, "Property").iter().all(|r| r[0] != "PWD"));
        assert!(m.is_defined("Property", "PWD"));
        assert!(m.secure.contains("MODE") && m.hidden.contains("PWD"));
        let e = fragment(r#"<Property Id="lower" Secure="yes" />"#).unwrap_err();
        assert!(message(e).contains("public property"));
    }

    #[test]
    fn searches_fill_reglocator_drlocator_and_appsearch() {
        let m = fragment(
            r#"<Property Id="JAVA"><RegistrySearch Id="rs" Root="HKLM" Key="Software\J" Name="Home" Type="raw" Win64="no" /></Property>
               <Property Id="DIRP"><DirectorySearch Id="ds" Path="[ProgramFilesFolder]X" Depth="1"><FileSearch Id="fs" Name="x.exe" /></DirectorySearch></Property>"#,
        )
        .unwrap();
        // RegLocator: Signature_, Root (HKLM 2), Key, Name, Type (raw 2; 0x10 only for 64-bit).
        assert_eq!(row(&m, "RegLocator", "rs"), ["rs", "2", "Software\\J", "Home", "2"]);
        assert_eq!(row(&m, "DrLocator", "ds"), ["ds", "", "[ProgramFilesFolder]X", "1"]);
        assert_eq!(row(&m, "DrLocator", "fs"), ["fs", "ds", "", ""]);
        assert_eq!(row(&m, "Signature", "fs")[1], "x.exe");
        // AppSearch: the property gets the innermost result (the file).
        assert_eq!(rows(&m, "AppSearch"), [["JAVA", "rs"], ["DIRP", "fs"]]);
        let e = fragment(r#"<Property Id="p"><RegistrySearch Id="r" Root="HKLM" Key="K" Type="raw" /></Property>"#)
            .unwrap_err();
        assert!(message(e).contains("public"));
    }

    #[test]
    fn wix_variables_override_and_substitute() {
        use super::super::harness::lower_with;
        let lower = |body: &str| {
            lower_with(std::path::Path::new("."), "Fragment", body, |ctx, n| {
                for c in ctx.elements(n)? {
                    if c.has_tag_name("WixVariable") {
                        super::wix_variable(ctx, c)?;
                    }
                }
                for c in ctx.elements(n)? {
                    if c.has_tag_name("Property") {
                        super::property(ctx, c)?;
                    }
                }
                Ok(())
            })
        };
        // Used before it is defined; the non-overridable definition wins over the default.
        let m = lower(
            r#"<Property Id="LIC" Value="!(wix.WixUILicenseRtf)" />
               <WixVariable Id="WixUILicenseRtf" Value="default.rtf" Overridable="yes" />
               <WixVariable Id="WixUILicenseRtf" Value="mine.rtf" />"#,
        )
        .unwrap();
        assert_eq!(row(&m, "Property", "LIC"), ["LIC", "mine.rtf"]);
        let e = lower(r#"<WixVariable Id="A" Value="1" /><WixVariable Id="A" Value="2" />"#).unwrap_err();
        assert!(message(e).contains("defined twice"));
        let e = lower(r#"<Property Id="P" Value="!(wix.Nope)" />"#).unwrap_err();
        assert!(message(e).contains("undefined WiX variable !(wix.Nope)"));
    }
}
