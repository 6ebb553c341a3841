//! Shared state, run against both backends: memory and Redis.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cmcc_client::onelink::{CachedToken, TokenStore};
use cmcc_gateway::shared::{Shared, SharedTokenStore};
use cmcc_proto::Secret;
use cmcc_testkit::{within, DEADLINE};

const CAP_KEY: &str = "cap:app:13800000000:2026-11-22";

async fn reserve_is_exact_under_concurrency(s: &Shared) {
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.reserve(CAP_KEY, 10, Duration::from_secs(60))
                .await
                .unwrap()
        }));
    }
    let mut granted = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if let Some(n) = within(&format!("reservation {i}"), DEADLINE, t)
            .await
            .unwrap()
        {
            granted.push(n);
        }
    }
    granted.sort_unstable();
    assert_eq!(
        granted,
        (1..=10).collect::<Vec<_>>(),
        "exactly 10 units, each handed out once"
    );
    assert_eq!(s.count(CAP_KEY).await.unwrap(), 10);
    s.release(CAP_KEY).await.unwrap();
    assert_eq!(s.count(CAP_KEY).await.unwrap(), 9);
    // The released unit is handed out again, once.
    for (n, want) in [(1, Some(10)), (2, None)] {
        assert_eq!(
            s.reserve(CAP_KEY, 10, Duration::from_secs(60))
                .await
                .unwrap(),
            want,
            "reservation {n} after the release"
        );
    }
    // Releasing an unknown key does not go negative.
    s.release("cap:none").await.unwrap();
    assert_eq!(s.count("cap:none").await.unwrap(), 0);
}

/// The window is real time on both backends (a std `Instant` in memory, a key TTL in Redis),
/// so a paused tokio clock would not move it: this one test sleeps for real.
async fn window_expires(s: &Shared) {
    let reserve = || s.reserve("ip:10.0.0.1", 1, Duration::from_millis(150));
    for (when, want) in [("first", Some(1)), ("second, same window", None)] {
        assert_eq!(reserve().await.unwrap(), want, "{when}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(reserve().await.unwrap(), Some(1), "after the window");
}

async fn set_once_marks(s: &Shared) {
    let set = || s.set_once("once:B1", Duration::from_secs(60));
    assert!(set().await.unwrap());
    assert!(!set().await.unwrap());
    s.delete("once:B1").await.unwrap();
    assert!(set().await.unwrap());
}

async fn token_store_compare_and_delete(s: &Shared) {
    let store = SharedTokenStore::new(s.clone());
    assert!(store.get("APP").await.is_none());
    let t = CachedToken {
        token: Secret::new("T1"),
        expires_at: Utc::now() + chrono::Duration::seconds(3600),
    };
    store.put("APP", t.clone()).await;
    let got = store.get("APP").await.unwrap();
    assert_eq!(got.token.expose(), "T1");
    assert!((got.expires_at - t.expires_at).num_milliseconds().abs() < 2);
    // A caller holding a stale token cannot remove the fresh one.
    assert!(!store.invalidate("APP", "T0").await);
    assert!(store.get("APP").await.is_some());
    assert!(store.invalidate("APP", "T1").await);
    assert!(store.get("APP").await.is_none());
    assert!(!store.invalidate("APP", "T1").await);
}

macro_rules! suite {
    ($($name:ident),*) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&cmcc_gateway::shared::Shared::memory()).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(s) = crate::support::redis().await else { return };
                    super::$name(&s).await;
                }
            )*
        }
    };
}

suite!(
    reserve_is_exact_under_concurrency,
    window_expires,
    set_once_marks,
    token_store_compare_and_delete
);

#[tokio::test]
async fn redis_refresh_lock_is_exclusive_across_instances() {
    let Some(a) = crate::support::redis().await else {
        return;
    };
    // A second instance on the same prefix: a second connection, as another process would have.
    let b = a.clone();
    let sa = Arc::new(SharedTokenStore::new(a));
    let sb = Arc::new(SharedTokenStore::new(b));
    assert!(sa.lock_refresh("APP", Duration::from_secs(5)).await);
    assert!(!sb.lock_refresh("APP", Duration::from_secs(5)).await);
    sa.unlock_refresh("APP").await;
    assert!(sb.lock_refresh("APP", Duration::from_secs(5)).await);
}

#[tokio::test]
async fn redis_unreachable_is_an_error_not_a_hang() {
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        Shared::redis("redis://127.0.0.1:1/", "x:"),
    )
    .await;
    assert!(
        matches!(r, Ok(Err(_))),
        "connecting to a closed port must fail promptly"
    );
}
