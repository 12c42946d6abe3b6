//! Providers an org brings its own keys for, kept in the secret store.

pub mod credentials;
