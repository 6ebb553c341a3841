//! `cmcc-gateway`: the business server of the carrier documents, as a service.
//!
//! | module | what |
//! |---|---|
//! | [`app`] | a gateway's state: config, storage, shared state, carrier clients |
//! | [`router`] | every route, and the JSON 404/405 |
//! | [`running`] | serving on a socket, background work, graceful shutdown |
//! | [`routes`] | browser-facing, server-facing, push receiver, operations |
//! | [`net`] | networks, and the client address behind trusted proxies |
//! | [`confirm`] | confirming push claims with 23A23 from a durable queue |
//! | [`webhook`] | signed webhooks (Standard Webhooks) with retries and a delivery log |
//! | [`mask`] | masking numbers in text bound for logs |
//! | [`api`] | the JSON types of the API (documented at `/openapi.json`) |
//! | [`error`] | the one JSON error shape of every route, and start-up errors |
//! | [`openapi`] | the OpenAPI document served at `/openapi.json` |
//! | [`config`] | layered configuration: defaults, TOML, `CMCC_` env, `*_file` secrets |
//! | [`store`] | durable state: SQLite file or PostgreSQL, migrations, push inbox, outbox, audits |
//! | [`group_commit`] | one writer task per kind of write: batches in one transaction, each request answered after commit |
//! | [`inbox`] | the push writer (a group commit) |
//! | [`audit`] | the audit log's writer (a group commit) |
//! | [`shared`] | state shared by instances: memory or Redis — counters, once-markers, the OneLink token |
//! | [`clock`] | the gateway's clock: real time, moved forward by tests |
//! | [`background`] | reconciliation by 23A23 of registrations no push settled |

pub mod api;
pub mod app;
pub mod audit;
pub mod background;
pub mod clock;
pub mod config;
pub mod confirm;
pub mod error;
pub mod group_commit;
pub mod inbox;
pub mod mask;
pub mod net;
pub mod openapi;
pub mod router;
pub mod routes;
pub mod running;
pub mod shared;
pub mod store;
pub mod webhook;

pub use app::{AppState, StartError};
pub use config::Config;
pub use running::Running;
