//! The two primitives of the format, used by both writer and reader: Argon2id key derivation and the AES-256-GCM key wrap.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use zeroize::Zeroizing;

use super::header::{KEY_LEN, NONCE_LEN, SALT_LEN, TAG_LEN};
use super::KdfParams;

/// Why a key could not be derived.
#[derive(Debug)]
pub(crate) enum DeriveError {
    /// Argon2 refused the parameters.
    Params,
    /// The working memory (this many bytes) could not be allocated.
    Memory(u64),
}

/// Derives the 256-bit password key with Argon2id v0x13 and explicit parameters.
/// The caller has checked `params` against the caps ([`KdfParams::in_range`]).
pub(crate) fn derive_key(
    password: &[u8],
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, DeriveError> {
    let params = Params::new(params.m_kib, params.t, params.p, Some(KEY_LEN)).map_err(|_| DeriveError::Params)?;
    // Our own working memory, wiped afterwards: `hash_password_into` drops its blocks without
    // wiping them, and the last blocks determine the key. Reserved fallibly, so a memory limit
    // gives an error instead of an abort (issue 14 finding 5).
    let count = params.block_count();
    let bytes = count as u64 * std::mem::size_of::<Block>() as u64;
    let mut blocks = Zeroizing::new(Vec::new());
    blocks.try_reserve_exact(count).map_err(|_| DeriveError::Memory(bytes))?;
    blocks.resize(count, Block::default());
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into_with_memory(password, salt, &mut key[..], &mut blocks[..])
        .map_err(|_| DeriveError::Params)?;
    Ok(key)
}

/// An AES-256-GCM instance whose whole state (AES round keys, GHASH key and accumulator) is
/// wiped when it is dropped.
///
/// The `aes` crate wipes its key schedule with its `zeroize` feature (enabled in the workspace),
/// but `polyval` 0.6's CPU-detecting backend, which `ghash` uses on x86 and x86-64, keeps its
/// state in a `ManuallyDrop` union and never runs the wiping `Drop` of the backend it chose
/// (issue 14 finding 8). So the cipher is wiped here as plain bytes: `Aes256Gcm` holds no
/// pointer or handle (fixed arrays and a CPU-feature flag), so overwriting it and never
/// dropping it afterwards is sound.
pub(crate) struct Cipher(std::mem::ManuallyDrop<Aes256Gcm>);

impl Cipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Cipher {
        Cipher(std::mem::ManuallyDrop::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))))
    }

    /// The state as bytes (for wiping and for the test that checks it).
    fn bytes(&mut self) -> &mut [u8] {
        let len = std::mem::size_of::<Aes256Gcm>();
        // SAFETY: `self.0` is `len` initialised bytes owned by self; u8 has no validity rules,
        // and the value is never used as an `Aes256Gcm` again after it is overwritten.
        unsafe { std::slice::from_raw_parts_mut(&mut *self.0 as *mut Aes256Gcm as *mut u8, len) }
    }
}

impl std::ops::Deref for Cipher {
    type Target = Aes256Gcm;
    fn deref(&self) -> &Aes256Gcm {
        &self.0
    }
}

impl Drop for Cipher {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        // Volatile writes: not optimised away. `Aes256Gcm`'s own Drop is never run.
        self.bytes().zeroize();
    }
}

/// Encrypts the file key under the password key; `aad` is the header prefix.
pub(crate) fn wrap_key(
    password_key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    file_key: &[u8; KEY_LEN],
    aad: &[u8],
) -> [u8; KEY_LEN + TAG_LEN] {
    let cipher = Cipher::new(password_key);
    let wrapped = cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: file_key, aad })
        .expect("AES-GCM encryption of 32 bytes cannot fail");
    wrapped.try_into().expect("32-byte key + 16-byte tag")
}

/// Decrypts the wrapped file key; `None` when authentication fails (wrong password, or a
/// deliberately re-checksummed header).
pub(crate) fn unwrap_key(
    password_key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    wrapped: &[u8; KEY_LEN + TAG_LEN],
    aad: &[u8],
) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let cipher = Cipher::new(password_key);
    let plain = Zeroizing::new(cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: wrapped, aad }).ok()?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&plain);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9106 section 5.3 (Argon2id test vector): proves the crate computes Argon2id v0x13.
    #[test]
    fn argon2id_rfc9106_vector() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(argon2::AssociatedData::new(&[0x04; 12]).unwrap())
            .output_len(32)
            .build()
            .unwrap();
        let argon = Argon2::new_with_secret(&[0x03; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
        let mut out = [0u8; 32];
        argon.hash_password_into(&[0x01; 32], &[0x02; 16], &mut out).unwrap();
        assert_eq!(super::super::hex(&out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    /// Pins our exact call (no secret, no associated data, 32-byte output), computed with the
    /// crate verified above: a change here would make every existing package unreadable.
    #[test]
    fn derive_key_is_pinned() {
        let key = derive_key(b"password", &[0x02; SALT_LEN], KdfParams { m_kib: 64, t: 2, p: 1 }).unwrap();
        assert_eq!(
            super::super::hex(&key[..]),
            "06734cfd98c2244b7e42080adeae2f0556d9b839879f04ff099e41e492a44141",
            "Argon2id output changed: existing packages would no longer open"
        );
    }

    /// Issue 14 finding 8: the cipher state holds the key material (it is not all zero), and
    /// the wipe that `Drop` runs leaves none of it.
    #[test]
    fn cipher_state_is_wiped() {
        let mut c = Cipher::new(&[0x5A; KEY_LEN]);
        assert!(c.bytes().iter().any(|&b| b != 0));
        {
            use zeroize::Zeroize;
            c.bytes().zeroize();
        }
        assert!(c.bytes().iter().all(|&b| b == 0));
        std::mem::forget(c);
        // The AES key schedule also wipes itself (the `aes` crate's `zeroize` feature).
        fn wipes<T: zeroize::ZeroizeOnDrop>() {}
        wipes::<aes::Aes256>();
        assert!(std::mem::needs_drop::<aes::Aes256>());
    }

    #[test]
    fn wrap_unwrap() {
        let pk = [7u8; KEY_LEN];
        let fk = [9u8; KEY_LEN];
        let n = [1u8; NONCE_LEN];
        let w = wrap_key(&pk, &n, &fk, b"aad");
        assert_eq!(unwrap_key(&pk, &n, &w, b"aad").as_deref(), Some(&fk));
        assert!(unwrap_key(&[8u8; KEY_LEN], &n, &w, b"aad").is_none());
        assert!(unwrap_key(&pk, &n, &w, b"aaD").is_none());
        assert!(unwrap_key(&pk, &[2u8; NONCE_LEN], &w, b"aad").is_none());
    }
}
