//! Who someone is and what they may do: accounts, sessions and passwords,
//! opaque tokens, organisations with their members and invitations, the one
//! permission policy, the audit log and rate limits.

pub mod audit;
pub mod auth;
pub mod orgs;
pub mod passwords;
pub mod policy;
pub mod ratelimit;
pub mod tokens;
