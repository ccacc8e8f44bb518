//! `<CustomAction>`, `<SetProperty>`, `<SetDirectory>` and the sequence elements
//! (`<InstallExecuteSequence>`, ...) that schedule actions.
//!
//! Bit values: MSI SDK "Custom Action Types", "Custom Action In-Script Execution Options",
//! "Custom Action Return Processing Options" (declared once in `crate::tables::ca_bits`).

use super::common::schedule;
use crate::wix::context::{Attrs, Ctx};
use crate::wix::error::Error;
use crate::wix::model::{Cell, Placement, ScheduledAction};
use roxmltree::Node;

/// `<CustomAction>`.
pub(super) fn custom_action(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "BinaryKey",
            "DllEntry",
            "ExeCommand",
            "FileKey",
            "Directory",
            "Property",
            "Value",
            "Error",
            "Script",
            "JScriptCall",
            "VBScriptCall",
            "Execute",
            "Impersonate",
            "Return",
            "HideTarget",
            "TerminalServerAware",
            "Win64",
            "PatchUninstall",
            "SuppressModularization",
        ],
    )?;
    use crate::tables::ca_bits::*;
    let id = a.required_id("Id")?;
    let present: Vec<&str> =
        ["BinaryKey", "FileKey", "Directory", "Property", "Error", "Script"].into_iter().filter(|n| a.has(n)).collect();
    let targets: Vec<&str> =
        ["DllEntry", "ExeCommand", "Value", "JScriptCall", "VBScriptCall"].into_iter().filter(|n| a.has(n)).collect();
    let ca_loc = ctx.loc(c);
    let combo_err = || {
        ca_loc.error(format!(
            "unsupported CustomAction combination (source: {}; target: {}); supported: BinaryKey or FileKey with DllEntry/ExeCommand/JScriptCall/VBScriptCall, Directory with Value/ExeCommand, Property with Value/ExeCommand/JScriptCall/VBScriptCall, Error, Script",
            if present.is_empty() { "none".into() } else { present.join("+") },
            if targets.is_empty() { "none".into() } else { targets.join("+") }
        ))
    };
    if present.len() != 1 || targets.len() > 1 {
        return Err(combo_err());
    }
    let target_name = targets.first().copied();
    let script_text = if a.has("Script") {
        ctx.text(c)?
    } else {
        if ctx.text(c)?.is_some() {
            return Err(ctx.error(c, "inner text is only allowed with Script"));
        }
        None
    };
    let (mut ty, source, target): (i32, Option<String>, Option<String>) = match (present[0], target_name) {
        (source @ ("BinaryKey" | "FileKey"), Some(t)) => {
            let key = a.required_id(source)?;
            let (table, location) = if source == "BinaryKey" { ("Binary", 0) } else { ("File", SOURCE_FILE) };
            ctx.reference(c, table, &key);
            let kind = code_target(t).ok_or_else(combo_err)?;
            (kind | location, Some(key), a.string(t))
        }
        ("Directory", Some(t @ ("Value" | "ExeCommand"))) => {
            let d = a.required_id("Directory")?;
            ctx.reference(c, "Directory", &d);
            (if t == "Value" { TEXT } else { EXE } | DIRECTORY, Some(d), a.string(t))
        }
        ("Property", Some(t)) => {
            let p = a.required_id("Property")?;
            // A property holds a command line or script text, never a DLL (MSI SDK "Custom Action Types").
            let kind = match t {
                "Value" => TEXT,
                "DllEntry" => return Err(combo_err()),
                _ => code_target(t).ok_or_else(combo_err)?,
            };
            (kind | PROPERTY, Some(p), a.string(t))
        }
        ("Error", None) => (TEXT | SOURCE_FILE, None, a.string("Error")),
        ("Script", None) => {
            let kind = match a.one_of("Script", &["jscript", "vbscript"])?.as_deref() {
                Some("jscript") => JSCRIPT,
                _ => VBSCRIPT,
            };
            let text = script_text.ok_or_else(|| ctx.error(c, "Script needs the script as inner text"))?;
            (kind | DIRECTORY, None, Some(text))
        }
        _ => return Err(combo_err()),
    };
    let is_script = matches!(ty & 0x7, JSCRIPT | VBSCRIPT);
    let in_script = match a
        .one_of(
            "Execute",
            &["immediate", "deferred", "rollback", "commit", "oncePerProcess", "firstSequence", "secondSequence"],
        )?
        .as_deref()
    {
        Some("deferred") => {
            ty |= IN_SCRIPT;
            true
        }
        Some("rollback") => {
            ty |= IN_SCRIPT | ROLLBACK;
            true
        }
        Some("commit") => {
            ty |= IN_SCRIPT | COMMIT;
            true
        }
        Some("oncePerProcess") => {
            ty |= ONCE_PER_PROCESS;
            false
        }
        Some("firstSequence") => {
            ty |= FIRST_SEQUENCE;
            false
        }
        Some("secondSequence") => {
            ty |= CLIENT_REPEAT;
            false
        }
        _ => false,
    };
    if a.yes_no("Impersonate")? == Some(false) {
        if !in_script {
            return Err(a.error("Impersonate", "\"no\" applies only to deferred, rollback or commit actions"));
        }
        ty |= NO_IMPERSONATE;
    }
    match a.one_of("Return", &["check", "ignore", "asyncWait", "asyncNoWait"])?.as_deref() {
        Some("ignore") => ty |= CONTINUE,
        Some("asyncWait") => ty |= ASYNC,
        Some("asyncNoWait") => ty |= ASYNC | CONTINUE,
        _ => {}
    }
    if a.is_yes("HideTarget")? {
        ty |= HIDE_TARGET;
    }
    if a.is_yes("TerminalServerAware")? {
        if !in_script {
            return Err(a.error("TerminalServerAware", "applies only to deferred actions"));
        }
        ty |= TS_AWARE;
    }
    if a.yes_no("Win64")?.unwrap_or(ctx.win64 && is_script) && is_script {
        ty |= SCRIPT_64;
    }
    let ext: Cell = if a.is_yes("PatchUninstall")? { Cell::Int(PATCH_UNINSTALL) } else { Cell::Null };
    ctx.add_row(c, "CustomAction", vec![id.into(), ty.into(), source.into(), target.into(), ext])
}

