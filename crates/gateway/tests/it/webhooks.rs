//! Outgoing webhooks against a real receiver: Standard Webhooks headers, a signature that the
//! independent `standardwebhooks` Python package verifies (and rejects when the body is
//! tampered with), the same `webhook-id` on every retry, the delivery log, redelivery on
//! request, and forwarding only after 23A23 confirmed the push.


use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use cmcc_gateway::Running;
use cmcc_proto::Secret;
use crate::support::*;
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

type Seen = Arc<tokio::sync::Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver that answers 503 to the first delivery and 200 afterwards.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let mut s = sink.lock().await;
                s.push((headers, body));
                if s.len() == 1 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy")
                } else {
                    (StatusCode::OK, "thanks")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await });
    (url, seen)
}

/// Verify with the `standardwebhooks` package (PyPI; `./dev test` installs it). `None` when it
/// is not installed outside CI (the test then skips that part).
fn python_verifies(headers: &HeaderMap, body: &str) -> Option<bool> {
    const SCRIPT: &str = "import json, sys\nfrom standardwebhooks.webhooks import Webhook\nh = json.loads(sys.argv[2])\ntry:\n    Webhook(sys.argv[1]).verify(sys.stdin.read(), h)\n    print('verified')\nexcept Exception as e:\n    print('rejected', type(e).__name__)\n";
    let probe = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !crate::support::in_ci(),
            "CI=true but python3 -m pip install standardwebhooks is missing"
        );
        eprintln!("SKIPPED: the standardwebhooks Python package is not installed");
        return None;
    }
    let h: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|k| ((*k).to_owned(), json!(headers[*k].to_str().unwrap())))
            .collect();
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT, SECRET, &Value::Object(h).to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    Some(text.trim() == "verified")
}

#[tokio::test]
async fn webhooks_are_signed_retried_logged_and_redelivered() {
    let sys = Sys::start().await;
    let (hook_url, seen) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sys.gateway_config(sqlite_url(&dir));
    cfg.forward_url = Some(hook_url);
    cfg.webhook_secret = Some(Secret::new(SECRET));
    cfg.webhook_retry_secs = vec![1, 1];
    let gw = Running::start(cfg).await.unwrap();
    sys.set_callback(&format!("{}/onelink/push", gw.base_url))
        .await;
    let (_, link) = post(
        &sys.http,
        format!("{}/v1/registrations", gw.base_url),
        json!({"msisdn": "1440000000001"}),
    )
    .await;
    let busi = link["busiSeq"].as_str().unwrap().to_owned();
    // Confirmation is held back (23A23 down for one call): nothing is forwarded meanwhile.
    sys.fault(IDENTITY_INFO, "http503", 3).await;
    sys.complete(&busi, "pass").await;
    eventually("the push", || async {
        gw.state().unwrap().store.has_push(&busi).await.unwrap()
    })
    .await;
    assert!(
        seen.lock().await.is_empty(),
        "no webhook before 23A23 agreed"
    );

    eventually("the retried delivery", || async {
        seen.lock().await.len() >= 2
    })
    .await;
    let got = seen.lock().await.clone();
    let (h1, b1) = &got[0];
    let (h2, b2) = &got[1];
    assert_eq!(
        h1["webhook-id"], h2["webhook-id"],
        "same webhook-id on a retry"
    );
    assert!(h1["webhook-id"].to_str().unwrap().starts_with("msg_"));
    assert_eq!(b1, b2);
    assert!(h2["webhook-signature"].to_str().unwrap().starts_with("v1,"));
    let ev: Value = serde_json::from_str(b2).unwrap();
    assert_eq!(ev["type"], "registration.registered", "{ev}");
    assert_eq!(
        (
            ev["data"]["busiSeq"].as_str(),
            ev["data"]["state"].as_str(),
            ev["data"]["confirmation"].as_str()
        ),
        (Some(busi.as_str()), Some("registered"), Some("confirmed")),
        "{ev}"
    );
    assert_eq!(ev["data"]["msisdn"], "1440000000001");
    // The independent implementation agrees with our signature, and not with a tampered body.
    if let Some(ok) = python_verifies(h2, b2) {
        assert!(ok, "standardwebhooks rejected our signature");
        let tampered = b2.replace("registered", "failed");
        assert_eq!(python_verifies(h2, &tampered), Some(false));
    }

    // The delivery log.
    let id = h2["webhook-id"].to_str().unwrap().to_owned();
    eventually("the delivery log", || async {
        get(&sys.http, format!("{}/v1/events/{id}", gw.base_url))
            .await
            .1["status"]
            == "delivered"
    })
    .await;
    let (_, e) = get(&sys.http, format!("{}/v1/events/{id}", gw.base_url)).await;
    let statuses: Vec<i64> = e["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["httpStatus"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 200], "{e}");
    assert_eq!(e["deliveries"][1]["answer"], "thanks");
    assert!(e["deliveries"][0]["latencyMs"].as_i64().is_some());
    let (_, list) = get(
        &sys.http,
        format!("{}/v1/events?busiSeq={busi}", gw.base_url),
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // Redelivered on request, with the same id.
    let (s, r) = post(
        &sys.http,
        format!("{}/v1/events/{id}/redeliver", gw.base_url),
        json!({}),
    )
    .await;
    assert_eq!((s, r["queued"].as_bool()), (202, Some(true)), "{r}");
    eventually("the redelivery", || async { seen.lock().await.len() >= 3 }).await;
    let got = seen.lock().await.clone();
    assert_eq!(got[2].0["webhook-id"].to_str().unwrap(), id);
    if let Some(ok) = python_verifies(&got[2].0, &got[2].1) {
        assert!(ok);
    }
    let (s, _) = post(
        &sys.http,
        format!("{}/v1/events/msg_nope/redeliver", gw.base_url),
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
    let metrics = sys
        .http
        .get(format!("{}/metrics", gw.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("cmcc_webhook_deliveries_total"),
        "{metrics}"
    );
    gw.shutdown().await;
}
