#![allow(unreachable_pub)]
//! Black-box tests of the API against the real PostgreSQL and Temporal
//! servers that `make test` starts (one binary, to keep link time down).

/// Runs a test `fn name(storage: Storage)` against the local and the S3 backend.
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn local() {
                super::$name(crate::helpers::Storage::Local).await;
            }
            #[tokio::test]
            async fn s3() {
                super::$name(crate::helpers::Storage::S3).await;
            }
        }
    };
}

mod abuse;
mod auth;
mod budgets;
mod content_policy;
mod credentials;
mod errors;
mod generation;
mod health;
mod helpers;
mod imports;
mod isolation;
mod knowledge;
mod local_model;
mod media;
mod members;
mod openapi;
mod org_deletion;
mod plans;
mod policy;
mod publishing;
mod reads;
mod renders;
mod seed;
