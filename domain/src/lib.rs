//! Domain services over the entities, used by API handlers and activities
//! alike, grouped by capability (identity, planning, media, publishing,
//! insights, usage, integrations). Tenant-owned data is only reachable
//! through [`OrgScope`], whose transactions run under PostgreSQL row-level
//! security.

pub mod error;
pub mod identity;
pub mod insights;
pub mod integrations;
pub mod knowledge;
pub mod media;
pub mod paging;
pub mod planning;
pub mod policy;
pub mod publishing;
pub mod scope;
pub mod usage;

pub use error::DomainError;
pub use scope::{OrgScope, TenantTxn};
