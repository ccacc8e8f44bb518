//! Each DLL export binds the session type of one execution context (`export_immediate!`,
//! `export_deferred!`, `export_rollback!`, `export_commit!` in custom-actions/src/ffi), and the
//! WiX sources schedule it in that same context: `Execute` absent or `immediate`, `deferred`,
//! `rollback`, `commit`. Script actions run as LocalSystem (`Impersonate="no"`): every one of ours
//! changes the machine (docs/windows-behaviour.md). A mismatch would hand an action a session
//! that answers what Windows does not answer there.

use std::collections::BTreeMap;
use std::path::Path;

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Export name -> context word of its macro, from the shim files.
fn exports() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in ["custom-actions/src/ffi/connector.rs", "custom-actions/src/ffi/target_machine.rs"] {
        for line in repo_file(file).lines() {
            let Some(rest) = line.trim().strip_prefix("export_") else { continue };
            let Some((context, tail)) = rest.split_once("!(") else { continue };
            let name = tail.split_whitespace().next().expect("an export name");
            out.insert(name.to_string(), context.to_string());
        }
    }
    out
}

/// The value of `attr` in one element's opening tag, if present.
fn attr(tag: &str, attr: &str) -> Option<String> {
    let start = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
    Some(tag[start..start + tag[start..].find('"')?].to_string())
}

/// DllEntry -> (Execute, Impersonate) of the `CustomAction` elements calling the DLL.
fn scheduled() -> BTreeMap<String, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    for file in ["wix/fragments/custom-actions.wxs", "wix/target-machine.wxs.tera"] {
        for tail in repo_file(file).split("<CustomAction ").skip(1) {
            let tag = format!(" {}", &tail[..tail.find('>').expect("a closed tag")]);
            let Some(entry) = attr(&tag, "DllEntry") else { continue };
            let execute = attr(&tag, "Execute").unwrap_or_else(|| "immediate".to_string());
            out.insert(entry, (execute, attr(&tag, "Impersonate")));
        }
    }
    out
}

#[test]
fn every_export_is_scheduled_in_the_context_its_session_type_names() {
    let exports = exports();
    let scheduled = scheduled();
    assert!(exports.len() >= 10, "{exports:?}");
    assert_eq!(
        exports.keys().collect::<Vec<_>>(),
        scheduled.keys().collect::<Vec<_>>(),
        "each export is scheduled, each DllEntry exported"
    );
    for (name, context) in &exports {
        let (execute, impersonate) = &scheduled[name];
        assert_eq!(execute, context, "{name}: exported as {context}, scheduled Execute=\"{execute}\"");
        if context != "immediate" {
            assert_eq!(impersonate.as_deref(), Some("no"), "{name}: a script action of ours runs as LocalSystem");
        }
    }
}
