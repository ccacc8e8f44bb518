//! Elements of WiX v3's util extension (`xmlns:util="http://schemas.microsoft.com/wix/UtilExtension"`)
//! that lower to core tables: `<util:EventSource>` under a `<Component>`.
//!
//! `<util:EventSource>` registers an event source as WiX's util extension documents it
//! (EventSource element, Util extension): registry values under
//! `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\<Log>\<Name>`, as Microsoft's "Event Sources"
//! page (learn.microsoft.com/windows/win32/eventlog/event-sources) lays the key out:
//! `EventMessageFile`, `CategoryMessageFile`, `ParameterMessageFile` written as REG_EXPAND_SZ
//! (a `#%` value in the Registry table, MSI SDK "Registry Table"), `CategoryCount` and
//! `TypesSupported` as REG_DWORD (`#n`).
//!
//! The util extension's custom actions (`WixBroadcastEnvironmentChange`, ...) live in WiX's
//! `wixca.dll`, which this backend does not carry; [`util_custom_action`] names them so a
//! `<CustomActionRef>` to one fails with a reason instead of "defined nowhere".

use super::common::gen_id;
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use roxmltree::Node;

/// `HKEY_LOCAL_MACHINE` in the Registry table's Root column (MSI SDK "Registry Table").
const HKLM: i32 = 2;

/// `TypesSupported` bits (Microsoft "Event Sources" page: EVENTLOG_ERROR_TYPE 0x1,
/// EVENTLOG_WARNING_TYPE 0x2, EVENTLOG_INFORMATION_TYPE 0x4, EVENTLOG_AUDIT_SUCCESS 0x8,
/// EVENTLOG_AUDIT_FAILURE 0x10), by the util attribute that sets each.
const TYPES_SUPPORTED: &[(&str, i32)] = &[
    ("SupportsErrors", 0x1),
    ("SupportsWarnings", 0x2),
    ("SupportsInformationals", 0x4),
    ("SupportsSuccessAudits", 0x8),
    ("SupportsFailureAudits", 0x10),
];

