//! Nothing secret reaches a log line: every flow of the gateway (and of the sandbox it talks
//! to) runs with TRACE logging captured, then the capture is searched for the appKey, the
//! private key, the API key, the OneLink password, tokens and full phone/card numbers —
//! including card numbers inside malformed and forged push bodies.

#![expect(clippy::unwrap_used, reason = "tests")]

#[path = "it/support.rs"]
#[allow(dead_code, reason = "this binary uses a part of the support module")]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use cmcc_testkit::{eventually_true, API_KEY, DEADLINE, DEMO_PASSWORD};
use serde_json::json;
use support::{link, Sys, PUSH};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_or_full_number_in_any_log_line() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let sys = Sys::start().await;
    let gw = sys.gateway(|_| {}).await;
    sys.push_to(&gw).await;

    let mut tokens = Vec::new();
    let (_, _, (t, _)) = sys.verify(&gw, "13800138000", "13800138000").await;
    tokens.push(t);
    let (_, _, (t, ui)) = sys.verify(&gw, "13800138000", "13900139000").await;
    tokens.push(t.clone());
    // Spent token: an error path.
    gw.post(
        "/v1/verify",
        &json!({"phone": "13900139000", "token": t, "userInformation": ui}),
    )
    .await;
    let u = sys.uaid_token("13800138000").await;
    tokens.push(u.clone());
    gw.post("/v1/uaid", &json!({"token": u})).await;
    gw.post("/v1/uaid", &json!({"token": u})).await;
    let busi = link(&gw, &json!({"msisdn": "1440000000001"})).await;
    sys.complete(&busi, "pass").await;
    let card = "/v1/cards/msisdn/1440000000001";
    eventually_true("the push", DEADLINE, || async {
        gw.get(card).await.1["registered"] == true
    })
    .await;
    gw.get(&format!("{card}?refresh=true")).await;
    gw.post("/v1/registrations", &json!({"msisdn": "1440000000005"}))
        .await;
    // Malformed pushes quoting card numbers, and a forged one that is quarantined.
    for body in [
        r#"{"status":"0","result":[{"regStatus":{},"busiSeq":"B","msisdn":"1440000001001"}]}"#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"B","msisdn":"1440000001001""#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"B","msisdn":1440000001001}]}"#,
        r#"not json 1440000001001"#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"FORGED","msisdn":"1440000001002"}]}"#,
    ] {
        gw.http
            .post(gw.url(PUSH))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
    }
    // Wrong API key.
    gw.http
        .get(gw.url("/v1/registrations"))
        .bearer_auth("not-the-key")
        .send()
        .await
        .unwrap();
    gw.stop().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 20, "logging was captured:\n{logs}");
    assert!(
        logs.contains("138****8000"),
        "numbers appear masked:\n{logs}"
    );
    let app = sys.sbx.sandbox.auth.app(DEMO_APP_ID).unwrap();
    let private = app.cfg.customer_private_key.replace(['\n', '\r'], "");
    let mut secrets = vec![
        ("appKey", app.cfg.app_key.clone()),
        ("API key", API_KEY.to_owned()),
        ("OneLink password", DEMO_PASSWORD.to_owned()),
        ("phone", "13800138000".to_owned()),
        ("phone", "13900139000".to_owned()),
        ("card", "1440000000001".to_owned()),
        ("card in a malformed push", "1440000001001".to_owned()),
        ("card in a quarantined push", "1440000001002".to_owned()),
        ("private key", private[40..80].to_owned()),
    ];
    secrets.extend(tokens.into_iter().map(|t| ("token", t)));
    for (what, s) in secrets {
        assert!(!logs.contains(&s), "{what} leaked into the logs");
    }
}
