//! Where OneLink tokens live between calls. The client keeps one token per appid; a store
//! shared by many gateway instances (Redis, in the gateway crate) makes them share it too.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cmcc_proto::Secret;

/// A token and when it stops being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    /// The token every call carries.
    pub token: Secret,
    /// When it stops being valid: the fetch time plus the answer's `ttl`.
    pub expires_at: DateTime<Utc>,
}

impl CachedToken {
    /// Whether it is still valid at `now`.
    pub fn is_valid(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
    /// Valid for longer than `ahead`: no need to refresh yet.
    pub fn is_fresh(&self, now: DateTime<Utc>, ahead: Duration) -> bool {
        let ahead = chrono::Duration::from_std(ahead).unwrap_or(chrono::Duration::zero());
        now + ahead < self.expires_at
    }
}

/// Storage of OneLink tokens per appid.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The cached token of `appid`, valid or not.
    async fn get(&self, appid: &str) -> Option<CachedToken>;
    /// Cache `token` for `appid`, replacing the one before.
    async fn put(&self, appid: &str, token: CachedToken);
    /// Remove the cached token only if it is still `token` (compare-and-delete), so a caller
    /// holding a stale token cannot throw away the fresh one another caller just stored.
    /// Returns whether it removed anything.
    async fn invalidate(&self, appid: &str, token: &str) -> bool;
    /// Take the cross-instance refresh lock for `ttl`. A store private to one process has
    /// nothing to coordinate and always grants it.
    async fn lock_refresh(&self, _appid: &str, _ttl: Duration) -> bool {
        true
    }
    /// Release the refresh lock taken with [`lock_refresh`](Self::lock_refresh).
    async fn unlock_refresh(&self, _appid: &str) {}
}

/// In-process store: the default, and what tests use.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: tokio::sync::RwLock<BTreeMap<String, CachedToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn get(&self, appid: &str) -> Option<CachedToken> {
        self.tokens.read().await.get(appid).cloned()
    }
    async fn put(&self, appid: &str, token: CachedToken) {
        self.tokens.write().await.insert(appid.to_owned(), token);
    }
    async fn invalidate(&self, appid: &str, token: &str) -> bool {
        let mut map = self.tokens.write().await;
        if map.get(appid).is_some_and(|t| t.token.expose() == token) {
            map.remove(appid);
            true
        } else {
            false
        }
    }
}
