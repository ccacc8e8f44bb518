//! The product configuration (`wix/product.toml`): typed, validated, with errors naming the key.
//!
//! The file is the release engineer's set of knobs. It is parsed with serde
//! (`deny_unknown_fields` everywhere, so a typo is an error, not a silently ignored key), then
//! checked as a whole ([`ProductConfig::validate`]). Values with a format of their own (the
//! version, the upgrade code) are newtypes that check themselves while parsing, so `toml`
//! reports the line and column of the bad value. The whole config is serialisable: the templates
//! receive it as `product`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors reading or checking a product configuration.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    /// The file could not be read.
    #[error("cannot read product config {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key, or a value has the wrong type or format.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the offending value (0 when toml gave no position).
        line: usize,
        /// 1-based column of the offending value (0 when toml gave no position).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A key has a value that parses but is not acceptable.
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The dotted key, e.g. `service.exe`.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// A product version `major.minor.build`, as Windows Installer compares it: major < 256,
/// minor < 256, build < 65536 (MSI SDK, "ProductVersion property"). A fourth field is
/// accepted and kept, but Windows Installer ignores it when comparing versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version, 0..=255.
    pub major: u8,
    /// Minor version, 0..=255.
    pub minor: u8,
    /// Build number, 0..=65535.
    pub build: u16,
    /// Optional fourth field, ignored by Windows Installer.
    pub revision: Option<u16>,
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = text.split('.').collect();
        if !(3..=4).contains(&fields.len()) {
            return Err(format!(
                "version `{text}` must be `major.minor.build` (e.g. 3.3.2), with major and minor < 256 and build < 65536"
            ));
        }
        let field = |i: usize, name: &str, max: u32| -> Result<u32, String> {
            let f = fields[i];
            let ok = !f.is_empty() && f.len() <= 5 && f.bytes().all(|b| b.is_ascii_digit());
            match f.parse::<u32>() {
                Ok(n) if ok && n <= max => Ok(n),
                _ => Err(format!(
                    "version `{text}`: {name} `{f}` must be a number from 0 to {max} (Windows Installer limit)"
                )),
            }
        };
        let major = field(0, "major", 255)? as u8;
        let minor = field(1, "minor", 255)? as u8;
        let build = field(2, "build", 65535)? as u16;
        let revision = if fields.len() == 4 { Some(field(3, "revision", 65535)? as u16) } else { None };
        Ok(Version { major, minor, build, revision })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)?;
        if let Some(r) = self.revision {
            write!(f, ".{r}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.to_string()
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A GUID, kept in the registry format Windows Installer wants: upper case, with braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(pub uuid::Uuid);

impl Guid {
    /// The GUID as `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
    pub fn braced(&self) -> String {
        format!("{{{}}}", self.0.hyphenated()).to_ascii_uppercase()
    }
}

impl std::str::FromStr for Guid {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
        // Only the hyphenated 36-character form: the `uuid` crate also accepts other forms
        // (simple, urn) that WiX does not.
        let shape_ok = inner.len() == 36
            && inner.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        match uuid::Uuid::parse_str(inner) {
            Ok(u) if shape_ok && !u.is_nil() => Ok(Guid(u)),
            Ok(_) if shape_ok => Err(format!("GUID `{text}` is the nil GUID; generate a fresh one (e.g. `uuidgen`)")),
            _ => Err(format!(
                "`{text}` is not a GUID: expected {{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}} with hexadecimal digits"
            )),
        }
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.braced())
    }
}

