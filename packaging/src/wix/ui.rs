//! Lowering of the WiX user-interface elements (UI, Dialog, Control, Publish, TextStyle, ...) to the UI tables.
//!
//! Contract (owned by helper U; the backend calls it for every `<UI>` under `<Product>` or
//! `<Fragment>`, after defining the symbol `UI`/`Id` so `<UIRef>` resolves):
//! - read attributes with `ctx.attrs(node, &[...supported...])`, children with
//!   `ctx.elements(node)`, return `ctx.unsupported(child, &[...])` for anything not handled;
//! - add rows with `ctx.add_row(node, "Dialog" | "Control" | "ControlEvent" | ..., cells)` (the
//!   UI table definitions are in `crate::tables`);
//! - record references with `ctx.reference(node, "Dialog", id)` (checked after linking);
//! - delegate `<Property>` to `super::lower::property(ctx, child)`, `<InstallUISequence>` /
//!   `<AdminUISequence>` to `super::lower::sequence(ctx, child)` (handles `<Show>`), and
//!   `<UIRef>` to `ctx.reference(child, "UI", id)`.

use super::context::Ctx;
use super::Error;
use roxmltree::Node;

/// Lowers one `<UI>` element (stub until the UI lowering lands: every `<UI>` is an error).
pub fn lower_ui(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    Err(ctx.error(node, "<UI> is not supported yet"))
}

