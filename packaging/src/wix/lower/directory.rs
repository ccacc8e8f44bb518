//! `<Directory>`, `<DirectoryRef>`, `<ComponentGroup>`, `<Component>` (with its key path and
//! GUID), `<CreateFolder>`, `<RemoveFile>`/`<RemoveFolder>`.
//!
//! Bit values: MSI SDK "Component Table", "RemoveFile Table".

use super::common::{check_long_name, msi_name};
use super::common::{derived_guid, gen_id, ref_id};
use super::environment::environment;
use super::file::file;
use super::ini_file::ini_file;
use super::registry::{registry_key, registry_value, remove_registry};
use super::service::{service_control, service_install};
use super::shortcut::{shortcut, Parent};
use super::util::event_source;
use crate::wix::context::{Ctx, UTIL_NS};
use crate::wix::error::Error;
use crate::wix::model::{Cell, Member};
use roxmltree::Node;

/// `<Directory>`.
pub(super) fn directory(ctx: &mut Ctx<'_>, c: Node<'_, '_>, parent: Option<&str>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "ShortName",
            "SourceName",
            "ShortSourceName",
            "ComponentGuidGenerationSeed",
            "DiskId",
            "FileSource",
        ],
    )?;
    for unsupported in ["FileSource", "DiskId", "ComponentGuidGenerationSeed"] {
        if a.has(unsupported) {
            return Err(a.error(unsupported, "is not supported"));
        }
    }
    let id = a.required_id("Id")?;
    let default_dir = match a.get("Name") {
        None => {
            if parent.is_none() && id != "TARGETDIR" {
                return Err(a.error("Name", "a root directory other than TARGETDIR needs a Name"));
            }
            if id == "TARGETDIR" {
                "SourceDir".to_string()
            } else {
                ".".to_string()
            }
        }
        Some(".") => ".".to_string(),
        Some(n) => {
            check_long_name(&a, "Name", n)?;
            let mut d = msi_name(n, a.get("ShortName"));
            if let Some(s) = a.get("SourceName") {
                d = format!("{d}:{}", msi_name(s, a.get("ShortSourceName")));
            }
            d
        }
    };
    ctx.add_row(c, "Directory", vec![id.clone().into(), parent.into(), default_dir.into()])?;
    directory_children(ctx, c, &id)
}

fn directory_children(ctx: &mut Ctx<'_>, c: Node<'_, '_>, id: &str) -> Result<(), Error> {
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "Directory" => directory(ctx, ch, Some(id))?,
            "Component" => {
                component(ctx, ch, Some(id))?;
            }
            _ => return Err(ctx.unsupported(ch, &["Directory", "Component"])),
        }
    }
    Ok(())
}

/// `<DirectoryRef>`.
pub(super) fn directory_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required_id("Id")?;
    ctx.reference(c, "Directory", &id);
    directory_children(ctx, c, &id)
}

/// `<ComponentGroup>`.
pub(super) fn component_group(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Directory", "Source"])?;
    let id = a.required_id("Id")?;
    if a.has("Source") {
        return Err(a.error("Source", "is not supported; give each File a Source"));
    }
    let dir = a.identifier("Directory")?;
    if let Some(d) = &dir {
        ctx.reference(c, "Directory", d);
    }
    ctx.define(c, "ComponentGroup", &id)?;
    let mut members = Vec::new();
    for ch in ctx.elements(c)? {
        let loc = ctx.loc(ch);
        match ch.tag_name().name() {
            "Component" => members.push((Member::Component(component(ctx, ch, dir.as_deref())?), loc)),
            "ComponentRef" => members.push((Member::Component(ref_id(ctx, ch, "Component")?), loc)),
            "ComponentGroupRef" => members.push((Member::Group(ref_id(ctx, ch, "ComponentGroup")?), loc)),
            _ => return Err(ctx.unsupported(ch, &["Component", "ComponentRef", "ComponentGroupRef"])),
        }
    }
    ctx.model.groups.insert(id, members);
    Ok(())
}

