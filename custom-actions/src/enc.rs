//! The `.enc` configuration-package format: Argon2id + AES-256-GCM over a zip with a manifest (docs/enc-format.md).
//!
//! A package is a fixed 152-byte header followed by one AES-256-GCM ciphertext of a zip. The zip
//! holds the configuration files under `files/` and a `manifest.json` with every file's size and
//! SHA-256. The payload key is a random 256-bit file key, itself wrapped (AES-256-GCM) under a key
//! derived from the password with Argon2id, so a wrong password (the wrap fails) is told apart
//! from a damaged file (the header checksum or the payload fails). The full specification,
//! including which damaged byte gives which error, is `docs/enc-format.md`.
//!
//! Entry points: [`export`] (write a package, verified, never overwriting), [`decrypt`] (verify
//! then write the files, nothing on error), [`verify`] (decrypt in memory and check everything),
//! [`inspect`] (the public header, no password).

mod crypto;
mod error;
mod header;
mod manifest;
mod private;
mod read;
mod source;
mod wipe;
mod write;
mod zipdir;

pub use error::{Damage, EncError};
pub use manifest::{Manifest, ManifestEntry};
pub use read::{decrypt, inspect, verify};
pub use write::{export, package_file_name};

/// The shortest password accepted when writing a package, in characters (issue 3).
pub const MIN_PASSWORD_LEN: usize = 8;

/// The format version this code writes, and the only one it reads.
pub const FORMAT_VERSION: u16 = header::VERSION;

/// The file-name extension of a package (without the dot).
pub const EXTENSION: &str = "enc";

/// Argon2id cost parameters, as stored in the header.
///
/// There is deliberately no `Default`: writers pass [`KdfParams::DEFAULT`] (or, in tests, small
/// values) explicitly. Readers refuse anything outside the caps *before* deriving, so a damaged
/// or hostile header cannot make them allocate gigabytes or spin for minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory cost in KiB (Argon2 `m`).
    pub m_kib: u32,
    /// Number of passes (Argon2 `t`).
    pub t: u32,
    /// Degree of parallelism, lanes (Argon2 `p`).
    pub p: u32,
}

impl KdfParams {
    /// The production parameters (docs/enc-format.md): m = 64 MiB, t = 3, p = 4.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 64 * 1024, t: 3, p: 4 };
    /// Largest memory cost the format allows (writers refuse more; readers never go beyond): 1 GiB.
    pub const MAX_M_KIB: u32 = 1024 * 1024;
    /// Largest pass count the format allows.
    pub const MAX_T: u32 = 16;
    /// Largest lane count the format allows.
    pub const MAX_P: u32 = 16;
    /// The floor a reader requires unless told otherwise ([`ReadLimits::allow_weak`]): the
    /// OWASP Password Storage Cheat Sheet's Argon2id minimums, whose equivalent settings
    /// (m = 46 MiB t = 1, 19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5) all spend at
    /// least 35 MiB x passes with at least 7 MiB.
    pub const FLOOR_M_KIB: u32 = 7 * 1024;
    /// See [`KdfParams::FLOOR_M_KIB`]: memory x passes, in KiB.
    pub const FLOOR_WORK_KIB: u64 = 35 * 1024;

    /// Whether the parameters are within the format's ranges and Argon2's own minimums
    /// (t >= 1, p >= 1, m >= 8 * p KiB; RFC 9106 section 3.1).
    pub fn in_range(&self) -> bool {
        (1..=Self::MAX_T).contains(&self.t)
            && (1..=Self::MAX_P).contains(&self.p)
            && self.m_kib >= 8 * self.p
            && self.m_kib <= Self::MAX_M_KIB
    }

    /// Whether the parameters are below the floor (cheap to guess).
    pub fn is_weak(&self) -> bool {
        self.m_kib < Self::FLOOR_M_KIB || u64::from(self.m_kib) * u64::from(self.t) < Self::FLOOR_WORK_KIB
    }

    /// [`KdfParams::in_range`] as a `Result`, for writers.
    pub fn check(&self) -> Result<(), EncError> {
        if self.in_range() {
            Ok(())
        } else {
            Err(EncError::KdfParams { m_kib: self.m_kib, t: self.t, p: self.p })
        }
    }
}

