//! Provider credentials an org brings, kept in the secret store.

pub(crate) mod credentials;
