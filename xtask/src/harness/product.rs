//! What the Wine harness (the e2e matrix, the dialog walk) needs to know about the product, read
//! from `wix/product.toml`:
//! name, version, install layout, service, payload folder and the embedded-connector paths.
//!
//! Read with the strict loader `dist` uses (`packaging::product::ProductConfig`), so the harness
//! and the build can never read the same file differently.

use std::path::{Path, PathBuf};

use anyhow::Result;
use packaging::product::ProductConfig;

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

impl Product {
    /// Reads `file` (normally `wix/product.toml`).
    pub fn load(file: &Path) -> Result<Product> {
        Ok(Product::from_config(ProductConfig::load(file)?))
    }

    /// The facts of a loaded config (its relative paths already resolved).
    pub fn from_config(c: ProductConfig) -> Product {
        Product {
            version: [c.version.major.into(), c.version.minor.into(), c.version.build.into()],
            payload_dir: c.payload_dir().to_path_buf(),
            name: c.name,
            manufacturer: c.manufacturer,
            install_folder: c.install.folder,
            product_dir: c.install.product_dir,
            support_dir: c.install.support_dir,
            service_name: c.service.name,
            service_exe: c.service.exe.replace('\\', "/"),
            connector_paths: c.embedded_connector.paths.iter().map(|p| p.replace('\\', "/")).collect(),
        }
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

fn format_version(v: [u32; 3]) -> String {
    format!("{}.{}.{}", v[0], v[1], v[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(version: &str) -> Product {
        let mut c = ProductConfig::load(&crate::project_root().join("wix/product.toml")).unwrap();
        c.set_version(version).unwrap();
        Product::from_config(c)
    }

    #[test]
    fn reads_what_the_matrix_needs() {
        let p = product("3.3.1");
        assert_eq!(p.version_text(), "3.3.1");
        assert_eq!(p.previous_version(), "3.3.0");
        assert_eq!(p.next_version(), "3.3.2");
        assert!(p.payload_dir.is_absolute() && p.payload_dir.is_dir(), "{}", p.payload_dir.display());
        assert!(!p.service_exe.contains('\\'));
        assert_eq!(p.product_dir_win(), r"C:\Program Files\VMware\VMwareIdentityManager");
    }

    #[test]
    fn previous_version_rolls_back_a_field() {
        assert_eq!(product("3.3.0").previous_version(), "3.2.0");
        assert_eq!(product("3.0.0").previous_version(), "2.0.0");
    }

    #[test]
    fn the_file_is_read_strictly() {
        let t = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(crate::project_root().join("wix/product.toml")).unwrap();
        let file = t.path().join("product.toml");
        std::fs::write(&file, format!("unknown_key_is_an_error = 1\n{text}")).unwrap();
        let e = format!("{:#}", Product::load(&file).unwrap_err());
        assert!(e.contains("unknown_key_is_an_error"), "{e}");
    }
}
