//! The sandbox's integration tests, one binary (one link, one process, tests in parallel).
//!
//! - `admin_errors`: admin refusals are JSON `{"error"}` with a 4xx status.
//! - `auth_admin`: the auth admin API, console pages, faults, reset, the state file, CORS.
//! - `auth_client`: the SDK (`cmcc-client`) against the sandbox.
//! - `auth_endpoints`: every auth endpoint and every result code of seeds 001, 002 and 004.
//! - `auth_h5_wire`: the carrier H5 JSSDK's image GET then envelope POST.
//! - `auth_jssdk`: the JSSDK files run under node against the sandbox.
//! - `auth_limits`: usage count and daily cap under simultaneous verifications.
//! - `auth_typed_fields`: fields read through the shared wire types.
//! - `body_limit`: oversized bodies get the platform's envelope and `Connection: close`.
//! - `onelink_api`: the OneLink token, 23A12, 23A23 and 23A10 over HTTP.
//! - `onelink_fleet`: the OneLink fleet APIs, the change window and batch jobs.
//! - `onelink_give_up_log`: the ERROR line after the last resend of a push (a thread-local
//!   subscriber on a current-thread runtime, so it shares this process).
//! - `onelink_push`: the registration page and the result push to a local receiver.
//! - `onelink_state_file`: OneLink state across a restart on the same state file.
//! - `pages`: pages are templates that print values escaped, never expanded.
//! - `support`: what these modules share (auth requests, OneLink calls, the push receiver).

#![expect(clippy::unwrap_used, reason = "tests")]

mod admin_errors;
mod auth_admin;
mod auth_client;
mod auth_endpoints;
mod auth_h5_wire;
mod auth_jssdk;
mod auth_limits;
mod auth_typed_fields;
mod body_limit;
mod onelink_api;
mod onelink_fleet;
mod onelink_give_up_log;
mod onelink_push;
mod onelink_state_file;
mod pages;
mod support;
