//! Shared helpers for the integration tests: where the built artefacts are, and loud skipping.
