//! The embedded secret store for single-machine installs: files under one
//! directory only its owner may read.
//!
//! - `master.key`: 32 random bytes (0600), or `SECRETS_MASTER_KEY` from
//!   config; it only ever encrypts data keys.
//! - `keyring.json`: the versioned data keys, each sealed under the master
//!   key, and the lowest version still allowed to decrypt.
//! - `kv/org/{org}/...json`: every version of each secret, sealed with the
//!   org's key (derived from the data key with the org as context) and
//!   bound to its path.
//!
//! Writes take an exclusive file lock, so the API and the worker can share
//! the directory; files are replaced atomically.

use super::{
    KeyVersions, MASTER_KEY_LEN, SecretPath, SecretStore, SecretStoreError, Versioned, ciphertext_version,
    crypto::{self, KEY_LEN},
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::Arc,
};
use uuid::Uuid;

/// Versions of a secret kept on disk; older ones are dropped.
const VERSIONS_KEPT: usize = 10;
const PREFIX: &str = "rp";

pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// From config (`SECRETS_MASTER_KEY`) instead of the key file.
    master_key: Option<SecretBox<[u8; KEY_LEN]>>,
}

#[derive(Default, Serialize, Deserialize)]
struct Keyring {
    latest: u32,
    min_decryption: u32,
    /// Version -> base64 of the data key sealed under the master key.
    keys: BTreeMap<u32, String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Entry {
    versions: Vec<EntryVersion>,
}

#[derive(Serialize, Deserialize)]
struct EntryVersion {
    version: u32,
    created_at: String,
    ciphertext: String,
}

impl EmbeddedStore {
    pub fn new(dir: PathBuf, master_key: Option<SecretBox<[u8; KEY_LEN]>>) -> Self {
        EmbeddedStore { inner: Arc::new(Inner { dir, master_key }) }
    }

    /// Runs blocking file work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, SecretStoreError> + Send + 'static,
    ) -> Result<T, SecretStoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| SecretStoreError::Unavailable(format!("secret store task failed: {e}")))?
    }
}

impl Inner {
    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> SecretStoreError + use<> {
        let path = path.display().to_string();
        move |source| SecretStoreError::Io { path: path.clone(), source }
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join("master.key")
    }

