//! Accounts and sessions, the signed-in user, organisations and members.

pub(crate) mod auth;
pub(crate) mod me;
pub(crate) mod orgs;
