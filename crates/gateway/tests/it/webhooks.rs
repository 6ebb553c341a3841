//! Outgoing webhooks against a real receiver: Standard Webhooks headers, a signature that the
//! independent `standardwebhooks` Python package verifies (and rejects when the body is
//! tampered with), the same `webhook-id` on every retry, the delivery log, redelivery on
//! request, and forwarding only after 23A23 confirmed the push.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use cmcc_proto::wire::onelink::IDENTITY_INFO_PATH;
use cmcc_proto::Secret;
use cmcc_testkit::{eventually_true, DEADLINE};
use serde_json::{json, Value};

use crate::support::{eventually_advancing, link, metrics, python, python_has, Sys};

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
    if !python_has("standardwebhooks", "standardwebhooks") {
        return None;
    }
    let h: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|k| ((*k).to_owned(), json!(headers[*k].to_str().unwrap())))
            .collect();
    let h = Value::Object(h).to_string();
    let out = python(&["-c", SCRIPT, SECRET, h.as_str()], body.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(text.trim() == "verified")
}

#[tokio::test]
async fn webhooks_are_signed_retried_logged_and_redelivered() {
    let sys = Sys::start().await;
    let (hook_url, seen) = receiver().await;
    let gw = sys
        .gateway(|cfg| {
            cfg.forward_url = Some(hook_url);
            cfg.webhook_secret = Some(Secret::new(SECRET));
            cfg.webhook_retry_secs = vec![1, 1];
        })
        .await;
    sys.push_to(&gw).await;
    let busi = link(&gw, &json!({"msisdn": "1440000000001"})).await;
    // Confirmation is held back (23A23 down for one call): nothing is forwarded meanwhile.
    sys.fault(IDENTITY_INFO_PATH, "http503", 3).await;
    sys.complete(&busi, "pass").await;
    eventually_true("the push", DEADLINE, || async {
        gw.run.state().unwrap().store.has_push(&busi).await.unwrap()
    })
    .await;
    assert!(
        seen.lock().await.is_empty(),
        "no webhook before 23A23 agreed"
    );

    // The confirmation's back-off and the webhook's retry delay are both on the gateway's
    // clock: moved here rather than waited for.
    eventually_advancing(
        &gw,
        "the retried delivery",
        chrono::Duration::milliseconds(250),
        || async { seen.lock().await.len() >= 2 },
    )
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
    let event = format!("/v1/events/{id}");
    eventually_true("the delivery log", DEADLINE, || async {
        gw.get(&event).await.1["status"] == "delivered"
    })
    .await;
    let (_, e) = gw.get(&event).await;
    let statuses: Vec<i64> = e["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["httpStatus"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 200], "{e}");
    assert_eq!(e["deliveries"][1]["answer"], "thanks");
    assert!(e["deliveries"][0]["latencyMs"].as_i64().is_some());
    let (_, list) = gw.get(&format!("/v1/events?busiSeq={busi}")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // Redelivered on request, with the same id.
    let (s, r) = gw.post(&format!("{event}/redeliver"), &json!({})).await;
    assert_eq!((s, r["queued"].as_bool()), (202, Some(true)), "{r}");
    eventually_true("the redelivery", DEADLINE, || async {
        seen.lock().await.len() >= 3
    })
    .await;
    let got = seen.lock().await.clone();
    assert_eq!(got[2].0["webhook-id"].to_str().unwrap(), id);
    if let Some(ok) = python_verifies(&got[2].0, &got[2].1) {
        assert!(ok);
    }
    let (s, _) = gw.post("/v1/events/msg_nope/redeliver", &json!({})).await;
    assert_eq!(s, 404);
    let text = metrics(&gw).await;
    assert!(text.contains("cmcc_webhook_deliveries_total"), "{text}");
    gw.stop().await;
}
