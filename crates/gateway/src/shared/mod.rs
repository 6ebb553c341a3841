//! State shared by gateway instances: counters (daily cap per number, rate limit per IP),
//! once-markers (idempotency), and the OneLink token with one refresh across all instances.
//! In memory for a single instance (the default), Redis by URL for many. No home-made
//! clustering: Redis's atomic commands and two small Lua scripts do the coordination.

mod memory;
mod tokens;

use std::time::Duration;

use redis::aio::ConnectionManager;

pub use memory::MemoryShared;
pub use tokens::SharedTokenStore;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SharedError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// The configured backend.
#[derive(Clone)]
pub enum Shared {
    Memory(std::sync::Arc<MemoryShared>),
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shared::Memory(_) => f.write_str("Shared::Memory"),
            Shared::Redis { prefix, .. } => write!(f, "Shared::Redis(prefix {prefix:?})"),
        }
    }
}

/// INCR, set the window's expiry on the first hit, and undo when over the limit — atomically,
/// so N instances racing for the last unit of a cap let exactly one through.
const RESERVE: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return n";

impl Shared {
    pub fn memory() -> Self {
        Shared::Memory(std::sync::Arc::new(MemoryShared::default()))
    }

    /// `redis://host:port/db`; keys are namespaced by `prefix` so environments can share a server.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, SharedError> {
        let client = redis::Client::open(url)?;
        // Bounded: a dead Redis must fail start-up (and readiness) promptly, not hang it.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(2)
            .set_max_delay(500);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Shared::Redis {
            conn,
            prefix: prefix.to_owned(),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Shared::Memory(_) => "memory",
            Shared::Redis { .. } => "redis",
        }
    }

    fn key(&self, k: &str) -> String {
        match self {
            Shared::Memory(_) => k.to_owned(),
            Shared::Redis { prefix, .. } => format!("{prefix}{k}"),
        }
    }

    pub async fn ping(&self) -> Result<(), SharedError> {
        if let Shared::Redis { conn, .. } = self {
            let mut c = conn.clone();
            redis::cmd("PING").query_async::<String>(&mut c).await?;
        }
        Ok(())
    }

    /// Take one unit of `key`'s budget of `limit` per `window`. `Some(n)`: granted, n-th use;
    /// `None`: the budget is spent (nothing was taken).
    pub async fn reserve(
        &self,
        key: &str,
        limit: u64,
        window: Duration,
    ) -> Result<Option<u64>, SharedError> {
        let key = self.key(key);
        match self {
            Shared::Memory(m) => Ok(m.reserve(&key, limit, window)),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                let n: u64 = redis::Script::new(RESERVE)
                    .key(&key)
                    .arg(limit)
                    .arg(window.as_millis() as u64)
                    .invoke_async(&mut c)
                    .await?;
                Ok((n > 0).then_some(n))
            }
        }
    }

    /// Give back a unit taken by [`Shared::reserve`] (the carrier call it paid for did not
    /// happen or was not billed).
    pub async fn release(&self, key: &str) -> Result<(), SharedError> {
        let key = self.key(key);
        match self {
            Shared::Memory(m) => m.release(&key),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                redis::Script::new("local n = redis.call('GET', KEYS[1]) if n and tonumber(n) > 0 then redis.call('DECR', KEYS[1]) end return 0")
                    .key(&key)
                    .invoke_async::<i64>(&mut c)
                    .await?;
            }
        }
        Ok(())
    }

    /// Current count of `key` (0 when unset or expired).
    pub async fn count(&self, key: &str) -> Result<u64, SharedError> {
        let key = self.key(key);
        match self {
            Shared::Memory(m) => Ok(m.count(&key)),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                Ok(redis::cmd("GET")
                    .arg(&key)
                    .query_async::<Option<u64>>(&mut c)
                    .await?
                    .unwrap_or(0))
            }
        }
    }

    /// Set a marker if absent, for `ttl`. `true`: this caller set it (first time).
    pub async fn set_once(&self, key: &str, ttl: Duration) -> Result<bool, SharedError> {
        let key = self.key(key);
        match self {
            Shared::Memory(m) => Ok(m.set_once(&key, ttl)),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                let r: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg("1")
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64)
                    .query_async(&mut c)
                    .await?;
                Ok(r.is_some())
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), SharedError> {
        let key = self.key(key);
        match self {
            Shared::Memory(m) => m.delete(&key),
            Shared::Redis { conn, .. } => {
                let mut c = conn.clone();
                redis::cmd("DEL")
                    .arg(&key)
                    .query_async::<i64>(&mut c)
                    .await?;
            }
        }
        Ok(())
    }
}