/// Component attribute bits (MSI SDK "Component Table").
mod comp_bits {
    pub const SOURCE_ONLY: i32 = 0x1;
    pub const OPTIONAL: i32 = 0x2;
    pub const REGISTRY_KEY_PATH: i32 = 0x4;
    pub const SHARED_DLL_REF_COUNT: i32 = 0x8;
    pub const PERMANENT: i32 = 0x10;
    pub const TRANSITIVE: i32 = 0x40;
    pub const NEVER_OVERWRITE: i32 = 0x80;
    pub const WIN64: i32 = 0x100;
    pub const DISABLE_REGISTRY_REFLECTION: i32 = 0x200;
    pub const UNINSTALL_ON_SUPERSEDENCE: i32 = 0x400;
    pub const SHARED: i32 = 0x800;
}

/// `<Component>`; returns its id.
pub(super) fn component(ctx: &mut Ctx<'_>, c: Node<'_, '_>, dir: Option<&str>) -> Result<String, Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Guid",
            "Directory",
            "Win64",
            "KeyPath",
            "Permanent",
            "NeverOverwrite",
            "SharedDllRefCount",
            "Transitive",
            "Location",
            "Shared",
            "UninstallWhenSuperseded",
            "DisableRegistryReflection",
            "Feature",
            "MultiInstance",
            "DiskId",
        ],
    )?;
    if a.has("DiskId") || a.has("MultiInstance") {
        return Err(a.error(if a.has("DiskId") { "DiskId" } else { "MultiInstance" }, "is not supported"));
    }
    let id = a.required_id("Id")?;
    let dir = match a.identifier("Directory")? {
        Some(d) => {
            ctx.reference(c, "Directory", &d);
            d
        }
        None => dir
            .ok_or_else(|| {
                a.error("Directory", "is required when the component is not inside a <Directory>/<DirectoryRef>")
            })?
            .to_string(),
    };
    let mut bits = 0;
    use comp_bits::*;
    if a.yes_no("Win64")?.unwrap_or(ctx.win64) {
        bits |= WIN64
    }
    if a.is_yes("Permanent")? {
        bits |= PERMANENT
    }
    if a.is_yes("NeverOverwrite")? {
        bits |= NEVER_OVERWRITE
    }
    if a.is_yes("SharedDllRefCount")? {
        bits |= SHARED_DLL_REF_COUNT
    }
    if a.is_yes("Transitive")? {
        bits |= TRANSITIVE
    }
    if a.is_yes("Shared")? {
        bits |= SHARED
    }
    if a.is_yes("UninstallWhenSuperseded")? {
        bits |= UNINSTALL_ON_SUPERSEDENCE
    }
    if a.is_yes("DisableRegistryReflection")? {
        bits |= DISABLE_REGISTRY_REFLECTION
    }
    match a.one_of("Location", &["local", "source", "either"])?.as_deref() {
        Some("source") => bits |= SOURCE_ONLY,
        Some("either") => bits |= OPTIONAL,
        _ => {}
    }
    if let Some(f) = a.identifier("Feature")? {
        ctx.reference(c, "Feature", &f);
        ctx.model.feature_members.push((f, Member::Component(id.clone()), ctx.loc(c)));
    }
    ctx.model.component_dirs.insert(id.clone(), dir.clone());
    let component_keypath = a.is_yes("KeyPath")?;
    let mut keypath: Option<(String, bool)> = None; // (key, is registry)
    let mut first_file: Option<String> = None;
    let mut condition = None;
    let mut guid_seed = String::new();
    for ch in ctx.elements_with_util(c)? {
        if ch.tag_name().namespace() == Some(UTIL_NS) {
            if !ch.has_tag_name((UTIL_NS, "EventSource")) {
                return Err(ctx.unsupported(ch, &["util:EventSource"]));
            }
            let (rid, kp) = event_source(ctx, ch, &id)?;
            if kp {
                set_keypath(ctx, ch, &mut keypath, (rid, true))?;
            }
            continue;
        }
        match ch.tag_name().name() {
            "File" => {
                let (fid, kp) = file(ctx, ch, &id)?;
                guid_seed.push_str(&fid);
                if kp {
                    set_keypath(ctx, ch, &mut keypath, (fid.clone(), false))?;
                }
                first_file.get_or_insert(fid);
            }
            "CreateFolder" => create_folder(ctx, ch, &id, &dir)?,
            "RemoveFile" => remove_file(ctx, ch, &id, &dir, true)?,
            "RemoveFolder" => remove_file(ctx, ch, &id, &dir, false)?,
            "RegistryKey" => {
                for (rid, kp) in registry_key(ctx, ch, &id, None, None)? {
                    if kp {
                        set_keypath(ctx, ch, &mut keypath, (rid, true))?;
                    }
                }
            }
            "RegistryValue" => {
                let (rid, kp) = registry_value(ctx, ch, &id, None, None)?;
                if kp {
                    set_keypath(ctx, ch, &mut keypath, (rid, true))?;
                }
            }
            "RemoveRegistryKey" | "RemoveRegistryValue" => remove_registry(ctx, ch, &id)?,
            "ServiceInstall" => service_install(ctx, ch, &id)?,
            "ServiceControl" => service_control(ctx, ch, &id)?,
            "Shortcut" => shortcut(ctx, ch, &id, Parent::Component(&dir))?,
            "Environment" => environment(ctx, ch, &id)?,
            "IniFile" => ini_file(ctx, ch, &id)?,
            "Condition" => {
                ctx.attrs(ch, &[])?;
                condition =
                    Some(ctx.text(ch)?.ok_or_else(|| ctx.error(ch, "<Condition> needs the condition as its text"))?);
            }
            _ => {
                return Err(ctx.unsupported(
                    ch,
                    &[
                        "File",
                        "CreateFolder",
                        "RemoveFile",
                        "RemoveFolder",
                        "RegistryKey",
                        "RegistryValue",
                        "RemoveRegistryKey",
                        "RemoveRegistryValue",
                        "ServiceInstall",
                        "ServiceControl",
                        "Shortcut",
                        "Environment",
                        "IniFile",
                        "Condition",
                        "util:EventSource",
                    ],
                ))
            }
        }
    }
    if component_keypath && keypath.is_some() {
        return Err(ctx.error(c, "KeyPath=\"yes\" on the component and on a child: choose one"));
    }
    // WiX v3: without an explicit key path, the first file is the key path.
    let keypath = if component_keypath { None } else { keypath.or_else(|| first_file.map(|f| (f, false))) };
    if keypath.as_ref().is_some_and(|k| k.1) {
        bits |= REGISTRY_KEY_PATH;
    }
    let guid = match a.guid("Guid")?.as_deref() {
        Some("*") | None => {
            if a.get("Guid").is_none() {
                return Err(a.error("Guid", "is required (a GUID, or \"*\" to derive one from the key path)"));
            }
            let kp = keypath.as_ref().map(|k| k.0.as_str()).unwrap_or("");
            derived_guid(&["Component", &dir, &id, kp, &guid_seed])
        }
        Some("") => return Err(a.error("Guid", "an empty GUID (unmanaged component) is not supported")),
        Some(g) => g.to_string(),
    };
    ctx.add_row(
        c,
        "Component",
        vec![id.clone().into(), guid.into(), dir.into(), bits.into(), condition.into(), keypath.map(|k| k.0).into()],
    )?;
    Ok(id)
}

