//! Opaque bearer tokens: 256 random bits, shown to the client once and
//! stored only as a SHA-256 hash.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A new random token with a recognisable prefix (`rpa_` access, `rpr_`
/// refresh, `rpe_` email links), so log redaction can find them.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the OS random source is available");
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash(token: &str) -> String {
    platform::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hashed_deterministically() {
        let a = generate("rpa_");
        let b = generate("rpa_");
        assert_ne!(a, b);
        assert!(a.starts_with("rpa_") && a.len() == 4 + 43, "{a}");
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).len(), 64);
    }
}
