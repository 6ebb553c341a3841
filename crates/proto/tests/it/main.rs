//! cmcc-proto's integration tests, one test binary with a module per subject:
//!
//! - `java_interop`: byte-level compatibility with the JDK primitives of China Mobile's
//!   `RsaUtils` (fixtures in `tests/fixtures/`; live checks when `java` is on PATH).
//! - `proptests`: every codec round-trips and no outside input makes anything panic.
//! - `seed_examples`: every JSON example of the seed documents parses, round-trips and is
//!   written in its pinned canonical form (insta snapshots in `snapshots/`).
//!
//! No cmcc-testkit here: the sans-IO check builds this crate with its own dev-dependencies
//! alone, and the testkit would bring a clock in.

mod java_interop;
mod proptests;
mod seed_examples;
