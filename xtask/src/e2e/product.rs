//! What the end-to-end matrix needs to know about the product, read from `wix/product.toml`:
//! name, version, install layout, service, payload folder and the embedded-connector paths.
//!
//! Read leniently (unknown keys ignored) on purpose: the harness only needs a few keys and must
//! not break when the release engineer's configuration grows; `cargo xtask dist` validates the
//! whole file with `packaging::product`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The product facts the scenarios assert against.
#[derive(Debug, Clone)]
pub struct Product {
    /// `name` (Add/Remove Programs `DisplayName`).
    pub name: String,
    /// `manufacturer` (the product's registry key is `SOFTWARE\<manufacturer>\<name>`).
    pub manufacturer: String,
    /// `version`: the current version, `major.minor.build`.
    pub version: [u32; 3],
    /// `install.folder` (`INSTALLFOLDER` under Program Files).
    pub install_folder: String,
    /// `install.product_dir` (`PRODUCTDIR`).
    pub product_dir: String,
    /// `install.support_dir` (`SUPPORTDIR`).
    pub support_dir: String,
    /// `service.name`.
    pub service_name: String,
    /// `service.exe`, relative to the payload, with `/`.
    pub service_exe: String,
    /// The payload folder (absolute).
    pub payload_dir: PathBuf,
    /// `embedded_connector.paths`, relative to `PRODUCTDIR`, with `/`.
    pub connector_paths: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    name: String,
    manufacturer: String,
    slug: String,
    version: String,
    install: RawInstall,
    service: RawService,
    payload: RawPayload,
    embedded_connector: RawConnector,
}

#[derive(Deserialize)]
#[serde(default)]
struct RawInstall {
    folder: String,
    product_dir: String,
    support_dir: String,
}

impl Default for RawInstall {
    fn default() -> Self {
        // The defaults of packaging::product::InstallLayout (docs/architecture.md).
        RawInstall {
            folder: "VMware".into(),
            product_dir: "VMwareIdentityManager".into(),
            support_dir: "support".into(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawService {
    name: String,
    exe: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPayload {
    dir: PathBuf,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConnector {
    paths: Vec<String>,
}

impl Product {
    /// Reads `file` (normally `wix/product.toml`).
    pub fn load(file: &Path) -> Result<Product> {
        let text = std::fs::read_to_string(file).with_context(|| {
            format!("cannot read {} (the product configuration `cargo xtask dist` builds from)", file.display())
        })?;
        Product::parse(&text, file.parent().unwrap_or(Path::new("."))).with_context(|| format!("in {}", file.display()))
    }

    /// Parses config text; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Product> {
        let raw: Raw = toml::from_str(text)?;
        let version = parse_version(&raw.version)?;
        if raw.name.is_empty() || raw.slug.is_empty() {
            bail!("`name` and `slug` must be set");
        }
        let payload_dir =
            if raw.payload.dir.as_os_str().is_empty() { PathBuf::from("payload") } else { raw.payload.dir };
        Ok(Product {
            name: raw.name,
            manufacturer: raw.manufacturer,
            version,
            install_folder: raw.install.folder,
            product_dir: raw.install.product_dir,
            support_dir: raw.install.support_dir,
            service_name: raw.service.name,
            service_exe: raw.service.exe.replace('\\', "/"),
            payload_dir: base.join(payload_dir),
            connector_paths: raw.embedded_connector.paths.iter().map(|p| p.replace('\\', "/")).collect(),
        })
    }

    /// `SOFTWARE\<manufacturer>\<name>\CEIP`: where the CEIP decision is recorded (value
    /// `Enabled`, a DWORD; wix/target-machine.wxs.tera).
    pub fn ceip_key(&self) -> String {
        format!(r"SOFTWARE\{}\{}\CEIP", self.manufacturer, self.name)
    }

    /// The current version as text.
    pub fn version_text(&self) -> String {
        format_version(self.version)
    }

    /// The previous version the upgrade scenarios start from: the build number minus one
    /// (3.3.1 -> 3.3.0), or the minor minus one when the build is 0 (3.3.0 -> 3.2.0).
    pub fn previous_version(&self) -> String {
        let [ma, mi, b] = self.version;
        let v = if b > 0 {
            [ma, mi, b - 1]
        } else if mi > 0 {
            [ma, mi - 1, 0]
        } else {
            [ma.saturating_sub(1), 0, 0]
        };
        format_version(v)
    }

    /// The next version (build plus one): the downgrade scenario installs it first.
    pub fn next_version(&self) -> String {
        let [ma, mi, b] = self.version;
        format_version([ma, mi, b + 1])
    }

    /// `C:\Program Files\<folder>\<product_dir>` (the default `INSTALLFOLDER` on x64).
    pub fn product_dir_win(&self) -> String {
        format!(r"C:\Program Files\{}\{}", self.install_folder, self.product_dir)
    }
}

fn parse_version(text: &str) -> Result<[u32; 3]> {
    let parts: Vec<u32> = text
        .split('.')
        .map(|p| p.parse::<u32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("`version` = `{text}` is not major.minor.build"))?;
    match parts.as_slice() {
        [a, b, c] | [a, b, c, _] => Ok([*a, *b, *c]),
        _ => bail!("`version` = `{text}` is not major.minor.build"),
    }
}

fn format_version(v: [u32; 3]) -> String {
    format!("{}.{}.{}", v[0], v[1], v[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
name = "VMware Identity Manager"
slug = "vmware-identity-manager"
version = "3.3.1"
unknown_key_is_fine = 1
[service]
name = "IdmSample"
exe = "bin\\svc.exe"
[payload]
dir = "sample-payload"
[embedded_connector]
paths = ["conf\\connector", "a/b.xml"]
"#;

    #[test]
    fn reads_what_the_matrix_needs() {
        let p = Product::parse(TOML, Path::new("/w")).unwrap();
        assert_eq!(p.version_text(), "3.3.1");
        assert_eq!(p.previous_version(), "3.3.0");
        assert_eq!(p.next_version(), "3.3.2");
        assert_eq!(p.payload_dir, Path::new("/w/sample-payload"));
        assert_eq!(p.service_exe, "bin/svc.exe");
        assert_eq!(p.connector_paths, vec!["conf/connector", "a/b.xml"]);
        assert_eq!(p.product_dir_win(), r"C:\Program Files\VMware\VMwareIdentityManager");
    }

    #[test]
    fn previous_version_rolls_back_a_field() {
        let p = Product::parse(&TOML.replace("3.3.1", "3.3.0"), Path::new("/")).unwrap();
        assert_eq!(p.previous_version(), "3.2.0");
        assert!(Product::parse(&TOML.replace("3.3.1", "3.x"), Path::new("/")).is_err());
    }
}
