//! Transit: named keys with versions, and encrypt / decrypt / rewrap with
//! real AEAD (AES-GCM or ChaCha20-Poly1305), per-context keys for derived
//! keys, and Vault's ciphertext format `vault:v{N}:base64(nonce || sealed)`.

use super::{Fail, Op, Reply, bad, no_content, no_handler, not_found, number, ok, unsupported};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use chrono::{DateTime, Utc};
use ring::{aead, hkdf, rand::SecureRandom};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(super) const NONCE_LEN: usize = 12;
pub(super) const TOO_OLD: &str = "ciphertext or signature version is disallowed by policy (too old)";
const MISSING_CONTEXT: &str = "missing 'context' for key derivation; the key was created using a derived key, \
which means additional, per-request information must be included in order to perform operations with the key";

/// A named key: one random secret per version.
pub(super) struct Key {
    cipher: &'static str,
    derived: bool,
    exportable: bool,
    allow_plaintext_backup: bool,
    deletion_allowed: bool,
    versions: BTreeMap<u32, (Vec<u8>, i64)>,
    min_decryption: u32,
    min_encryption: u32,
}

/// Serves `rest`, the path below a Transit mount.
pub(super) fn route(
    keys: &mut BTreeMap<String, Key>,
    rest: &str,
    op: Op,
    body: &Value,
    now: DateTime<Utc>,
    full_path: &str,
) -> Reply {
    let parts: Vec<&str> = rest.split('/').collect();
    let context = b64_field(body, "context");
    match (parts.as_slice(), op) {
        (["keys"] | ["keys", ""], Op::List) => match keys.is_empty() {
            true => Err(not_found()),
            false => ok(json!({"keys": keys.keys().collect::<Vec<_>>()})),
        },
        (["keys", name], Op::Write) => {
            if !keys.contains_key(*name) {
                let key = Key::create(body, now)?;
                keys.insert(name.to_string(), key);
            }
            ok(keys[*name].info(name))
        }
        (["keys", name], Op::Read) => keys.get(*name).map(|k| ok(k.info(name))).unwrap_or_else(|| Err(not_found())),
        (["keys", name], Op::Delete) => match keys.get(*name) {
            None => Err(bad(&format!("error deleting policy {name}: could not delete key; not found"))),
            Some(k) if !k.deletion_allowed => Err(bad("deletion is not allowed for this key")),
            Some(_) => {
                keys.remove(*name);
                no_content()
            }
        },
        (["keys", name, "rotate"], Op::Write) => {
            let key = keys.get_mut(*name).ok_or_else(|| bad("key not found"))?;
            key.rotate(now);
            ok(key.info(name))
        }
        (["keys", name, "config"], Op::Write) => {
            let key =
                keys.get_mut(*name).ok_or_else(|| bad(&format!("no existing key named {name} could be found")))?;
            key.configure(body)?;
            ok(key.info(name))
        }
        (["encrypt", name], Op::Write) => {
            // Like Vault, encrypting under a missing key creates it.
            if !keys.contains_key(*name) {
                let derived = json!({"derived": context.as_ref().is_ok_and(Option::is_some), "type": body.get("type")});
                keys.insert(name.to_string(), Key::create(&derived, now)?);
            }
            let plaintext =
                body.get("plaintext").and_then(Value::as_str).ok_or_else(|| bad("missing plaintext to encrypt"))?;
            let plaintext = B64.decode(plaintext).map_err(|_| bad("failed to base64-decode plaintext"))?;
            let (ciphertext, version) =
                keys[*name].encrypt(body, &plaintext, context?.as_deref(), &b64_field(body, "associated_data")?)?;
            ok(json!({"ciphertext": ciphertext, "key_version": version}))
        }
        ([action @ ("decrypt" | "rewrap"), name], Op::Write) => {
            let key = keys.get(*name).ok_or_else(|| bad("encryption key not found"))?;
            let ciphertext = body.get("ciphertext").and_then(Value::as_str);
            let ciphertext = ciphertext.ok_or_else(|| bad(&format!("missing ciphertext to {action}")))?;
            let (context, aad) = (context?, b64_field(body, "associated_data")?);
            let plaintext = key.decrypt(ciphertext, context.as_deref(), &aad)?;
            if *action == "decrypt" {
                return ok(json!({"plaintext": B64.encode(plaintext)}));
            }
            let (ciphertext, version) = key.encrypt(body, &plaintext, context.as_deref(), &aad)?;
            ok(json!({"ciphertext": ciphertext, "key_version": version}))
        }
        (["keys", ..] | ["encrypt" | "decrypt" | "rewrap", _], _) => Err(unsupported()),
        _ => Err(no_handler(full_path)),
    }
}

