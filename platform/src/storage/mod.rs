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
        // Written beside the target and renamed: readers never see half a
        // file. The guard removes the partial file when the write fails or
        // its future is dropped (a client that went away mid-upload).
        let partial = RemoveOnDrop::new(dir.join(format!("{PARTIAL_PREFIX}{}", Uuid::new_v4())));
        let size = copy_limited(&mut reader, partial.path(), limit).await?;
        tokio::fs::rename(partial.path(), &path).await?;
        partial.disarm();
        Ok(size)
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
/// The file is removed when the copy fails or is dropped half-way.
async fn copy_limited(reader: &mut Reader, to: &Path, limit: u64) -> Result<u64, StorageError> {
    let written = RemoveOnDrop::new(to.to_owned());
    let size = copy_into(reader, to, limit).await?;
    written.disarm();
    Ok(size)
}

async fn copy_into(reader: &mut Reader, to: &Path, limit: u64) -> Result<u64, StorageError> {
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

/// What `LocalStore` names a file it is still writing, beside its target.
const PARTIAL_PREFIX: &str = ".partial-";
/// What `S3Store` names the spool of an upload in the temp directory
/// (`s3.rs`).
const S3_SPOOL_PREFIX: &str = "reelpilot-s3-";

/// A file that is deleted when this guard is dropped, unless disarmed:
/// what an interrupted write leaves behind goes with it. The removal is a
/// single unlink, done synchronously so it also happens when a future is
/// dropped outside a runtime's reach.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn new(path: PathBuf) -> Self {
        RemoveOnDrop(Some(path))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().expect("armed until disarmed")
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub files: u64,
    pub bytes: u64,
}

/// How old a partial file must be before a sweep removes it: uploads stall
/// out long before (their body has an idle timeout) and a write in
/// progress keeps touching its file.
pub const PARTIAL_MAX_AGE: Duration = Duration::from_secs(3600);
/// How often `spawn_partial_sweeper` sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Removes what interrupted writes left behind and has not been written to
/// for `older_than`: for the local backend, the `.partial-*` files beside
/// the objects (a crash or kill between create and rename; dropped and
/// failed writes remove their own); for S3, whose PutObject never leaves
/// half an object, the upload spools in this machine's temp directory.
/// Objects themselves are never touched.
pub async fn sweep_partials(cfg: &StorageConfig, older_than: Duration) -> Result<Swept, StorageError> {
    let (root, prefix, recursive) = match cfg {
        StorageConfig::Local { dir } => (dir.clone(), PARTIAL_PREFIX, true),
        StorageConfig::S3(_) => (std::env::temp_dir(), S3_SPOOL_PREFIX, false),
    };
    tokio::task::spawn_blocking(move || sweep_dir(&root, prefix, recursive, older_than))
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
}

fn sweep_dir(root: &Path, prefix: &str, recursive: bool, older_than: Duration) -> Result<Swept, StorageError> {
    let mut swept = Swept::default();
    let mut dirs = vec![root.to_owned()];
    let now = std::time::SystemTime::now();
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if recursive {
                    dirs.push(entry.path());
                }
                continue;
            }
            let stale =
                meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|age| age >= older_than);
            if meta.is_file() && stale && entry.file_name().to_str().is_some_and(|n| n.starts_with(prefix)) {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => {
                        swept.files += 1;
                        swept.bytes += meta.len();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(swept)
}

/// Sweeps stale partial files (`sweep_partials`, older than
/// `PARTIAL_MAX_AGE`) now and then every `SWEEP_EVERY`, logging what it
/// removed, until the returned task is aborted or the runtime stops.
pub fn spawn_partial_sweeper(cfg: StorageConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match sweep_partials(&cfg, PARTIAL_MAX_AGE).await {
                Ok(swept) if swept.files > 0 => {
                    tracing::info!(files = swept.files, bytes = swept.bytes, "removed stale partial uploads")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweeping partial uploads failed"),
            }
        }
    })
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

    /// A reader that yields `bytes` and then never again (a client gone quiet).
    fn stalls_after(bytes: usize) -> Reader {
        Box::pin(std::io::Cursor::new(vec![7u8; bytes]).chain(Stalled))
    }

    struct Stalled;
    impl AsyncRead for Stalled {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Pending
        }
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        let mut dirs = vec![dir.to_owned()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if e.file_type().unwrap().is_dir() {
                    dirs.push(e.path());
                } else {
                    names.push(e.path().strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_write_dropped_half_way_leaves_no_partial_file() {
        let dir = temp_dir();
        let store = LocalStore::new(dir.clone());
        let key = StorageKey::new(Uuid::from_u128(1), "uploads/dropped.bin").unwrap();
        let put = store.put(&key, stalls_after(200_000), 1 << 30);
        assert!(tokio::time::timeout(Duration::from_millis(300), put).await.is_err(), "the write waits for bytes");
        assert_eq!(files_in(&dir), Vec::<String>::new(), "neither the object nor a partial file stays");
        assert_eq!(store.size(&key).await.unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn stale_partial_files_are_swept_and_nothing_else() {
        let dir = temp_dir();
        let store = LocalStore::new(dir.clone());
        let org = Uuid::from_u128(3);
        let key = StorageKey::new(org, "uploads/kept.png").unwrap();
        store.put(&key, Box::pin(std::io::Cursor::new(vec![1u8; 10])), 1024).await.unwrap();
        let uploads = dir.join(format!("org/{org}/uploads"));
        let stale = uploads.join(".partial-stale");
        let fresh = uploads.join(".partial-fresh");
        std::fs::write(&stale, vec![0u8; 1000]).unwrap();
        std::fs::write(&fresh, b"still being written").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options().write(true).open(&stale).unwrap().set_modified(two_hours_ago).unwrap();
        // An old object is an object, never a partial file.
        std::fs::File::options()
            .write(true)
            .open(uploads.join("kept.png"))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();

        let cfg = StorageConfig::Local { dir: dir.clone() };
        let swept = sweep_partials(&cfg, PARTIAL_MAX_AGE).await.unwrap();
        assert_eq!(swept, Swept { files: 1, bytes: 1000 });
        let expected = [format!("org/{org}/uploads/.partial-fresh"), format!("org/{org}/uploads/kept.png")];
        assert_eq!(files_in(&dir), expected);
        assert_eq!(sweep_partials(&cfg, PARTIAL_MAX_AGE).await.unwrap(), Swept::default());
        assert_eq!(
            sweep_partials(&StorageConfig::Local { dir: dir.join("absent") }, PARTIAL_MAX_AGE).await.unwrap(),
            Swept::default()
        );
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
