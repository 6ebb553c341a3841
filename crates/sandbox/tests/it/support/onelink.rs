//! OneLink from the enterprise's side: the magic cards, a token of the demo enterprise,
//! registration links completed as the user would, the delivery log of pushes, and a local
//! push receiver.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing;
use axum::Router;
use cmcc_proto::wire::onelink::{REAL_NAME_REG_PATH, TOKEN_PATH};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_testkit::{eventually, Sandbox, SandboxConfig, DEADLINE, DEMO_ENTERPRISE, DEMO_PASSWORD};
use parking_lot::Mutex;
use serde_json::{json, Value};

// Magic cards (MAGIC-ONELINK.md, `cmcc_sandbox::onelink::inventory::MAGIC`).
/// Unregistered and active; its registration succeeds.
pub(crate) const FRESH: &str = "1440000000001";
/// Registered (type 01, archived 2024-10-21 09:30:00).
pub(crate) const REGISTERED: &str = "1440000000002";
/// Its registration always fails.
pub(crate) const FAILS: &str = "1440000000003";
/// Suspended: may not register.
pub(crate) const BLOCKED: &str = "1440000000004";
/// The other enterprise's card.
pub(crate) const OTHERS: &str = "1440000000005";
/// Registered as an IoV card (type 04).
pub(crate) const IOV: &str = "1440000000006";
/// Stopped.
pub(crate) const STOPPED: &str = "1440000000007";
/// Pending activation, never activated.
pub(crate) const PENDING: &str = "1440000000008";
/// In stock, never activated.
pub(crate) const STOCK: &str = "1440000000010";
/// Pre-cancelled.
pub(crate) const CANCELLED: &str = "1440000000011";
/// Active with data switched off.
pub(crate) const DATA_OFF: &str = "1440000000012";
/// Active; every change answers 12015.
pub(crate) const FROZEN: &str = "1440000000013";
/// The first card of `demo_generate_cards`.
pub(crate) const GENERATED: &str = "1440000001000";

/// A sandbox with this OneLink configuration and the default auth platform.
pub(crate) async fn start(onelink: OneLinkConfig) -> Sandbox {
    cmcc_testkit::spawn_sandbox_with(SandboxConfig {
        onelink,
        ..Default::default()
    })
    .await
}

/// A transid of seed 000's shape for `appid`: the appid, a 14-digit time, 8 random digits.
pub(crate) fn transid(appid: &str) -> String {
    format!(
        "{appid}20241021093000{:08}",
        rand::random::<u32>() % 100_000_000
    )
}

/// `POST path` with a JSON body: the answer as JSON, whatever the status.
pub(crate) async fn post(sb: &Sandbox, path: &str, body: &Value) -> Value {
    let url = format!("{}{path}", sb.base_url);
    cmcc_testkit::post_json(&cmcc_testkit::http(), &url, body)
        .await
        .1
}

/// `GET path`: the answer as JSON, whatever the status.
pub(crate) async fn get(sb: &Sandbox, path: &str) -> Value {
    let url = format!("{}{path}", sb.base_url);
    cmcc_testkit::get_json(&cmcc_testkit::http(), &url).await.1
}

/// A token of enterprise `appid`.
pub(crate) async fn token_for(sb: &Sandbox, appid: &str, password: &str) -> String {
    let v = post(
        sb,
        TOKEN_PATH,
        &json!({"appid": appid, "password": password, "transid": transid(appid)}),
    )
    .await;
    assert_eq!(v["status"], "0", "a token for {appid}: {v}");
    v["result"][0]["token"].as_str().unwrap().to_owned()
}

/// A token of the demo enterprise.
pub(crate) async fn token(sb: &Sandbox) -> String {
    token_for(sb, DEMO_ENTERPRISE, DEMO_PASSWORD).await
}

/// A registration link (23A12) of the demo enterprise for card `msisdn`: its `result[0]`.
pub(crate) async fn link(sb: &Sandbox, tok: &str, msisdn: &str, url_type: &str) -> Value {
    let v = post(
        sb,
        REAL_NAME_REG_PATH,
        &json!({"transid": transid(DEMO_ENTERPRISE), "token": tok, "msisdn": msisdn, "urlType": url_type}),
    )
    .await;
    assert_eq!(v["status"], "0", "a link for {msisdn}: {v}");
    v["result"][0].clone()
}

/// Submit the registration page of `busi_seq` through the admin API: status and answer.
pub(crate) async fn submit(sb: &Sandbox, busi_seq: &str, form: &Value) -> (u16, Value) {
    let url = format!(
        "{}/_sandbox/onelink/registrations/{busi_seq}/complete",
        sb.base_url
    );
    cmcc_testkit::post_json(&cmcc_testkit::http(), &url, form).await
}

