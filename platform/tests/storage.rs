//! One behaviour suite for every storage backend: the local filesystem and
//! a real S3-compatible server (s3s-fs, started by `make test`, which checks
//! SigV4 signatures and presigned-URL expiry like AWS does).

use platform::{
    config::{S3Config, StorageConfig},
    storage::{self, ObjectStore, S3Store, StorageError, StorageKey},
};
use std::{sync::Arc, time::Duration};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests through `make test`"))
}

fn s3_config(bucket: &str) -> S3Config {
    S3Config {
        endpoint: Some(required_env("TEST_S3_ENDPOINT")),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        access_key_id: required_env("TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: required_env("TEST_S3_SECRET_ACCESS_KEY").into(),
        force_path_style: true,
    }
}

async fn s3_store() -> Arc<dyn ObjectStore> {
    let store = S3Store::new(&s3_config(&format!("suite-{}", Uuid::new_v4().simple())));
    store.ensure_bucket().await.expect("the test S3 server creates buckets");
    Arc::new(store)
}

fn local_store() -> Arc<dyn ObjectStore> {
    let dir = std::env::temp_dir().join(format!("reelpilot-storage-suite-{}", Uuid::new_v4()));
    storage::from_config(&StorageConfig::Local { dir })
}

async fn read_all(store: &dyn ObjectStore, key: &StorageKey, part: Option<(u64, u64)>) -> (u64, Vec<u8>) {
    let mut read = store.read(key, part).await.unwrap();
    let mut bytes = Vec::new();
    read.body.read_to_end(&mut bytes).await.unwrap();
    (read.total, bytes)
}

async fn writes_replace_are_limited_and_read_back_by_range(store: Arc<dyn ObjectStore>) {
    store.check().await.expect("the backend is usable");
    let org = Uuid::new_v4();
    let key = StorageKey::new(org, "slots/s1/v1/video.mp4").unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let size = store.put(&key, Box::pin(std::io::Cursor::new(data.clone())), 1 << 20).await.unwrap();
    assert_eq!(size, 300_000);
    assert_eq!(store.size(&key).await.unwrap(), Some(300_000));

    assert_eq!(read_all(&*store, &key, None).await, (300_000, data.clone()));
    let (total, part) = read_all(&*store, &key, Some((1000, 1999))).await;
    assert_eq!((total, part.as_slice()), (300_000, &data[1000..2000]));
    let (_, last) = read_all(&*store, &key, Some((299_999, 299_999))).await;
    assert_eq!(last, [data[299_999]]);

    // A retried write of the same key replaces the object.
    let second = vec![7u8; 5000];
    store.put(&key, Box::pin(std::io::Cursor::new(second.clone())), 1 << 20).await.unwrap();
    assert_eq!(read_all(&*store, &key, None).await, (5000, second.clone()));

    // Past the limit: refused, and the stored object is untouched.
    let err = store.put(&key, Box::pin(std::io::Cursor::new(vec![0u8; 4096])), 1024).await.unwrap_err();
    assert!(matches!(err, StorageError::TooLarge { limit: 1024 }), "{err}");
    assert_eq!(read_all(&*store, &key, None).await.1, second);

    store.delete(&key).await.unwrap();
    assert_eq!(store.size(&key).await.unwrap(), None);
    assert!(matches!(store.read(&key, None).await, Err(StorageError::NotFound(_))));
    store.delete(&key).await.expect("deleting a missing object is not an error");
}

#[tokio::test]
async fn local_backend_passes_the_suite() {
    writes_replace_are_limited_and_read_back_by_range(local_store()).await;
}

#[tokio::test]
async fn s3_backend_passes_the_suite() {
    writes_replace_are_limited_and_read_back_by_range(s3_store().await).await;
}

#[tokio::test]
async fn s3_presigned_links_serve_ranges_and_are_refused_when_tampered_or_expired() {
    let store = s3_store().await;
    let key = StorageKey::new(Uuid::new_v4(), "slots/s1/v1/video.mp4").unwrap();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    store.put(&key, Box::pin(std::io::Cursor::new(data.clone())), 1 << 20).await.unwrap();
    let http = reqwest::Client::new();

    let url = store.presigned_get(&key, Duration::from_secs(60)).await.unwrap().expect("S3 presigns");
    let part = http.get(&url).header("range", "bytes=100-199").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 100-199/50000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &data[100..200]);

    let other = StorageKey::new(Uuid::new_v4(), "slots/s1/v1/video.mp4").unwrap();
    let cross = url.replace(&key.org_id().to_string(), &other.org_id().to_string());
    assert_eq!(http.get(&cross).send().await.unwrap().status(), 403, "a signature covers one key");
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_owned();
    let flipped = format!("{}{}", if signature.starts_with('0') { '1' } else { '0' }, &signature[1..]);
    assert_eq!(http.get(url.replace(&signature, &flipped)).send().await.unwrap().status(), 403);

    let short = store.presigned_get(&key, Duration::from_secs(1)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(http.get(&short).send().await.unwrap().status(), 403, "an expired link is refused");
}

#[tokio::test]
async fn s3_readiness_names_a_missing_bucket_and_local_has_no_presigned_links() {
    let missing = S3Store::new(&s3_config(&format!("missing-{}", Uuid::new_v4().simple())));
    let err = missing.check().await.unwrap_err();
    assert!(err.to_string().contains("missing-"), "{err}");

    let key = StorageKey::new(Uuid::new_v4(), "a.jpg").unwrap();
    assert_eq!(local_store().presigned_get(&key, Duration::from_secs(60)).await.unwrap(), None);
}
