//! The gateway's integration tests, one binary (one build and link instead of one per file):
//!
//! - `flows`: the gateway against the sandbox (verification, UAID, registration links,
//!   reconciliation, two instances on PostgreSQL + Redis).
//! - `http`: the HTTP API without a carrier (input checks, API keys, the push receiver, limits).
//! - `openapi`: the OpenAPI document, complete, valid and snapshotted.
//! - `shared`: shared state on memory and Redis.
//! - `store`: the storage suite on SQLite and PostgreSQL.
//! - `trust`: forged and genuine pushes, confirmation with 23A23.
//! - `webhooks`: outgoing webhooks against a real receiver.
//! - `support`: what the modules share (the sandbox and its admin API, backends).
//!
//! `tests/logs.rs` stays a binary of its own: it installs a global tracing subscriber.

#![expect(clippy::unwrap_used, reason = "tests")]

mod flows;
mod http;
mod openapi;
mod shared;
mod store;
mod support;
mod trust;
mod webhooks;
