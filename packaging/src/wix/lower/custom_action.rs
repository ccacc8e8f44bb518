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
    use super::super::harness::{fragment, message, row, rows};
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

    // The numbers below are written out from the MSI SDK, not computed with `ca_bits`:
    // "Custom Action Types" and its "Summary List of All Custom Action Types" (base types),
    // "Custom Action In-Script Execution Options" (0x400 in-script, +0x100 rollback, +0x200
    // commit, 0x800 no impersonation, 0x4000 TS aware), "Custom Action Execution Scheduling
    // Options" (0x100 first sequence, 0x200 once per process, 0x300 client repeat), "Custom Action
    // Return Processing Options" (0x40 continue, 0x80 async), "Custom Action Hidden Target Option"
    // (0x2000), "Custom Action Script 64-bit Option" (0x1000, scripts only), the CustomAction
    // table's ExtendedType (msidbCustomActionTypePatchUninstall 0x8000). WiX v3's `<CustomAction>`
    // page names the attributes; the harness builds for x64, where WiX makes scripts 64-bit.

    /// Every source/target pair WiX v3 documents, with its base type from the summary list.
    #[test]
    fn base_types_are_the_msi_sdk_numbers() {
        let m = fragment(
            r#"<CustomAction Id="T1" BinaryKey="B" DllEntry="Run" />
               <CustomAction Id="T2" BinaryKey="B" ExeCommand="-x" />
               <CustomAction Id="T5" BinaryKey="B" JScriptCall="f" Win64="no" />
               <CustomAction Id="T6" BinaryKey="B" VBScriptCall="f" Win64="no" />
               <CustomAction Id="T17" FileKey="F" DllEntry="Run" />
               <CustomAction Id="T18" FileKey="F" ExeCommand="-x" />
               <CustomAction Id="T21" FileKey="F" JScriptCall="f" Win64="no" />
               <CustomAction Id="T22" FileKey="F" VBScriptCall="f" Win64="no" />
               <CustomAction Id="T19" Error="Stop" />
               <CustomAction Id="T34" Directory="D" ExeCommand="x.exe" />
               <CustomAction Id="T35" Directory="D" Value="[X]" />
               <CustomAction Id="T37" Script="jscript" Win64="no">f();</CustomAction>
               <CustomAction Id="T38" Script="vbscript" Win64="no">f</CustomAction>
               <CustomAction Id="T50" Property="P" ExeCommand="-x" />
               <CustomAction Id="T51" Property="P" Value="[X]" />
               <CustomAction Id="T53" Property="P" JScriptCall="f" Win64="no" />
               <CustomAction Id="T54" Property="P" VBScriptCall="f" Win64="no" />"#,
        )
        .unwrap();
        let all = rows(&m, "CustomAction");
        assert_eq!(all.len(), 17);
        for r in &all {
            assert_eq!(r[1], r[0][1..], "{r:?}");
        }
        // Source and target columns: the key, the attribute's text, the script as inner text.
        assert_eq!(row(&m, "CustomAction", "T17"), ["T17", "17", "F", "Run", ""]);
        assert_eq!(row(&m, "CustomAction", "T19"), ["T19", "19", "", "Stop", ""]);
        assert_eq!(row(&m, "CustomAction", "T34"), ["T34", "34", "D", "x.exe", ""]);
        assert_eq!(row(&m, "CustomAction", "T37"), ["T37", "37", "", "f();", ""]);
        // The Binary, File and Directory rows they name must exist.
        for (kind, id) in [("Binary", "B"), ("File", "F"), ("Directory", "D")] {
            assert!(m.references.iter().any(|r| r.kind == kind && r.id == id), "{kind} {id}");
        }
    }

    /// Scheduling, return and other option bits, each on a type-1 action (DLL in Binary).
    #[test]
    fn option_bits_are_the_msi_sdk_numbers() {
        let m = fragment(
            r#"<CustomAction Id="Immediate" BinaryKey="B" DllEntry="E" Execute="immediate" Return="check" />
               <CustomAction Id="Deferred" BinaryKey="B" DllEntry="E" Execute="deferred" />
               <CustomAction Id="Rollback" BinaryKey="B" DllEntry="E" Execute="rollback" />
               <CustomAction Id="Commit" BinaryKey="B" DllEntry="E" Execute="commit" />
               <CustomAction Id="Once" BinaryKey="B" DllEntry="E" Execute="oncePerProcess" />
               <CustomAction Id="First" BinaryKey="B" DllEntry="E" Execute="firstSequence" />
               <CustomAction Id="Second" BinaryKey="B" DllEntry="E" Execute="secondSequence" />
               <CustomAction Id="DeferredSystem" BinaryKey="B" DllEntry="E" Execute="deferred" Impersonate="no" />
               <CustomAction Id="RollbackSystem" BinaryKey="B" DllEntry="E" Execute="rollback" Impersonate="no" />
               <CustomAction Id="CommitSystem" BinaryKey="B" DllEntry="E" Execute="commit" Impersonate="no" />
               <CustomAction Id="Ignore" BinaryKey="B" DllEntry="E" Return="ignore" />
               <CustomAction Id="AsyncWait" BinaryKey="B" DllEntry="E" Return="asyncWait" />
               <CustomAction Id="AsyncNoWait" BinaryKey="B" DllEntry="E" Return="asyncNoWait" />
               <CustomAction Id="Hidden" BinaryKey="B" DllEntry="E" HideTarget="yes" />
               <CustomAction Id="Shown" BinaryKey="B" DllEntry="E" HideTarget="no" />
               <CustomAction Id="TsAware" BinaryKey="B" DllEntry="E" Execute="deferred" TerminalServerAware="yes" />
               <CustomAction Id="TsRollback" BinaryKey="B" DllEntry="E" Execute="rollback" TerminalServerAware="yes" />
               <CustomAction Id="DllWin64" BinaryKey="B" DllEntry="E" Win64="yes" />
               <CustomAction Id="Script64" Script="jscript">f();</CustomAction>
               <CustomAction Id="Call64" BinaryKey="B" VBScriptCall="f" Win64="yes" />
               <CustomAction Id="Patch" BinaryKey="B" DllEntry="E" PatchUninstall="yes" />
               <CustomAction Id="NoPatch" BinaryKey="B" DllEntry="E" PatchUninstall="no" />"#,
        )
        .unwrap();
        for (id, ty) in [
            ("Immediate", 1),
            ("Deferred", 1 + 0x400),
            ("Rollback", 1 + 0x400 + 0x100),
            ("Commit", 1 + 0x400 + 0x200),
            ("Once", 1 + 0x200),
            ("First", 1 + 0x100),
            ("Second", 1 + 0x300),
            ("DeferredSystem", 1 + 0x400 + 0x800),
            ("RollbackSystem", 1 + 0x400 + 0x100 + 0x800),
            ("CommitSystem", 1 + 0x400 + 0x200 + 0x800),
            ("Ignore", 1 + 0x40),
            ("AsyncWait", 1 + 0x80),
            ("AsyncNoWait", 1 + 0x80 + 0x40),
            ("Hidden", 1 + 0x2000),
            ("Shown", 1),
            ("TsAware", 1 + 0x400 + 0x4000),
            ("TsRollback", 1 + 0x400 + 0x100 + 0x4000),
            ("DllWin64", 1),
            ("Script64", 37 + 0x1000),
            ("Call64", 6 + 0x1000),
            ("Patch", 1),
            ("NoPatch", 1),
        ] {
            assert_eq!(row(&m, "CustomAction", id)[1], ty.to_string(), "{id}");
        }
        assert_eq!(row(&m, "CustomAction", "Patch")[4], (0x8000).to_string());
        assert_eq!(row(&m, "CustomAction", "NoPatch")[4], "");
    }

    /// What WiX v3 refuses: no source or two targets, a DLL in a property or a directory, inner
    /// text without Script, a script without text, and the in-script-only options on an action
    /// that does not run from the script.
    #[test]
    fn unsupported_forms_are_errors_naming_the_attribute() {
        for (xml, expect) in [
            (r#"<CustomAction Id="A" DllEntry="E" />"#, "source: none"),
            (r#"<CustomAction Id="A" BinaryKey="B" FileKey="F" DllEntry="E" />"#, "BinaryKey+FileKey"),
            (r#"<CustomAction Id="A" BinaryKey="B" DllEntry="E" ExeCommand="x" />"#, "DllEntry+ExeCommand"),
            (r#"<CustomAction Id="A" BinaryKey="B" Value="x" />"#, "unsupported CustomAction combination"),
            (r#"<CustomAction Id="A" Property="P" DllEntry="E" />"#, "unsupported CustomAction combination"),
            (r#"<CustomAction Id="A" Directory="D" DllEntry="E" />"#, "unsupported CustomAction combination"),
            (r#"<CustomAction Id="A" Error="E" Value="x" />"#, "unsupported CustomAction combination"),
            (r#"<CustomAction Id="A" BinaryKey="B" DllEntry="E">text</CustomAction>"#, "only allowed with Script"),
            (r#"<CustomAction Id="A" Script="jscript" />"#, "needs the script as inner text"),
            (r#"<CustomAction Id="A" BinaryKey="B" DllEntry="E" Impersonate="no" />"#, "deferred, rollback or commit"),
            (
                r#"<CustomAction Id="A" BinaryKey="B" DllEntry="E" Execute="oncePerProcess" Impersonate="no" />"#,
                "deferred, rollback or commit",
            ),
            (r#"<CustomAction Id="A" BinaryKey="B" DllEntry="E" TerminalServerAware="yes" />"#, "only to deferred"),
        ] {
            let e = fragment(xml).map(|m| rows(&m, "CustomAction")).unwrap_err();
            let text = message(e);
            assert!(text.contains(expect), "{xml}: {text}");
        }
    }

    /// `<SetProperty>` (type 51) and `<SetDirectory>` (type 35): WiX v3 schedules them in both
    /// sequences unless `Sequence` says one; SetDirectory goes after CostInitialize by default,
    /// SetProperty needs After or Before.
    #[test]
    fn set_property_and_set_directory() {
        let m = fragment(
            r#"<SetProperty Id="P" Value="[X]" Before="AppSearch">NOT Installed</SetProperty>
               <SetProperty Id="Q" Action="SetQ2" Value="1" After="CostFinalize" Sequence="ui" />
               <SetDirectory Id="D" Value="[WindowsVolume]d" />
               <SetDirectory Id="E" Value="[X]e" Sequence="execute" />"#,
        )
        .unwrap();
        assert_eq!(row(&m, "CustomAction", "SetP"), ["SetP", "51", "P", "[X]", ""]);
        assert_eq!(row(&m, "CustomAction", "SetQ2"), ["SetQ2", "51", "Q", "1", ""]);
        assert_eq!(row(&m, "CustomAction", "SetD"), ["SetD", "35", "D", "[WindowsVolume]d", ""]);
        let scheduled = |a: &str| {
            m.actions
                .iter()
                .filter(|x| x.action == a)
                .map(|x| (x.table.as_str(), x.placement.clone(), x.condition.clone()))
                .collect::<Vec<_>>()
        };
        let before = Placement::Before("AppSearch".into());
        let cond = Some("NOT Installed".to_string());
        assert_eq!(
            scheduled("SetP"),
            [("InstallUISequence", before.clone(), cond.clone()), ("InstallExecuteSequence", before, cond)]
        );
        assert_eq!(scheduled("SetQ2"), [("InstallUISequence", Placement::After("CostFinalize".into()), None)]);
        let after_ci = Placement::After("CostInitialize".into());
        assert_eq!(
            scheduled("SetD"),
            [("InstallUISequence", after_ci.clone(), None), ("InstallExecuteSequence", after_ci.clone(), None)]
        );
        assert_eq!(scheduled("SetE"), [("InstallExecuteSequence", after_ci, None)]);
        assert!(m.references.iter().any(|r| r.kind == "Directory" && r.id == "D"));
        for (xml, expect) in [
            (r#"<SetProperty Id="P" Value="1" />"#, "After or Before is required"),
            (r#"<SetProperty Id="P" Value="1" After="A" Before="B" />"#, "cannot be combined with After"),
            (r#"<SetProperty Id="P" Value="1" After="A" Sequence="first" />"#, "\"first\" is not supported"),
        ] {
            assert!(message(fragment(xml).unwrap_err()).contains(expect), "{xml}");
        }
    }

    /// Sequence children: OnExit numbers (MSI SDK "Using a Sequence Table": -1 success, -2 user
    /// exit, -3 fatal error, -4 suspend), Suppress, a standard action at its own number, Show only
    /// in a UI sequence, AdvertiseExecuteSequence into the AdvtExecuteSequence table.
    #[test]
    fn sequence_children() {
        let m = fragment(
            r#"<InstallUISequence>
                 <Show Dialog="Done" OnExit="success" />
                 <Show Dialog="Cancelled" OnExit="cancel" />
                 <Show Dialog="Failed" OnExit="error" />
                 <Show Dialog="Paused" OnExit="suspend" />
                 <Show Dialog="Welcome" Before="ProgressDlg" />
                 <ExecuteAction Suppress="yes" />
                 <AppSearch />
               </InstallUISequence>
               <AdvertiseExecuteSequence><Custom Action="Adv" After="CostFinalize" /></AdvertiseExecuteSequence>"#,
        )
        .unwrap();
        let find = |a: &str| m.actions.iter().find(|x| x.action == a).unwrap_or_else(|| panic!("{a} not scheduled"));
        for (dialog, n) in [("Done", -1), ("Cancelled", -2), ("Failed", -3), ("Paused", -4)] {
            assert_eq!(find(dialog).placement, Placement::Sequence(n), "{dialog}");
            assert_eq!(find(dialog).table, "InstallUISequence");
            assert!(m.references.iter().any(|r| r.kind == "Dialog" && r.id == dialog), "{dialog}");
        }
        assert_eq!(find("Welcome").placement, Placement::Before("ProgressDlg".into()));
        assert_eq!(find("ExecuteAction").placement, Placement::Suppress);
        assert_eq!(find("AppSearch").placement, Placement::Default);
        assert_eq!(find("Adv").table, "AdvtExecuteSequence");
        assert!(m.references.iter().any(|r| r.kind == "CustomAction" && r.id == "Adv"));
        for (xml, expect) in [
            (
                r#"<InstallExecuteSequence><Show Dialog="D" After="A" /></InstallExecuteSequence>"#,
                "belongs in InstallUISequence",
            ),
            (r#"<InstallExecuteSequence><Custom Action="A" /></InstallExecuteSequence>"#, "needs After, Before"),
            (
                r#"<InstallExecuteSequence><Custom Action="A" Sequence="5" OnExit="error" /></InstallExecuteSequence>"#,
                "OnExit",
            ),
            (r#"<InstallExecuteSequence><Bogus /></InstallExecuteSequence>"#, "<any standard action>"),
        ] {
            assert!(message(fragment(xml).unwrap_err()).contains(expect), "{xml}");
        }
    }

    /// WiX v3 `CustomAction/@Win64`: a script action is 64-bit (MSI SDK "Custom Action Script
    /// 64-bit Option", 0x1000) when the package is (`Package/@Platform`) unless Win64 says
    /// otherwise; a DLL or an EXE never gets the bit.
    #[test]
    fn script_64_bit_follows_the_package_platform() {
        let types = |platform: &str| {
            let root = r#"Product Id="*" Name="App" Language="1033" Version="1.0.0" Manufacturer="Co" UpgradeCode="{11111111-2222-3333-4444-555555555555}""#;
            let body = format!(
                r#"<Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="{platform}" />
                   <CustomAction Id="Js" Script="jscript">f();</CustomAction>
                   <CustomAction Id="Js64" Script="jscript" Win64="yes">f();</CustomAction>
                   <CustomAction Id="Js32" Script="jscript" Win64="no">f();</CustomAction>
                   <CustomAction Id="Dll" BinaryKey="B" DllEntry="E" />"#
            );
            let m = super::super::harness::lower_with(std::path::Path::new("."), root, &body, |ctx, n| {
                super::super::dispatch::product(ctx, n).map(|_| ())
            })
            .unwrap();
            ["Js", "Js64", "Js32", "Dll"].map(|id| row(&m, "CustomAction", id)[1].clone())
        };
        assert_eq!(types("x86"), ["37", &(37 + 0x1000).to_string(), "37", "1"]);
        assert_eq!(types("x64"), [&(37 + 0x1000).to_string(), &(37 + 0x1000).to_string(), "37", "1"]);
    }
}
