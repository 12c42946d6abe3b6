//! The S3-compatible backend (AWS S3, MinIO, R2, s3s-fs, ...) through
//! aws-sdk-s3. One bucket holds every org's objects under `org/{org_id}/`.
//! PutObject is atomic in S3, so a retried write replaces the object and a
//! reader never sees half of one; uploads are spooled to a temporary file
//! first so the size limit holds before anything reaches the bucket.

use super::{ObjectRead, ObjectStore, Reader, StorageError, StorageKey, copy_limited};
use crate::config::S3Config;
use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::{DisplayErrorContext, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use secrecy::ExposeSecret;
use std::time::Duration;
use uuid::Uuid;

pub struct S3Store {
    client: Client,
    bucket: String,
}

fn backend<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StorageError {
    StorageError::Backend(DisplayErrorContext(e).to_string())
}

impl S3Store {
    pub fn new(cfg: &S3Config) -> Self {
        let credentials = Credentials::new(
            cfg.access_key_id.clone(),
            cfg.secret_access_key.expose_secret().to_owned(),
            None,
            None,
            "reelpilot-config",
        );
        let http =
            aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(cfg.force_path_style)
            .http_client(http);
        if let Some(endpoint) = &cfg.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        S3Store { client: Client::from_conf(builder.build()), bucket: cfg.bucket.clone() }
    }

    /// Creates the bucket unless it exists (setup scripts and tests; the
    /// running services never create buckets).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        if self.client.head_bucket().bucket(&self.bucket).send().await.is_ok() {
            return Ok(());
        }
        self.client.create_bucket().bucket(&self.bucket).send().await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn check(&self) -> Result<(), StorageError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(|e| {
            StorageError::Backend(format!("bucket {} is not reachable: {}", self.bucket, DisplayErrorContext(e)))
        })?;
        Ok(())
    }

    async fn put(&self, key: &StorageKey, mut reader: Reader, limit: u64) -> Result<u64, StorageError> {
        let spool = std::env::temp_dir().join(format!("reelpilot-s3-{}", Uuid::new_v4()));
        let result = async {
            let size = copy_limited(&mut reader, &spool, limit).await?;
            let body = ByteStream::from_path(&spool).await.map_err(|e| StorageError::Backend(e.to_string()))?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .content_length(size as i64)
                .body(body)
                .send()
                .await
                .map_err(backend)?;
            Ok(size)
        }
        .await;
        let _ = tokio::fs::remove_file(&spool).await;
        result
    }

    async fn size(&self, key: &StorageKey) -> Result<Option<u64>, StorageError> {
        match self.client.head_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn read(&self, key: &StorageKey, part: Option<(u64, u64)>) -> Result<ObjectRead, StorageError> {
        let mut request = self.client.get_object().bucket(&self.bucket).key(key.as_str());
        if let Some((start, end)) = part {
            request = request.range(format!("bytes={start}-{end}"));
        }
        let object = request.send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                StorageError::NotFound(key.as_str().to_owned())
            } else {
                backend(e)
            }
        })?;
        let length = object.content_length().unwrap_or(0) as u64;
        // `Content-Range: bytes start-end/total` on a ranged read.
        let total = match object.content_range().and_then(|r| r.rsplit_once('/')).and_then(|(_, t)| t.parse().ok()) {
            Some(total) => total,
            None => length,
        };
        let (start, end) = part.unwrap_or((0, total.saturating_sub(1)));
        Ok(ObjectRead { total, start, end, body: Box::pin(object.body.into_async_read()) })
    }

    async fn delete(&self, key: &StorageKey) -> Result<(), StorageError> {
        self.client.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(backend)?;
        Ok(())
    }

    async fn presigned_get(&self, key: &StorageKey, ttl: Duration) -> Result<Option<String>, StorageError> {
        let presigning = PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Backend(e.to_string()))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(presigning)
            .await
            .map_err(backend)?;
        Ok(Some(request.uri().to_owned()))
    }
}
