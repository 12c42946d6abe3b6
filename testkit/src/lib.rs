//! Simulators of external services for tests, benchmarks and local demos.

pub mod llm;
pub mod media;
pub mod tiktok;
pub mod vault;
