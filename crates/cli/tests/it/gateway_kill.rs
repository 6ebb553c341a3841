//! A gateway process killed with SIGKILL in the middle of a burst of OneLink pushes loses none
//! that it acknowledged: `{"status":"0"}` is only sent after the push's transaction committed.

use std::sync::Arc;
use std::time::Duration;

use cmcc_testkit::within;

use crate::support::{free_port, spawn_quiet, wait_ok, KillOnDrop};

/// `cmcc gateway` on `port` with the store `db`.
fn start_gateway(db: &str, port: u16, dir: &std::path::Path) -> KillOnDrop {
    let listen = format!("127.0.0.1:{port}");
    spawn_quiet(dir, &["gateway", "--listen", &listen, "--database-url", db])
}

fn push(busi_seq: &str) -> serde_json::Value {
    serde_json::json!({"status": "0", "message": "正确", "result": [
        {"regStatus": "1", "regMsg": "ok", "busiSeq": busi_seq, "msisdn": cmcc_testkit::magic::FRESH}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_push() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("gw.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let gateway = start_gateway(&db, port, dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_ok(&http, &format!("{base}/readyz"), Duration::from_secs(10)).await;

    let acked: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let mut senders = Vec::new();
    for w in 0..16 {
        let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let busi = format!("KILL{w:02}{n:06}");
                let Ok(r) = http
                    .post(format!("{base}/onelink/push"))
                    .json(&push(&busi))
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    return;
                };
                if v["status"] == "0" {
                    acked.lock().unwrap().push(busi);
                }
            }
        }));
    }
    // Kill once the burst is well under way.
    for _ in 0..400 {
        if acked.lock().unwrap().len() >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gateway.kill(); // SIGKILL
                    // Each sender stops at its first request that fails (5 s at the most each).
    within("the senders to stop", Duration::from_secs(30), async {
        for s in senders {
            s.await.unwrap();
        }
    })
    .await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 100,
        "the burst was running when killed ({} acked)",
        acked.len()
    );

    let store = cmcc_gateway::store::Store::connect(&db).await.unwrap();
    let mut missing = Vec::new();
    for b in &acked {
        if !store.has_push(b).await.unwrap() {
            missing.push(b.clone());
        }
    }
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let stored = store.push_count().await.unwrap();
    assert!(stored >= i64::try_from(acked.len()).unwrap());
    store.close().await;

    // The gateway starts again on the same file and carries on.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let gateway = start_gateway(&db, port, dir.path());
    wait_ok(&http, &format!("{base}/readyz"), Duration::from_secs(10)).await;
    let (_, r) =
        cmcc_testkit::post_json(&http, &format!("{base}/onelink/push"), &push(&acked[0])).await;
    assert_eq!(r["status"], "0", "a resend of a stored push is answered ok");
    gateway.kill();
    println!(
        "acked before SIGKILL: {}, stored: {stored}, lost: 0",
        acked.len()
    );
}
