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

use cmcc_gateway::Running;
use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use support::*;
use serde_json::json;

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
    let dir = tempfile::tempdir().unwrap();
    let cfg = sys.gateway_config(sqlite_url(&dir));
    let gw = Running::start(cfg).await.unwrap();
    sys.set_callback(&format!("{}/onelink/push", gw.base_url))
        .await;
    let base = gw.base_url.clone();

    let mut tokens = Vec::new();
    let (_, _, (t, _)) = sys.verify(&base, "13800138000", "13800138000").await;
    tokens.push(t);
    let (_, _, (t, ui)) = sys.verify(&base, "13800138000", "13900139000").await;
    tokens.push(t.clone());
    // Spent token: an error path.
    post(
        &sys.http,
        format!("{base}/v1/verify"),
        json!({"phone": "13900139000", "token": t, "userInformation": ui}),
    )
    .await;
    let u = sys.uaid_token("13800138000").await;
    tokens.push(u.clone());
    post(&sys.http, format!("{base}/v1/uaid"), json!({"token": u})).await;
    post(&sys.http, format!("{base}/v1/uaid"), json!({"token": u})).await;
    let (_, link) = post(
        &sys.http,
        format!("{base}/v1/registrations"),
        json!({"msisdn": "1440000000001"}),
    )
    .await;
    let busi = link["busiSeq"].as_str().unwrap().to_owned();
    sys.complete(&busi, "pass").await;
    let card = format!("{base}/v1/cards/msisdn/1440000000001");
    eventually("the push", || async {
        get(&sys.http, card.clone()).await.1["registered"] == true
    })
    .await;
    get(&sys.http, format!("{card}?refresh=true")).await;
    post(
        &sys.http,
        format!("{base}/v1/registrations"),
        json!({"msisdn": "1440000000005"}),
    )
    .await;
    // Malformed pushes quoting card numbers, and a forged one that is quarantined.
    let push_url = format!("{base}/onelink/push");
    for body in [
        r#"{"status":"0","result":[{"regStatus":{},"busiSeq":"B","msisdn":"1440000001001"}]}"#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"B","msisdn":"1440000001001""#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"B","msisdn":1440000001001}]}"#,
        r#"not json 1440000001001"#,
        r#"{"status":"0","result":[{"regStatus":"1","busiSeq":"FORGED","msisdn":"1440000001002"}]}"#,
    ] {
        sys.http
            .post(&push_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
    }
    // Wrong API key.
    sys.http
        .get(format!("{base}/v1/registrations"))
        .bearer_auth("not-the-key")
        .send()
        .await
        .unwrap();
    gw.shutdown().await;

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
        ("OneLink password", ENTERPRISE_PW.to_owned()),
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
