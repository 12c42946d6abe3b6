//! Workflow definitions. Deterministic code only: no I/O, no system time,
//! no randomness outside the workflow context, `BTreeMap` not hash maps in
//! state. Side effects happen in activities (the `activities` crate), which
//! these workflows call through the definitions in the `temporal` crate.
//! `tests/dependency_guard.rs` fails if this crate gains an I/O dependency.

pub mod analytics;
pub mod import;
pub mod knowledge;
mod options;
pub mod org;
pub mod pipeline;
pub mod plan;
pub mod render;

pub use analytics::WeeklyAnalyticsWorkflow;
pub use import::ImportVideoWorkflow;
pub use knowledge::IndexKnowledgeWorkflow;
pub use org::DeleteOrgWorkflow;
pub use pipeline::{MetricsRefreshWorkflow, SlotPipelineWorkflow, TokenRefreshWorkflow};
pub use plan::{GenerateMonthPlanWorkflow, ImproveSlotWorkflow};
pub use render::{PreviewSlotWorkflow, RenderSlotWorkflow};
