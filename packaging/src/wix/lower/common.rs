//! Helpers shared by the element families: references by id, generated ids and GUIDs, and
//! scheduling an action.

use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::{Placement, ScheduledAction};
use roxmltree::Node;
use sha2::{Digest, Sha256};

/// `<XRef Id="..."/>`: a reference checked after linking.
pub(super) fn simple_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>, kind: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required("Id")?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.reference(c, kind, &id);
    Ok(())
}

pub(super) fn ref_id(ctx: &mut Ctx<'_>, c: Node<'_, '_>, kind: &str) -> Result<String, Error> {
    let a = ctx.attrs(c, &["Id", "Primary"])?;
    let id = a.required_id("Id")?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.reference(c, kind, &id);
    Ok(id)
}

/// A GUID derived (UUID v5 over SHA-1, in a fixed namespace) from `parts`.
pub(super) fn derived_guid(parts: &[&str]) -> String {
    // Namespace for GUIDs this backend derives; any fixed UUID works, this one is random.
    const NS: uuid::Uuid = uuid::uuid!("5b0c1b8e-3f0e-4f55-9a87-6a4f1d0c2e71");
    let name = parts.join("\u{1f}");
    let u = uuid::Uuid::new_v5(&NS, name.as_bytes());
    format!("{{{}}}", u.hyphenated()).to_ascii_uppercase()
}

/// Short stable id for generated keys: `prefix` + hash of `parts`.
pub(super) fn gen_id(prefix: &str, parts: &[&str]) -> String {
    let h = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let hex: String = h.iter().take(12).map(|b| format!("{b:02X}")).collect();
    format!("{prefix}{hex}")
}

/// Adds a scheduled action.
pub(super) fn schedule(
    ctx: &mut Ctx<'_>,
    node: Node<'_, '_>,
    table: &str,
    action: &str,
    condition: Option<String>,
    placement: Placement,
) {
    let loc = ctx.loc(node);
    ctx.model.actions.push(ScheduledAction { table: table.into(), action: action.into(), condition, placement, loc });
}
