//! The Windows shell: a `Session` over `Msi*W` calls and the exported one-line action shims.
