//! The test machine's PostgreSQL and Redis (`127.0.0.1:5432` db `test`, `127.0.0.1:6379`, or
//! `CMCC_TEST_POSTGRES` / `CMCC_TEST_REDIS`). Where one is not running, a test that needs it
//! skips with a notice; under `CI=true` it fails instead, so CI never passes by skipping.

use std::hash::{BuildHasher, Hasher};

/// Whether this is CI (`CI=true`), where every backend must be there.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Say that `what` is not reachable and the test is skipped.
///
/// # Panics
///
/// Under `CI=true`: there a missing backend fails the test.
pub fn unavailable(what: &str, why: &str) {
    assert!(!in_ci(), "CI=true but {what} is not reachable: {why}");
    eprintln!(
        "SKIPPED: {what} not reachable ({why}); set CMCC_TEST_POSTGRES / CMCC_TEST_REDIS or start it"
    );
}

/// A name no other test run uses: `tag`, the process id and a random suffix.
#[must_use]
pub fn unique(tag: &str) -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("{tag}_{}_{:08x}", std::process::id(), h.finish() as u32)
}

/// The test PostgreSQL's URL.
#[must_use]
pub fn postgres_url() -> String {
    std::env::var("CMCC_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The test Redis's URL.
#[must_use]
pub fn redis_url() -> String {
    std::env::var("CMCC_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// `url` with its `search_path` set to `schema` (a fresh schema per test).
#[must_use]
pub fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}