impl Key {
    fn create(body: &Value, now: DateTime<Utc>) -> Result<Key, Fail> {
        let flag = |name| body.get(name).and_then(Value::as_bool).unwrap_or(false);
        let cipher = match body.get("type").and_then(Value::as_str).unwrap_or("aes256-gcm96") {
            "aes128-gcm96" => "aes128-gcm96",
            "aes256-gcm96" => "aes256-gcm96",
            "chacha20-poly1305" => "chacha20-poly1305",
            other => return Err(bad(&format!("key type {other} is not supported by this simulator"))),
        };
        match (flag("derived"), flag("convergent_encryption")) {
            (false, true) => return Err(bad("convergent encryption requires derivation to be enabled")),
            (true, true) => return Err(bad("convergent encryption is not supported by this simulator")),
            _ => {}
        }
        let mut key = Key {
            cipher,
            derived: flag("derived"),
            exportable: flag("exportable"),
            allow_plaintext_backup: flag("allow_plaintext_backup"),
            deletion_allowed: false,
            versions: BTreeMap::new(),
            min_decryption: 1,
            min_encryption: 0,
        };
        key.rotate(now);
        Ok(key)
    }

    fn algorithm(&self) -> &'static aead::Algorithm {
        match self.cipher {
            "aes128-gcm96" => &aead::AES_128_GCM,
            "chacha20-poly1305" => &aead::CHACHA20_POLY1305,
            _ => &aead::AES_256_GCM,
        }
    }

    fn latest(&self) -> u32 {
        self.versions.keys().next_back().copied().unwrap_or(0)
    }

    fn rotate(&mut self, now: DateTime<Utc>) {
        let mut secret = vec![0; self.algorithm().key_len()];
        ring::rand::SystemRandom::new().fill(&mut secret).expect("OS randomness");
        self.versions.insert(self.latest() + 1, (secret, now.timestamp()));
    }

    fn configure(&mut self, body: &Value) -> Result<(), Fail> {
        let latest = self.latest();
        let field = |name| body.get(name).and_then(number).map(|n| n as u32);
        let min_decryption = field("min_decryption_version").map_or(self.min_decryption, |v| v.max(1));
        let min_encryption = field("min_encryption_version").unwrap_or(self.min_encryption);
        for (what, v) in [("decryption", min_decryption), ("encryption", min_encryption)] {
            if v > latest {
                return Err(bad(&format!("cannot set min {what} version of {v}, latest key version is {latest}")));
            }
        }
        if min_encryption > 0 && min_encryption < min_decryption {
            return Err(bad("cannot set min encryption/decryption values; min encryption version must be greater \
than or equal to min decryption version"));
        }
        (self.min_decryption, self.min_encryption) = (min_decryption, min_encryption);
        let flag = |name| body.get(name).and_then(Value::as_bool);
        self.deletion_allowed = flag("deletion_allowed").unwrap_or(self.deletion_allowed);
        // Once on, these cannot be turned off.
        self.exportable |= flag("exportable").unwrap_or(false);
        self.allow_plaintext_backup |= flag("allow_plaintext_backup").unwrap_or(false);
        Ok(())
    }

    /// The `keys/{name}` data (vaultrs' `ReadKeyResponse`). Versions below
    /// `min_decryption_version` are archived, so Vault leaves them out.
    fn info(&self, name: &str) -> Value {
        let versions: BTreeMap<String, i64> =
            self.versions.range(self.min_decryption..).map(|(n, (_, t))| (n.to_string(), *t)).collect();
        let mut info = json!({
            "name": name, "type": self.cipher, "derived": self.derived, "deletion_allowed": self.deletion_allowed,
            "exportable": self.exportable, "allow_plaintext_backup": self.allow_plaintext_backup, "keys": versions,
            "latest_version": self.latest(), "min_available_version": 0,
            "min_decryption_version": self.min_decryption, "min_encryption_version": self.min_encryption,
            "supports_encryption": true, "supports_decryption": true, "supports_derivation": true,
            "supports_signing": false, "auto_rotate_period": 0, "imported_key": false, "soft_deleted": false,
        });
        if self.derived {
            (info["kdf"], info["convergent_encryption"]) = (json!("hkdf_sha256"), json!(false));
        }
        info
    }

    /// The AEAD key of `version`; a derived key gets a per-context key as
    /// Vault does: HKDF-SHA256, no salt, the context as info.
    fn aead_key(&self, version: u32, context: Option<&[u8]>) -> Result<aead::LessSafeKey, Fail> {
        let secret = &self.versions[&version].0;
        let key = if self.derived {
            let context = context.ok_or_else(|| bad(MISSING_CONTEXT))?;
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(secret);
            aead::UnboundKey::from(prk.expand(&[context], self.algorithm()).expect("a key-sized output"))
        } else {
            aead::UnboundKey::new(self.algorithm(), secret).expect("a key-sized secret")
        };
        Ok(aead::LessSafeKey::new(key))
    }

    fn encrypt(
        &self,
        body: &Value,
        plaintext: &[u8],
        context: Option<&[u8]>,
        aad: &Option<Vec<u8>>,
    ) -> Result<(String, u32), Fail> {
        let latest = self.latest();
        let version = body.get("key_version").and_then(number).map_or(0, |v| v as u32);
        let version = if version == 0 { latest } else { version };
        if version < self.min_encryption.max(self.min_decryption) {
            return Err(bad("requested version for encryption is less than the minimum encryption key version"));
        }
        if version > latest {
            return Err(bad("requested version for encryption is higher than the latest key version"));
        }
        let key = self.aead_key(version, context)?;
        let mut nonce = [0u8; NONCE_LEN];
        ring::rand::SystemRandom::new().fill(&mut nonce).expect("OS randomness");
        let mut sealed = plaintext.to_vec();
        let aad = aead::Aad::from(aad.as_deref().unwrap_or_default());
        key.seal_in_place_append_tag(aead::Nonce::assume_unique_for_key(nonce), aad, &mut sealed)
            .expect("plaintext within AEAD limits");
        // Vault's layout: the nonce, then the sealed bytes with the tag.
        let blob = [nonce.as_slice(), &sealed].concat();
        Ok((format!("vault:v{version}:{}", B64.encode(blob)), version))
    }

    fn decrypt(&self, ciphertext: &str, context: Option<&[u8]>, aad: &Option<Vec<u8>>) -> Result<Vec<u8>, Fail> {
        let rest = ciphertext.strip_prefix("vault:v").ok_or_else(|| bad("invalid ciphertext: no prefix"))?;
        let (version, encoded) =
            rest.split_once(':').ok_or_else(|| bad("invalid ciphertext: wrong number of fields"))?;
        let version: u32 =
            version.parse().map_err(|_| bad("invalid ciphertext: version number could not be decoded"))?;
        let version = version.max(1);
        if version < self.min_decryption {
            return Err(bad(TOO_OLD));
        }
        if version > self.latest() {
            return Err(bad("invalid ciphertext: version is too new"));
        }
        let blob = B64.decode(encoded).map_err(|_| bad("invalid ciphertext: could not decode base64"))?;
        if blob.len() < NONCE_LEN + self.algorithm().tag_len() {
            return Err(bad("invalid ciphertext length"));
        }
        let key = self.aead_key(version, context)?;
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).expect("12 bytes");
        let mut buffer = sealed.to_vec();
        let aad = aead::Aad::from(aad.as_deref().unwrap_or_default());
        let plaintext =
            key.open_in_place(nonce, aad, &mut buffer).map_err(|_| bad("cipher: message authentication failed"))?;
        Ok(plaintext.to_vec())
    }
}

fn b64_field(body: &Value, field: &str) -> Result<Option<Vec<u8>>, Fail> {
    match body.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => B64.decode(s).map(Some).map_err(|_| bad(&format!("failed to base64-decode {field}"))),
    }
}
