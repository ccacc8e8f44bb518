//! Every installer property the custom actions read or write, named once. The WiX sources
//! (`wix/*.wxs*`, `wix/fragments/`, `wix/ui/`) use the same names.
//!
//! Public (upper-case) properties are the silent-install contract (docs/silent-install.md) or
//! results the dialogs read; the `Secure` ones reach the execute sequence (MSI SDK "SecureCustomProperties").

// --- standard Windows Installer properties (MSI SDK "Property Reference") -------------------

/// The computer's NetBIOS name ("ComputerName property").
pub const COMPUTER_NAME: &str = "ComputerName";
/// The UI level ("UILevel property": 2 none, 3 basic, 4 reduced, 5 full).
pub const UI_LEVEL: &str = "UILevel";
/// Set to disable rollback ("RollbackDisabled property").
pub const ROLLBACK_DISABLED: &str = "RollbackDisabled";
/// What a deferred, rollback or commit action reads ("CustomActionData property").
pub const CUSTOM_ACTION_DATA: &str = "CustomActionData";
/// The SID of the user who started the installation ("UserSID property"), readable in script actions.
pub const USER_SID: &str = "UserSID";
/// The package's product code ("ProductCode property"), readable in deferred and rollback actions.
pub const PRODUCT_CODE: &str = "ProductCode";
/// The reboot policy ("REBOOT property": `Force`, `Suppress`, `ReallySuppress`).
pub const REBOOT: &str = "REBOOT";
/// Full path of the package being installed ("OriginalDatabase property").
pub const ORIGINAL_DATABASE: &str = "OriginalDatabase";
/// Folder of the package being installed ("SourceDir property").
pub const SOURCE_DIR: &str = "SourceDir";

// --- embedded connector (custom-actions/src/connector) --------------------------------------

/// Directory property of `[INSTALLFOLDER]VMwareIdentityManager\` (resolved by `CostFinalize`).
pub const PRODUCTDIR: &str = "PRODUCTDIR";
/// The install folder chosen by the admin; used when `PRODUCTDIR` is not resolved yet.
pub const INSTALLFOLDER: &str = "INSTALLFOLDER";
/// `;`-separated paths, relative to `PRODUCTDIR`, of the configuration (from `product.toml`).
pub const EMBEDDED_CONNECTOR_PATHS: &str = "EMBEDDED_CONNECTOR_PATHS";
/// Set to `1` by `DetectEmbeddedConnector` when any configured path exists.
pub const EMBEDDED_CONNECTOR_FOUND: &str = "EMBEDDED_CONNECTOR_FOUND";
/// Set by `DetectEmbeddedConnector`: how many regular files the configuration has.
pub const EMBEDDED_CONNECTOR_FILES: &str = "EMBEDDED_CONNECTOR_FILES";
/// The silent-install choice: `discard`, `export` or `export-continue`.
pub const EMBEDDED_CONNECTOR_ACTION: &str = "EMBEDDED_CONNECTOR_ACTION";
/// The configuration-package password (a `Hidden`, `Secure` property).
pub const EXPORT_PASSWORD: &str = "EXPORT_PASSWORD";
/// A file holding `EXPORT_PASSWORD`, read and deleted by `ReadPasswordFiles` (custom-actions/src/password_file.rs).
pub const EXPORT_PASSWORD_FILE: &str = "EXPORT_PASSWORD_FILE";
/// Its confirmation, typed in the password dialog (UI only, `Hidden`).
pub const EXPORT_PASSWORD_CONFIRM: &str = "EXPORT_PASSWORD_CONFIRM";
/// Set to `1` by `ValidateExportPassword` when the password pair is acceptable.
pub const EXPORT_PASSWORD_VALID: &str = "EXPORT_PASSWORD_VALID";
/// `ok` after a successful export, otherwise the reason it failed.
pub const EXPORT_RESULT: &str = "EXPORT_RESULT";
/// Why the last export or password check failed (empty on success).
pub const EXPORT_ERROR: &str = "EXPORT_ERROR";
/// Full path of the package written by the last successful export.
pub const EXPORT_FILE: &str = "EXPORT_FILE";
/// Optional: the folder to write the package to (default: the product folder).
pub const EXPORT_FOLDER: &str = "EXPORT_FOLDER";
/// Cluster name for the package file name.
pub const IDM_CLUSTER_NAME: &str = "IDM_CLUSTER_NAME";
/// Domain for the package file name; when not given, the machine's DNS domain
/// (`GetComputerNameExW(ComputerNameDnsDomain)`), the same in UI and silent runs.
pub const IDM_DOMAIN_NAME: &str = "IDM_DOMAIN_NAME";
/// Version of the product the configuration comes from, recorded in the manifest.
pub const IDM_PREVIOUS_VERSION: &str = "IDM_PREVIOUS_VERSION";
/// Set by `FindRelatedProducts` for `<MajorUpgrade>`: the product codes being upgraded.
pub const WIX_UPGRADE_DETECTED: &str = "WIX_UPGRADE_DETECTED";
/// Private: the backup folder `ApplyEmbeddedConnectorAction` chose for the deferred actions.
/// Lower case, so it cannot come from the command line.
pub const EMBEDDED_CONNECTOR_BACKUP: &str = "EmbeddedConnectorBackup";

