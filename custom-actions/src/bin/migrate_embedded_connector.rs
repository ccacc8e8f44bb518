//! `migrateEmbeddedConnector`: export, inspect, verify and decrypt embedded-connector configuration packages.
fn main() {}