/// What a reader accepts of a package's KDF cost, checked before any key is derived
/// (docs/enc-format.md, "Reader limits"). The defaults bound what a hostile header can make a
/// reader spend (256 MiB, 8 passes: about 10 times the production cost) and refuse packages
/// below the floor; `migrateEmbeddedConnector` exposes both (`--max-kdf-memory`,
/// `--max-kdf-passes`, `--allow-weak-kdf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest memory cost accepted, KiB (at most [`KdfParams::MAX_M_KIB`]).
    pub max_m_kib: u32,
    /// Largest pass count accepted (at most [`KdfParams::MAX_T`]).
    pub max_t: u32,
    /// Accept parameters below the floor ([`KdfParams::is_weak`]); for test packages only.
    pub allow_weak: bool,
}

impl ReadLimits {
    /// The defaults: m <= 256 MiB, t <= 8, nothing below the floor.
    pub const DEFAULT: ReadLimits = ReadLimits { max_m_kib: 256 * 1024, max_t: 8, allow_weak: false };

    /// These limits widened just enough to accept `params` (a package this process has just
    /// written with them, e.g. the read-back after an export).
    pub fn accepting(self, params: KdfParams) -> ReadLimits {
        ReadLimits {
            max_m_kib: self.max_m_kib.max(params.m_kib),
            max_t: self.max_t.max(params.t),
            allow_weak: self.allow_weak || params.is_weak(),
        }
    }

    /// Checks a header's parameters (already within the format's ranges) against the limits.
    pub(crate) fn admit(&self, kdf: KdfParams) -> Result<(), &'static str> {
        if kdf.m_kib > self.max_m_kib || kdf.t > self.max_t {
            return Err("costlier than this reader accepts by default (use --max-kdf-memory / --max-kdf-passes to allow it, if you trust the package)");
        }
        if kdf.is_weak() && !self.allow_weak {
            return Err(
                "below the minimum cost (cheap to guess; a test package? use --allow-weak-kdf to open it anyway)",
            );
        }
        Ok(())
    }
}

/// Who and what a package is for; recorded in the manifest and (made safe) in the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportMeta {
    /// Cluster name.
    pub cluster: String,
    /// Host (node) name.
    pub host: String,
    /// Domain name.
    pub domain: String,
    /// Version of the product the configuration comes from.
    pub source_version: String,
    /// When the export was made; converted to UTC and truncated to whole seconds when written.
    pub created: time::OffsetDateTime,
}

/// What [`inspect`] can tell without the password: the header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInfo {
    /// Format version.
    pub version: u16,
    /// Key-derivation function name ("Argon2id v19").
    pub kdf: &'static str,
    /// Its parameters.
    pub kdf_params: KdfParams,
    /// AEAD name ("AES-256-GCM").
    pub aead: &'static str,
    /// The salt, lower-case hex.
    pub salt_hex: String,
    /// Plaintext length of the payload (the zip), in bytes.
    pub payload_len: u64,
    /// Length of the whole package, in bytes.
    pub file_len: u64,
}

/// Checks a password for writing: at least [`MIN_PASSWORD_LEN`] characters.
pub fn check_password(password: &str) -> Result<(), EncError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        Err(EncError::PasswordTooShort)
    } else {
        Ok(())
    }
}

/// Longest password read from a stream (standard input, a password file), in bytes.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// Reads a password from `reader` (standard input, a password file) into one fixed,
/// zeroized buffer, so no reallocated copy is left unwiped (issue 14 finding 9): at most
/// [`MAX_PASSWORD_BYTES`] bytes, UTF-8, one trailing `\n` or `\r\n` removed, nothing else.
pub fn read_password(reader: &mut dyn std::io::Read) -> std::io::Result<zeroize::Zeroizing<String>> {
    let mut buf = zeroize::Zeroizing::new(vec![0u8; MAX_PASSWORD_BYTES + 1]);
    let mut len = 0;
    loop {
        match reader.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if len > MAX_PASSWORD_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the password is longer than {MAX_PASSWORD_BYTES} bytes"),
            ));
        }
    }
    let mut text = &buf[..len];
    if let Some(t) = text.strip_suffix(b"\n") {
        text = t.strip_suffix(b"\r").unwrap_or(t);
    }
    let text = std::str::from_utf8(text)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "the password is not valid UTF-8"))?;
    // `to_owned` allocates exactly once, at the final length.
    Ok(zeroize::Zeroizing::new(text.to_owned()))
}

