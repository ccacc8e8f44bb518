//! Shared fixtures for the embedded-connector tests: a product folder with a configuration, tree snapshots, secret checks.

#![allow(dead_code)] // each test file uses a different part of this module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use custom_actions::connector::{self, ExportOptions};
use custom_actions::enc::KdfParams;
use custom_actions::fakes::FakeSession;

/// The password the tests export with; no log line may ever contain it.
pub const PASSWORD: &str = "correct horse battery";

/// `EMBEDDED_CONNECTOR_PATHS` as the main template sets it: Windows separators, one path that
/// does not exist on this node.
pub const PATHS: &str = "conf\\connector;conf\\connector.properties;missing\\nowhere.xml";

/// Text inside a configuration file; logs must name paths, never contents.
pub const SECRET_CONTENT: &str = "bindPassword=do-not-log-me";

/// A cheap KDF so the many exports in these tests stay fast (the default is measured by the
/// benchmark; one test below uses it).
pub const CHEAP: ExportOptions = ExportOptions { kdf: KdfParams { m_kib: 64, t: 1, p: 1 }, machine_domain };

/// The DNS domain the fake machine is in (what `GetComputerNameExW(ComputerNameDnsDomain)` answers).
pub const MACHINE_DOMAIN: &str = "corp.example.com";

fn machine_domain() -> Result<String, String> {
    Ok(MACHINE_DOMAIN.to_string())
}

/// A product folder in a temporary directory holding an embedded-connector configuration and one
/// unrelated file.
pub struct Product {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Product {
    /// With the configuration.
    pub fn with_config() -> Product {
        let product = Product::empty();
        let dir = &product.dir;
        write(&dir.join("conf/connector/connector.xml"), format!("<connector>{SECRET_CONTENT}</connector>").as_bytes());
        let binary: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        write(&dir.join("conf/connector/keystore/keystore.bks"), &binary);
        write(&dir.join("conf/connector/empty.txt"), b"");
        write(&dir.join("conf/connector.properties"), b"cluster=idm\nhost=node1\n");
        write(&dir.join("other/unrelated.txt"), b"not part of the configuration");
        product
    }

    /// Without any configuration (a fresh install or an already discarded one).
    pub fn empty() -> Product {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("VMwareIdentityManager");
        std::fs::create_dir_all(&dir).expect("product dir");
        Product { tmp, dir }
    }

    /// Regular files of the configuration in this fixture.
    pub const CONFIG_FILES: usize = 4;

    /// A session as the execute sequence sees it after CostFinalize.
    pub fn session<const N: usize>(&self, extra: [(&str, &str); N]) -> FakeSession {
        let mut s = FakeSession::with([
            (connector::PRODUCTDIR, self.dir.to_str().expect("utf-8 temp path")),
            (connector::PATHS, PATHS),
            (connector::COMPUTER_NAME, "NODE1"),
            (connector::UI_LEVEL, "2"),
        ]);
        for (k, v) in extra {
            s.properties.insert(k.to_owned(), v.to_owned());
        }
        s
    }

    /// The `.enc` files in the product folder.
    pub fn packages(&self) -> Vec<PathBuf> {
        packages_in(&self.dir)
    }
}

/// The `.enc` files directly in `dir`.
pub fn packages_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "enc"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// Every file and folder under `root` (relative, `/`-separated) with the file bytes (`None` for
/// a folder): equal snapshots mean a byte-identical tree.
pub fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                out.insert(rel, None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(std::fs::read(&path).expect("read")));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// Asserts no log line and no property other than the password properties contains `secret`
/// (an empty secret is trivially everywhere and is not checked).
pub fn assert_no_secret(session: &FakeSession, secret: &str) {
    if secret.is_empty() {
        return;
    }
    for line in &session.log {
        assert!(!line.contains(secret), "a log line contains the password: {line:?}");
        assert!(!line.contains(SECRET_CONTENT), "a log line contains configuration contents: {line:?}");
    }
    for (name, value) in &session.properties {
        if name != connector::PASSWORD && name != connector::PASSWORD_CONFIRM {
            assert!(!value.contains(secret), "property {name} contains the password");
        }
    }
}

/// Whether any log line contains all of `parts`.
pub fn logged(log: &[String], parts: &[&str]) -> bool {
    log.iter().any(|line| parts.iter().all(|p| line.contains(p)))
}
