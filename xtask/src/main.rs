//! `cargo xtask`: the pipeline that drives the rest of the workspace.
fn main() {}
