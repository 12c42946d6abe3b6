//! From approval to a TikTok post: connected accounts, the pipeline, the
//! publish gate, dead letters and post metrics.

pub(crate) mod pipeline;
pub(crate) mod tiktok;