impl Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The whole product configuration (`wix/product.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductConfig {
    /// The product name shown in Add/Remove Programs and the dialogs.
    pub name: String,
    /// A file-name-safe short name: artefacts are `<slug>-<version>-x64.msi`.
    pub slug: String,
    /// The manufacturer (publisher).
    pub manufacturer: String,
    /// The product version, `major.minor.build`.
    pub version: Version,
    /// The upgrade code: fixed for the life of the product, shared by every version.
    pub upgrade_code: Guid,
    /// A one-line description (summary information "Subject" and Add/Remove Programs comment).
    #[serde(default)]
    pub description: String,
    /// Add/Remove Programs links.
    #[serde(default)]
    pub arp: Arp,
    /// Where the product installs.
    #[serde(default)]
    pub install: InstallLayout,
    /// The product's Windows service.
    pub service: Service,
    /// The payload folder to harvest.
    pub payload: Payload,
    /// The features; every component group belongs to one.
    #[serde(default = "default_features", rename = "feature")]
    pub features: Vec<Feature>,
    /// The previous version's embedded-connector configuration.
    #[serde(default)]
    pub embedded_connector: EmbeddedConnector,
    /// References from the main template to the fragments maintained beside it.
    #[serde(default)]
    pub refs: Refs,
    /// Code signing of the custom-action DLL and of the MSI (off by default).
    #[serde(default)]
    pub signing: Signing,
    /// The modules the product needs on the target machine (`[[prerequisite]]`).
    #[serde(default)]
    pub prerequisite: Vec<crate::prerequisites::Prerequisite>,
    /// The folder of the prerequisites' installer packages that the release bundle carries
    /// (relative to the config file's folder), default `prereq-packages`.
    #[serde(default = "default_prerequisite_packages")]
    pub prerequisite_packages: PathBuf,
}

/// Add/Remove Programs links and texts (the `ARP*` properties).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arp {
    /// `ARPHELPLINK`.
    #[serde(default)]
    pub help_link: String,
    /// `ARPURLINFOABOUT`.
    #[serde(default)]
    pub about_url: String,
    /// `ARPCONTACT`.
    #[serde(default)]
    pub contact: String,
    /// `ARPNOMODIFY`: hide the Change button (the installer has no Change mode).
    #[serde(default = "yes")]
    pub no_modify: bool,
}

/// The install folder layout: `ProgramFiles64Folder\<folder>\<product_dir>\<support_dir>`,
/// with directory ids `INSTALLFOLDER` > `PRODUCTDIR` > `SUPPORTDIR` (docs/architecture.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallLayout {
    /// The folder under Program Files (`INSTALLFOLDER`), default `VMware`.
    #[serde(default = "default_install_folder")]
    pub folder: String,
    /// The product folder inside it (`PRODUCTDIR`), default `VMwareIdentityManager`.
    #[serde(default = "default_product_dir")]
    pub product_dir: String,
    /// The support-tools folder inside the product folder (`SUPPORTDIR`), default `support`.
    #[serde(default = "default_support_dir")]
    pub support_dir: String,
}

impl Default for InstallLayout {
    fn default() -> Self {
        InstallLayout {
            folder: default_install_folder(),
            product_dir: default_product_dir(),
            support_dir: default_support_dir(),
        }
    }
}

/// How the service starts (`ServiceInstall/@Start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartType {
    /// Starts at boot.
    Auto,
    /// Started on demand.
    Demand,
    /// Disabled.
    Disabled,
}

/// The product's Windows service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The service (key) name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// The description shown in the Services console.
    #[serde(default)]
    pub description: String,
    /// The service executable, relative to the payload folder, with `/` separators. When the
    /// pipeline builds the sample service, it is staged at this path.
    pub exe: String,
    /// How the service starts.
    pub start: StartType,
    /// Whether `xtask dist` cross-compiles `wix/sample-service` and stages it at `exe`.
    #[serde(default = "yes")]
    pub build_sample: bool,
}

/// The payload folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The folder whose every file is installed under `PRODUCTDIR`; relative paths are taken
    /// from the folder holding the config file.
    pub dir: PathBuf,
}

/// A feature (`Feature` element).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// The feature id (an MSI identifier, at most 38 characters: `Feature` table key).
    pub id: String,
    /// The title.
    pub title: String,
    /// The description.
    #[serde(default)]
    pub description: String,
    /// The install level (1 = installed by default).
    #[serde(default = "one")]
    pub level: u16,
    /// The component groups in it (`ComponentGroupRef`), e.g. `Payload`, `SupportTools`.
    pub component_groups: Vec<String>,
}

