//! Domain services over the entities, used by API handlers and activities
//! alike. Tenant-owned data is only reachable through [`OrgScope`], whose
//! transactions run under PostgreSQL row-level security.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod bandit;
pub mod budgets;
pub mod credentials;
pub mod drafting;
pub mod error;
pub mod generation;
pub mod library;
pub mod llm_usage;
pub mod orgs;
pub mod passwords;
pub mod performance;
pub mod plans;
pub mod policy;
pub mod projects;
pub mod prompts;
pub mod publishing;
pub mod ratelimit;
pub mod rendering;
pub mod scope;
pub mod slots;
pub mod tiktok;
pub mod tokens;

pub use error::DomainError;
pub use scope::{OrgScope, TenantTxn};
