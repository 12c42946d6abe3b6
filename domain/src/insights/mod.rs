//! What the metrics teach the next month: posts ranked by what they did,
//! and the bandit that suggests formats per posting time.

pub mod bandit;
pub mod performance;
pub mod posting_times;
pub mod trends;
pub mod weekly;
