//! cmcc-client's integration tests, one test binary against in-process sandboxes (each test
//! starts its own on a free port):
//!
//! - `examples`: every example of `examples/`, run so that none can rot.
//! - `fleet`: the fleet methods of `OneLinkClient`, changes sent once, the batch helper.
//! - `onelink`: `OneLinkClient`: every method and refusal, retries, token recovery and
//!   single-flight, transids, a real push.
//! - `passport`: `PassportClient`: every method and every refusal as a typed carrier error.
//! - `transport`: what the clients make of a peer that is not the carrier.
//! - `support`: the clients, journal and fault helpers they share.
//!
//! `tests/no_secret_in_logs.rs` stays a binary of its own: it installs a global tracing
//! subscriber.

#![expect(clippy::unwrap_used, reason = "tests")]

mod examples;
mod fleet;
mod onelink;
mod passport;
mod support;
mod transport;