fn set_keypath(
    ctx: &Ctx<'_>,
    n: Node<'_, '_>,
    slot: &mut Option<(String, bool)>,
    v: (String, bool),
) -> Result<(), Error> {
    if let Some((k, _)) = slot {
        return Err(ctx.error(n, format!("a second KeyPath=\"yes\" in this component (first: {k})")));
    }
    *slot = Some(v);
    Ok(())
}

fn create_folder(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str, dir: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Directory"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let d = a.identifier("Directory")?.unwrap_or_else(|| dir.to_string());
    ctx.reference(c, "Directory", &d);
    ctx.add_row(c, "CreateFolder", vec![d.into(), component.into()])
}

/// `<RemoveFile>` (files) / `<RemoveFolder>` (FileName null).
fn remove_file(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str, dir: &str, is_file: bool) -> Result<(), Error> {
    let attrs: &[&str] = if is_file {
        &["Id", "Name", "ShortName", "On", "Directory", "Property"]
    } else {
        &["Id", "On", "Directory", "Property"]
    };
    let a = ctx.attrs(c, attrs)?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let on = match a.one_of("On", &["install", "uninstall", "both"])?.as_deref() {
        Some("install") => 1,
        Some("uninstall") => 2,
        Some(_) => 3,
        None => return Err(a.error("On", "is required (install, uninstall or both)")),
    };
    let dirprop = match (a.identifier("Directory")?, a.identifier("Property")?) {
        (Some(_), Some(_)) => return Err(a.error("Property", "cannot be combined with Directory")),
        (Some(d), None) => {
            ctx.reference(c, "Directory", &d);
            d
        }
        (None, Some(p)) => p,
        (None, None) => dir.to_string(),
    };
    let name: Cell = if is_file {
        let n = a.required("Name")?;
        if n.contains(['*', '?']) {
            n.into()
        } else {
            msi_name(&n, a.get("ShortName")).into()
        }
    } else {
        Cell::Null
    };
    let id = match a.identifier("Id")? {
        Some(id) => id,
        None => gen_id("rm", &[component, &dirprop, &name.key_text()]),
    };
    ctx.add_row(c, "RemoveFile", vec![id.into(), component.into(), name, dirprop.into(), on.into()])
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row, rows};

    #[test]
    fn directories_components_and_key_paths() {
        let m = fragment(
            r#"<Directory Id="TARGETDIR" Name="SourceDir">
                 <Directory Id="ProgramFiles64Folder">
                   <Directory Id="APPDIR" Name="App">
                     <Component Id="C1" Guid="{11111111-2222-3333-4444-555555555555}">
                       <CreateFolder />
                       <RemoveFolder Id="RmApp" On="uninstall" />
                     </Component>
                   </Directory>
                 </Directory>
               </Directory>"#,
        )
        .unwrap();
        // Directory table: Directory, Directory_Parent, DefaultDir (MSI SDK "Directory Table").
        assert_eq!(row(&m, "Directory", "APPDIR"), ["APPDIR", "ProgramFiles64Folder", "App"]);
        assert_eq!(row(&m, "Directory", "ProgramFiles64Folder"), ["ProgramFiles64Folder", "TARGETDIR", "."]);
        // No key path child: the directory is the key path (KeyPath null); 0x100 = 64-bit.
        assert_eq!(
            row(&m, "Component", "C1"),
            ["C1", "{11111111-2222-3333-4444-555555555555}", "APPDIR", "256", "", ""]
        );
        assert_eq!(rows(&m, "CreateFolder"), [["APPDIR", "C1"]]);
        // RemoveFile: FileKey, Component_, FileName (null: the folder), DirProperty, InstallMode 2.
        assert_eq!(row(&m, "RemoveFile", "RmApp"), ["RmApp", "C1", "", "APPDIR", "2"]);
    }

    #[test]
    fn registry_key_path_sets_the_registry_bit_and_guid_star_is_derived() {
        let body = r#"<DirectoryRef Id="APPDIR">
                 <Component Id="C2" Guid="*" Win64="no">
                   <RegistryValue Root="HKLM" Key="Software\A" Name="v" Type="string" Value="1" KeyPath="yes" />
                 </Component>
               </DirectoryRef>"#;
        let m = fragment(body).unwrap();
        let c = row(&m, "Component", "C2");
        // 0x4 = msidbComponentAttributesRegistryKeyPath; Win64="no" leaves 0x100 clear.
        assert_eq!(c[3], "4");
        assert!(c[1].starts_with('{') && c[1].len() == 38, "{c:?}");
        assert_eq!(fragment(body).unwrap().rows("Component")[0].cells[1], m.rows("Component")[0].cells[1]);
    }

    #[test]
    fn mistakes_are_errors() {
        let e = fragment(r#"<Directory Id="X" Name="a|b" />"#).unwrap_err();
        assert!(message(e).contains("not a valid file name"));
        let e = fragment(r#"<DirectoryRef Id="D"><Component Id="C"><CreateFolder /></Component></DirectoryRef>"#)
            .unwrap_err();
        assert!(message(e).contains("Guid"), "a component needs a Guid");
        let e = fragment(r#"<DirectoryRef Id="D"><Component Id="C" Guid="*"><Shortcut/></Component></DirectoryRef>"#)
            .unwrap_err();
        assert!(message(e).contains("Shortcut"));
    }
}
