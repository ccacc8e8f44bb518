//! `<ServiceInstall>` and `<ServiceControl>`.
//!
//! Bit values: MSI SDK "ServiceInstall Table", "ServiceControl Table".

use super::common::gen_id;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::Cell;
use roxmltree::Node;

/// `<ServiceInstall>`.
pub(super) fn service_install(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "DisplayName",
            "Description",
            "Type",
            "Start",
            "ErrorControl",
            "Vital",
            "Account",
            "Password",
            "Arguments",
            "LoadOrderGroup",
            "Interactive",
            "EraseDescription",
        ],
    )?;
    let name = a.required("Name")?;
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("svc", &[component, &name]));
    // ServiceInstall table values (MSI SDK "ServiceInstall Table").
    let mut ty = match a.one_of("Type", &["ownProcess", "shareProcess", "kernelDriver", "systemDriver"])?.as_deref() {
        Some("shareProcess") => 0x20,
        Some("kernelDriver") => 0x1,
        Some("systemDriver") => 0x2,
        Some(_) => 0x10,
        None => return Err(a.error("Type", "is required (ownProcess, shareProcess, ...)")),
    };
    if a.is_yes("Interactive")? {
        ty |= 0x100;
    }
    let start = match a.one_of("Start", &["auto", "demand", "disabled", "boot", "system"])?.as_deref() {
        Some("auto") => 2,
        Some("demand") => 3,
        Some("disabled") => 4,
        Some("boot") => 0,
        Some(_) => 1,
        None => return Err(a.error("Start", "is required (auto, demand or disabled)")),
    };
    let mut err = match a.one_of("ErrorControl", &["ignore", "normal", "critical"])?.as_deref() {
        Some("ignore") => 0,
        Some("critical") => 3,
        Some(_) => 1,
        None => return Err(a.error("ErrorControl", "is required (ignore, normal or critical)")),
    };
    if a.is_yes("Vital")? {
        err |= 0x8000; // msidbServiceInstallErrorControlVital
    }
    let mut deps = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("ServiceDependency") {
            return Err(ctx.unsupported(ch, &["ServiceDependency"]));
        }
        let d = ctx.attrs(ch, &["Id", "Group"])?;
        let dep = d.required("Id")?;
        deps.push(if d.is_yes("Group")? { format!("+{dep}") } else { dep });
    }
    let deps = if deps.is_empty() { None } else { Some(format!("{}[~][~]", deps.join("[~]"))) };
    let desc = if a.is_yes("EraseDescription")? { Some("[~]".to_string()) } else { a.string("Description") };
    ctx.add_row(
        c,
        "ServiceInstall",
        vec![
            id.into(),
            name.into(),
            a.string("DisplayName").into(),
            ty.into(),
            start.into(),
            err.into(),
            a.string("LoadOrderGroup").into(),
            deps.into(),
            a.string("Account").into(),
            a.string("Password").into(),
            a.string("Arguments").into(),
            component.into(),
            desc.into(),
        ],
    )
}

/// `<ServiceControl>`.
pub(super) fn service_control(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Name", "Start", "Stop", "Remove", "Wait"])?;
    let name = a.required("Name")?;
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("svcctl", &[component, &name]));
    // ServiceControl event bits (MSI SDK "ServiceControl Table"): on install Start 0x1, Stop 0x2,
    // Delete 0x8; the uninstall bits are the same shifted by 4 (0x10, 0x20, 0x80).
    let pick = |attr: &str, install: i32| -> Result<i32, Error> {
        Ok(match a.one_of(attr, &["install", "uninstall", "both"])?.as_deref() {
            Some("install") => install,
            Some("uninstall") => install << 4,
            Some(_) => install | (install << 4),
            None => 0,
        })
    };
    let event = pick("Start", 0x1)? | pick("Stop", 0x2)? | pick("Remove", 0x8)?;
    let mut args = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("ServiceArgument") {
            return Err(ctx.unsupported(ch, &["ServiceArgument"]));
        }
        ctx.attrs(ch, &[])?;
        args.push(ctx.text(ch)?.unwrap_or_default());
    }
    let args = if args.is_empty() { None } else { Some(args.join("[~]")) };
    let wait: Cell = a.yes_no("Wait")?.map(|w| if w { 1 } else { 0 }).into();
    ctx.add_row(c, "ServiceControl", vec![id.into(), name.into(), event.into(), args.into(), wait, component.into()])
}

#[cfg(test)]
mod tests {
    use super::super::harness::{component, message, row, rows};

    #[test]
    fn service_install_and_control_values() {
        let m = component(
            r#"<ServiceInstall Id="S" Name="svc" DisplayName="Svc" Type="ownProcess" Start="auto" ErrorControl="normal" Vital="yes" />
               <ServiceControl Id="SC" Name="svc" Start="install" Stop="both" Remove="uninstall" Wait="yes" />"#,
        )
        .unwrap();
        // ServiceInstall: ServiceType 0x10 (own process), StartType 2 (auto), ErrorControl 1
        // (normal) | 0x8000 (vital) (MSI SDK "ServiceInstall Table").
        let s = row(&m, "ServiceInstall", "S");
        assert_eq!(&s[1..6], ["svc", "Svc", "16", "2", "32769"]);
        // ServiceControl Event: 0x1 start on install, 0x2|0x20 stop on both, 0x80 delete on
        // uninstall (MSI SDK "ServiceControl Table"); Wait 1.
        let c = row(&m, "ServiceControl", "SC");
        assert_eq!((c[1].as_str(), c[2].as_str(), c[4].as_str()), ("svc", "163", "1"), "{c:?}");
        assert_eq!(rows(&m, "ServiceControl").len(), 1);
    }

    #[test]
    fn missing_start_is_an_error() {
        let e = component(r#"<ServiceInstall Name="svc" Type="ownProcess" ErrorControl="normal" />"#).unwrap_err();
        assert!(message(e).contains("Start"));
    }
}
