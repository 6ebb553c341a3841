//! OneLink state survives a restart on the same state file: the inventory (a card registered
//! before the stop), tokens, a registration left pending (completed after the restart), and a
//! push that was on the wire when the sandbox stopped (delivered after the restart).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use cmcc_proto::wire::onelink::{IDENTITY_INFO_PATH, REAL_NAME_REG_PATH, TOKEN_PATH};
use cmcc_sandbox::onelink::config::{PushConfig, DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_sandbox::{Running, SandboxConfig};
use serde_json::{json, Value};

const FRESH: &str = "1440000000001";
const GENERATED: &str = "1440000001000";

/// A push receiver that hangs while `hang` is set, and counts the pushes it acknowledged.
async fn receiver(hang: Arc<AtomicBool>, acked: Arc<AtomicUsize>) -> String {
    let app = Router::new().route(
        "/push",
        post(move |_body: String| {
            let (hang, acked) = (hang.clone(), acked.clone());
            async move {
                if hang.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                acked.fetch_add(1, Ordering::SeqCst);
                r#"{"status":"0","message":"ok"}"#
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    url
}

async fn start(file: &Path, callback: Option<String>) -> Running {
    let config = SandboxConfig {
        onelink: OneLinkConfig {
            demo_callback_url: callback,
            demo_generate_cards: 3,
            state_file: Some(file.to_owned()),
            push: PushConfig {
                timeout_ms: 30_000,
                resend_interval_ms: 20,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    Running::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn post_json(sb: &Running, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get_json(sb: &Running, path: &str) -> Value {
    reqwest::get(format!("{}{path}", sb.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn link(sb: &Running, tok: &str, msisdn: &str) -> String {
    let v = post_json(
        sb,
        REAL_NAME_REG_PATH,
        json!({"transid": "t", "token": tok, "msisdn": msisdn, "urlType": "6"}),
    )
    .await;
    assert_eq!(v["status"], "0", "{v}");
    v["result"][0]["busiSeq"].as_str().unwrap().to_owned()
}

async fn complete(sb: &Running, busi_seq: &str) {
    let v = post_json(
        sb,
        &format!("/_sandbox/onelink/registrations/{busi_seq}/complete"),
        json!({"name": "李四", "residentId": "11010519491231002X", "liveness": "pass"}),
    )
    .await;
    assert!(v["outcome"].is_object(), "{v}");
}

async fn push_state(sb: &Running, busi_seq: &str) -> String {
    let v = get_json(sb, "/_sandbox/onelink/pushes").await;
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["busi_seq"] == busi_seq)
        .map(|p| p["state"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

async fn wait_push(sb: &Running, busi_seq: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = push_state(sb, busi_seq).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "push of {busi_seq}: {got:?}, waited 20 s for {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_state_file_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("onelink.json");
    let (hang, acked) = (
        Arc::new(AtomicBool::new(true)),
        Arc::new(AtomicUsize::new(0)),
    );
    let url = receiver(hang.clone(), acked.clone()).await;

    let a = start(&file, Some(url)).await;
    let v = post_json(
        &a,
        TOKEN_PATH,
        json!({"appid": DEMO_APPID, "password": DEMO_PASSWORD, "transid": "t"}),
    )
    .await;
    let tok = v["result"][0]["token"].as_str().unwrap().to_owned();
    // Registered before the stop; its push hangs at the receiver (on the wire at the stop).
    let done = link(&a, &tok, FRESH).await;
    complete(&a, &done).await;
    wait_push(&a, &done, "delivering").await;
    // Left pending: the link is issued, the user has not submitted yet.
    let pending = link(&a, &tok, GENERATED).await;
    a.stop();
    assert!(file.exists(), "the state file is written");
    assert_eq!(acked.load(Ordering::SeqCst), 0);

    hang.store(false, Ordering::SeqCst);
    // The configured callback is gone: the one saved in the state file is used.
    let b = start(&file, None).await;
    // The token of the first run still works, and the card registered there is registered.
    let v = get_json(
        &b,
        &format!("{IDENTITY_INFO_PATH}?transid=t&token={tok}&msisdn={FRESH}"),
    )
    .await;
    assert_eq!(v["status"], "0", "{v}");
    let v = post_json(
        &b,
        REAL_NAME_REG_PATH,
        json!({"transid": "t", "token": tok, "msisdn": FRESH, "urlType": "6"}),
    )
    .await;
    assert_eq!(
        v["status"], "12013",
        "already registered after the restart: {v}"
    );
    // The push that was on the wire is delivered again.
    wait_push(&b, &done, "delivered").await;
    assert_eq!(acked.load(Ordering::SeqCst), 1);
    // The pending registration completes in the second run, and its push goes out.
    complete(&b, &pending).await;
    wait_push(&b, &pending, "delivered").await;
    let card = get_json(&b, &format!("/_sandbox/onelink/cards/{GENERATED}")).await;
    assert_eq!(card["registered"], true, "{card}");
    b.stop();

    // Without the file the sandbox starts clean.
    std::fs::remove_file(&file).unwrap();
    let c = start(&file, None).await;
    let card = get_json(&c, &format!("/_sandbox/onelink/cards/{GENERATED}")).await;
    assert_eq!(card["registered"], false, "{card}");
    let v = get_json(
        &c,
        &format!("{IDENTITY_INFO_PATH}?transid=t&token={tok}&msisdn={FRESH}"),
    )
    .await;
    assert_eq!(v["status"], "12021", "the old token is unknown: {v}");
    c.stop();
}
