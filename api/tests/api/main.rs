#![allow(unreachable_pub)]
//! Black-box tests of the API against the real PostgreSQL and Temporal
//! servers that `make test` starts (one binary, to keep link time down).

mod auth;
mod credentials;
mod errors;
mod generation;
mod health;
mod helpers;
mod isolation;
mod local_model;
mod media;
mod members;
mod openapi;
mod plans;
mod policy;
mod publishing;
mod renders;
mod seed;
