//! The errors of the `.enc` format: one variant per class a caller (or the tool's exit code) acts on.

use std::path::PathBuf;

/// Everything that can go wrong while writing, reading or checking a package.
///
/// The classes that matter to callers are [`EncError::WrongPassword`],
/// [`EncError::Damaged`], [`EncError::UnsupportedVersion`] and [`EncError::Exists`]; see
/// `docs/enc-format.md` ("Error classes") for which header field produces which error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncError {
    /// The password does not unwrap the file key. The header checksum is not a MAC, so this is
    /// also what a deliberately altered (re-checksummed) header gives: the message does not
    /// claim the package is intact (issue 14 finding 13).
    #[error("{path}: wrong password, or the package's key header was altered (this password does not open the key it holds; the tool cannot tell the two apart)")]
    WrongPassword {
        /// The package.
        path: PathBuf,
    },
    /// The package is not a well-formed, authentic `.enc` file.
    #[error("{path}: the package is damaged: {damage}")]
    Damaged {
        /// The package.
        path: PathBuf,
        /// What exactly is wrong.
        damage: Damage,
    },
    /// The package has a format version this code does not read.
    #[error("{path}: unsupported .enc format version {found} (this tool reads version {supported}); use a newer migrateEmbeddedConnector")]
    UnsupportedVersion {
        /// The package.
        path: PathBuf,
        /// The version field found in the header.
        found: u16,
        /// The version this code reads and writes.
        supported: u16,
    },
    /// The target already exists; nothing is ever overwritten.
    #[error("{path} already exists; refusing to overwrite it (move it away or choose another folder)")]
    Exists {
        /// The existing file or non-empty folder.
        path: PathBuf,
    },
    /// The password is shorter than [`super::MIN_PASSWORD_LEN`] characters.
    #[error("the password is too short: at least {min} characters are required", min = super::MIN_PASSWORD_LEN)]
    PasswordTooShort,
    /// KDF parameters asked of the writer are outside what a reader accepts.
    #[error("Argon2id parameters m = {m_kib} KiB, t = {t}, p = {p} are out of range (1 <= t <= {max_t}, 1 <= p <= {max_p}, 8*p <= m <= {max_m} KiB)",
        max_t = super::KdfParams::MAX_T, max_p = super::KdfParams::MAX_P, max_m = super::KdfParams::MAX_M_KIB)]
    KdfParams {
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// A path to export is not a plain relative path under the source folder.
    #[error("{path}: invalid path to export: {reason}")]
    InvalidPath {
        /// The offending path as given.
        path: PathBuf,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A path to export is neither a regular file nor a folder (e.g. a symbolic link).
    #[error("{path}: not a regular file or folder (symbolic links and devices are not exported)")]
    UnsupportedFileType {
        /// The offending path.
        path: PathBuf,
    },
    /// The package's KDF cost is outside this reader's limits ([`super::ReadLimits`]); no key
    /// was derived.
    #[error("{path}: the package's Argon2id parameters (m = {m_kib} KiB, t = {t}, p = {p}) are {why}")]
    KdfRefused {
        /// The package.
        path: PathBuf,
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Lanes.
        p: u32,
        /// Which limit, and how to lift it.
        why: &'static str,
    },
    /// Not enough memory for something the package needs (checked before allocating).
    #[error("{path}: not enough memory to {what} ({bytes} bytes)")]
    OutOfMemory {
        /// The package.
        path: PathBuf,
        /// What needed the memory.
        what: &'static str,
        /// How much.
        bytes: u64,
    },
    /// A termination signal (Ctrl+C, SIGTERM, ...) arrived while writing; what was written was removed.
    #[error("interrupted while writing {path}; nothing was kept")]
    Interrupted {
        /// The output.
        path: PathBuf,
    },
    /// The package would exceed the v1 payload limit.
    #[error("the configuration is too large for one package: {size} bytes after compression (limit {limit} bytes)")]
    TooLarge {
        /// Payload size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Decrypting the freshly written package did not give back what was exported.
    #[error("{path}: verification after writing failed: {reason}; the package was not kept")]
    VerifyFailed {
        /// The package that was being written (it was not kept).
        path: PathBuf,
        /// What differed.
        reason: String,
    },
    /// A file-system operation failed.
    #[error("{path}: cannot {op}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done ("read", "create", ...).
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The OS random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(getrandom::Error),
}

/// The precise kind of damage found in a package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// Shorter than a header.
    #[error("only {len} bytes long, shorter than the {need}-byte header")]
    TooShort {
        /// File length.
        len: u64,
        /// Header length.
        need: u64,
    },
    /// The first 8 bytes are not the `.enc` magic.
    #[error("not an .enc package (bad magic bytes)")]
    BadMagic,
    /// The header checksum does not match the header.
    #[error("header checksum mismatch")]
    HeaderChecksum,
    /// An algorithm id that version 1 does not define.
    #[error("unknown {what} id {id} in a version 1 header")]
    UnknownAlgorithm {
        /// "KDF" or "AEAD".
        what: &'static str,
        /// The id found.
        id: u8,
    },
    /// KDF parameters outside the reader's caps (checked before deriving).
    #[error("Argon2id parameters m = {m_kib} KiB, t = {t}, p = {p} exceed what a reader accepts")]
    KdfParamsOutOfRange {
        /// Memory in KiB.
        m_kib: u32,
        /// Iterations.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// The file is not exactly header + payload + tag long (truncated or appended to).
    #[error("length is {actual} bytes but the header announces {expected} (truncated or appended to)")]
    Length {
        /// Length the header announces.
        expected: u64,
        /// Actual file length.
        actual: u64,
    },
    /// The header announces a payload beyond the format's limit (2^36 - 32 bytes).
    #[error("the header announces a {len}-byte payload, beyond the format's limit of {limit} bytes")]
    PayloadTooLarge {
        /// Announced length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The payload (or the header bound to it) fails authentication.
    #[error("the encrypted payload fails authentication")]
    Payload,
    /// The decrypted zip cannot be read.
    #[error("the inner zip is unreadable: {0}")]
    Zip(String),
    /// The manifest is missing or malformed.
    #[error("the manifest is invalid: {0}")]
    Manifest(String),
    /// A file listed in the manifest is absent, or the zip holds an unlisted entry.
    #[error("file {path:?} is {problem}")]
    Entry {
        /// The entry path.
        path: String,
        /// "missing from the zip", "not in the manifest", ...
        problem: &'static str,
    },
    /// A file's size or SHA-256 differs from the manifest.
    #[error("file {path:?} does not match its manifest entry ({what})")]
    Mismatch {
        /// The entry path.
        path: String,
        /// "size" or "SHA-256".
        what: &'static str,
    },
}
