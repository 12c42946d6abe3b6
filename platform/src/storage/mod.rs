//! Object storage behind one trait with two backends: the local
//! filesystem (the default) and S3-compatible servers (`s3.rs`).
//! Keys are tenant-prefixed (`org/{org_id}/...`) and checked on
//! construction; writes are atomic (a retried write replaces, never
//! leaves half a file); reads serve byte ranges for video seeking.

mod s3;

pub use s3::S3Store;

use crate::config::StorageConfig;
use std::{
    io::SeekFrom,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    time::Duration,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage at {dir} is not usable: {source}")]
    Unusable { dir: String, source: std::io::Error },
    #[error("no object {0}")]
    NotFound(String),
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    #[error("the object is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the object store refused or failed: {0}")]
    Backend(String),
}

/// A tenant-prefixed object key: `org/{org_id}/` then segments of
/// `[A-Za-z0-9._-]`, never `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StorageKey(String);

impl StorageKey {
    pub fn new(org_id: Uuid, path: &str) -> Result<Self, StorageError> {
        Self::parse(&format!("org/{org_id}/{path}"))
    }

    pub fn parse(raw: &str) -> Result<Self, StorageError> {
        let invalid = || StorageError::InvalidKey(raw.to_owned());
        let mut parts = raw.split('/');
        if parts.next() != Some("org") || parts.next().and_then(|o| o.parse::<Uuid>().ok()).is_none() {
            return Err(invalid());
        }
        let rest: Vec<&str> = parts.collect();
        let segment_ok = |s: &&str| {
            !s.is_empty()
                && *s != "."
                && *s != ".."
                && s.len() <= 128
                && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if rest.is_empty() || !rest.iter().all(segment_ok) {
            return Err(invalid());
        }
        Ok(StorageKey(raw.to_owned()))
    }

    pub fn org_id(&self) -> Uuid {
        self.0.split('/').nth(1).and_then(|o| o.parse().ok()).expect("checked on construction")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A byte range as a client asks for it (`Range: bytes=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=start-end` (inclusive).
    FromTo(u64, u64),
    /// `bytes=start-`
    From(u64),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Parses a single-range `Range` header; `None` for anything else
    /// (multiple ranges, other units), which is served whole per RFC 9110.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        match (start.trim(), end.trim()) {
            ("", n) => n.parse().ok().map(ByteRange::Suffix),
            (s, "") => s.parse().ok().map(ByteRange::From),
            (s, e) => match (s.parse(), e.parse()) {
                (Ok(s), Ok(e)) if s <= e => Some(ByteRange::FromTo(s, e)),
                _ => None,
            },
        }
    }

    /// The inclusive (start, end) within an object of `total` bytes, or
    /// `None` when the range cannot be satisfied (416).
    pub fn resolve(self, total: u64) -> Option<(u64, u64)> {
        if total == 0 {
            return None;
        }
        match self {
            ByteRange::FromTo(s, e) if s < total => Some((s, e.min(total - 1))),
            ByteRange::From(s) if s < total => Some((s, total - 1)),
            ByteRange::Suffix(n) if n > 0 => Some((total.saturating_sub(n), total - 1)),
            _ => None,
        }
    }
}

/// What a read returns: the object's size, the bytes served and a reader
/// of exactly those bytes.
pub struct ObjectRead {
    pub total: u64,
    pub start: u64,
    pub end: u64,
    pub body: Pin<Box<dyn AsyncRead + Send>>,
}

pub type Reader = Pin<Box<dyn AsyncRead + Send>>;

#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// Short name for logs and readiness reports.
    fn backend(&self) -> &'static str;
    /// Proves the backend can be written to right now.
    async fn check(&self) -> Result<(), StorageError>;
    /// Stores everything `reader` yields under `key`, atomically, refusing
    /// more than `limit` bytes. Returns the size.
    async fn put(&self, key: &StorageKey, reader: Reader, limit: u64) -> Result<u64, StorageError>;
    /// The object's size, if it exists.
    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError>;
    /// Reads the object, or the part `(start, end)` (inclusive) of it.
    async fn read(&self, key: &StorageKey, part: Option<(u64, u64)>) -> Result<ObjectRead, StorageError>;
    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError>;
    /// A URL the object can be fetched from directly for `ttl`, when the
    /// backend can sign one (S3 presigned GET); `None` means the API serves
    /// it through its own signed links.
    async fn presigned_get(&self, key: &StorageKey, ttl: Duration) -> Result<Option<String>, StorageError>;
}

