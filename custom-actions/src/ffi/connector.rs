//! Exports of the embedded-connector actions (one-line shims over `crate::connector`).
//!
//! Each name equals the `DllEntry` of its `CustomAction` row in `wix/fragments/custom-actions.wxs`.

export_action!(DetectEmbeddedConnector => crate::connector::detect);
export_action!(ValidateExportPassword => crate::connector::validate_export_password);
export_action!(ExportEmbeddedConnector => crate::connector::export_from_ui);
export_action!(ApplyEmbeddedConnectorAction => crate::connector::apply_action);
export_action!(CopyEmbeddedConnector => crate::connector::backup::copy_aside);
export_action!(MoveEmbeddedConnector => crate::connector::backup::move_aside);
export_action!(RestoreEmbeddedConnector => crate::connector::backup::restore);
export_action!(DeleteEmbeddedConnectorBackup => crate::connector::backup::delete_backup);
export_action!(ReadPasswordFiles => crate::password_file::read_password_files);
