//! The gateway's HTTP API without a carrier: input checking on every route, API keys, the
//! push receiver's contract, limits, operations endpoints. (Flows against the sandbox are in
//! `flows.rs`.)


use cmcc_gateway::config::{OneLinkSection, PassportSection};
use cmcc_gateway::store::{NewRegistration, RegState};
use cmcc_gateway::{Config, Running};
use cmcc_proto::crypto::SignAlg;
use cmcc_proto::{PrivateKey, Secret, Timestamp17};
use serde_json::{json, Value};

const APP_ID: &str = "300011000001";
const API_KEY: &str = "k-test-0123456789";

struct Gw {
    run: Running,
    http: reqwest::Client,
    key: PrivateKey,
    _dir: tempfile::TempDir,
}

impl Gw {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.run.base_url)
    }
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
    async fn post_raw(&self, path: &str, ctype: &str, body: Vec<u8>) -> (u16, String) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", ctype)
            .header("authorization", format!("Bearer {API_KEY}"))
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// A gateway on a fresh SQLite file whose carriers are unreachable (nothing here may need them).
async fn gateway(tune: impl FnOnce(&mut Config)) -> Gw {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate(1024).unwrap();
    let platform = PrivateKey::generate(1024).unwrap();
    let mut cfg = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite:{}", dir.path().join("gw.db").display()),
        api_keys: vec![Secret::new(API_KEY)],
        ..Config::default()
    };
    cfg.passport = Some(PassportSection {
        base_url: "http://127.0.0.1:9".into(),
        app_id: APP_ID.into(),
        app_key: Some(Secret::new("appkey-secret-value")),
        app_key_file: None,
        private_key: Some(Secret::new(key.to_base64().unwrap())),
        private_key_file: None,
        platform_public_key: Some(platform.public_key().unwrap().to_base64().unwrap()),
        platform_public_key_file: None,
        headers: Default::default(),
    });
    cfg.onelink = Some(OneLinkSection {
        base_url: "http://127.0.0.1:9".into(),
        appid: "100000000000000001".into(),
        password: Some(Secret::new("pw")),
        password_file: None,
    });
    tune(&mut cfg);
    let run = Running::start(cfg).await.unwrap();
    Gw {
        run,
        http: reqwest::Client::new(),
        key,
        _dir: dir,
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
    let r: Value = gw
        .http
        .get(gw.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["store"]["backend"], "sqlite");
    assert_eq!(r["store"]["ok"], true);
    let doc: Value = gw
        .http
        .get(gw.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    gw.post("/v1/verify", &json!({})).await;
    let text = gw
        .http
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("cmcc_http_requests_total"), "{text}");
    gw.run.shutdown().await;
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
    let r = gw.http.get(gw.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
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
    gw.run.shutdown().await;
}

#[tokio::test]
async fn presign_is_signed_only_when_ours_and_fresh() {
    let gw = gateway(|_| {}).await;
    let msg = "0123456789abcdef0123456789abcdef";
    let uuid = "fedcba9876543210fedcba9876543210";
    let pre = format!("{APP_ID}{msg}{}{uuid}1.0", now17());
    let (s, body) = gw.post("/v1/presign/sign", &json!({"preSign": pre})).await;
    assert_eq!(s, 200, "{body}");
    let sign = body["sign"].as_str().unwrap();
    let public = gw.key.public_key().unwrap();
    assert!(public
        .verify(SignAlg::Md5WithRsa, pre.as_bytes(), sign)
        .unwrap());

    // Someone else's appId, arbitrary bytes, a stale timestamp, a version the JSSDK does not
    // write (a genuine preSign with digits or dots appended): refused, nothing signed.
    let other = format!("999999999999{msg}{}{uuid}1.0", now17());
    let stale = format!("{APP_ID}{msg}20200101000000000{uuid}1.0");
    let longer = format!("{pre}0");
    let dotted = format!("{pre}.");
    let two = format!("{APP_ID}{msg}{}{uuid}2.0", now17());
    for bad in [
        other.as_str(),
        "please sign me",
        stale.as_str(),
        longer.as_str(),
        dotted.as_str(),
        two.as_str(),
    ] {
        let (s, body) = gw.post("/v1/presign/sign", &json!({"preSign": bad})).await;
        assert_eq!(s, 400, "{bad}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
        assert!(body.get("sign").is_none());
    }
    gw.run.shutdown().await;
    // The list is configurable.
    let gw = gateway(|c| c.presign_versions = vec!["1.0".into(), "2.0".into()]).await;
    let two = format!("{APP_ID}{msg}{}{uuid}2.0", now17());
    let (s, body) = gw.post("/v1/presign/sign", &json!({"preSign": two})).await;
    assert_eq!(s, 200, "{body}");
    gw.run.shutdown().await;
}

#[tokio::test]
async fn token_sign_checks_its_fields() {
    let gw = gateway(|_| {}).await;
    let ts = now17();
    let trace = "0123456789abcdef0123456789abcdef";
    let (s, body) = gw
        .post(
            "/v1/token-sign",
            &json!({"businessType": "5", "traceId": trace, "timestamp": ts}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["appId"], APP_ID);
    let expected = cmcc_proto::sign::Md5SignInput {
        app_id: APP_ID,
        business_type: "5",
        msg_id: trace,
        timestamp: &ts,
        trace_id: trace,
        version: "1.0",
        app_key: "appkey-secret-value",
    }
    .sign();
    assert_eq!(body["sign"], expected.as_str());
    assert!(!body.to_string().contains("appkey-secret-value"));

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
        let (s, body) = gw.post("/v1/token-sign", &bad).await;
        assert_eq!(s, 400, "{why}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    gw.run.shutdown().await;
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_a_clear_4xx_on_every_route() {
    let gw = gateway(|c| c.limits.max_body_bytes = 4096).await;
    let routes = [
        "/v1/presign/sign",
        "/v1/token-sign",
        "/v1/verify",
        "/v1/uaid",
        "/v1/registrations",
    ];
    let big = format!("{{\"token\":\"{}\"}}", "a".repeat(10_000)).into_bytes();
    for route in routes {
        for (ctype, body, want) in [
            ("application/json", b"{not json".to_vec(), 400),
            ("application/json", b"[1,2,3]".to_vec(), 422),
            ("application/json", b"{\"unexpected\":1}".to_vec(), 422),
            ("text/plain", b"{}".to_vec(), 415),
            ("application/json", big.clone(), 413),
        ] {
            let (s, text) = gw.post_raw(route, ctype, body).await;
            assert_eq!(s, want, "{route} {ctype}: {text}");
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{route}: not JSON: {text}"));
            assert!(
                v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{route}: {text}"
            );
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|c| !c.is_empty()),
                "{route}: {text}"
            );
        }
    }
    let (s, text) = gw
        .post_raw("/onelink/push", "application/json", big.clone())
        .await;
    assert_eq!(s, 413, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_ne!(
        v["status"], "0",
        "an oversized push is not acknowledged: {text}"
    );
    // Field-level problems are named.
    let (s, body) = gw
        .post(
            "/v1/verify",
            &json!({"phone": "12", "token": "t", "userInformation": "u"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("phone"),
        "{body}"
    );
    gw.run.shutdown().await;
}

#[tokio::test]
async fn server_routes_need_an_api_key() {
    let gw = gateway(|_| {}).await;
    for (method, path) in [
        ("POST", "/v1/registrations"),
        ("GET", "/v1/registrations"),
        ("GET", "/v1/cards/msisdn/1440000000001"),
    ] {
        for auth in [None, Some("Bearer wrong"), Some("k-test-0123456789")] {
            let mut r = gw.http.request(method.parse().unwrap(), gw.url(path));
            if let Some(a) = auth {
                r = r.header("authorization", a);
            }
            let r = r.json(&json!({})).send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path} with {auth:?}");
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "unauthorized");
        }
    }
    // With the key, input checking happens (no carrier needed for these).
    let r = gw
        .http
        .post(gw.url("/v1/registrations"))
        .bearer_auth(API_KEY)
        .json(&json!({"msisdn": "1440000000001", "iccid": "89860000000000000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = gw
        .http
        .get(gw.url("/v1/registrations?state=weird"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = gw
        .http
        .get(gw.url("/v1/cards/phone/123"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = gw
        .http
        .get(gw.url("/v1/registrations"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    gw.run.shutdown().await;
}

#[tokio::test]
async fn per_ip_limit_applies_to_browser_routes() {
    let gw = gateway(|c| c.limits.per_ip_per_minute = 3).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(gw.post("/v1/uaid", &json!({"token": ""})).await.0);
    }
    assert_eq!(statuses, [400, 400, 400, 429, 429]);
    let (_, body) = gw.post("/v1/uaid", &json!({"token": ""})).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    gw.run.shutdown().await;
}

fn push_body(busi_seq: &str, status: &str, msisdn: &str) -> Value {
    json!({"status": "0", "message": "正确", "result": [{"regStatus": status, "regMsg": "ok", "busiSeq": busi_seq, "msisdn": msisdn}]})
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

#[tokio::test]
async fn push_receiver_stores_once_and_settles_only_what_it_issued() {
    // Confirmation off here (no carrier in this suite); flows.rs covers it against the sandbox.
    let gw = gateway(|c| c.confirm_pushes = false).await;
    let st = gw.run.state().unwrap().clone();
    st.store
        .insert_registration(&issued("BS0001", "1440000000001"))
        .await
        .unwrap();
    let (s, answer) = gw
        .post("/onelink/push", &push_body("BS0001", "1", "1440000000001"))
        .await;
    assert_eq!((s, answer["status"].as_str()), (200, Some("0")));
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
        let (s, answer) = gw
            .post(
                "/onelink/push",
                &push_body("BS0001", status, "1440000000001"),
            )
            .await;
        assert_eq!((s, answer["status"].as_str()), (200, Some("0")));
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
    let (s, answer) = gw
        .post("/onelink/push", &push_body("BS0002", "1", "1440000000002"))
        .await;
    assert_eq!((s, answer["status"].as_str()), (200, Some("0")));
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
        let (s, text) = gw
            .post_raw("/onelink/push", "application/json", bad.to_vec())
            .await;
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_ne!(v["status"], "0", "{s} {text}");
        assert!((400..500).contains(&s), "{s} {text}");
    }
    assert_eq!(st.store.push_count().await.unwrap(), 3);
    drop(st);
    gw.run.shutdown().await;
}

#[tokio::test]
async fn push_allowed_cidrs_refuse_others_and_trust_only_listed_proxies() {
    let gw = gateway(|c| c.push_allowed_cidrs = vec!["10.0.0.0/8".into()]).await;
    let (s, answer) = gw
        .post("/onelink/push", &push_body("BS0200", "1", "1440000000001"))
        .await;
    assert_eq!(s, 403, "{answer}");
    assert!(
        answer["status"].as_str().is_some_and(|x| x != "0"),
        "{answer}"
    );
    // A forwarding header from an untrusted peer is ignored.
    let r = gw
        .http
        .post(gw.url("/onelink/push"))
        .header("x-forwarded-for", "10.1.2.3")
        .json(&push_body("BS0201", "1", "1440000000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(gw.run.state().unwrap().store.push_count().await.unwrap(), 0);
    gw.run.shutdown().await;

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
        let r = gw
            .http
            .post(gw.url("/onelink/push"))
            .header("x-forwarded-for", xff)
            .json(&push_body("BS0202", "1", "1440000000001"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), want, "{xff}");
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
    gw.run.shutdown().await;
}

#[tokio::test]
async fn every_error_is_one_json_shape() {
    let gw = gateway(|_| {}).await;
    let check = |what: &str, status: u16, want: u16, ctype: Option<String>, text: &str| {
        assert_eq!(status, want, "{what}: {text}");
        assert!(
            ctype
                .as_deref()
                .is_some_and(|c| c.starts_with("application/json")),
            "{what}: {ctype:?}"
        );
        let v: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("{what}: {text}"));
        assert!(
            v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{what}: {text}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{what}: {text}"
        );
    };
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
        check(&format!("{method} {path}"), status, want, ctype, &text);
    }
    gw.run.shutdown().await;
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
    gw.run.shutdown().await;
}

#[tokio::test]
async fn push_path_is_configurable() {
    let gw = gateway(|c| c.push_path = "/hooks/cmcc".into()).await;
    let (s, answer) = gw
        .post("/hooks/cmcc", &push_body("BS0100", "1", "1440000000003"))
        .await;
    assert_eq!((s, answer["status"].as_str()), (200, Some("0")));
    let (s, _) = gw
        .post("/onelink/push", &push_body("BS0101", "1", "1440000000003"))
        .await;
    assert_eq!(s, 404);
    gw.run.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_answers_in_flight_pushes_and_keeps_every_acknowledged_one() {
    let gw = gateway(|_| {}).await;
    let db = gw.run.state().unwrap().cfg.database_url.clone();
    let acked: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let mut senders = Vec::new();
    for w in 0..8 {
        let (http, url, acked) = (gw.http.clone(), gw.url("/onelink/push"), acked.clone());
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
    while acked.lock().unwrap().len() < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let Gw { run, _dir, .. } = gw;
    run.shutdown().await;
    for s in senders {
        s.await.unwrap();
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
    drop(_dir);
}

#[tokio::test]
async fn browser_routes_answer_cors_only_for_listed_origins() {
    let gw = gateway(|c| c.cors_origins = vec!["https://shop.example/".into()]).await;
    let preflight = |origin: &'static str| {
        gw.http
            .request(reqwest::Method::OPTIONS, gw.url("/v1/verify"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example"),
        "a listed origin (configured with a trailing slash) is allowed"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // Server routes are not for browsers.
    let r = gw
        .http
        .request(reqwest::Method::OPTIONS, gw.url("/v1/registrations"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    gw.run.shutdown().await;
}

#[tokio::test]
async fn a_push_flood_cannot_grow_the_quarantine_past_its_bound() {
    let gw = gateway(|c| c.quarantine_max_rows = 2).await;
    for i in 0..4 {
        let (s, a) = gw
            .post(
                "/onelink/push",
                &push_body(&format!("FLOOD{i}"), "1", "1440000000001"),
            )
            .await;
        assert_eq!((s, a["status"].as_str()), (200, Some("0")), "{a}");
        // Distinct receive times, so "oldest" is well defined.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
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
    let metrics = gw
        .http
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("cmcc_pushes_quarantine_dropped_total"),
        "{metrics}"
    );
}
