//! Exports of the embedded-connector actions (one-line shims over `crate::connector`).
