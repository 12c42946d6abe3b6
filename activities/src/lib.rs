//! Activity implementations and the worker that runs them with the
//! workflows. Activities hold their dependencies (`Arc` fields) and bind to
//! the definitions of the `temporal` crate, so a signature drift between a
//! workflow's call and an implementation does not compile.

pub mod analytics;
pub mod context;
pub mod errors;
pub mod import;
pub mod knowledge;
pub(crate) mod model_calls;
pub mod org;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod render;
pub mod worker;