    fn prepare_dir(&self) -> Result<(), SecretStoreError> {
        let io = self.io(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(&io)?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
    }

    /// The master key: from config, else the key file (created 0600 with
    /// random bytes on first use, refused if others may read it).
    fn master_key(&self) -> Result<[u8; KEY_LEN], SecretStoreError> {
        if let Some(key) = &self.master_key {
            return Ok(*key.expose_secret());
        }
        self.prepare_dir()?;
        let path = self.key_path();
        let io = self.io(&path);
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
            Ok(mut file) => {
                file.write_all(&crypto::random_key()).map_err(&io)?;
                file.sync_all().map_err(&io)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let invalid = |reason: String| SecretStoreError::InvalidKey { path: path.display().to_string(), reason };
        let mode = std::fs::metadata(&path).map_err(&io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(invalid(format!("permissions {mode:o} let others read it; expected 600")));
        }
        let bytes = std::fs::read(&path).map_err(&io)?;
        bytes.try_into().map_err(|b: Vec<u8>| invalid(format!("expected {MASTER_KEY_LEN} bytes, found {}", b.len())))
    }

    /// Holds the store's write lock while `work` runs.
    fn locked<T>(&self, work: impl FnOnce() -> Result<T, SecretStoreError>) -> Result<T, SecretStoreError> {
        self.prepare_dir()?;
        let path = self.dir.join(".lock");
        let io = self.io(&path);
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(&path);
        let lock = lock.map_err(&io)?;
        lock.lock().map_err(&io)?;
        let result = work();
        lock.unlock().map_err(io)?;
        result
    }

    fn write_private(&self, path: &Path, bytes: &[u8]) -> Result<(), SecretStoreError> {
        let io = self.io(path);
        let dir = path.parent().expect("files live in a directory");
        std::fs::create_dir_all(dir).map_err(&io)?;
        let partial = dir.join(format!(".partial-{}", Uuid::new_v4()));
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial).map_err(&io)?;
        file.write_all(bytes).map_err(&io)?;
        file.sync_all().map_err(&io)?;
        std::fs::rename(&partial, path).map_err(io)
    }

    fn read_json<T: Default + for<'de> Deserialize<'de>>(&self, path: &Path) -> Result<T, SecretStoreError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SecretStoreError::InvalidKey {
                path: path.display().to_string(),
                reason: format!("unreadable: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
            Err(e) => Err(self.io(path)(e)),
        }
    }

    fn keyring_path(&self) -> PathBuf {
        self.dir.join("keyring.json")
    }

    /// The keyring, with a first data key made on first use.
    fn keyring(&self) -> Result<Keyring, SecretStoreError> {
        let ring: Keyring = self.read_json(&self.keyring_path())?;
        if ring.latest > 0 {
            return Ok(ring);
        }
        self.locked(|| {
            let mut ring: Keyring = self.read_json(&self.keyring_path())?;
            if ring.latest == 0 {
                self.add_data_key(&mut ring)?;
                ring.min_decryption = 1;
                self.save_keyring(&ring)?;
            }
            Ok(ring)
        })
    }

    fn add_data_key(&self, ring: &mut Keyring) -> Result<u32, SecretStoreError> {
        let version = ring.latest + 1;
        let sealed = crypto::seal(&self.master_key()?, keyring_aad(version).as_bytes(), &crypto::random_key());
        ring.keys.insert(version, B64.encode(sealed));
        ring.latest = version;
        Ok(version)
    }

    fn save_keyring(&self, ring: &Keyring) -> Result<(), SecretStoreError> {
        self.write_private(&self.keyring_path(), &serde_json::to_vec_pretty(ring).expect("serialisable"))
    }

    fn data_key(&self, ring: &Keyring, version: u32) -> Result<[u8; KEY_LEN], SecretStoreError> {
        if version < ring.min_decryption {
            return Err(SecretStoreError::Retired { version });
        }
        let sealed = ring.keys.get(&version).ok_or(SecretStoreError::Retired { version })?;
        let sealed = B64.decode(sealed).map_err(|e| SecretStoreError::Undecryptable(e.to_string()))?;
        let key = crypto::open(&self.master_key()?, keyring_aad(version).as_bytes(), &sealed).ok_or_else(|| {
            SecretStoreError::InvalidKey {
                path: self.key_path().display().to_string(),
                reason: "it does not open the keyring (another master key?)".into(),
            }
        })?;
        Ok(key.try_into().expect("data keys are 32 bytes"))
    }

    fn org_key(&self, ring: &Keyring, version: u32, org_id: Uuid) -> Result<[u8; KEY_LEN], SecretStoreError> {
        Ok(crypto::derive(&self.data_key(ring, version)?, b"reelpilot org key", org_id.as_bytes()))
    }

    fn encrypt(&self, ring: &Keyring, org_id: Uuid, aad: &str, plaintext: &[u8]) -> Result<String, SecretStoreError> {
        let sealed = crypto::seal(&self.org_key(ring, ring.latest, org_id)?, aad.as_bytes(), plaintext);
        Ok(format!("{PREFIX}:v{}:{}", ring.latest, B64.encode(sealed)))
    }

    fn decrypt(&self, ring: &Keyring, org_id: Uuid, aad: &str, ciphertext: &str) -> Result<Vec<u8>, SecretStoreError> {
        let version = ciphertext_version(ciphertext)?;
        if !ciphertext.starts_with(PREFIX) {
            return Err(SecretStoreError::Undecryptable("not a ciphertext of the embedded store".into()));
        }
        let body = ciphertext.rsplit(':').next().unwrap_or("");
        let sealed = B64.decode(body).map_err(|e| SecretStoreError::Undecryptable(e.to_string()))?;
        crypto::open(&self.org_key(ring, version, org_id)?, aad.as_bytes(), &sealed)
            .ok_or_else(|| SecretStoreError::Undecryptable("authentication failed (tampered, or another org's)".into()))
    }

    fn entry_path(&self, path: &SecretPath) -> PathBuf {
        self.dir.join("kv").join(format!("{}.json", path.as_str()))
    }

    /// Every stored entry file.
    fn entry_files(&self) -> Result<Vec<PathBuf>, SecretStoreError> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    walk(&path, out)?;
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
            Ok(())
        }
        let root = self.dir.join("kv");
        let mut files = Vec::new();
        if root.exists() {
            walk(&root, &mut files).map_err(self.io(&root))?;
        }
        Ok(files)
    }

    /// The secret path a file holds, recovered from its location.
    fn path_of(&self, file: &Path) -> Option<SecretPath> {
        let relative = file.strip_prefix(self.dir.join("kv")).ok()?.to_str()?.strip_suffix(".json")?;
        let mut parts = relative.splitn(3, '/');
        let (_, org, rest) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?);
        SecretPath::new(org, rest).ok()
    }
}

fn keyring_aad(version: u32) -> String {
    format!("reelpilot keyring v{version}")
}

