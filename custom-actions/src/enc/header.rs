//! The fixed 152-byte version 1 header: layout, encoding, and the checks made before any key is derived.
//!
//! The byte layout is the table in `docs/enc-format.md`; the constants below are its offsets.

use sha2::{Digest, Sha256};

use super::{Damage, KdfParams};

/// The 8 magic bytes. PNG-style: a non-ASCII first byte and a trailing LF catch 7-bit and
/// text-mode transfers.
pub(crate) const MAGIC: [u8; 8] = *b"\x89IDMENC\n";
/// The format version this code reads and writes.
pub(crate) const VERSION: u16 = 1;
/// KDF id 1: Argon2id, version 0x13 (RFC 9106).
pub(crate) const KDF_ARGON2ID: u8 = 1;
/// AEAD id 1: AES-256-GCM, 96-bit nonce, 128-bit tag (NIST SP 800-38D).
pub(crate) const AEAD_AES256GCM: u8 = 1;
/// Salt length in bytes.
pub(crate) const SALT_LEN: usize = 16;
/// AES-GCM nonce length in bytes.
pub(crate) const NONCE_LEN: usize = 12;
/// AES-GCM tag length in bytes.
pub(crate) const TAG_LEN: usize = 16;
/// Length of the file key in bytes (AES-256).
pub(crate) const KEY_LEN: usize = 32;

// Offsets (docs/enc-format.md, "Byte layout").
const OFF_VERSION: usize = 8;
const OFF_KDF_ID: usize = 10;
const OFF_AEAD_ID: usize = 11;
const OFF_M: usize = 12;
const OFF_T: usize = 16;
const OFF_P: usize = 20;
const OFF_SALT: usize = 24;
const OFF_WRAP_NONCE: usize = 40;
/// End of the part of the header that is the AAD of the key wrap.
pub(crate) const WRAP_AAD_END: usize = 52;
const OFF_WRAPPED_KEY: usize = 52;
const OFF_PAYLOAD_NONCE: usize = 100;
const OFF_PAYLOAD_LEN: usize = 112;
const OFF_CHECKSUM: usize = 120;
/// Largest payload (the zip) a v1 package holds: AES-GCM's limit for one message,
/// 2^36 - 32 bytes (NIST SP 800-38D, section 5.2.1.1).
pub(crate) const MAX_PAYLOAD_LEN: u64 = (1 << 36) - 32;
/// Total header length; the payload ciphertext starts here.
pub(crate) const HEADER_LEN: usize = 152;

/// The decoded header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub kdf: KdfParams,
    pub salt: [u8; SALT_LEN],
    pub wrap_nonce: [u8; NONCE_LEN],
    pub wrapped_key: [u8; KEY_LEN + TAG_LEN],
    pub payload_nonce: [u8; NONCE_LEN],
    /// Plaintext length of the payload (the ciphertext is this plus [`TAG_LEN`]).
    pub payload_len: u64,
}

/// Why a header was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderError {
    Damaged(Damage),
    Version(u16),
}

