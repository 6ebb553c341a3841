//! The gateway's HTTP API without a carrier: input checking on every route, API keys, the
//! push receiver's contract, limits, operations endpoints. (Flows against the sandbox are in
//! `flows.rs`.)

use std::sync::{Arc, Mutex};

use cmcc_gateway::config::PassportSection;
use cmcc_gateway::store::{NewRegistration, RegState};
use cmcc_gateway::Config;
use cmcc_proto::crypto::SignAlg;
use cmcc_proto::{PrivateKey, Timestamp17};
use cmcc_testkit::{eventually, get_json, within, Gateway, API_KEY, DEADLINE};
use serde_json::{json, Value};

use crate::support::{metrics, push_of, PUSH};

/// A gateway on a fresh SQLite file whose carriers are unreachable (nothing here may need them).
async fn gateway(tune: impl FnOnce(&mut Config)) -> Gateway {
    cmcc_testkit::spawn_gateway(None, tune).await
}

/// The passport section the gateway runs with: the appId and keys a business holds.
fn passport(gw: &Gateway) -> &PassportSection {
    gw.run.state().unwrap().cfg.passport.as_ref().unwrap()
}

/// `POST path` with the API key and a body of this content type: status and answer text.
async fn post_raw(gw: &Gateway, path: &str, ctype: &str, body: Vec<u8>) -> (u16, String) {
    let r = gw
        .http
        .post(gw.url(path))
        .header("content-type", ctype)
        .bearer_auth(API_KEY)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// `text` is the one error shape, `{"error": {"code", "message", …}}` with both non-empty.
fn assert_error_shape(what: &str, text: &str) {
    let v: Value =
        serde_json::from_str(text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
    for field in ["code", "message"] {
        assert!(
            v["error"][field].as_str().is_some_and(|c| !c.is_empty()),
            "{what}: no error.{field}: {text}"
        );
    }
}

fn push_body(busi_seq: &str, status: &str, msisdn: &str) -> Value {
    push_of(json!([{"regStatus": status, "regMsg": "ok", "busiSeq": busi_seq, "msisdn": msisdn}]))
}

/// Post a push to `path` (no API key, as OneLink) and check that it is acknowledged.
async fn push_acked(gw: &Gateway, path: &str, body: &Value) {
    let (s, answer) = gw.post_anonymous(path, body).await;
    assert_eq!(
        (s, answer["status"].as_str()),
        (200, Some("0")),
        "{path} {body}: {answer}"
    );
}

fn issued(busi_seq: &str, msisdn: &str) -> NewRegistration {
    NewRegistration {
        busi_seq: busi_seq.into(),
        card_field: "msisdn".into(),
        card_value: msisdn.into(),
        url_type: 6,
        url: "https://example.invalid/reg".into(),
        created_at: chrono::Utc::now().timestamp_millis(),
        state: RegState::Pending,
    }
}

fn now17() -> String {
    Timestamp17::from_utc(chrono::Utc::now()).to_string()
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let gw = gateway(|_| {}).await;
    let r = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, r) = get_json(&gw.http, &gw.url("/readyz")).await;
    assert_eq!(r["store"]["backend"], "sqlite");
    assert_eq!(r["store"]["ok"], true);
    let (_, doc) = get_json(&gw.http, &gw.url("/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/v1/presign/sign",
        "/v1/token-sign",
        "/v1/verify",
        "/v1/uaid",
        "/v1/registrations",
        "/v1/cards/{field}/{value}",
    ] {
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from /openapi.json"
        );
    }
    gw.post_anonymous("/v1/verify", &json!({})).await;
    let text = metrics(&gw).await;
    assert!(text.contains("cmcc_http_requests_total"), "{text}");
    gw.stop().await;
}

/// A person opening the gateway's address gets a page (not a 404): the API document, health,
/// what is configured, and the links an embedding process gave it, escaped; and an icon.
#[tokio::test]
async fn the_root_is_an_index_page_with_an_icon() {
    let gw = gateway(|c| {
        c.related_links = vec![cmcc_gateway::config::RelatedLink {
            label: "沙箱控制台 · <Sandbox console>".into(),
            url: "http://127.0.0.1:1/_sandbox/?a=1&b=2".into(),
            note: String::new(),
        }];
    })
    .await;
    let html = cmcc_testkit::get_html(&gw.http, &gw.url("/")).await;
    for needle in [
        "href=\"/openapi.json\"",
        "href=\"/healthz\"",
        "href=\"/readyz\"",
        "rel=\"icon\"",
        "沙箱控制台 · &lt;Sandbox console&gt;",
        "?a=1&amp;b=2",
    ] {
        assert!(html.contains(needle), "{needle} missing from:\n{html}");
    }
    let r = gw.http.get(gw.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    // Other unknown paths keep the API's JSON 404.
    let (status, v) = gw.get("/nope").await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    gw.stop().await;
}

#[tokio::test]
async fn presign_is_signed_only_when_ours_and_fresh() {
    let gw = gateway(|_| {}).await;
    let app_id = passport(&gw).app_id.clone();
    let public = PrivateKey::parse(passport(&gw).private_key.as_ref().unwrap().expose())
        .unwrap()
        .public_key()
        .unwrap();
    let msg = "0123456789abcdef0123456789abcdef";
    let uuid = "fedcba9876543210fedcba9876543210";
    let pre = format!("{app_id}{msg}{}{uuid}1.0", now17());
    let (s, body) = gw
        .post_anonymous("/v1/presign/sign", &json!({"preSign": pre}))
        .await;
    assert_eq!(s, 200, "{body}");
    let sign = body["sign"].as_str().unwrap();
    assert!(public
        .verify(SignAlg::Md5WithRsa, pre.as_bytes(), sign)
        .unwrap());

    // Refused, nothing signed.
    for (what, bad) in [
        (
            "someone else's appId",
            format!("999999999999{msg}{}{uuid}1.0", now17()),
        ),
        ("arbitrary bytes", "please sign me".to_owned()),
        (
            "a stale timestamp",
            format!("{app_id}{msg}20200101000000000{uuid}1.0"),
        ),
        // A version the JSSDK does not write: a genuine preSign with digits or dots appended.
        ("a digit appended", format!("{pre}0")),
        ("a dot appended", format!("{pre}.")),
        ("version 2.0", format!("{app_id}{msg}{}{uuid}2.0", now17())),
    ] {
        let (s, body) = gw
            .post_anonymous("/v1/presign/sign", &json!({"preSign": bad}))
            .await;
        assert_eq!(s, 400, "{what}: {bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().len() > 5,
            "{what}: {body}"
        );
        assert!(body.get("sign").is_none(), "{what}: {body}");
    }
    gw.stop().await;
    // The list is configurable.
    let gw = gateway(|c| c.presign_versions = vec!["1.0".into(), "2.0".into()]).await;
    let two = format!("{}{msg}{}{uuid}2.0", passport(&gw).app_id, now17());
    let (s, body) = gw
        .post_anonymous("/v1/presign/sign", &json!({"preSign": two}))
        .await;
    assert_eq!(s, 200, "{body}");
    gw.stop().await;
}

#[tokio::test]
async fn token_sign_checks_its_fields() {
    let gw = gateway(|_| {}).await;
    let app_id = passport(&gw).app_id.clone();
    let app_key = passport(&gw).app_key.as_ref().unwrap().expose().to_owned();
    let ts = now17();
    let trace = "0123456789abcdef0123456789abcdef";
    let (s, body) = gw
        .post_anonymous(
            "/v1/token-sign",
            &json!({"businessType": "5", "traceId": trace, "timestamp": ts}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["appId"], app_id.as_str());
    let expected = cmcc_proto::sign::Md5SignInput {
        app_id: &app_id,
        business_type: "5",
        msg_id: trace,
        timestamp: &ts,
        trace_id: trace,
        version: "1.0",
        app_key: &app_key,
    }
    .sign();
    assert_eq!(body["sign"], expected.as_str());
    assert!(!body.to_string().contains(&app_key));

    for (bad, why) in [
        (
            json!({"businessType": "1", "traceId": trace, "timestamp": ts}),
            "businessType",
        ),
        (
            json!({"businessType": "5", "traceId": "x", "timestamp": ts}),
            "traceId",
        ),
        (
            json!({"businessType": "5", "traceId": trace, "timestamp": "20200101000000000"}),
            "timestamp",
        ),
        (
            json!({"businessType": "5", "traceId": trace, "timestamp": "yesterday"}),
            "timestamp",
        ),
    ] {
        let (s, body) = gw.post_anonymous("/v1/token-sign", &bad).await;
        assert_eq!(s, 400, "{why}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    gw.stop().await;
}

/// A body a route cannot take, and the status that says why.
struct BadBody {
    name: &'static str,
    ctype: &'static str,
    body: Vec<u8>,
    want: u16,
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_a_clear_4xx_on_every_route() {
    let gw = gateway(|c| c.limits.max_body_bytes = 4096).await;
    let big = format!("{{\"token\":\"{}\"}}", "a".repeat(10_000)).into_bytes();
    let json = "application/json";
    let cases = [
        BadBody {
            name: "not JSON",
            ctype: json,
            body: b"{not json".to_vec(),
            want: 400,
        },
        BadBody {
            name: "an array",
            ctype: json,
            body: b"[1,2,3]".to_vec(),
            want: 422,
        },
        BadBody {
            name: "an unexpected field",
            ctype: json,
            body: b"{\"unexpected\":1}".to_vec(),
            want: 422,
        },
        BadBody {
            name: "not a JSON content type",
            ctype: "text/plain",
            body: b"{}".to_vec(),
            want: 415,
        },
        BadBody {
            name: "over max_body_bytes",
            ctype: json,
            body: big.clone(),
            want: 413,
        },
    ];
    for route in [
        "/v1/presign/sign",
        "/v1/token-sign",
        "/v1/verify",
        "/v1/uaid",
        "/v1/registrations",
    ] {
        for c in &cases {
            let what = format!("{route}, {}", c.name);
            let (s, text) = post_raw(&gw, route, c.ctype, c.body.clone()).await;
            assert_eq!(s, c.want, "{what} ({}): {text}", c.ctype);
            assert_error_shape(&what, &text);
        }
    }
    let (s, text) = post_raw(&gw, PUSH, json, big).await;
    assert_eq!(s, 413, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_ne!(
        v["status"], "0",
        "an oversized push is not acknowledged: {text}"
    );
    // Field-level problems are named.
    let (s, body) = gw
        .post_anonymous(
            "/v1/verify",
            &json!({"phone": "12", "token": "t", "userInformation": "u"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("phone"),
        "{body}"
    );
    gw.stop().await;
}

/// `method path` with this `authorization` header (or none) and a JSON body: status and answer.
async fn request(
    gw: &Gateway,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut r = gw.http.request(method.parse().unwrap(), gw.url(path));
    if let Some(a) = authorization {
        r = r.header("authorization", a);
    }
    let r = r.json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn server_routes_need_an_api_key() {
    let gw = gateway(|_| {}).await;
    let bearer = format!("Bearer {API_KEY}");
    for (method, path) in [
        ("POST", "/v1/registrations"),
        ("GET", "/v1/registrations"),
        ("GET", "/v1/cards/msisdn/1440000000001"),
    ] {
        for auth in [None, Some("Bearer wrong"), Some(API_KEY)] {
            let (s, v) = request(&gw, method, path, auth, &json!({})).await;
            assert_eq!(s, 401, "{method} {path} with {auth:?}");
            assert_eq!(
                v["error"]["code"], "unauthorized",
                "{method} {path} with {auth:?}"
            );
        }
    }
    // With the key, input checking happens (no carrier needed for these).
    for (method, path, body, want) in [
        (
            "POST",
            "/v1/registrations",
            Some(json!({"msisdn": "1440000000001", "iccid": "89860000000000000001"})),
            400,
        ),
        ("GET", "/v1/registrations?state=weird", None, 400),
        ("GET", "/v1/cards/phone/123", None, 400),
        ("GET", "/v1/registrations", None, 200),
    ] {
        let (s, v) = match &body {
            Some(body) => request(&gw, method, path, Some(&bearer), body).await,
            None => gw.get(path).await,
        };
        assert_eq!(s, want, "{method} {path} with the key: {v}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn per_ip_limit_applies_to_browser_routes() {
    let gw = gateway(|c| c.limits.per_ip_per_minute = 3).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(gw.post_anonymous("/v1/uaid", &json!({"token": ""})).await.0);
    }
    assert_eq!(statuses, [400, 400, 400, 429, 429]);
    let (_, body) = gw.post_anonymous("/v1/uaid", &json!({"token": ""})).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    gw.stop().await;
}

#[tokio::test]
async fn push_receiver_stores_once_and_settles_only_what_it_issued() {
    // Confirmation off here (no carrier in this suite); flows.rs covers it against the sandbox.
    let gw = gateway(|c| c.confirm_pushes = false).await;
    let st = gw.run.state().unwrap().clone();
    st.store
        .insert_registration(&issued("BS0001", "1440000000001"))
        .await
        .unwrap();
    push_acked(&gw, PUSH, &push_body("BS0001", "1", "1440000000001")).await;
    let r = st.store.registration("BS0001").await.unwrap().unwrap();
    assert_eq!(
        (
            r.state.as_str(),
            r.settled_by.as_deref(),
            r.confirmation.as_deref()
        ),
        ("registered", Some("push"), Some("not_checked"))
    );

    // A resend changes nothing and is answered ok; a contradicting push is quarantined.
    for status in ["1", "0"] {
        push_acked(&gw, PUSH, &push_body("BS0001", status, "1440000000001")).await;
    }
    assert_eq!(st.store.push_count().await.unwrap(), 2);
    assert_eq!(
        st.store
            .registration("BS0001")
            .await
            .unwrap()
            .unwrap()
            .state,
        "registered"
    );

    // A push for a registration this gateway never issued: acknowledged, quarantined, no card.
    push_acked(&gw, PUSH, &push_body("BS0002", "1", "1440000000002")).await;
    assert!(st.store.registration("BS0002").await.unwrap().is_none());
    let (s, q) = gw.get("/v1/pushes/quarantine").await;
    assert_eq!(s, 200, "{q}");
    let reasons: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{q}");
    assert!(reasons.contains(&"not_issued") && reasons.contains(&"contradicts_registered"));
    assert!(
        !q.to_string().contains("1440000000002"),
        "cards are masked: {q}"
    );

    // Unreadable bodies get a non-zero status, so the platform resends.
    for bad in [
        &b"garbage"[..],
        b"{\"status\":\"0\"}",
        b"{\"result\":[{\"regStatus\":\"1\"}]}",
    ] {
        let (s, text) = post_raw(&gw, PUSH, "application/json", bad.to_vec()).await;
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_ne!(v["status"], "0", "{s} {text}");
        assert!((400..500).contains(&s), "{s} {text}");
    }
    assert_eq!(st.store.push_count().await.unwrap(), 3);
    drop(st);
    gw.stop().await;
}

/// A push to the receiver with one forwarding header: the status.
async fn push_via(gw: &Gateway, header: &str, value: &str, busi_seq: &str) -> u16 {
    gw.http
        .post(gw.url(PUSH))
        .header(header, value)
        .json(&push_body(busi_seq, "1", "1440000000001"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn push_allowed_cidrs_refuse_others_and_trust_only_listed_proxies() {
    let gw = gateway(|c| c.push_allowed_cidrs = vec!["10.0.0.0/8".into()]).await;
    let (s, answer) = gw
        .post_anonymous(PUSH, &push_body("BS0200", "1", "1440000000001"))
        .await;
    assert_eq!(s, 403, "{answer}");
    assert!(
        answer["status"].as_str().is_some_and(|x| x != "0"),
        "{answer}"
    );
    // A forwarding header from an untrusted peer is ignored.
    assert_eq!(
        push_via(&gw, "x-forwarded-for", "10.1.2.3", "BS0201").await,
        403
    );
    assert_eq!(gw.run.state().unwrap().store.push_count().await.unwrap(), 0);
    gw.stop().await;

    // Behind a trusted proxy (the test client, 127.0.0.1) the right-most untrusted hop counts.
    let gw = gateway(|c| {
        c.push_allowed_cidrs = vec!["10.0.0.0/8".into()];
        c.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.limits.per_ip_per_minute = 2;
    })
    .await;
    for (xff, want) in [
        ("10.1.2.3", 200),
        ("10.9.9.9, 203.0.113.5", 403),
        ("203.0.113.5, 10.1.2.3", 200),
    ] {
        assert_eq!(
            push_via(&gw, "x-forwarded-for", xff, "BS0202").await,
            want,
            "{xff}"
        );
    }
    // The per-IP limit counts clients, not the proxy.
    let mut statuses = Vec::new();
    for ip in [
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
    ] {
        let r = gw
            .http
            .post(gw.url("/v1/uaid"))
            .header("forwarded", format!("for={ip}"))
            .json(&json!({"token": ""}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 429, 400]);
    gw.stop().await;
}

#[tokio::test]
async fn every_error_is_one_json_shape() {
    let gw = gateway(|_| {}).await;
    for (method, path, want) in [
        ("GET", "/v1/registrations?limit=abc", 400),
        ("GET", "/v1/registrations?since=yesterday", 400),
        ("GET", "/v1/cards/msisdn/1440000000001?refresh=maybe", 400),
        ("GET", "/v1/events?limit=x", 400),
        ("GET", "/v1/nope", 404),
        ("GET", "/nope", 404),
        ("DELETE", "/v1/presign/sign", 405),
        ("PUT", "/healthz", 405),
        ("GET", "/v1/events/msg_unknown", 404),
        ("POST", "/v1/events/msg_unknown/redeliver", 409),
    ] {
        let what = format!("{method} {path}");
        let r = gw
            .http
            .request(method.parse().unwrap(), gw.url(path))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = r.text().await.unwrap();
        assert_eq!(status, want, "{what}: {text}");
        assert!(
            ctype
                .as_deref()
                .is_some_and(|c| c.starts_with("application/json")),
            "{what}: {ctype:?}"
        );
        assert_error_shape(&what, &text);
    }
    gw.stop().await;
}

#[tokio::test]
async fn bearer_is_parsed_strictly() {
    let gw = gateway(|_| {}).await;
    for (header, want) in [
        (format!("Bearer {API_KEY}"), 200),
        (format!("bearer {API_KEY}"), 200),
        (format!("Bearer  {API_KEY}"), 401),
        (format!("Bearer \t{API_KEY}"), 401),
        (format!("Bearer\t{API_KEY}"), 401),
        (format!("Bearer {API_KEY} extra"), 401),
        (format!("Basic {API_KEY}"), 401),
        ("Bearer ".to_owned(), 401),
        (API_KEY.to_owned(), 401),
    ] {
        let r = gw
            .http
            .get(gw.url("/v1/registrations"))
            .header("authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), want, "{header:?}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn push_path_is_configurable() {
    let gw = gateway(|c| c.push_path = "/hooks/cmcc".into()).await;
    push_acked(
        &gw,
        "/hooks/cmcc",
        &push_body("BS0100", "1", "1440000000003"),
    )
    .await;
    let (s, _) = gw
        .post_anonymous(PUSH, &push_body("BS0101", "1", "1440000000003"))
        .await;
    assert_eq!(s, 404);
    gw.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_answers_in_flight_pushes_and_keeps_every_acknowledged_one() {
    let gw = gateway(|_| {}).await;
    let db = gw.run.state().unwrap().cfg.database_url.clone();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut senders = Vec::new();
    for w in 0..8 {
        let (http, url, acked) = (gw.http.clone(), gw.url(PUSH), acked.clone());
        senders.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let busi = format!("GS{w}{n:05}");
                let Ok(r) = http
                    .post(&url)
                    .json(&push_body(&busi, "1", "1440000000001"))
                    .send()
                    .await
                else {
                    return;
                };
                match r.json::<Value>().await {
                    Ok(v) if v["status"] == "0" => acked.lock().unwrap().push(busi),
                    _ => return,
                }
            }
        }));
    }
    // Senders stop at their first failure: if all of them have stopped short of 100
    // acknowledgements, say so now rather than at the deadline.
    eventually("100 acknowledged pushes", DEADLINE, || {
        let n = acked.lock().unwrap().len();
        let stopped = senders.iter().all(tokio::task::JoinHandle::is_finished);
        assert!(
            n >= 100 || !stopped,
            "every sender stopped after {n} acknowledged pushes"
        );
        async move { (n >= 100).then_some(()) }
    })
    .await;
    // Shut down while the senders are still sending; the folder (the SQLite file) stays.
    within("the gateway to shut down", DEADLINE, gw.run.shutdown()).await;
    for (w, s) in senders.into_iter().enumerate() {
        within(
            &format!("sender {w} to stop after the shutdown"),
            DEADLINE,
            s,
        )
        .await
        .unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let store = cmcc_gateway::store::Store::connect(&db).await.unwrap();
    for b in &acked {
        assert!(
            store.has_push(b).await.unwrap(),
            "{b} acknowledged but not stored"
        );
    }
    assert!(store.push_count().await.unwrap() >= i64::try_from(acked.len()).unwrap());
    store.close().await;
    drop(gw.dir);
}

/// One CORS preflight and the `access-control-allow-origin` it must get.
struct Preflight {
    name: &'static str,
    path: &'static str,
    origin: &'static str,
    request_headers: Option<&'static str>,
    want: Option<&'static str>,
}

#[tokio::test]
async fn browser_routes_answer_cors_only_for_listed_origins() {
    let gw = gateway(|c| c.cors_origins = vec!["https://shop.example/".into()]).await;
    for c in [
        Preflight {
            name: "a listed origin (configured with a trailing slash) is allowed",
            path: "/v1/verify",
            origin: "https://shop.example",
            request_headers: Some("content-type"),
            want: Some("https://shop.example"),
        },
        Preflight {
            name: "another origin is not",
            path: "/v1/verify",
            origin: "https://evil.example",
            request_headers: Some("content-type"),
            want: None,
        },
        Preflight {
            name: "server routes are not for browsers",
            path: "/v1/registrations",
            origin: "https://shop.example",
            request_headers: None,
            want: None,
        },
    ] {
        let mut r = gw
            .http
            .request(reqwest::Method::OPTIONS, gw.url(c.path))
            .header("origin", c.origin)
            .header("access-control-request-method", "POST");
        if let Some(h) = c.request_headers {
            r = r.header("access-control-request-headers", h);
        }
        let r = r.send().await.unwrap();
        assert_eq!(
            r.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            c.want,
            "{}",
            c.name
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_push_flood_cannot_grow_the_quarantine_past_its_bound() {
    let gw = gateway(|c| c.quarantine_max_rows = 2).await;
    let clock = gw.run.state().unwrap().clock.clone();
    for i in 0..4 {
        push_acked(
            &gw,
            PUSH,
            &push_body(&format!("FLOOD{i}"), "1", "1440000000001"),
        )
        .await;
        // Distinct receive times (the gateway's clock), so "oldest" is well defined.
        clock.advance(chrono::Duration::milliseconds(3));
    }
    let (s, q) = gw.get("/v1/pushes/quarantine").await;
    assert_eq!(s, 200, "{q}");
    let mut kept: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["busiSeq"].as_str().unwrap())
        .collect();
    kept.sort_unstable();
    assert_eq!(kept, ["FLOOD2", "FLOOD3"], "{q}");
    let text = metrics(&gw).await;
    assert!(
        text.contains("cmcc_pushes_quarantine_dropped_total"),
        "{text}"
    );
    gw.stop().await;
}
