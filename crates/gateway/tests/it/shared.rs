//! Shared state, run against both backends: memory and Redis.


use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cmcc_client::onelink::{CachedToken, TokenStore};
use cmcc_gateway::shared::{Shared, SharedTokenStore};
use cmcc_proto::Secret;

async fn reserve_is_exact_under_concurrency(s: &Shared) {
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.reserve(
                "cap:app:13800000000:2026-11-22",
                10,
                Duration::from_secs(60),
            )
            .await
            .unwrap()
        }));
    }
    let mut granted = Vec::new();
    for t in tasks {
        if let Some(n) = t.await.unwrap() {
            granted.push(n);
        }
    }
    granted.sort_unstable();
    assert_eq!(
        granted,
        (1..=10).collect::<Vec<_>>(),
        "exactly 10 units, each handed out once"
    );
    assert_eq!(s.count("cap:app:13800000000:2026-11-22").await.unwrap(), 10);
    s.release("cap:app:13800000000:2026-11-22").await.unwrap();
    assert_eq!(s.count("cap:app:13800000000:2026-11-22").await.unwrap(), 9);
    assert_eq!(
        s.reserve(
            "cap:app:13800000000:2026-11-22",
            10,
            Duration::from_secs(60)
        )
        .await
        .unwrap(),
        Some(10)
    );
    assert_eq!(
        s.reserve(
            "cap:app:13800000000:2026-11-22",
            10,
            Duration::from_secs(60)
        )
        .await
        .unwrap(),
        None
    );
    // Releasing an unknown key does not go negative.
    s.release("cap:none").await.unwrap();
    assert_eq!(s.count("cap:none").await.unwrap(), 0);
}

async fn window_expires(s: &Shared) {
    assert_eq!(
        s.reserve("ip:10.0.0.1", 1, Duration::from_millis(150))
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        s.reserve("ip:10.0.0.1", 1, Duration::from_millis(150))
            .await
            .unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.reserve("ip:10.0.0.1", 1, Duration::from_millis(150))
            .await
            .unwrap(),
        Some(1)
    );
}

async fn set_once_marks(s: &Shared) {
    assert!(s
        .set_once("once:B1", Duration::from_secs(60))
        .await
        .unwrap());
    assert!(!s
        .set_once("once:B1", Duration::from_secs(60))
        .await
        .unwrap());
    s.delete("once:B1").await.unwrap();
    assert!(s
        .set_once("once:B1", Duration::from_secs(60))
        .await
        .unwrap());
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
