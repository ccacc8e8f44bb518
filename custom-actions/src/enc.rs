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
mod read;
mod write;

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
    /// Largest memory cost a reader accepts: 1 GiB.
    pub const MAX_M_KIB: u32 = 1024 * 1024;
    /// Largest pass count a reader accepts.
    pub const MAX_T: u32 = 16;
    /// Largest lane count a reader accepts.
    pub const MAX_P: u32 = 16;

    /// Whether the parameters are within the reader caps and Argon2's own minimums
    /// (t >= 1, p >= 1, m >= 8 * p KiB; RFC 9106 section 3.1).
    pub fn in_range(&self) -> bool {
        (1..=Self::MAX_T).contains(&self.t)
            && (1..=Self::MAX_P).contains(&self.p)
            && self.m_kib >= 8 * self.p
            && self.m_kib <= Self::MAX_M_KIB
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

    #[test]
    fn password_length_counts_characters() {
        assert!(matches!(check_password("1234567"), Err(EncError::PasswordTooShort)));
        assert!(check_password("12345678").is_ok());
        // 8 characters, 16 bytes.
        assert!(check_password("ääääääää").is_ok());
        assert!(matches!(check_password("äääääää"), Err(EncError::PasswordTooShort)));
    }

    #[test]
    fn hex_encodes() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
    }
}
