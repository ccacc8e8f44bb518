//! Payload harvesting: every file of a payload folder becomes Directory/Component/File entries with deterministic ids and GUIDs.
//!
//! This is WiX's `heat dir` job, done so that two runs over the same folder give the same
//! output: entries are sorted by relative path, ids are derived from the relative path
//! (sanitised into MSI identifiers, hash-suffixed when too long or ambiguous), and each
//! component's GUID is a UUIDv5 of the upgrade code and the relative path, so a file keeps its
//! component GUID across versions (the component rules for major upgrades).
//!
//! One file per component, the file being the component's key path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Longest identifier WiX accepts (and the practical limit for MSI primary keys).
pub const MAX_ID_LEN: usize = 72;

/// Errors while harvesting a payload folder.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// The payload folder does not exist or is not a folder.
    #[error("payload folder {path} does not exist or is not a folder (set `payload.dir` in the product config or pass --payload)")]
    MissingDir {
        /// The folder.
        path: PathBuf,
    },
    /// Walking the folder failed.
    #[error("cannot read the payload folder at {path}: {source}")]
    Walk {
        /// Where it failed.
        path: PathBuf,
        /// The underlying error.
        source: walkdir::Error,
    },
    /// A file name is not valid UTF-8 (Windows Installer file names are Unicode text).
    #[error("payload file name {path:?} is not valid UTF-8")]
    NotUtf8 {
        /// The path.
        path: PathBuf,
    },
    /// Something in the payload is neither a regular file nor a folder (a socket, a device, a
    /// dangling link).
    #[error("payload entry {path} is not a regular file or folder")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Two entries differ only in letter case; Windows file systems cannot hold both.
    #[error("payload entries `{first}` and `{second}` differ only in case; Windows cannot install both")]
    CaseClash {
        /// One relative path.
        first: String,
        /// The other.
        second: String,
    },
}

/// A folder of the payload (not the root, which is the parent directory given to [`harvest`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HarvestedDir {
    /// The `Directory` id.
    pub id: String,
    /// The parent's `Directory` id (the root's id for top-level folders).
    pub parent: String,
    /// The folder name.
    pub name: String,
    /// The path relative to the payload root, `/`-separated.
    pub relative_path: String,
}

/// One payload file and the component that installs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HarvestedFile {
    /// The `Component` id.
    pub component_id: String,
    /// The component GUID, braced upper case.
    pub guid: String,
    /// The `File` id.
    pub file_id: String,
    /// The `Directory` id the component installs into.
    pub directory: String,
    /// The file name.
    pub name: String,
    /// The path relative to the payload root, `/`-separated.
    pub relative_path: String,
    /// The absolute source path, `/`-separated.
    pub source: String,
    /// The size in bytes.
    pub size: u64,
}

/// What [`harvest`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Harvest {
    /// Every folder (except the root), parents before children, sorted by relative path.
    pub directories: Vec<HarvestedDir>,
    /// Every file, sorted by relative path.
    pub files: Vec<HarvestedFile>,
}

impl Harvest {
    /// The total size of the files in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// The file with this relative path (`/`-separated), if harvested.
    pub fn file(&self, relative_path: &str) -> Option<&HarvestedFile> {
        self.files.iter().find(|f| f.relative_path == relative_path)
    }
}

/// Turns an arbitrary string into an MSI identifier body: ASCII letters, digits, `_` and `.`
/// kept, `/` becomes `.`, anything else `_`. Lossy, so callers check for clashes.
fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => c,
            '/' => '.',
            _ => '_',
        })
        .collect()
}

/// The first `n` hex digits of the SHA-256 of `text`.
fn short_hash(text: &str, n: usize) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .take(n)
        .map(|d| char::from_digit(d.into(), 16).unwrap_or('0'))
        .collect()
}

/// Makes ids `<prefix><body>` for each key (a relative path), unique and at most
/// [`MAX_ID_LEN`] characters. An id keeps the readable body when it is short enough and no
/// other key sanitises to the same body (compared case-insensitively); otherwise the body is
/// cut and suffixed with a hash of the full relative path. The result depends only on the set of
/// keys, never on their order.
fn make_ids(prefix: &str, keys: &[&str]) -> BTreeMap<String, String> {
    let mut by_body: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let bodies: Vec<String> = keys.iter().map(|k| sanitise(k)).collect();
    for (k, b) in keys.iter().zip(&bodies) {
        by_body.entry(b.to_ascii_lowercase()).or_default().push(k);
    }
    keys.iter()
        .zip(bodies)
        .map(|(key, body)| {
            let clash = by_body[&body.to_ascii_lowercase()].len() > 1;
            let plain = format!("{prefix}{body}");
            let id = if !clash && plain.len() <= MAX_ID_LEN {
                plain
            } else {
                let hash = short_hash(key, 12);
                // Keep the end of the path (the file name is the informative part).
                let room = MAX_ID_LEN - prefix.len() - 1 - hash.len();
                let start = body.len().saturating_sub(room);
                // `body` is ASCII, so any index is a char boundary.
                format!("{prefix}{}_{hash}", &body[start..])
            };
            (key.to_string(), id)
        })
        .collect()
}