/// The base type of a target attribute that names code to run (MSI SDK "Custom Action Types"):
/// a DLL entry point, an executable's command line, a JScript or VBScript function.
fn code_target(attribute: &str) -> Option<i32> {
    use crate::tables::ca_bits::*;
    match attribute {
        "DllEntry" => Some(DLL),
        "ExeCommand" => Some(EXE),
        "JScriptCall" => Some(JSCRIPT),
        "VBScriptCall" => Some(VBSCRIPT),
        _ => None,
    }
}

/// `<SetProperty Id="PROPERTY">`: a type-51 action scheduled in the UI and/or execute sequence.
pub(super) fn set_property(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Action", "After", "Before", "Sequence"])?;
    let prop = a.required_id("Id")?;
    let action = a.identifier("Action")?.unwrap_or_else(|| format!("Set{prop}"));
    let value = a.required("Value")?;
    ctx.add_row(
        c,
        "CustomAction",
        vec![
            action.clone().into(),
            (crate::tables::ca_bits::TEXT | crate::tables::ca_bits::PROPERTY).into(),
            prop.into(),
            value.into(),
            Cell::Null,
        ],
    )?;
    set_schedule(ctx, c, &a, &action, None)
}

/// `<SetDirectory>`: a type-35 action.
pub(super) fn set_directory(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Action", "Sequence"])?;
    let dir = a.required_id("Id")?;
    ctx.reference(c, "Directory", &dir);
    let action = a.identifier("Action")?.unwrap_or_else(|| format!("Set{dir}"));
    ctx.add_row(
        c,
        "CustomAction",
        vec![
            action.clone().into(),
            (crate::tables::ca_bits::TEXT | crate::tables::ca_bits::DIRECTORY).into(),
            dir.into(),
            a.required("Value")?.into(),
            Cell::Null,
        ],
    )?;
    // WiX schedules SetDirectory after CostInitialize.
    set_schedule(ctx, c, &a, &action, Some(Placement::After("CostInitialize".into())))
}

fn set_schedule(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    a: &Attrs,
    action: &str,
    default: Option<Placement>,
) -> Result<(), Error> {
    let placement = match (a.string("After"), a.string("Before")) {
        (Some(x), None) => Placement::After(x),
        (None, Some(x)) => Placement::Before(x),
        (None, None) => default.ok_or_else(|| a.error("After", "After or Before is required"))?,
        _ => return Err(a.error("Before", "cannot be combined with After")),
    };
    let cond = ctx.text(c)?;
    let seqs: &[&str] = match a.one_of("Sequence", &["both", "execute", "ui", "first"])?.as_deref() {
        Some("execute") => &["InstallExecuteSequence"],
        Some("ui") => &["InstallUISequence"],
        Some("first") => return Err(a.error("Sequence", "\"first\" is not supported")),
        _ => &["InstallUISequence", "InstallExecuteSequence"],
    };
    for t in seqs {
        schedule(ctx, c, t, action, cond.clone(), placement.clone());
    }
    Ok(())
}

