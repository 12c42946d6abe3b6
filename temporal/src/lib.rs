//! The contract between the API and the worker: task queues, workflow ids,
//! search attributes, workflow and activity inputs and outputs, activity
//! definitions. With the `runtime` feature: the client connection and the
//! worker runtime.

pub mod analytics;
pub mod ids;
pub mod import;
pub mod knowledge;
pub mod org;
pub mod pipeline;
pub mod plan;
pub mod queues;
pub mod render;
pub mod search;

#[cfg(feature = "runtime")]
pub mod runtime;

use serde::{Deserialize, Serialize};

/// Context every workflow input carries so activity logs can be joined to
/// the HTTP request that started the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMeta {
    pub request_id: Option<String>,
}

/// Memo key under which a workflow start records the request id (visible in
/// the Temporal UI next to the run).
pub const MEMO_REQUEST_ID: &str = "request_id";