/// The component GUID of a payload file: UUIDv5 in the upgrade code's namespace, of the path
/// as installed (`<product_dir>\rel\path`, lower case, backslashes), so it is stable across
/// versions and across letter-case changes of the payload.
pub fn component_guid(upgrade_code: &uuid::Uuid, install_relative_path: &str) -> String {
    let name = install_relative_path.replace('/', "\\").to_lowercase();
    let guid = uuid::Uuid::new_v5(upgrade_code, format!("component:{name}").as_bytes());
    format!("{{{}}}", guid.hyphenated()).to_ascii_uppercase()
}

/// Harvests `payload` (its every file, recursively; symbolic links are followed) into
/// directories under `root_dir_id` and one component per file. `guid_prefix` is the path of
/// the payload root as installed (e.g. `VMwareIdentityManager`), which enters the component
/// GUIDs; `exclude` lists relative paths (`/`-separated) to leave out, e.g. a file that a
/// template installs in a component of its own.
pub fn harvest(
    payload: &Path,
    root_dir_id: &str,
    upgrade_code: &uuid::Uuid,
    guid_prefix: &str,
    exclude: &[&str],
) -> Result<Harvest, HarvestError> {
    if !payload.is_dir() {
        return Err(HarvestError::MissingDir { path: payload.to_path_buf() });
    }
    let mut dirs: Vec<String> = Vec::new();
    let mut files: Vec<(String, PathBuf, u64)> = Vec::new();
    for entry in walkdir::WalkDir::new(payload).follow_links(true).sort_by_file_name() {
        let entry = entry
            .map_err(|source| HarvestError::Walk { path: source.path().unwrap_or(payload).to_path_buf(), source })?;
        if entry.depth() == 0 {
            continue;
        }
        let rel = entry.path().strip_prefix(payload).expect("walkdir yields paths under its root");
        let mut parts = Vec::new();
        for c in rel.components() {
            let s = c.as_os_str().to_str().ok_or_else(|| HarvestError::NotUtf8 { path: entry.path().to_path_buf() })?;
            parts.push(s);
        }
        let rel = parts.join("/");
        let file_type = entry.file_type();
        if file_type.is_dir() {
            dirs.push(rel);
        } else if file_type.is_file() {
            if exclude.contains(&rel.as_str()) {
                continue;
            }
            let size = entry
                .metadata()
                .map_err(|source| HarvestError::Walk { path: entry.path().to_path_buf(), source })?
                .len();
            files.push((rel, entry.path().to_path_buf(), size));
        } else {
            return Err(HarvestError::NotAFile { path: entry.path().to_path_buf() });
        }
    }
    // Sort by relative path as a string, so the order does not depend on the walk.
    dirs.sort();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    // Windows file systems are case-insensitive: two entries differing in case cannot coexist.
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for rel in dirs.iter().map(String::as_str).chain(files.iter().map(|f| f.0.as_str())) {
        if let Some(first) = seen.insert(rel.to_lowercase(), rel) {
            return Err(HarvestError::CaseClash { first: first.to_string(), second: rel.to_string() });
        }
    }
    // Keep only folders holding files (an empty folder would need a CreateFolder component;
    // Windows Installer does not create it otherwise).
    dirs.retain(|d| files.iter().any(|f| f.0.starts_with(&format!("{d}/"))));

    let dir_keys: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let dir_ids = make_ids("dir_", &dir_keys);
    let file_keys: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    let cmp_ids = make_ids("cmp_", &file_keys);
    let fil_ids = make_ids("fil_", &file_keys);
    let parent_id = |rel: &str| match rel.rsplit_once('/') {
        Some((parent, _)) => dir_ids[parent].clone(),
        None => root_dir_id.to_string(),
    };
    let base_name = |rel: &str| rel.rsplit('/').next().unwrap_or(rel).to_string();

    let directories = dirs
        .iter()
        .map(|rel| HarvestedDir {
            id: dir_ids[rel].clone(),
            parent: parent_id(rel),
            name: base_name(rel),
            relative_path: rel.clone(),
        })
        .collect();
    let files = files
        .iter()
        .map(|(rel, path, size)| {
            let installed = if guid_prefix.is_empty() { rel.clone() } else { format!("{guid_prefix}/{rel}") };
            HarvestedFile {
                component_id: cmp_ids[rel].clone(),
                guid: component_guid(upgrade_code, &installed),
                file_id: fil_ids[rel].clone(),
                directory: parent_id(rel),
                name: base_name(rel),
                relative_path: rel.clone(),
                source: path.to_string_lossy().replace('\\', "/"),
                size: *size,
            }
        })
        .collect();
    Ok(Harvest { directories, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::is_msi_identifier;

    fn code() -> uuid::Uuid {
        uuid::Uuid::parse_str("7c3a9e52-1a44-4e8b-9f0b-5a3c2d1e0f42").unwrap()
    }

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    fn sample() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "conf/app.properties", b"a=1\n");
        write(t.path(), "lib/x/y.jar", b"jar");
        write(t.path(), "README.txt", b"readme");
        write(t.path(), "bin/svc.exe", b"MZ");
        std::fs::create_dir_all(t.path().join("empty/deeper")).unwrap();
        t
    }

    #[test]
    fn harvests_every_file_sorted_with_parents() {
        let t = sample();
        let h = harvest(t.path(), "PRODUCTDIR", &code(), "VMwareIdentityManager", &[]).unwrap();
        let rels: Vec<_> = h.files.iter().map(|f| f.relative_path.as_str()).collect();
        assert_eq!(rels, ["README.txt", "bin/svc.exe", "conf/app.properties", "lib/x/y.jar"]);
        let dirs: Vec<_> = h.directories.iter().map(|d| (d.relative_path.as_str(), d.parent.as_str())).collect();
        assert_eq!(dirs, [("bin", "PRODUCTDIR"), ("conf", "PRODUCTDIR"), ("lib", "PRODUCTDIR"), ("lib/x", "dir_lib")]);
        let y = h.file("lib/x/y.jar").unwrap();
        assert_eq!((y.directory.as_str(), y.name.as_str(), y.size), ("dir_lib.x", "y.jar", 3));
        assert_eq!(h.file("README.txt").unwrap().directory, "PRODUCTDIR");
        assert_eq!(h.total_size(), 4 + 3 + 6 + 2);
    }

    #[test]
    fn same_input_same_output_and_guids_stable() {
        let t = sample();
        let a = harvest(t.path(), "PRODUCTDIR", &code(), "P", &[]).unwrap();
        let b = harvest(t.path(), "PRODUCTDIR", &code(), "P", &[]).unwrap();
        assert_eq!(a, b);
        // A GUID depends on the upgrade code and the installed path, not on the content.
        write(t.path(), "conf/app.properties", b"changed");
        let c = harvest(t.path(), "PRODUCTDIR", &code(), "P", &[]).unwrap();
        assert_eq!(a.file("conf/app.properties").unwrap().guid, c.file("conf/app.properties").unwrap().guid);
        let other = uuid::Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap();
        let d = harvest(t.path(), "PRODUCTDIR", &other, "P", &[]).unwrap();
        assert_ne!(a.files[0].guid, d.files[0].guid);
        let guids: std::collections::BTreeSet<_> = a.files.iter().map(|f| &f.guid).collect();
        assert_eq!(guids.len(), a.files.len());
    }

    #[test]
    fn component_guid_is_uuid_v5_case_insensitive() {
        let g = component_guid(&code(), "VMwareIdentityManager/conf/A.xml");
        assert_eq!(g, component_guid(&code(), "vmwareidentitymanager\\conf\\a.xml"));
        assert_eq!(g.len(), 38);
        let u = uuid::Uuid::parse_str(&g[1..37]).unwrap();
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(g, g.to_ascii_uppercase());
    }

    #[test]
    fn ids_valid_unique_and_bounded() {
        let t = tempfile::tempdir().unwrap();
        let long = format!("{}/{}.txt", "d".repeat(60), "f".repeat(80));
        write(t.path(), &long, b"1");
        write(t.path(), "a-b.txt", b"1");
        write(t.path(), "a_b.txt", b"2");
        write(t.path(), "sp ace/ü.txt", b"3");
        let h = harvest(t.path(), "PRODUCTDIR", &code(), "P", &[]).unwrap();
        let mut ids = std::collections::BTreeSet::new();
        for id in h.files.iter().flat_map(|f| [&f.component_id, &f.file_id]).chain(h.directories.iter().map(|d| &d.id))
        {
            assert!(is_msi_identifier(id), "{id}");
            assert!(id.len() <= MAX_ID_LEN, "{id}");
            assert!(ids.insert(id.clone()), "duplicate {id}");
        }
        // The ambiguous pair got hashed ids; an unambiguous short name stays readable.
        assert!(h.file("a-b.txt").unwrap().file_id.starts_with("fil_a_b.txt_"));
        assert_eq!(h.file(&long).unwrap().file_id.len(), MAX_ID_LEN);
        assert!(h.file(&long).unwrap().file_id.contains("fff.txt_"));
    }

    #[test]
    fn ids_do_not_depend_on_order() {
        let keys = ["b/c", "a-b", "a_b", "z"];
        let mut rev = keys;
        rev.reverse();
        assert_eq!(make_ids("x_", &keys), make_ids("x_", &rev));
    }

    #[test]
    fn exclude_and_empty_dirs() {
        let t = sample();
        let h = harvest(t.path(), "PRODUCTDIR", &code(), "P", &["bin/svc.exe"]).unwrap();
        assert!(h.file("bin/svc.exe").is_none());
        assert!(h.directories.iter().all(|d| d.relative_path != "bin" && !d.relative_path.starts_with("empty")));
    }

    #[test]
    fn missing_folder_is_a_clear_error() {
        let err = harvest(Path::new("/nonexistent/payload"), "P", &code(), "", &[]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/payload does not exist"), "{err}");
    }

    #[test]
    fn case_clash_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "A.txt", b"1");
        write(t.path(), "a.txt", b"2");
        assert!(matches!(harvest(t.path(), "P", &code(), "", &[]), Err(HarvestError::CaseClash { .. })));
    }
}