/// Lower-case hex of `bytes`. Hand-written: five lines do not justify a dependency.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_params_are_the_documented_ones_and_in_range() {
        assert_eq!(KdfParams::DEFAULT, KdfParams { m_kib: 65536, t: 3, p: 4 });
        assert!(KdfParams::DEFAULT.in_range());
    }

    #[test]
    fn caps() {
        let ok = KdfParams { m_kib: 8, t: 1, p: 1 };
        assert!(ok.in_range());
        for bad in [
            KdfParams { m_kib: KdfParams::MAX_M_KIB + 1, t: 1, p: 1 },
            KdfParams { m_kib: 1024, t: 0, p: 1 },
            KdfParams { m_kib: 1024, t: 17, p: 1 },
            KdfParams { m_kib: 1024, t: 1, p: 0 },
            KdfParams { m_kib: 1024, t: 1, p: 17 },
            KdfParams { m_kib: 31, t: 1, p: 4 },
        ] {
            assert!(!bad.in_range(), "{bad:?}");
            assert!(matches!(bad.check(), Err(EncError::KdfParams { .. })));
        }
    }

    /// Issue 14 findings 5 and 12: the reader's default limits refuse a 1 GiB / 16-pass header
    /// and a below-floor one; the documented overrides admit them.
    #[test]
    fn reader_limits_cap_and_floor() {
        let d = ReadLimits::DEFAULT;
        assert!(d.admit(KdfParams::DEFAULT).is_ok());
        let hostile = KdfParams { m_kib: KdfParams::MAX_M_KIB, t: 16, p: 1 };
        assert!(d.admit(hostile).is_err());
        assert!(d.admit(KdfParams { m_kib: 256 * 1024 + 1, t: 1, p: 1 }).is_err());
        assert!(d.admit(KdfParams { m_kib: 65536, t: 9, p: 1 }).is_err());
        assert!(ReadLimits { max_m_kib: KdfParams::MAX_M_KIB, max_t: 16, allow_weak: false }.admit(hostile).is_ok());
        // OWASP's equivalents are at the floor; the review's m = 8 KiB, t = 1 is below it.
        for owasp in [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)] {
            let k = KdfParams { m_kib: owasp.0, t: owasp.1, p: 1 };
            assert!(!k.is_weak() && d.admit(k).is_ok(), "{k:?}");
        }
        let weak = KdfParams { m_kib: 8, t: 1, p: 1 };
        assert!(weak.is_weak() && d.admit(weak).is_err());
        assert!(ReadLimits { allow_weak: true, ..d }.admit(weak).is_ok());
        assert!(d.accepting(weak).admit(weak).is_ok());
    }

    #[test]
    fn password_length_counts_characters() {
        assert!(matches!(check_password("1234567"), Err(EncError::PasswordTooShort)));
        assert!(check_password("12345678").is_ok());
        // 8 characters, 16 bytes.
        assert!(check_password("ääääääää").is_ok());
        assert!(matches!(check_password("äääääää"), Err(EncError::PasswordTooShort)));
    }

    #[test]
    fn password_reading() {
        let r = |x: &[u8]| read_password(&mut &x[..]).map(|s| s.to_string());
        assert_eq!(r(b"pass word\n").unwrap(), "pass word");
        assert_eq!(r(b"pw\r\n").unwrap(), "pw");
        assert_eq!(r(b"pw\n\n").unwrap(), "pw\n");
        assert_eq!(r(b" pw ").unwrap(), " pw ");
        assert!(r(&vec![b'x'; MAX_PASSWORD_BYTES]).is_ok());
        assert!(r(&vec![b'x'; MAX_PASSWORD_BYTES + 1]).is_err());
        assert!(r(b"\xff\xfe").is_err());
    }

    #[test]
    fn hex_encodes() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
    }
}
