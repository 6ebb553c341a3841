//! The `cmcc` binary's integration tests, one test binary. Every module runs the built binary
//! (`CARGO_BIN_EXE_cmcc`) as a child process, so they share this process safely: the processes
//! the kill tests SIGKILL are children, never the test process.
//!
//! - `cli`: the key, signing, code and `up` commands as a user types them; the README's blocks.
//! - `doc_blocks`: every shell block of the docs names the test that runs it, or says why not.
//! - `doc_commands`: the docs' server commands and the fleet benchmark script, run as written.
//! - `e2e`: `cmcc up` and the demo pages in real Chromium (Playwright scripts of `e2e/`).
//! - `examples`: the Java, Node, Python, Go and PHP backends of `examples/` against `cmcc up`
//!   (`examples/harness.rs`: what they run on).
//! - `fleet`: every `cmcc fleet` command against a real sandbox, killed and resumed.
//! - `gateway_confirm_kill`: push confirmations survive a SIGKILL across two gateways
//!   (PostgreSQL and Redis).
//! - `gateway_kill`: a gateway killed mid-burst loses no acknowledged push.
//! - `snapshots`: every `--help` and `cmcc codes --json` (insta, `snapshots/`).
//! - `support`: commands with deadlines, children stopped however a test ends.

#![expect(clippy::unwrap_used, reason = "tests")]

mod cli;
mod doc_blocks;
mod doc_commands;
mod e2e;
mod examples;
mod fleet;
mod gateway_confirm_kill;
mod gateway_kill;
mod snapshots;
mod support;
