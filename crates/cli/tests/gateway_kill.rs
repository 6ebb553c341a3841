//! A gateway process killed with SIGKILL in the middle of a burst of OneLink pushes loses none
//! that it acknowledged: `{"status":"0"}` is only sent after the push's transaction committed.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_gateway(db: &str, port: u16, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cmcc"))
        .current_dir(dir)
        .args([
            "gateway",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
        ])
        .env_remove("CMCC_GATEWAY_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gateway at {base} did not become ready");
}

fn push(busi_seq: &str) -> serde_json::Value {
    serde_json::json!({"status": "0", "message": "正确", "result": [
        {"regStatus": "1", "regMsg": "ok", "busiSeq": busi_seq, "msisdn": "1440000000001"}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_push() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("gw.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_gateway(&db, port, dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_ready(&http, &base).await;

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
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
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
    let mut child = start_gateway(&db, port, dir.path());
    wait_ready(&http, &base).await;
    let r: serde_json::Value = http
        .post(format!("{base}/onelink/push"))
        .json(&push(&acked[0]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "0", "a resend of a stored push is answered ok");
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "acked before SIGKILL: {}, stored: {stored}, lost: 0",
        acked.len()
    );
}