/// `<util:EventSource>` in `component`: returns (id of the `EventMessageFile` row, KeyPath).
pub(super) fn event_source(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(String, bool), Error> {
    let mut supported = vec![
        "Name",
        "Log",
        "EventMessageFile",
        "CategoryMessageFile",
        "CategoryCount",
        "ParameterMessageFile",
        "KeyPath",
    ];
    supported.extend(TYPES_SUPPORTED.iter().map(|(a, _)| *a));
    let a = ctx.attrs(c, &supported)?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let name = a.required("Name")?;
    let log = a.required("Log")?;
    // The Security log is for system use only (Microsoft "Event Sources"); WiX refuses it too.
    if log.eq_ignore_ascii_case("Security") {
        return Err(a.error("Log", "\"Security\" is for system use only (use Application, System or a custom log)"));
    }
    // "Source names cannot be hierarchical; that is, they cannot contain the backslash".
    if name.contains('\\') {
        return Err(a.error("Name", "an event source name cannot contain a backslash"));
    }
    let event_file = a.required("EventMessageFile")?;
    let category_file = a.string("CategoryMessageFile");
    let category_count = a.int("CategoryCount")?;
    match (&category_file, category_count) {
        (Some(_), None) => return Err(a.error("CategoryMessageFile", "needs CategoryCount")),
        (None, Some(n)) if n > 0 => return Err(a.error("CategoryCount", "needs CategoryMessageFile")),
        (_, Some(n)) if n < 0 => return Err(a.error("CategoryCount", "must not be negative")),
        _ => {}
    }
    let mut types = 0;
    for (attr, bit) in TYPES_SUPPORTED {
        if a.is_yes(attr)? {
            types |= bit;
        }
    }
    let key = format!("SYSTEM\\CurrentControlSet\\Services\\EventLog\\{log}\\{name}");
    let mut values = vec![("EventMessageFile", format!("#%{event_file}"))];
    if let Some(f) = category_file {
        values.push(("CategoryMessageFile", format!("#%{f}")));
    }
    if let Some(n) = category_count {
        values.push(("CategoryCount", format!("#{n}")));
    }
    if let Some(f) = a.string("ParameterMessageFile") {
        values.push(("ParameterMessageFile", format!("#%{f}")));
    }
    if types != 0 {
        values.push(("TypesSupported", format!("#{types}")));
    }
    let mut first = None;
    for (value_name, value) in values {
        let id = gen_id("reg", &[component, &HKLM.to_string(), &key, value_name]);
        ctx.add_row(
            c,
            "Registry",
            vec![id.clone().into(), HKLM.into(), key.clone().into(), value_name.into(), value.into(), component.into()],
        )?;
        first.get_or_insert(id);
    }
    Ok((first.expect("EventMessageFile row"), a.is_yes("KeyPath")?))
}

/// The custom actions WiX's util extension defines in its library (and implements in
/// `wixca.dll`), with why a reference to one cannot be honoured here.
pub(super) fn util_custom_action(id: &str) -> Option<&'static str> {
    match id {
        // MSI SDK "WriteEnvironmentStrings Action": the installer itself sends WM_SETTINGCHANGE
        // when an installation that changed the environment completes (not when a restart is
        // pending); the util action repeats that broadcast unconditionally.
        "WixBroadcastEnvironmentChange" | "WixBroadcastSettingChange" => Some(
            "is a custom action of WiX's util extension (in WiX's wixca.dll, which this backend does not \
             carry); Windows Installer itself broadcasts WM_SETTINGCHANGE \"Environment\" when an \
             installation that wrote <Environment> values completes (MSI SDK \"WriteEnvironmentStrings \
             Action\"), so remove this reference",
        ),
        "WixCheckRebootRequired"
        | "WixCloseApplications"
        | "WixQuietExec"
        | "WixQuietExec64"
        | "WixSilentExec"
        | "WixSilentExec64"
        | "WixFailWhenDeferred"
        | "WixWaitForEvent"
        | "WixExitEarlyWithSuccess" => {
            Some("is a custom action of WiX's util extension (in WiX's wixca.dll, which this backend does not carry)")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{component, fragment, message, rows};

    #[test]
    fn event_source_registry_rows() {
        let m = component(
            r#"<File Id="svc" Source="Cargo.toml" />
               <util:EventSource Name="Hello Service" Log="Application" EventMessageFile="[#svc]"
                 CategoryMessageFile="%SystemRoot%\cat.dll" CategoryCount="3" SupportsErrors="yes"
                 SupportsWarnings="yes" SupportsInformationals="yes" />"#,
        )
        .unwrap();
        let key = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\Hello Service";
        let mut got: Vec<(String, String, String, String, String)> = rows(&m, "Registry")
            .into_iter()
            .map(|r| (r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone()))
            .collect();
        got.sort();
        let want = |n: &str, v: &str| ("2".to_string(), key.to_string(), n.to_string(), v.to_string(), "C".to_string());
        // HKLM (2); REG_EXPAND_SZ files ("#%"), REG_DWORD counts ("#"); TypesSupported
        // EVENTLOG_ERROR_TYPE|WARNING|INFORMATION = 0x7 (Microsoft "Event Sources").
        let mut expected = vec![
            want("CategoryCount", "#3"),
            want("CategoryMessageFile", r"#%%SystemRoot%\cat.dll"),
            want("EventMessageFile", "#%[#svc]"),
            want("TypesSupported", "#7"),
        ];
        expected.sort();
        assert_eq!(got, expected);
        // Without KeyPath="yes" the file stays the component's key path.
        assert_eq!(rows(&m, "Component")[0][5], "svc");
    }

    #[test]
    fn event_source_as_key_path() {
        let m = component(
            r#"<util:EventSource Name="App" Log="System" EventMessageFile="x.dll" KeyPath="yes"
                 SupportsFailureAudits="yes" SupportsSuccessAudits="yes" />"#,
        )
        .unwrap();
        let r = rows(&m, "Registry");
        let emf = r.iter().find(|r| r[3] == "EventMessageFile").unwrap();
        let c = &rows(&m, "Component")[0];
        // msidbComponentAttributesRegistryKeyPath (0x4) and KeyPath = the EventMessageFile row.
        assert_eq!((c[3].as_str(), c[5].as_str()), ("260", emf[0].as_str()));
        // EVENTLOG_AUDIT_SUCCESS | EVENTLOG_AUDIT_FAILURE = 0x18.
        assert!(r.iter().any(|r| r[3] == "TypesSupported" && r[4] == "#24"), "{r:?}");
    }

    #[test]
    fn event_source_errors() {
        let err = |body: &str| message(component(body).unwrap_err());
        assert!(err(r#"<util:EventSource Name="A" Log="Security" EventMessageFile="x" />"#).contains("Security"));
        assert!(err(r#"<util:EventSource Name="A" EventMessageFile="x" />"#).contains("Log"));
        assert!(err(r#"<util:EventSource Name="A" Log="Application" />"#).contains("EventMessageFile"));
        let e = err(r#"<util:EventSource Name="A" Log="Application" EventMessageFile="x" CategoryCount="2" />"#);
        assert!(e.contains("CategoryMessageFile"), "{e}");
        let e = err(r#"<util:EventSource Name="A\B" Log="Application" EventMessageFile="x" />"#);
        assert!(e.contains("backslash"), "{e}");
        // Other util elements are refused by name, with what the component accepts.
        let e = err(r#"<util:RemoveFolderEx On="uninstall" Property="P" />"#);
        assert!(e.contains("<util:RemoveFolderEx> is not supported") && e.contains("util:EventSource"), "{e}");
    }

    #[test]
    fn broadcast_custom_action_is_refused_with_the_reason() {
        let e = fragment(r#"<CustomActionRef Id="WixBroadcastEnvironmentChange" />"#).unwrap_err().to_string();
        assert!(e.contains("test.wxs:2:1") && e.contains("wixca.dll") && e.contains("WM_SETTINGCHANGE"), "{e}");
    }
}
