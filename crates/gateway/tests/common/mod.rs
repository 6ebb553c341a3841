//! Real backends for tests: a SQLite file, a fresh PostgreSQL schema, a Redis key prefix.
//! PostgreSQL/Redis tests skip with a notice when the server is not there, except in CI
//! (`CI=true`), where a missing server fails the test.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub(crate) mod system;

use cmcc_gateway::shared::Shared;
use cmcc_gateway::store::Store;

pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn unavailable(what: &str, why: &str) {
    assert!(!in_ci(), "CI=true but {what} is not reachable: {why}");
    eprintln!("SKIPPED: {what} not reachable ({why}); set CMCC_TEST_POSTGRES / CMCC_TEST_REDIS or start it");
}

pub(crate) fn unique(tag: &str) -> String {
    format!("{tag}_{}_{:08x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() as u32
}

pub(crate) fn postgres_url() -> String {
    std::env::var("CMCC_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub(crate) fn redis_url() -> String {
    std::env::var("CMCC_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A store on a fresh SQLite file (kept alive by the returned directory).
pub(crate) async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("gw.db").display());
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

/// A store on a fresh schema of the test PostgreSQL, or `None` (skip) outside CI.
pub(crate) async fn postgres() -> Option<Store> {
    let base = postgres_url();
    let admin = match sqlx::PgPool::connect(&base).await {
        Ok(p) => p,
        Err(e) => {
            unavailable("PostgreSQL", &e.to_string());
            return None;
        }
    };
    let schema = unique("cmcc_t");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(Store::connect(&url).await.expect("postgres store"))
}

pub(crate) async fn redis() -> Option<Shared> {
    match Shared::redis(&redis_url(), &format!("{}:", unique("cmcc_t"))).await {
        Ok(s) => match s.ping().await {
            Ok(()) => Some(s),
            Err(e) => {
                unavailable("Redis", &e.to_string());
                None
            }
        },
        Err(e) => {
            unavailable("Redis", &e.to_string());
            None
        }
    }
}
