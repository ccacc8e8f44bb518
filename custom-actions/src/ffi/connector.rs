//! Exports of the embedded-connector actions (one-line shims over `crate::connector`).
//!
//! Each name equals the `DllEntry` of its `CustomAction` row in `wix/fragments/custom-actions.wxs`;
//! the macro names its execution context.

export_immediate!(DetectEmbeddedConnector => crate::connector::detect);
export_immediate!(ValidateExportPassword => crate::connector::validate_export_password);
export_immediate!(ExportEmbeddedConnector => crate::connector::export_from_ui);
export_immediate!(ApplyEmbeddedConnectorAction => crate::connector::apply_action);
export_deferred!(MoveEmbeddedConnector => crate::connector::backup::move_aside);
export_rollback!(RestoreEmbeddedConnector => crate::connector::backup::restore);
export_commit!(DeleteEmbeddedConnectorBackup => crate::connector::backup::delete_backup);
export_immediate!(ReadPasswordFiles => crate::password_file::read_password_files);