/// `<InstallExecuteSequence>` and the other sequence elements (also inside `<UI>`).
pub(super) fn sequence(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    ctx.attrs(c, &[])?;
    let table = match c.tag_name().name() {
        "AdvertiseExecuteSequence" => "AdvtExecuteSequence".to_string(),
        t => t.to_string(),
    };
    for ch in ctx.elements(c)? {
        let name = ch.tag_name().name();
        let (action, a) = match name {
            "Custom" => {
                let a = ctx.attrs(ch, &["Action", "After", "Before", "Sequence", "OnExit", "Overridable"])?;
                let act = a.required_id("Action")?;
                ctx.reference(ch, "CustomAction", &act);
                (act, a)
            }
            "Show" => {
                if !table.ends_with("UISequence") {
                    return Err(ctx.error(ch, "<Show> belongs in InstallUISequence or AdminUISequence"));
                }
                let a = ctx.attrs(ch, &["Dialog", "After", "Before", "Sequence", "OnExit", "Overridable"])?;
                let d = a.required_id("Dialog")?;
                ctx.reference(ch, "Dialog", &d);
                (d, a)
            }
            n if crate::wix::sequence::is_standard_action(n) => {
                let a = ctx.attrs(ch, &["After", "Before", "Sequence", "Suppress", "Overridable"])?;
                (n.to_string(), a)
            }
            _ => {
                let mut supported = vec!["Custom", "Show"];
                supported.push("<any standard action>");
                return Err(ctx.unsupported(ch, &supported));
            }
        };
        let cond = ctx.text(ch)?;
        let set: Vec<&str> = ["After", "Before", "Sequence", "OnExit"].into_iter().filter(|x| a.has(x)).collect();
        if set.len() > 1 {
            return Err(a.error(set[1], format!("cannot be combined with {}", set[0])));
        }
        let placement = if a.is_yes("Suppress")? {
            Placement::Suppress
        } else if let Some(x) = a.string("After") {
            Placement::After(x)
        } else if let Some(x) = a.string("Before") {
            Placement::Before(x)
        } else if let Some(n) = a.int("Sequence")? {
            Placement::Sequence(n)
        } else if let Some(e) = a.one_of("OnExit", &["success", "cancel", "error", "suspend"])? {
            Placement::Sequence(match e.as_str() {
                "success" => -1,
                "cancel" => -2,
                "error" => -3,
                _ => -4,
            })
        } else if crate::wix::sequence::is_standard_action(&action) {
            Placement::Default
        } else {
            return Err(ctx.error(ch, "needs After, Before, Sequence or OnExit"));
        };
        let loc = ctx.loc(ch);
        ctx.model.actions.push(ScheduledAction { table: table.clone(), action, condition: cond, placement, loc });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row};
    use crate::wix::model::Placement;

    #[test]
    fn custom_action_types() {
        let m = fragment(
            r#"<CustomAction Id="Dll" BinaryKey="B" DllEntry="Run" Execute="deferred" Impersonate="no" HideTarget="yes" />
               <CustomAction Id="SetP" Property="P" Value="[X]" />
               <CustomAction Id="Err" Error="Stop here" />"#,
        )
        .unwrap();
        // MSI SDK "Custom Action Types": DLL in Binary 1, +0x400 in-script, +0x800 no
        // impersonation, +0x2000 hide target; property set from formatted text 51; error 19.
        assert_eq!(row(&m, "CustomAction", "Dll"), ["Dll", &(1 + 0x400 + 0x800 + 0x2000).to_string(), "B", "Run", ""]);
        assert_eq!(row(&m, "CustomAction", "SetP")[1], "51");
        assert_eq!(row(&m, "CustomAction", "Err")[1], "19");
        assert!(m.references.iter().any(|r| r.kind == "Binary" && r.id == "B"));
    }

    #[test]
    fn sequences_and_set_property_schedule_actions() {
        let m = fragment(
            r#"<SetProperty Id="DIR2" Value="[APPDIR]x" After="CostFinalize" Sequence="execute" />
               <InstallExecuteSequence>
                 <Custom Action="Dll" After="InstallFiles">NOT Installed</Custom>
                 <Custom Action="Other" Sequence="6601" />
                 <RemoveExistingProducts After="InstallInitialize" />
               </InstallExecuteSequence>"#,
        )
        .unwrap();
        let find = |a: &str| m.actions.iter().find(|x| x.action == a).unwrap_or_else(|| panic!("{a} not scheduled"));
        assert_eq!(row(&m, "CustomAction", "SetDIR2")[1], "51");
        assert_eq!(find("SetDIR2").table, "InstallExecuteSequence");
        assert_eq!(find("SetDIR2").placement, Placement::After("CostFinalize".into()));
        assert_eq!(find("Dll").condition.as_deref(), Some("NOT Installed"));
        assert_eq!(find("Other").placement, Placement::Sequence(6601));
        assert_eq!(find("RemoveExistingProducts").placement, Placement::After("InstallInitialize".into()));
        let e =
            fragment(r#"<InstallExecuteSequence><Custom Action="A" After="B" Before="C" /></InstallExecuteSequence>"#)
                .unwrap_err();
        assert!(!message(e).is_empty());
    }
}