/// The previous version's embedded-connector configuration, which the installer detects.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedConnector {
    /// Paths relative to `PRODUCTDIR` (with `\` or `/`); joined with `;` into the property
    /// `EMBEDDED_CONNECTOR_PATHS`.
    #[serde(default)]
    pub paths: Vec<String>,
}

impl EmbeddedConnector {
    /// The value of `EMBEDDED_CONNECTOR_PATHS`: the paths with Windows separators, `;`-joined.
    pub fn property_value(&self) -> String {
        self.paths.iter().map(|p| p.replace('/', "\\")).collect::<Vec<_>>().join(";")
    }
}

/// References from the main template to fragments kept in other files. Each is a switch: an
/// empty value leaves the reference out (e.g. while the fragment does not exist yet).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refs {
    /// `<UIRef Id="..."/>`: the dialog set (`wix/ui/*.wxs`); empty = no UI.
    #[serde(default = "default_ui")]
    pub ui: String,
    /// `<PropertyRef Id="..."/>`s pulling in fragments (`INSTALL_PREREQUISITES` pulls in
    /// `wix/target-machine.wxs.tera`).
    #[serde(default = "default_property_refs")]
    pub properties: Vec<String>,
}

impl Default for Refs {
    fn default() -> Self {
        Refs { ui: default_ui(), properties: default_property_refs() }
    }
}

/// Code signing (`[signing]`): a command template run on the custom-action DLL before it goes
/// into the MSI and on the MSI after (see `xtask/src/sign.rs`); empty = no signing. `{input}` is
/// the file to sign, `{output}` a temporary path for the signed copy. Secrets never live in this
/// file: point the command at a password file or let it read the environment; the environment
/// variable `IDM_SIGN_COMMAND` overrides the template.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// The program and its arguments, e.g. `["osslsigncode", "sign", "-pkcs12", "release.p12",
    /// "-readpass", "pass.txt", "-in", "{input}", "-out", "{output}"]`.
    #[serde(default)]
    pub command: Vec<String>,
}

fn yes() -> bool {
    true
}
fn one() -> u16 {
    1
}
fn default_install_folder() -> String {
    "VMware".into()
}
fn default_product_dir() -> String {
    "VMwareIdentityManager".into()
}
fn default_support_dir() -> String {
    "support".into()
}
fn default_prerequisite_packages() -> PathBuf {
    PathBuf::from("prereq-packages")
}
fn default_ui() -> String {
    "IdmUI".into()
}
fn default_property_refs() -> Vec<String> {
    vec!["INSTALL_PREREQUISITES".into()]
}
fn default_features() -> Vec<Feature> {
    vec![Feature {
        id: "ProductFeature".into(),
        title: "Product".into(),
        description: String::new(),
        level: 1,
        component_groups: vec!["Payload".into(), "SupportTools".into()],
    }]
}