// --- service account (custom-actions/src/account.rs) ----------------------------------------

/// The account the service runs as, as typed (`DOMAIN\user`, `user@dns.domain`, `DOMAIN\gmsa$`,
/// empty for LocalSystem).
pub const SERVICE_ACCOUNT: &str = "SERVICE_ACCOUNT";
/// Its password (`Hidden`, `Secure`, never a default).
pub const SERVICE_PASSWORD: &str = "SERVICE_PASSWORD";
/// A file holding `SERVICE_PASSWORD`, read and deleted by `ReadPasswordFiles`.
pub const SERVICE_PASSWORD_FILE: &str = "SERVICE_PASSWORD_FILE";
/// `1` when the account checked out.
pub const SERVICE_ACCOUNT_VALID: &str = "SERVICE_ACCOUNT_VALID";
/// Why the account cannot be used (empty when it can).
pub const SERVICE_ACCOUNT_ERROR: &str = "SERVICE_ACCOUNT_ERROR";
/// The name `ServiceInstall.StartName` gets (`LocalSystem`, `DOMAIN\user`, `DOMAIN\gmsa$`).
pub const SERVICE_LOGON: &str = "SERVICE_LOGON";

// --- CEIP (custom-actions/src/ceip.rs) -------------------------------------------------------

/// The admin's choice: `1`/`0` (or yes/no), empty = not given.
pub const CEIP_OPTIN: &str = "CEIP_OPTIN";
/// The previous installation's choice, found by a `RegistrySearch` (`#1`/`#0`).
pub const CEIP_PREVIOUS: &str = "CEIP_PREVIOUS";
/// `1` when a previous installation enabled CEIP (the dialog is skipped).
pub const CEIP_ALREADY_ENABLED: &str = "CEIP_ALREADY_ENABLED";
/// The dialog's checkbox (`1` or empty).
pub const CEIP_CHECKBOX: &str = "CEIP_CHECKBOX";
/// The decision, `1` or `0`, written to the registry.
pub const CEIP_OPTIN_NORMALIZED: &str = "CEIP_OPTIN_NORMALIZED";

// --- prerequisites (custom-actions/src/prereq.rs) --------------------------------------------

/// `1` lets the execute sequence install missing prerequisites.
pub const INSTALL_PREREQUISITES: &str = "INSTALL_PREREQUISITES";
/// Why installing prerequisites from the dialog failed.
pub const PREREQUISITES_ERROR: &str = "PREREQUISITES_ERROR";
/// `, `-separated names of the missing prerequisites.
pub const PREREQUISITES_MISSING: &str = "PREREQUISITES_MISSING";
/// One line per prerequisite, for the dialog.
pub const PREREQUISITES_SUMMARY: &str = "PREREQUISITES_SUMMARY";
/// `1` when every missing prerequisite can be installed by this package.
pub const PREREQUISITES_INSTALLABLE: &str = "PREREQUISITES_INSTALLABLE";
