//! Versioned files against a previous release: a file whose version goes backwards is not
//! installed by an upgrade.
//!
//! Windows Installer decides whether to copy a file over an existing one by the "File Versioning
//! Rules" (https://learn.microsoft.com/en-us/windows/win32/msi/file-versioning-rules): the file
//! with the highest version wins, even when that is the one already on the machine, and a
//! versioned file wins over an unversioned one. The product's `MajorUpgrade` removes the previous
//! version after `InstallExecute` (wix/main.wxs.tera), so the new files are installed while the
//! previous release's files are still on disk: a payload file whose version is lower than the
//! previous release's is skipped, the node keeps the old file, and where the previous release's
//! removal then deletes that file (a component the two releases do not share) the file is gone
//! after the upgrade. [`downgrades`] finds such files so `cargo xtask dist --previous` can refuse
//! the build.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{Read, Seek};

/// One `File` row with where it installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledFile {
    /// `File.File`.
    pub key: String,
    /// `File.Component_`.
    pub component: String,
    /// The install path, `/`-separated: `[DIRECTORY]/sub/name` from the first directory below the
    /// root (`[ProgramFiles64Folder]/VMware/bin/x.dll`), long names.
    pub path: String,
    /// `File.Version` when it is a version (a companion file's key, or null, is `None`).
    pub version: Option<String>,
}

/// A versioned file of the previous release that the current build would not replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downgrade {
    /// The install path.
    pub path: String,
    /// The previous release's file and version.
    pub previous: (String, String),
    /// The current build's file key and version (`None`: unversioned).
    pub current: (String, Option<String>),
}

impl std::fmt::Display for Downgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.current.1 {
            Some(v) => write!(
                f,
                "{}: version {v} (File {}) is lower than {} in the previous release (File {})",
                self.path, self.current.0, self.previous.1, self.previous.0
            ),
            None => write!(
                f,
                "{}: unversioned (File {}) replaces version {} of the previous release (File {})",
                self.path, self.current.0, self.previous.1, self.previous.0
            ),
        }
    }
}

/// Why the file sets could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is missing or is not an MSI.
    #[error("{}: cannot open as an MSI database: {source}", path.display())]
    Open {
        /// The file.
        path: std::path::PathBuf,
        /// What the `msi` crate reported.
        source: std::io::Error,
    },
    /// A table could not be read.
    #[error("cannot read table {table}: {source}")]
    Table {
        /// The table.
        table: &'static str,
        /// What the `msi` crate reported.
        source: std::io::Error,
    },
    /// The Directory table is inconsistent.
    #[error("{0}")]
    Directory(String),
}

/// Every file of the MSI at `path` with its install path and version.
pub fn read(path: &std::path::Path) -> Result<Vec<InstalledFile>, Error> {
    let mut package = msi::open(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    installed_files(&mut package)
}

/// Every file of a package with its install path and version.
pub fn installed_files<F: Read + Seek>(package: &mut msi::Package<F>) -> Result<Vec<InstalledFile>, Error> {
    let rows = |package: &mut msi::Package<F>, table: &'static str, cols: &[&str]| {
        let rows = package.select_rows(msi::Select::table(table)).map_err(|source| Error::Table { table, source })?;
        let mut out = Vec::new();
        for row in rows {
            let mut vals = Vec::new();
            for c in cols {
                let v = &row[*c];
                vals.push(match v {
                    msi::Value::Str(s) => s.clone(),
                    msi::Value::Int(i) => i.to_string(),
                    _ => String::new(),
                });
            }
            out.push(vals);
        }
        Ok::<_, Error>(out)
    };
    let dirs: BTreeMap<String, (String, String)> =
        rows(package, "Directory", &["Directory", "Directory_Parent", "DefaultDir"])?
            .into_iter()
            .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
            .collect();
    let components: BTreeMap<String, String> = rows(package, "Component", &["Component", "Directory_"])?
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let mut out = Vec::new();
    for r in rows(package, "File", &["File", "Component_", "FileName", "Version"])? {
        let dir = components.get(&r[1]).ok_or_else(|| {
            Error::Directory(format!("File {}: component {} is not in the Component table", r[0], r[1]))
        })?;
        let version = Some(r[3].clone()).filter(|v| parse_version(v).is_some());
        out.push(InstalledFile {
            path: format!("{}/{}", dir_path(&dirs, dir)?, long_name(&r[2])),
            key: r[0].clone(),
            component: r[1].clone(),
            version,
        });
    }
    Ok(out)
}

/// The long name of a `FileName`/`DefaultDir` value: the target part (before `:`), long half
/// (after `|`) when there is one (MSI SDK "Filename", "DefaultDir").
fn long_name(value: &str) -> &str {
    let target = value.split(':').next().unwrap_or(value);
    target.rsplit('|').next().unwrap_or(target)
}

