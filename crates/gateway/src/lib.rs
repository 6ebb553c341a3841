//! `cmcc-gateway`: the business server of the carrier documents, as a service.
//!
//! | module | what |
//! |---|---|
//! | [`app`] | assembling and running a gateway: state, router, graceful shutdown |
//! | [`routes`] | browser-facing, server-facing, push receiver, operations |
//! | [`api`] | the JSON types of the API (documented at `/openapi.json`) |
//! | [`config`] | layered configuration: defaults, TOML, `CMCC_` env, `*_file` secrets |
//! | [`store`] | durable state: SQLite file or PostgreSQL, migrations, push inbox, outbox, audits |
//! | [`inbox`] | the push writer: group commits, answer only after commit |
//! | [`shared`] | state shared by instances: memory or Redis — counters, once-markers, the OneLink token |
//! | [`background`] | reconciliation by 23A23 and webhook forwarding from the outbox |

pub mod api;
pub mod app;
pub mod background;
pub mod config;
pub mod error;
pub mod inbox;
pub mod openapi;
pub mod routes;
pub mod shared;
pub mod store;

pub use app::{AppState, Running};
pub use config::Config;