/// Complete the registration of `busi_seq` as a user with this liveness result.
pub(crate) async fn complete(sb: &Sandbox, busi_seq: &str, liveness: &str) {
    let (_, v) = submit(
        sb,
        busi_seq,
        &json!({"name": "李四", "residentId": "11010519491231002X", "liveness": liveness}),
    )
    .await;
    assert!(v["outcome"].is_object(), "{v}");
}

/// Queue a fault for `endpoint` answering `code` once, through the OneLink console's form.
pub(crate) async fn console_fault(
    http: &reqwest::Client,
    sb: &Sandbox,
    endpoint: &str,
    code: &str,
) -> reqwest::Response {
    let url = format!("{}/_sandbox/onelink/console/faults", sb.base_url);
    let fields = [
        ("endpoint", endpoint),
        ("code", code),
        ("delay_ms", "0"),
        ("remaining", "1"),
    ];
    super::post_form(http, &url, &fields).await
}

/// The delivery-log entry of the push of `busi_seq`, once there is one.
pub(crate) async fn push_of(sb: &Sandbox, busi_seq: &str) -> Option<Value> {
    let v = get(sb, "/_sandbox/onelink/pushes").await;
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["busi_seq"] == busi_seq)
        .cloned()
}

/// Wait until the push of `busi_seq` has left `queued` and `delivering`: its log entry.
pub(crate) async fn settled(sb: &Sandbox, busi_seq: &str) -> Value {
    eventually(
        &format!("the push of {busi_seq} to settle"),
        DEADLINE,
        || async move {
            push_of(sb, busi_seq)
                .await
                .filter(|p| !matches!(p["state"].as_str(), Some("queued" | "delivering")))
        },
    )
    .await
}

/// Wait until the push of `busi_seq` is in state `want`.
pub(crate) async fn wait_push(sb: &Sandbox, busi_seq: &str, want: &str) {
    eventually(
        &format!("the push of {busi_seq} to be {want:?}"),
        DEADLINE,
        || async move {
            push_of(sb, busi_seq)
                .await
                .filter(|p| p["state"] == want)
                .map(drop)
        },
    )
    .await;
}

/// A push URL on a port nobody listens on (bound, then let go).
pub(crate) fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/push", l.local_addr().unwrap())
}

/// How the local push receiver answers.
#[derive(Clone)]
pub(crate) enum Answer {
    /// `{"status":"0"}` at once.
    Ok,
    /// `{"status":"0"}` after this long.
    Slow(Duration),
    /// `{"status":"1"}`.
    Status1,
    /// A body that is not JSON.
    NotJson,
    /// `{"status":"0"}`, but only after a minute while the flag is set.
    HangWhile(Arc<AtomicBool>),
}

/// A push receiver on a free port: it records every body and answers as told.
#[derive(Clone)]
pub(crate) struct Receiver {
    /// Its URL, for a callback.
    pub(crate) url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    acked: Arc<AtomicUsize>,
}

impl Receiver {
    pub(crate) async fn start(answer: Answer) -> Self {
        let bodies = Arc::<Mutex<Vec<Value>>>::default();
        let acked = Arc::<AtomicUsize>::default();
        let (b, a) = (bodies.clone(), acked.clone());
        let app = Router::new().route(
            "/push",
            routing::post(move |body: String| {
                let (b, a, answer) = (b.clone(), a.clone(), answer.clone());
                async move {
                    b.lock()
                        .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                    let ok = r#"{"status":"0","message":"ok"}"#;
                    let text = match answer {
                        Answer::Ok => ok,
                        Answer::Slow(d) => {
                            tokio::time::sleep(d).await;
                            ok
                        }
                        Answer::Status1 => return r#"{"status":"1","message":"busy"}"#,
                        Answer::NotJson => return "OK",
                        Answer::HangWhile(hang) => {
                            if hang.load(Ordering::SeqCst) {
                                tokio::time::sleep(Duration::from_secs(60)).await;
                            }
                            ok
                        }
                    };
                    a.fetch_add(1, Ordering::SeqCst);
                    text
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/push", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Self { url, bodies, acked }
    }

    /// Every body received, in order.
    pub(crate) fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().clone()
    }

    /// How many pushes arrived.
    pub(crate) fn count(&self) -> usize {
        self.bodies.lock().len()
    }

    /// How many pushes were answered `{"status":"0"}`.
    pub(crate) fn acked(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }
}
