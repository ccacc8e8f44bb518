//! The `.enc` configuration-package format: Argon2id + AES-256-GCM over a zip with a manifest (docs/enc-format.md).
