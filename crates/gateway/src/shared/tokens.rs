//! The OneLink token in shared state, so every instance uses one token and one instance at a
//! time refreshes it (the SDK's `TokenStore`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use cmcc_client::onelink::{CachedToken, TokenStore};
use cmcc_proto::Secret;

use super::Shared;

/// Compare-and-delete: remove the token only if it is still the failing one.
const INVALIDATE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local i = string.find(v, ':', 1, true)
if i and string.sub(v, i + 1) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0";

/// A [`TokenStore`] over [`Shared`]. Values are `expires_ms:token`.
#[derive(Debug, Clone)]
pub struct SharedTokenStore {
    shared: Shared,
}

impl SharedTokenStore {
    pub fn new(shared: Shared) -> Self {
        Self { shared }
    }
    fn key(appid: &str) -> String {
        format!("onelink:token:{appid}")
    }
    fn lock_key(appid: &str) -> String {
        format!("onelink:token-refresh:{appid}")
    }
}

fn decode(v: &str) -> Option<CachedToken> {
    let (ms, token) = v.split_once(':')?;
    let expires_at = Utc.timestamp_millis_opt(ms.parse().ok()?).single()?;
    Some(CachedToken {
        token: Secret::new(token),
        expires_at,
    })
}

#[async_trait]
impl TokenStore for SharedTokenStore {
    async fn get(&self, appid: &str) -> Option<CachedToken> {
        let key = self.shared.key(&Self::key(appid));
        let v = match &self.shared {
            Shared::Memory(m) => m.get(&key),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                match redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<String>>(&mut c)
                    .await
                {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(error = %e, "redis GET of the OneLink token failed; treating as absent");
                        None
                    }
                }
            }
        };
        v.as_deref().and_then(decode)
    }

    async fn put(&self, appid: &str, token: CachedToken) {
        let key = self.shared.key(&Self::key(appid));
        let ttl_ms = (token.expires_at - Utc::now()).num_milliseconds().max(1) as u64;
        let value = format!(
            "{}:{}",
            token.expires_at.timestamp_millis(),
            token.token.expose()
        );
        match &self.shared {
            Shared::Memory(m) => m.put(&key, value, Duration::from_millis(ttl_ms)),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                if let Err(e) = redis::cmd("SET")
                    .arg(&key)
                    .arg(value)
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<()>(&mut c)
                    .await
                {
                    tracing::warn!(error = %e, "redis SET of the OneLink token failed");
                }
            }
        }
    }

    async fn invalidate(&self, appid: &str, token: &str) -> bool {
        let key = self.shared.key(&Self::key(appid));
        match &self.shared {
            Shared::Memory(m) => {
                m.remove_if(&key, |v| v.split_once(':').is_some_and(|(_, t)| t == token))
            }
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                redis::Script::new(INVALIDATE)
                    .key(&key)
                    .arg(token)
                    .invoke_async::<i64>(&mut c)
                    .await
                    .map(|n| n == 1)
                    .unwrap_or(false)
            }
        }
    }

    async fn lock_refresh(&self, appid: &str, ttl: Duration) -> bool {
        match &self.shared {
            // One process: the client's own mutex already serialises refreshes.
            Shared::Memory(_) => true,
            Shared::Redis { .. } => self
                .shared
                .set_once(&Self::lock_key(appid), ttl)
                .await
                .unwrap_or(true),
        }
    }

    async fn unlock_refresh(&self, appid: &str) {
        if let Shared::Redis { .. } = &self.shared {
            if let Err(e) = self.shared.delete(&Self::lock_key(appid)).await {
                tracing::warn!(error = %e, "could not release the token refresh lock; it expires by itself");
            }
        }
    }
}