pub fn from_config(cfg: &StorageConfig) -> Arc<dyn ObjectStore> {
    match cfg {
        StorageConfig::Local { dir } => Arc::new(LocalStore::new(dir.clone())),
        StorageConfig::S3(s3) => Arc::new(S3Store::new(s3)),
    }
}

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Self {
        LocalStore { root }
    }
}

impl LocalStore {
    fn path(&self, key: &StorageKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    fn unusable(&self, source: std::io::Error) -> StorageError {
        StorageError::Unusable { dir: self.root.display().to_string(), source }
    }
}

fn not_found(key: &StorageKey, e: std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound { StorageError::NotFound(key.as_str().to_owned()) } else { e.into() }
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn check(&self) -> Result<(), StorageError> {
        tokio::fs::create_dir_all(&self.root).await.map_err(|e| self.unusable(e))?;
        let probe = self.root.join(format!(".probe-{}", Uuid::new_v4()));
        tokio::fs::write(&probe, b"ok").await.map_err(|e| self.unusable(e))?;
        tokio::fs::remove_file(&probe).await.map_err(|e| self.unusable(e))
    }

    async fn put(&self, key: &StorageKey, mut reader: Reader, limit: u64) -> Result<u64, StorageError> {
        let path = self.path(key);
        let dir = path.parent().expect("keys have a directory");
        tokio::fs::create_dir_all(dir).await?;
        // Written beside the target and renamed: readers never see half a file.
        let partial = dir.join(format!(".partial-{}", Uuid::new_v4()));
        let result = copy_limited(&mut reader, &partial, limit).await;
        match result {
            Ok(size) => {
                tokio::fs::rename(&partial, &path).await?;
                Ok(size)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(e)
            }
        }
    }

    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError> {
        match tokio::fs::metadata(self.path(key)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read(&self, key: &StorageKey, part: Option<(u64, u64)>) -> Result<ObjectRead, StorageError> {
        let mut file = tokio::fs::File::open(self.path(key)).await.map_err(|e| not_found(key, e))?;
        let total = file.metadata().await?.len();
        let (start, end) = part.unwrap_or((0, total.saturating_sub(1)));
        file.seek(SeekFrom::Start(start)).await?;
        let len = if total == 0 { 0 } else { end - start + 1 };
        Ok(ObjectRead { total, start, end, body: Box::pin(file.take(len)) })
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn presigned_get(&self, _key: &StorageKey, _ttl: Duration) -> Result<Option<String>, StorageError> {
        Ok(None)
    }
}

/// Copies `reader` into a new file at `to`, failing past `limit` bytes.
async fn copy_limited(reader: &mut Reader, to: &Path, limit: u64) -> Result<u64, StorageError> {
    let mut file = tokio::fs::File::create(to).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            return Err(StorageError::TooLarge { limit });
        }
        file.write_all(&buf[..n]).await?;
    }
    file.sync_all().await?;
    Ok(size)
}

/// Expiring URLs for objects, signed with HMAC-SHA-256 over the key and the
/// expiry, so a link works for one object until a time and cannot be
/// changed to reach another (another org's, in particular).
pub mod signing {
    use super::StorageKey;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    fn mac(secret: &[u8], key: &StorageKey, expires: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(key.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    pub fn sign(secret: &[u8], key: &StorageKey, expires: i64) -> String {
        crate::hex(&mac(secret, key, expires).finalize().into_bytes())
    }

    #[derive(Debug, PartialEq, Eq, thiserror::Error)]
    pub enum Refused {
        #[error("the link's signature is not valid")]
        BadSignature,
        #[error("the link has expired")]
        Expired,
    }

    /// Checks a signature in constant time, then the expiry.
    pub fn verify(secret: &[u8], key: &StorageKey, expires: i64, signature: &str, now: i64) -> Result<(), Refused> {
        let bytes: Option<Vec<u8>> = (0..signature.len())
            .step_by(2)
            .map(|i| signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        let bytes = bytes.filter(|b| b.len() == 32).ok_or(Refused::BadSignature)?;
        mac(secret, key, expires).verify_slice(&bytes).map_err(|_| Refused::BadSignature)?;
        if now > expires {
            return Err(Refused::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("reelpilot-storage-{}", Uuid::new_v4()))
    }

    #[tokio::test]
    async fn local_store_reports_a_directory_it_cannot_write() {
        let dir = temp_dir();
        let store = from_config(&StorageConfig::Local { dir: dir.clone() });
        store.check().await.expect("a fresh directory is usable");
        let blocked = dir.join("blocked");
        std::fs::write(&blocked, b"not a directory").unwrap();
        let store = from_config(&StorageConfig::Local { dir: blocked });
        let err = store.check().await.unwrap_err();
        assert!(err.to_string().contains("blocked"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn keys_are_tenant_prefixed_and_cannot_escape() {
        let org = Uuid::from_u128(7);
        let key = StorageKey::new(org, "slots/abc/v2/video.mp4").unwrap();
        assert_eq!(key.as_str(), format!("org/{org}/slots/abc/v2/video.mp4"));
        assert_eq!(key.org_id(), org);
        for bad in ["../x", "a//b", "a/./b", "a/b c", "", "a/..", "a/%2e%2e"] {
            assert!(StorageKey::new(org, bad).is_err(), "{bad:?} must be refused");
        }
        assert!(StorageKey::parse("tmp/x").is_err());
        assert!(StorageKey::parse("org/not-a-uuid/x").is_err());
    }

    #[test]
    fn ranges_parse_and_resolve_like_rfc_9110() {
        assert_eq!(ByteRange::parse("bytes=0-99"), Some(ByteRange::FromTo(0, 99)));
        assert_eq!(ByteRange::parse("bytes=100-"), Some(ByteRange::From(100)));
        assert_eq!(ByteRange::parse("bytes=-10"), Some(ByteRange::Suffix(10)));
        assert_eq!(ByteRange::parse("bytes=5-1"), None);
        assert_eq!(ByteRange::parse("bytes=0-1,5-6"), None);
        assert_eq!(ByteRange::parse("items=0-1"), None);
        assert_eq!(ByteRange::FromTo(0, 999).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::From(99).resolve(100), Some((99, 99)));
        assert_eq!(ByteRange::Suffix(500).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::From(100).resolve(100), None);
        assert_eq!(ByteRange::Suffix(0).resolve(100), None);
    }

    #[tokio::test]
    async fn a_refused_write_leaves_no_partial_file() {
        let dir = temp_dir();
        let store = LocalStore::new(dir.clone());
        let key = StorageKey::new(Uuid::from_u128(1), "uploads/a.bin").unwrap();
        store.put(&key, Box::pin(std::io::Cursor::new(vec![1u8; 100])), 1024).await.unwrap();
        let err = store.put(&key, Box::pin(std::io::Cursor::new(vec![0u8; 2048])), 1024).await.unwrap_err();
        assert!(matches!(err, StorageError::TooLarge { limit: 1024 }));
        let leftovers = std::fs::read_dir(dir.join(format!("org/{}/uploads", Uuid::from_u128(1)))).unwrap().count();
        assert_eq!(leftovers, 1, "no partial files stay behind");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn signatures_bind_the_key_and_the_expiry() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let key = StorageKey::new(Uuid::from_u128(1), "a.mp4").unwrap();
        let other = StorageKey::new(Uuid::from_u128(2), "a.mp4").unwrap();
        let sig = signing::sign(secret, &key, 1000);
        assert_eq!(signing::verify(secret, &key, 1000, &sig, 999), Ok(()));
        assert_eq!(signing::verify(secret, &key, 1000, &sig, 1001), Err(signing::Refused::Expired));
        assert_eq!(signing::verify(secret, &key, 2000, &sig, 999), Err(signing::Refused::BadSignature));
        assert_eq!(signing::verify(secret, &other, 1000, &sig, 999), Err(signing::Refused::BadSignature));
        assert_eq!(signing::verify(b"another secret", &key, 1000, &sig, 999), Err(signing::Refused::BadSignature));
        assert_eq!(signing::verify(secret, &key, 1000, "zz", 999), Err(signing::Refused::BadSignature));
    }
}
