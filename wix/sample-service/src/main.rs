//! Sample product service: writes a heartbeat file.
fn main() {}
