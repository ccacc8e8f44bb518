//! Embedded-connector actions: detect the previous configuration, export it, move it aside with rollback (seed steps 2-3).
