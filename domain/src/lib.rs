//! Domain services over the entities, used by API handlers and activities
//! alike. Tenant-owned data is only reachable through [`OrgScope`].

pub mod error;
pub mod orgs;
pub mod plans;
pub mod projects;
pub mod scope;

pub use error::DomainError;
pub use scope::OrgScope;
