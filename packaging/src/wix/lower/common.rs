//! Helpers shared by the element families: references by id, generated ids and GUIDs,
//! scheduling an action, and file names (long names and generated 8.3 short names).

use crate::wix::context::{Attrs, Ctx};
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

/// Whether `name` is a valid 8.3 short file name.
fn is_short_name(name: &str) -> bool {
    const OK: &str = "!#$%&'()-@^_`{}~";
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || OK.contains(c));
    match name.split_once('.') {
        None => (1..=8).contains(&name.len()) && valid(name),
        Some((b, e)) => (1..=8).contains(&b.len()) && e.len() <= 3 && !e.contains('.') && valid(b) && valid(e),
    }
}

/// The `short|long` form of a file or directory name (MSI "Filename" data type): a generated
/// short name (8 hash characters + the first 3 of the extension) when `long` is not 8.3.
pub(super) fn msi_name(long: &str, short: Option<&str>) -> String {
    if is_short_name(long) && short.is_none() {
        return long.to_string();
    }
    let short = match short {
        Some(s) => s.to_string(),
        None => {
            let h = Sha256::digest(long.to_ascii_lowercase().as_bytes());
            let base: String = h.iter().take(8).map(|b| (b'a' + b % 26) as char).collect();
            let ext: String = long
                .rsplit_once('.')
                .map(|(_, e)| e.chars().filter(|c| c.is_ascii_alphanumeric()).take(3).collect())
                .unwrap_or_default();
            if ext.is_empty() {
                base
            } else {
                format!("{base}.{ext}")
            }
        }
    };
    format!("{short}|{long}")
}

pub(super) fn check_long_name(a: &Attrs, attr: &str, name: &str) -> Result<(), Error> {
    const BAD: &str = "\\?|><:/*\"";
    if name.is_empty() || name.chars().any(|c| BAD.contains(c) || c.is_control()) || name.len() > 255 {
        return Err(a.error(attr, format!("{name:?} is not a valid file name")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(msi_name("README.TXT", None), "README.TXT");
        assert_eq!(msi_name("a.b", None), "a.b");
        let n = msi_name("Release Notes.txt", None);
        let (short, long) = n.split_once('|').unwrap();
        assert_eq!(long, "Release Notes.txt");
        assert!(is_short_name(short) && short.ends_with(".txt"), "{short}");
        assert_eq!(msi_name("x.txt", Some("Y.TXT")), "Y.TXT|x.txt");
    }
}