/// Whether `id` is a valid MSI identifier: a letter or `_`, then letters, digits, `_` or `.`
/// (MSI SDK, "Identifier" column data type).
pub fn is_msi_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// 1-based line and column of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl ProductConfig {
    /// Reads, parses and validates a config file; the payload folder is resolved against the
    /// file's folder (see [`ProductConfig::payload_dir`]).
    pub fn load(path: &Path) -> Result<ProductConfig, ProductError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ProductError::Read { path: path.to_path_buf(), source })?;
        let mut config = Self::parse(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        if config.payload.dir.is_relative() {
            config.payload.dir = base.join(&config.payload.dir);
        }
        if config.prerequisite_packages.is_relative() {
            config.prerequisite_packages = base.join(&config.prerequisite_packages);
        }
        Ok(config)
    }

    /// Parses and validates config text; `origin` names it in errors. Relative paths stay
    /// relative.
    pub fn parse(text: &str, origin: &Path) -> Result<ProductConfig, ProductError> {
        let config: ProductConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_column(text, s.start));
            ProductError::Parse { path: origin.to_path_buf(), line, column, message: e.message().trim().to_string() }
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Replaces the version (the `--version` override), checking it.
    pub fn set_version(&mut self, version: &str) -> Result<(), ProductError> {
        self.version = version.parse().map_err(|message| ProductError::Invalid {
            path: PathBuf::from("--version"),
            key: "version".into(),
            message,
        })?;
        Ok(())
    }

    /// The payload folder (after [`ProductConfig::load`], resolved against the config's folder).
    pub fn payload_dir(&self) -> &Path {
        &self.payload.dir
    }

    /// The artefact base name: `<slug>-<version>-x64`.
    pub fn artefact_stem(&self) -> String {
        format!("{}-{}-x64", self.slug, self.version)
    }

    /// Cross-field checks that serde cannot express; each error names its key.
    pub fn validate(&self, origin: &Path) -> Result<(), ProductError> {
        let invalid = |key: &str, message: String| ProductError::Invalid {
            path: origin.to_path_buf(),
            key: key.to_string(),
            message,
        };
        for (key, value) in [("name", &self.name), ("manufacturer", &self.manufacturer)] {
            if value.trim().is_empty() {
                return Err(invalid(key, "must not be empty".into()));
            }
        }
        if self.slug.is_empty()
            || !self.slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(invalid(
                "slug",
                format!(
                    "`{}` must be non-empty and use only letters, digits, `-`, `_`, `.` (it names files)",
                    self.slug
                ),
            ));
        }
        for (key, value) in [
            ("install.folder", &self.install.folder),
            ("install.product_dir", &self.install.product_dir),
            ("install.support_dir", &self.install.support_dir),
        ] {
            // The same rules as the custom actions and the .enc tool (path-rules).
            if let Err(e) = path_rules::check_name(value) {
                return Err(invalid(key, format!("must be a single Windows folder name: {e}")));
            }
            if value.trim() != value {
                return Err(invalid(key, format!("`{value}` must not start with a space")));
            }
        }
        if self.service.name.is_empty() || self.service.name.contains(['\\', '/']) || self.service.name.len() > 256 {
            return Err(invalid(
                "service.name",
                format!("`{}` must be 1-256 characters without `/` or `\\`", self.service.name),
            ));
        }
        if self.service.display_name.trim().is_empty() {
            return Err(invalid("service.display_name", "must not be empty".into()));
        }
        let exe = &self.service.exe;
        if exe.is_empty()
            || exe.starts_with('/')
            || exe.contains('\\')
            || exe.contains(':')
            || exe.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            || !exe.to_ascii_lowercase().ends_with(".exe")
        {
            return Err(invalid(
                "service.exe",
                format!("`{exe}` must be a relative path inside the payload with `/` separators, ending in `.exe`"),
            ));
        }
        if self.payload.dir.as_os_str().is_empty() {
            return Err(invalid("payload.dir", "must not be empty".into()));
        }
        if self.features.is_empty() {
            return Err(invalid("feature", "at least one [[feature]] is needed".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, f) in self.features.iter().enumerate() {
            if !is_msi_identifier(&f.id) || f.id.len() > 38 {
                return Err(invalid(
                    &format!("feature[{i}].id"),
                    format!("`{}` must be an MSI identifier of at most 38 characters (letter or `_`, then letters, digits, `_`, `.`)", f.id),
                ));
            }
            if !seen.insert(f.id.as_str()) {
                return Err(invalid(&format!("feature[{i}].id"), format!("`{}` is used by two features", f.id)));
            }
            for g in &f.component_groups {
                if !is_msi_identifier(g) {
                    return Err(invalid(
                        &format!("feature[{i}].component_groups"),
                        format!("`{g}` is not an MSI identifier"),
                    ));
                }
            }
        }
        if !self.features.iter().any(|f| f.component_groups.iter().any(|g| g == "Payload")) {
            return Err(invalid("feature", "no feature holds the `Payload` component group".into()));
        }
        for (i, p) in self.embedded_connector.paths.iter().enumerate() {
            // One rule for build time and install time: the custom actions check
            // EMBEDDED_CONNECTOR_PATHS with the same function, so what `dist` accepts installs.
            let key = format!("embedded_connector.paths[{i}]");
            if p.contains(';') {
                return Err(invalid(&key, format!("`{p}` must not contain `;` (it separates the paths)")));
            }
            if let Err(e) = path_rules::check_relative_path(p, path_rules::Separators::Either) {
                return Err(invalid(&key, format!("must be a path relative to the product folder: {e}")));
            }
        }
        if !self.refs.ui.is_empty() && !is_msi_identifier(&self.refs.ui) {
            return Err(invalid("refs.ui", format!("`{}` is not an MSI identifier", self.refs.ui)));
        }
        for p in &self.refs.properties {
            if !is_msi_identifier(p) {
                return Err(invalid("refs.properties", format!("`{p}` is not an MSI identifier")));
            }
        }
        crate::prerequisites::validate(&self.prerequisite).map_err(|e| {
            invalid(&format!("prerequisite[{}].{}", e.index, e.key), format!("(id \"{}\") {}", e.id, e.reason))
        })?;
        if !self.signing.command.is_empty() && !self.signing.command.iter().any(|a| a.contains("{input}")) {
            return Err(invalid(
                "signing.command",
                "the command must contain the placeholder `{input}` (the file to sign)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "VMware Identity Manager"
slug = "vmware-identity-manager"
manufacturer = "VMware, Inc."
version = "3.3.2"
upgrade_code = "{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F42}"

[service]
name = "IdmSample"
display_name = "Sample"
exe = "bin/idm-sample-service.exe"
start = "auto"

[payload]
dir = "sample-payload"
"#;

    fn parse(text: &str) -> Result<ProductConfig, ProductError> {
        ProductConfig::parse(text, Path::new("product.toml"))
    }

    #[test]
    fn good_config_parses_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.version.to_string(), "3.3.2");
        assert_eq!(c.upgrade_code.braced(), "{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F42}");
        assert_eq!(c.install.product_dir, "VMwareIdentityManager");
        assert_eq!(c.install.folder, "VMware");
        assert_eq!(c.refs.ui, "IdmUI");
        assert_eq!(c.features[0].component_groups, ["Payload", "SupportTools"]);
        assert_eq!(c.artefact_stem(), "vmware-identity-manager-3.3.2-x64");
        assert!(c.signing.command.is_empty());
    }

    #[test]
    fn version_limits() {
        assert!("255.255.65535".parse::<Version>().is_ok());
        assert!("1.2.3.4".parse::<Version>().is_ok());
        for bad in ["256.0.0", "1.256.0", "1.0.65536", "1.2", "1.2.3.4.5", "1.x.3", "", "1..3", "-1.0.0", "+1.0.0"] {
            assert!(bad.parse::<Version>().is_err(), "{bad} accepted");
        }
        assert!("3.3.10".parse::<Version>().unwrap() > "3.3.9".parse::<Version>().unwrap());
    }

    #[test]
    fn guid_forms() {
        let lower: Guid = "7c3a9e52-1a44-4e8b-9f0b-5a3c2d1e0f42".parse().unwrap();
        assert_eq!(lower.braced(), "{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F42}");
        for bad in [
            "7c3a9e521a444e8b9f0b5a3c2d1e0f42",
            "{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F4}",
            "{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F4G}",
            "{00000000-0000-0000-0000-000000000000}",
            "urn:uuid:7c3a9e52-1a44-4e8b-9f0b-5a3c2d1e0f42",
        ] {
            assert!(bad.parse::<Guid>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn bad_version_error_has_position_and_reason() {
        let text = GOOD.replace("\"3.3.2\"", "\"3.300.2\"");
        let err = parse(&text).unwrap_err();
        let ProductError::Parse { line, column, ref message, .. } = err else { panic!("{err}") };
        assert_eq!((line, column), (5, 11), "{message}");
        assert!(message.contains("minor `300`"), "{message}");
        assert!(err.to_string().starts_with("product.toml:5:11:"), "{err}");
    }

    #[test]
    fn bad_guid_error_names_value() {
        let text = GOOD.replace("{7C3A9E52-1A44-4E8B-9F0B-5A3C2D1E0F42}", "not-a-guid");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("product.toml:6:") && err.contains("`not-a-guid` is not a GUID"), "{err}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let text = GOOD.replace("[payload]", "[payload]\ndri = \"x\"");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("unknown field `dri`"), "{err}");
    }

    #[test]
    fn cross_field_errors_name_the_key() {
        let cases = [
            (GOOD.replace("bin/idm-sample-service.exe", "../x.exe"), "service.exe"),
            (GOOD.replace("\"vmware-identity-manager\"", "\"a b\""), "slug"),
            (format!("{GOOD}\n[install]\nproduct_dir = \"a/b\"\n"), "install.product_dir"),
            (format!("{GOOD}\n[[feature]]\nid = \"1bad\"\ntitle = \"t\"\ncomponent_groups = [\"Payload\"]\n"), "feature[0].id"),
            (format!("{GOOD}\n[[feature]]\nid = \"F\"\ntitle = \"t\"\ncomponent_groups = [\"Other\"]\n"), "feature"),
            (format!("{GOOD}\n[embedded_connector]\npaths = [\"C:\\\\x\"]\n"), "embedded_connector.paths[0]"),
            (format!("{GOOD}\n[signing]\ncommand = [\"osslsigncode\", \"sign\"]\n"), "signing.command"),
            (
                format!("{GOOD}\n[[prerequisite]]\nid = \"9x\"\nname = \"n\"\ndetect = {{ windows = {{ min_version = \"10.0\" }} }}\n"),
                "prerequisite[0].id",
            ),
        ];
        for (text, key) in cases {
            match parse(&text) {
                Err(ProductError::Invalid { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}: expected an Invalid error, got {other:?}"),
            }
        }
    }

    /// Issue 14 finding 7: the values the review found accepted by `dist` and refused at install
    /// time (or unusable on Windows) are refused at build time, with the key named.
    #[test]
    fn windows_naming_rules_at_build_time() {
        let quote = |v: &str| toml::Value::from(v).to_string();
        let paths = |p: &str| format!("{GOOD}\n[embedded_connector]\npaths = [{}]\n", quote(p));
        let folder = |k: &str, v: &str| format!("{GOOD}\n[install]\n{k} = {}\n", quote(v));
        let mut cases = Vec::new();
        for p in ["..\\..\\Windows\\System32\\config", ".", "./", "a/../b", "conf/CON", "conf/x.", "a\u{202E}b"] {
            cases.push((paths(p), "embedded_connector.paths[0]".to_owned()));
        }
        for k in ["folder", "product_dir", "support_dir"] {
            for v in [".", "..", "CON", "nul.txt", "x.", "x ", "a\u{1}b", "LPT1"] {
                cases.push((folder(k, v), format!("install.{k}")));
            }
        }
        for (text, key) in cases {
            match parse(&text) {
                Err(ProductError::Invalid { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{key}: expected an Invalid error, got {other:?}"),
            }
        }
        // What the custom actions accept at install time is accepted here too.
        assert!(parse(&paths("conf\\connector.xml")).is_ok());
        assert!(parse(&folder("folder", "VMware Tools")).is_ok());
    }

    #[test]
    fn set_version_checks() {
        let mut c = parse(GOOD).unwrap();
        c.set_version("3.4.0").unwrap();
        assert_eq!(c.artefact_stem(), "vmware-identity-manager-3.4.0-x64");
        assert!(c.set_version("3.4").is_err());
    }

    #[test]
    fn embedded_connector_property_uses_backslashes() {
        let e = EmbeddedConnector { paths: vec!["conf/a.properties".into(), "b\\c".into()] };
        assert_eq!(e.property_value(), "conf\\a.properties;b\\c");
    }

    #[test]
    fn msi_identifiers() {
        assert!(is_msi_identifier("_a.b1"));
        assert!(!is_msi_identifier("1a"));
        assert!(!is_msi_identifier("a-b"));
        assert!(!is_msi_identifier(""));
    }
}
