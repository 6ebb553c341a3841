//! `cmcc-gateway`: the business server of the carrier documents, as a service.
//!
//! | module | what |
//! |---|---|
//! | [`store`] | durable state: SQLite file or PostgreSQL, migrations, group-committed push inbox, outbox, audits |
//! | [`inbox`] | the push writer: group commits, answer only after commit |
//! | [`shared`] | state shared by instances: memory or Redis — counters, once-markers, the OneLink token |

pub mod inbox;
pub mod shared;
pub mod store;
