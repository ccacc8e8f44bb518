//! The `manifest.json` inside a package: metadata plus each file's path, size and SHA-256, and the path rules.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Damage, ExportMeta};

/// Name of the manifest entry in the zip.
pub(crate) const MANIFEST_NAME: &str = "manifest.json";
/// Folder, in the zip, holding the configuration files (so no file can clash with the manifest).
pub(crate) const FILES_PREFIX: &str = "files/";
/// Value of the manifest's `format` field.
const FORMAT: &str = "idm-embedded-connector-configuration";

/// The decrypted description of a package's contents (docs/enc-format.md, "Manifest").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `idm-embedded-connector-configuration`.
    pub format: String,
    /// Cluster name.
    pub cluster: String,
    /// Host name.
    pub host: String,
    /// Domain name.
    pub domain: String,
    /// Product version the configuration comes from.
    pub source_version: String,
    /// When the export was made (UTC, whole seconds; RFC 3339 in JSON).
    #[serde(with = "rfc3339")]
    pub created: OffsetDateTime,
    /// Every file, sorted by path.
    pub files: Vec<ManifestEntry>,
}

/// One file in the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Path relative to the exported source folder, `/`-separated (see [`check_rel_path`]).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

impl Manifest {
    /// A manifest for `meta` and `files` (which the caller sorts).
    pub(crate) fn new(meta: &ExportMeta, files: Vec<ManifestEntry>) -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            cluster: meta.cluster.clone(),
            host: meta.host.clone(),
            domain: meta.domain.clone(),
            source_version: meta.source_version.clone(),
            created: utc_seconds(meta.created),
            files,
        }
    }

    /// The metadata part.
    pub fn meta(&self) -> ExportMeta {
        ExportMeta {
            cluster: self.cluster.clone(),
            host: self.host.clone(),
            domain: self.domain.clone(),
            source_version: self.source_version.clone(),
            created: self.created,
        }
    }

    /// Total size of the files in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Parses and checks a manifest read from a package: JSON schema, `format`, every path,
    /// no duplicates, well-formed hashes.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Manifest, Damage> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| Damage::Manifest(e.to_string()))?;
        if m.format != FORMAT {
            return Err(Damage::Manifest(format!("unknown format {:?}", m.format)));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &m.files {
            check_rel_path(&f.path).map_err(|why| Damage::Manifest(format!("path {:?}: {why}", f.path)))?;
            // Compared as Windows compares names: such paths would be one file there.
            if !seen.insert(path_rules::fold(&f.path)) {
                return Err(Damage::Manifest(format!("path {:?} listed twice", f.path)));
            }
            if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(Damage::Manifest(format!("path {:?}: malformed sha256", f.path)));
            }
        }
        Ok(m)
    }
}

/// `t` in UTC, truncated to whole seconds (the precision of the manifest and the file name).
pub(crate) fn utc_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).expect("0 is a valid nanosecond")
}

/// Checks a `/`-separated relative path as stored in a package with the product's one path
/// rule ([`path_rules::check_relative_path`], Windows naming rules): non-empty, at most 1024
/// bytes, no empty, `.` or `..` component, no `\`, `:`, reserved character, control,
/// bidirectional or zero-width character, no device name (`CON`, `LPT1.log`, `CONIN$`), no
/// name ending in a period or space. So it cannot escape the output folder, name a drive, an
/// alternate data stream or a device, or display as another name.
pub fn check_rel_path(path: &str) -> Result<(), path_rules::Refused> {
    path_rules::check_relative_path(path, path_rules::Separators::Slash).map(|_| ())
}

/// serde glue for RFC 3339 timestamps (the `time` crate's `serde` feature is not enabled in the
/// workspace; these six lines are all it would give us).
mod rfc3339 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_paths() {
        for good in ["a", "a/b.xml", "conf/sub dir/é.txt", "..a/b..c", ".hidden"] {
            assert!(check_rel_path(good).is_ok(), "{good}");
        }
        for bad in ["", "/a", "a/", "a//b", "../a", "a/../b", "./a", "a\\b", "C:x", "a\nb", "a\0"] {
            assert!(check_rel_path(bad).is_err(), "{bad:?}");
        }
        // Issue 14 finding 10: names that are hazards on Windows (devices, names Windows
        // renames, reserved characters, spoofing characters).
        for bad in [
            "CON",
            "conf/NUL",
            "LPT1.log",
            "a/CONIN$",
            "a.",
            "b ",
            "a*b",
            "a?",
            "a<b",
            "a>b",
            "a|b",
            "a\"b",
            "evil\u{202E}gpj.exe",
            "a\u{200B}b",
        ] {
            assert!(check_rel_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_round_trip_and_schema() {
        let meta = ExportMeta {
            cluster: "c".into(),
            host: "h".into(),
            domain: "d".into(),
            source_version: "3.3.7".into(),
            created: time::macros::datetime!(2026-11-27 01:02:03.456 +02:00),
        };
        let m = Manifest::new(&meta, vec![ManifestEntry { path: "a/b".into(), size: 1, sha256: "0".repeat(64) }]);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""created":"2026-11-26T23:02:03Z""#), "{json}");
        assert_eq!(Manifest::parse(json.as_bytes()), Ok(m.clone()));

        let extra = json.replacen('{', r#"{"extra":1,"#, 1);
        assert!(matches!(Manifest::parse(extra.as_bytes()), Err(Damage::Manifest(_))));
        let dup = json.replace(
            r#""files":[{"#,
            &format!(r#""files":[{{"path":"A/B","size":1,"sha256":"{}"}},{{"#, "0".repeat(64)),
        );
        assert!(matches!(Manifest::parse(dup.as_bytes()), Err(Damage::Manifest(_))), "{dup}");
        let escape = json.replace("a/b", "../b");
        assert!(matches!(Manifest::parse(escape.as_bytes()), Err(Damage::Manifest(_))));
        let badhash = json.replace(&"0".repeat(64), &"G".repeat(64));
        assert!(matches!(Manifest::parse(badhash.as_bytes()), Err(Damage::Manifest(_))));
    }
}