/// `[TOP]/a/b`: the path of `id` below the root directory, `TOP` the directory right below the
/// root (a system folder such as `ProgramFiles64Folder`, whose path comes from its property).
fn dir_path(dirs: &BTreeMap<String, (String, String)>, id: &str) -> Result<String, Error> {
    let mut parts = Vec::new();
    let mut current = id.to_string();
    for _ in 0..256 {
        let (parent, default_dir) = dirs
            .get(&current)
            .ok_or_else(|| Error::Directory(format!("directory {current} is not in the Directory table")))?;
        let parent_is_root = dirs.get(parent).is_none_or(|(pp, _)| pp.is_empty() || pp == parent);
        if parent.is_empty() || parent == &current {
            parts.push(format!("[{current}]"));
            break;
        }
        if parent_is_root {
            parts.push(format!("[{current}]"));
            break;
        }
        let name = long_name(default_dir);
        if name != "." {
            parts.push(name.to_string());
        }
        current = parent.clone();
    }
    parts.reverse();
    Ok(parts.join("/"))
}

/// The four fields of a file version `a.b.c.d` (fewer fields are zeros; MSI SDK "Version").
pub fn parse_version(v: &str) -> Option<[u16; 4]> {
    let mut out = [0u16; 4];
    let fields: Vec<&str> = v.split('.').collect();
    if fields.is_empty() || fields.len() > 4 {
        return None;
    }
    for (i, f) in fields.iter().enumerate() {
        out[i] = f.parse().ok()?;
    }
    Some(out)
}

/// Compares two file versions field by field (`None` when one is not a version).
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    Some(parse_version(a)?.cmp(&parse_version(b)?))
}

/// The previous release's versioned files that `current` installs at the same path (compared
/// case-insensitively, as Windows paths are) with a lower version, or without a version.
pub fn downgrades(previous: &[InstalledFile], current: &[InstalledFile]) -> Vec<Downgrade> {
    let now: BTreeMap<String, &InstalledFile> = current.iter().map(|f| (f.path.to_lowercase(), f)).collect();
    let mut out = Vec::new();
    for old in previous {
        let Some(old_version) = &old.version else { continue };
        let Some(new) = now.get(&old.path.to_lowercase()) else { continue };
        let backwards = match &new.version {
            Some(v) => compare_versions(v, old_version) == Some(Ordering::Less),
            None => true,
        };
        if backwards {
            out.push(Downgrade {
                path: new.path.clone(),
                previous: (old.key.clone(), old_version.clone()),
                current: (new.key.clone(), new.version.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, path: &str, version: Option<&str>) -> InstalledFile {
        InstalledFile {
            key: key.into(),
            component: format!("C_{key}"),
            path: path.into(),
            version: version.map(Into::into),
        }
    }

    #[test]
    fn versions_compare_numerically_field_by_field() {
        assert_eq!(compare_versions("1.10.0.0", "1.9.0.0"), Some(Ordering::Greater));
        assert_eq!(compare_versions("2.0", "2.0.0.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("3.3.1.0", "3.3.2.0"), Some(Ordering::Less));
        assert_eq!(compare_versions("F_companion", "1.0"), None);
        assert_eq!(parse_version("1.2.3.4.5"), None);
        assert_eq!(parse_version("65536.0"), None);
    }

    #[test]
    fn only_backwards_versioned_files_are_reported() {
        let previous = [
            file("a", "[P]/bin/a.dll", Some("1.2.0.0")),
            file("b", "[P]/bin/b.dll", Some("1.2.0.0")),
            file("c", "[P]/bin/c.dll", Some("1.2.0.0")),
            file("d", "[P]/bin/d.dll", Some("1.2.0.0")),
            file("e", "[P]/conf/e.txt", None),
            file("f", "[P]/bin/gone.dll", Some("9.0")),
        ];
        let current = [
            file("a2", "[P]/bin/a.dll", Some("1.1.9.0")), // backwards
            file("b", "[P]/bin/b.dll", Some("1.2.0.0")),  // same
            file("c", "[P]/BIN/C.DLL", Some("1.3.0.0")),  // forwards (path case differs)
            file("d", "[P]/bin/d.dll", None),             // versioned -> unversioned
            file("e", "[P]/conf/e.txt", Some("1.0")),     // unversioned -> versioned
        ];
        let d = downgrades(&previous, &current);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].previous, ("a".to_string(), "1.2.0.0".to_string()));
        assert_eq!(d[0].current, ("a2".to_string(), Some("1.1.9.0".to_string())));
        assert_eq!(d[1].current, ("d".to_string(), None));
        let text = d[0].to_string();
        assert!(text.contains("[P]/bin/a.dll") && text.contains("1.1.9.0") && text.contains("1.2.0.0"), "{text}");
    }

    #[test]
    fn directory_paths_start_at_the_folder_below_the_root() {
        let dirs: BTreeMap<String, (String, String)> = [
            ("TARGETDIR", ("", "SourceDir")),
            ("ProgramFiles64Folder", ("TARGETDIR", "PFiles64")),
            ("VENDOR", ("ProgramFiles64Folder", "VMware")),
            ("PRODUCTDIR", ("VENDOR", "IDENTI~1|Identity Manager:src")),
            ("SAME", ("PRODUCTDIR", ".")),
            ("BIN", ("SAME", "bin")),
        ]
        .into_iter()
        .map(|(k, (p, d))| (k.to_string(), (p.to_string(), d.to_string())))
        .collect();
        assert_eq!(dir_path(&dirs, "BIN").unwrap(), "[ProgramFiles64Folder]/VMware/Identity Manager/bin");
        assert_eq!(dir_path(&dirs, "TARGETDIR").unwrap(), "[TARGETDIR]");
        assert!(dir_path(&dirs, "NOPE").is_err());
    }
}