fn secret_string(bytes: Vec<u8>) -> Result<SecretString, SecretStoreError> {
    String::from_utf8(bytes)
        .map(SecretString::from)
        .map_err(|_| SecretStoreError::Undecryptable("the secret is not text".into()))
}

#[async_trait::async_trait]
impl SecretStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn check(&self) -> Result<(), SecretStoreError> {
        self.blocking(|s| {
            let ring = s.keyring()?;
            s.data_key(&ring, ring.latest).map(drop)
        })
        .await
    }

    async fn derive_key(&self, purpose: &str) -> Result<[u8; 32], SecretStoreError> {
        let purpose = purpose.to_owned();
        self.blocking(move |s| Ok(crypto::derive(&s.master_key()?, b"reelpilot derived key", purpose.as_bytes()))).await
    }

    async fn write(&self, path: &SecretPath, value: &SecretString) -> Result<u32, SecretStoreError> {
        let (path, value) = (path.clone(), value.expose_secret().as_bytes().to_vec());
        self.blocking(move |s| {
            let ring = s.keyring()?;
            s.locked(|| {
                let file = s.entry_path(&path);
                let mut entry: Entry = s.read_json(&file)?;
                let version = entry.versions.last().map_or(1, |v| v.version + 1);
                let ciphertext = s.encrypt(&ring, path.org_id(), path.as_str(), &value)?;
                entry.versions.push(EntryVersion { version, created_at: chrono::Utc::now().to_rfc3339(), ciphertext });
                let excess = entry.versions.len().saturating_sub(VERSIONS_KEPT);
                entry.versions.drain(..excess);
                s.write_private(&file, &serde_json::to_vec(&entry).expect("serialisable"))?;
                Ok(version)
            })
        })
        .await
    }

    async fn read(&self, path: &SecretPath, version: Option<u32>) -> Result<Option<Versioned>, SecretStoreError> {
        let path = path.clone();
        self.blocking(move |s| {
            let entry: Entry = s.read_json(&s.entry_path(&path))?;
            let found = match version {
                Some(v) => entry.versions.iter().find(|e| e.version == v),
                None => entry.versions.last(),
            };
            let Some(found) = found else { return Ok(None) };
            let ring = s.keyring()?;
            let plain = s.decrypt(&ring, path.org_id(), path.as_str(), &found.ciphertext)?;
            Ok(Some(Versioned { version: found.version, value: secret_string(plain)? }))
        })
        .await
    }

    async fn delete(&self, path: &SecretPath) -> Result<(), SecretStoreError> {
        let path = path.clone();
        self.blocking(move |s| {
            s.locked(|| match std::fs::remove_file(s.entry_path(&path)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(s.io(&s.entry_path(&path))(e)),
                _ => Ok(()),
            })
        })
        .await
    }

    async fn encrypt(&self, org_id: Uuid, plaintext: &SecretString) -> Result<String, SecretStoreError> {
        let plain = plaintext.expose_secret().as_bytes().to_vec();
        self.blocking(move |s| s.encrypt(&s.keyring()?, org_id, &org_aad(org_id), &plain)).await
    }

    async fn decrypt(&self, org_id: Uuid, ciphertext: &str) -> Result<SecretString, SecretStoreError> {
        let ciphertext = ciphertext.to_owned();
        self.blocking(move |s| secret_string(s.decrypt(&s.keyring()?, org_id, &org_aad(org_id), &ciphertext)?)).await
    }

    async fn rewrap(&self, org_id: Uuid, ciphertext: &str) -> Result<String, SecretStoreError> {
        let ciphertext = ciphertext.to_owned();
        self.blocking(move |s| {
            let ring = s.keyring()?;
            let aad = org_aad(org_id);
            s.encrypt(&ring, org_id, &aad, &s.decrypt(&ring, org_id, &aad, &ciphertext)?)
        })
        .await
    }

    async fn rotate(&self) -> Result<u32, SecretStoreError> {
        self.blocking(|s| {
            s.keyring()?;
            s.locked(|| {
                let mut ring: Keyring = s.read_json(&s.keyring_path())?;
                let version = s.add_data_key(&mut ring)?;
                s.save_keyring(&ring)?;
                Ok(version)
            })
        })
        .await
    }

    async fn key_versions(&self) -> Result<KeyVersions, SecretStoreError> {
        self.blocking(|s| {
            let ring = s.keyring()?;
            Ok(KeyVersions { latest: ring.latest, min_decryption: ring.min_decryption })
        })
        .await
    }

    async fn rewrap_stored(&self) -> Result<u64, SecretStoreError> {
        self.blocking(|s| {
            s.locked(|| {
                let ring: Keyring = s.read_json(&s.keyring_path())?;
                let mut rewrapped = 0;
                for file in s.entry_files()? {
                    let Some(path) = s.path_of(&file) else { continue };
                    let mut entry: Entry = s.read_json(&file)?;
                    let mut changed = false;
                    for v in entry
                        .versions
                        .iter_mut()
                        .filter(|v| ciphertext_version(&v.ciphertext).ok() != Some(ring.latest))
                    {
                        let plain = s.decrypt(&ring, path.org_id(), path.as_str(), &v.ciphertext)?;
                        v.ciphertext = s.encrypt(&ring, path.org_id(), path.as_str(), &plain)?;
                        changed = true;
                        rewrapped += 1;
                    }
                    if changed {
                        s.write_private(&file, &serde_json::to_vec(&entry).expect("serialisable"))?;
                    }
                }
                Ok(rewrapped)
            })
        })
        .await
    }

    async fn retire_below(&self, version: u32) -> Result<(), SecretStoreError> {
        self.blocking(move |s| {
            s.keyring()?;
            s.locked(|| {
                let mut ring: Keyring = s.read_json(&s.keyring_path())?;
                if version > ring.latest {
                    return Err(SecretStoreError::Denied(format!("key version {version} does not exist yet")));
                }
                // Refuse to strand stored secrets: they must be rewrapped first.
                for file in s.entry_files()? {
                    let entry: Entry = s.read_json(&file)?;
                    if let Some(old) = entry
                        .versions
                        .iter()
                        .find_map(|v| ciphertext_version(&v.ciphertext).ok().filter(|used| *used < version))
                    {
                        return Err(SecretStoreError::Denied(format!(
                            "stored secrets still use key version {old}; rewrap them before retiring it"
                        )));
                    }
                }
                ring.min_decryption = ring.min_decryption.max(version);
                ring.keys.retain(|v, _| *v >= version);
                s.save_keyring(&ring)
            })
        })
        .await
    }
}