impl Header {
    /// Encodes the header, checksum included.
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(&MAGIC);
        h[OFF_VERSION..OFF_KDF_ID].copy_from_slice(&VERSION.to_le_bytes());
        h[OFF_KDF_ID] = KDF_ARGON2ID;
        h[OFF_AEAD_ID] = AEAD_AES256GCM;
        h[OFF_M..OFF_T].copy_from_slice(&self.kdf.m_kib.to_le_bytes());
        h[OFF_T..OFF_P].copy_from_slice(&self.kdf.t.to_le_bytes());
        h[OFF_P..OFF_SALT].copy_from_slice(&self.kdf.p.to_le_bytes());
        h[OFF_SALT..OFF_WRAP_NONCE].copy_from_slice(&self.salt);
        h[OFF_WRAP_NONCE..OFF_WRAPPED_KEY].copy_from_slice(&self.wrap_nonce);
        h[OFF_WRAPPED_KEY..OFF_PAYLOAD_NONCE].copy_from_slice(&self.wrapped_key);
        h[OFF_PAYLOAD_NONCE..OFF_PAYLOAD_LEN].copy_from_slice(&self.payload_nonce);
        h[OFF_PAYLOAD_LEN..OFF_CHECKSUM].copy_from_slice(&self.payload_len.to_le_bytes());
        let sum = Sha256::digest(&h[..OFF_CHECKSUM]);
        h[OFF_CHECKSUM..].copy_from_slice(&sum);
        h
    }

    /// Decodes and checks a header, in the order the spec gives: length, magic, version,
    /// checksum, algorithm ids, KDF caps. `file_len` is the whole file's length; the
    /// announced payload length must match it exactly. No key is derived here.
    pub(crate) fn decode(bytes: &[u8], file_len: u64) -> Result<Header, HeaderError> {
        // The magic is checked on what there is, so a truncated non-.enc file says "bad magic".
        let magic_part = &bytes[..bytes.len().min(MAGIC.len())];
        if magic_part != &MAGIC[..magic_part.len()] {
            return Err(HeaderError::Damaged(Damage::BadMagic));
        }
        if bytes.len() >= OFF_KDF_ID {
            let version = u16::from_le_bytes([bytes[OFF_VERSION], bytes[OFF_VERSION + 1]]);
            if version != VERSION {
                return Err(HeaderError::Version(version));
            }
        }
        if bytes.len() < HEADER_LEN {
            return Err(HeaderError::Damaged(Damage::TooShort { len: file_len, need: HEADER_LEN as u64 }));
        }
        let h = &bytes[..HEADER_LEN];
        if Sha256::digest(&h[..OFF_CHECKSUM])[..] != h[OFF_CHECKSUM..] {
            return Err(HeaderError::Damaged(Damage::HeaderChecksum));
        }
        if h[OFF_KDF_ID] != KDF_ARGON2ID {
            return Err(HeaderError::Damaged(Damage::UnknownAlgorithm { what: "KDF", id: h[OFF_KDF_ID] }));
        }
        if h[OFF_AEAD_ID] != AEAD_AES256GCM {
            return Err(HeaderError::Damaged(Damage::UnknownAlgorithm { what: "AEAD", id: h[OFF_AEAD_ID] }));
        }
        let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().expect("4 bytes"));
        let kdf = KdfParams { m_kib: u32_at(OFF_M), t: u32_at(OFF_T), p: u32_at(OFF_P) };
        if !kdf.in_range() {
            return Err(HeaderError::Damaged(Damage::KdfParamsOutOfRange { m_kib: kdf.m_kib, t: kdf.t, p: kdf.p }));
        }
        let payload_len = u64::from_le_bytes(h[OFF_PAYLOAD_LEN..OFF_CHECKSUM].try_into().expect("8 bytes"));
        // The format's limit, before anything is sized from the length (issue 14 finding 2).
        if payload_len > MAX_PAYLOAD_LEN {
            return Err(HeaderError::Damaged(Damage::PayloadTooLarge { len: payload_len, limit: MAX_PAYLOAD_LEN }));
        }
        let expected = (HEADER_LEN as u64).checked_add(payload_len).and_then(|n| n.checked_add(TAG_LEN as u64));
        if expected != Some(file_len) {
            return Err(HeaderError::Damaged(Damage::Length {
                expected: expected.unwrap_or(u64::MAX),
                actual: file_len,
            }));
        }
        Ok(Header {
            kdf,
            salt: h[OFF_SALT..OFF_WRAP_NONCE].try_into().expect("16 bytes"),
            wrap_nonce: h[OFF_WRAP_NONCE..OFF_WRAPPED_KEY].try_into().expect("12 bytes"),
            wrapped_key: h[OFF_WRAPPED_KEY..OFF_PAYLOAD_NONCE].try_into().expect("48 bytes"),
            payload_nonce: h[OFF_PAYLOAD_NONCE..OFF_PAYLOAD_LEN].try_into().expect("12 bytes"),
            payload_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            kdf: KdfParams { m_kib: 64, t: 1, p: 1 },
            salt: [1; SALT_LEN],
            wrap_nonce: [2; NONCE_LEN],
            wrapped_key: [3; KEY_LEN + TAG_LEN],
            payload_nonce: [4; NONCE_LEN],
            payload_len: 10,
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let h = sample();
        let bytes = h.encode();
        assert_eq!(&bytes[..8], b"\x89IDMENC\n");
        assert_eq!(&bytes[8..10], &[1, 0]);
        let len = (HEADER_LEN + 10 + TAG_LEN) as u64;
        assert_eq!(Header::decode(&bytes, len), Ok(h));
    }

    #[test]
    fn every_field_is_checked() {
        let bytes = sample().encode();
        let len = (HEADER_LEN + 10 + TAG_LEN) as u64;
        for i in 0..HEADER_LEN {
            let mut b = bytes;
            b[i] ^= 0x01;
            let err = Header::decode(&b, len).unwrap_err();
            match i {
                0..=7 => assert_eq!(err, HeaderError::Damaged(Damage::BadMagic), "byte {i}"),
                8 | 9 => assert!(matches!(err, HeaderError::Version(_)), "byte {i}"),
                _ => assert_eq!(err, HeaderError::Damaged(Damage::HeaderChecksum), "byte {i}"),
            }
        }
    }

    #[test]
    fn length_must_match_exactly() {
        let bytes = sample().encode();
        let len = (HEADER_LEN + 10 + TAG_LEN) as u64;
        for actual in [len - 1, len + 1, HEADER_LEN as u64] {
            assert_eq!(
                Header::decode(&bytes, actual),
                Err(HeaderError::Damaged(Damage::Length { expected: len, actual }))
            );
        }
    }

    /// Issue 14 finding 2: a consistent header announcing more than the format allows (a
    /// sparse 1 TiB file) is damage, found before any buffer is sized from it.
    #[test]
    fn payload_limit_is_applied() {
        let mut h = sample();
        h.payload_len = 1 << 40;
        let len = HEADER_LEN as u64 + h.payload_len + TAG_LEN as u64;
        assert!(matches!(Header::decode(&h.encode(), len), Err(HeaderError::Damaged(Damage::PayloadTooLarge { .. }))));
        h.payload_len = MAX_PAYLOAD_LEN;
        let len = HEADER_LEN as u64 + h.payload_len + TAG_LEN as u64;
        assert!(Header::decode(&h.encode(), len).is_ok());
    }

    /// The limit itself, written out from the spec rather than taken from [`MAX_PAYLOAD_LEN`]:
    /// AES-GCM encrypts at most 2^39 - 256 bits in one message (NIST SP 800-38D, section
    /// 5.2.1.1), that is 2^36 - 32 = 68 719 476 704 bytes (docs/enc-format.md, "Byte layout").
    /// The last length allowed passes the header checks, one byte more is refused.
    #[test]
    fn payload_limit_is_the_gcm_limit_from_the_spec() {
        const GCM_LIMIT_BYTES: u64 = 68_719_476_704;
        let mut h = sample();
        for (payload_len, allowed) in [(GCM_LIMIT_BYTES, true), (GCM_LIMIT_BYTES + 1, false)] {
            h.payload_len = payload_len;
            let len = HEADER_LEN as u64 + payload_len + TAG_LEN as u64;
            let got = Header::decode(&h.encode(), len);
            if allowed {
                assert_eq!(got.map(|h| h.payload_len), Ok(payload_len));
            } else {
                assert_eq!(
                    got,
                    Err(HeaderError::Damaged(Damage::PayloadTooLarge { len: payload_len, limit: GCM_LIMIT_BYTES }))
                );
            }
        }
    }

    #[test]
    fn caps_are_checked_even_with_a_good_checksum() {
        let mut h = sample();
        h.kdf.m_kib = KdfParams::MAX_M_KIB + 1;
        let len = (HEADER_LEN + 10 + TAG_LEN) as u64;
        assert!(matches!(
            Header::decode(&h.encode(), len),
            Err(HeaderError::Damaged(Damage::KdfParamsOutOfRange { .. }))
        ));
    }
}
