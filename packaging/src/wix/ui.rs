//! Lowering of the WiX user-interface elements (UI, Dialog, Control, Publish, TextStyle, ...) to the UI tables.