/// What a database-held ciphertext is bound to: its org.
fn org_aad(org_id: Uuid) -> String {
    format!("org:{org_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("reelpilot-secrets-{}", Uuid::new_v4()))
    }

    #[tokio::test]
    async fn creates_a_private_master_key_once_and_keeps_it() {
        let dir = temp_dir();
        let store = EmbeddedStore::new(dir.clone(), None);
        store.check().await.unwrap();
        let first = std::fs::read(dir.join("master.key")).unwrap();
        assert_eq!(first.len(), MASTER_KEY_LEN);
        let mode = std::fs::metadata(dir.join("master.key")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        store.check().await.unwrap();
        assert_eq!(std::fs::read(dir.join("master.key")).unwrap(), first, "the key must never be regenerated");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn derived_keys_are_stable_per_purpose_and_differ_between_purposes_and_stores() {
        let (a, b) = (temp_dir(), temp_dir());
        let store = EmbeddedStore::new(a.clone(), None);
        let first = store.derive_key("media-urls").await.unwrap();
        assert_eq!(store.derive_key("media-urls").await.unwrap(), first);
        assert_ne!(store.derive_key("webhooks").await.unwrap(), first);
        let elsewhere = EmbeddedStore::new(b.clone(), None);
        assert_ne!(elsewhere.derive_key("media-urls").await.unwrap(), first, "another master key, another derived key");
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }

    #[tokio::test]
    async fn refuses_a_key_others_can_read_or_of_the_wrong_size() {
        let dir = temp_dir();
        let store = EmbeddedStore::new(dir.clone(), None);
        store.check().await.unwrap();
        let key = dir.join("master.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("expected 600"), "{err}");

        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&key, b"short").unwrap();
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("expected 32 bytes"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn nothing_on_disk_shows_a_secret_and_a_master_key_from_config_is_used() {
        let dir = temp_dir();
        let store = EmbeddedStore::new(dir.clone(), Some(SecretBox::new(Box::new([3u8; KEY_LEN]))));
        let org = Uuid::new_v4();
        let path = SecretPath::new(org, "credentials/llm").unwrap();
        store.write(&path, &SecretString::from("sk-or-v1-canary-on-disk")).await.unwrap();
        assert!(!dir.join("master.key").exists(), "the configured key is used, no file is made");
        for file in walkdir(&dir) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("canary"), "{} shows the secret", file.display());
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is readable by others", file.display());
        }
        // Another master key cannot read it.
        let other = EmbeddedStore::new(dir.clone(), Some(SecretBox::new(Box::new([4u8; KEY_LEN]))));
        assert!(matches!(other.read(&path, None).await, Err(SecretStoreError::InvalidKey { .. })));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn walkdir(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { out.extend(walkdir(&path)) } else { out.push(path) }
        }
        out
    }
}
