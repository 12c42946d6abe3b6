//! AES-256-GCM and HKDF-SHA-256 through ring (already linked for TLS).

use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    hkdf,
    rand::{SecureRandom, SystemRandom},
};

pub(crate) const KEY_LEN: usize = 32;

pub(crate) fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    SystemRandom::new().fill(&mut key).expect("the system random source works");
    key
}

fn aead_key(key: &[u8; KEY_LEN]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32 bytes is an AES-256 key"))
}

/// Encrypts with a fresh random nonce; returns `nonce || ciphertext || tag`.
/// `aad` binds the ciphertext to where it belongs (its path or org).
pub(crate) fn seal(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).expect("the system random source works");
    let mut data = plaintext.to_vec();
    aead_key(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut data)
        .expect("sealing cannot fail for in-memory data");
    [nonce.as_slice(), &data].concat()
}

/// Decrypts what [`seal`] made with the same key and `aad`; `None` if it
/// was tampered with or belongs elsewhere.
pub(crate) fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = body.to_vec();
    let plain = aead_key(key).open_in_place(nonce, Aad::from(aad), &mut data).ok()?;
    Some(plain.to_vec())
}

struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

/// A key for one context (an org, a purpose) derived from `key`.
pub(crate) fn derive(key: &[u8; KEY_LEN], salt: &[u8], context: &[u8]) -> [u8; KEY_LEN] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(key);
    let info = [context];
    let okm = prk.expand(&info, Len32).expect("32 bytes is within HKDF's limit");
    let mut out = [0u8; KEY_LEN];
    okm.fill(&mut out).expect("the length matches");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_aad() {
        let key = random_key();
        let sealed = seal(&key, b"org-a", b"sk-or-v1-secret");
        assert_eq!(open(&key, b"org-a", &sealed).as_deref(), Some(&b"sk-or-v1-secret"[..]));
        assert_ne!(seal(&key, b"org-a", b"sk-or-v1-secret"), sealed, "a fresh nonce every time");
        assert!(open(&key, b"org-b", &sealed).is_none());
        assert!(open(&random_key(), b"org-a", &sealed).is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&key, b"org-a", &tampered).is_none());
        assert!(open(&key, b"org-a", &sealed[..5]).is_none());
    }

    #[test]
    fn derived_keys_differ_by_context_and_are_stable() {
        let key = [7u8; KEY_LEN];
        assert_eq!(derive(&key, b"s", b"a"), derive(&key, b"s", b"a"));
        assert_ne!(derive(&key, b"s", b"a"), derive(&key, b"s", b"b"));
        assert_ne!(derive(&key, b"s", b"a"), derive(&[8u8; KEY_LEN], b"s", b"a"));
    }
}
