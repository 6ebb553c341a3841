//! After the last resend the sandbox logs an ERROR naming the push's busiSeq and its card,
//! masked (seed 000: "记录错误日志").

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use cmcc_proto::ids::mask_number;
use cmcc_sandbox::onelink::config::{PushConfig, DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_sandbox::{Running, SandboxConfig};
use parking_lot::Mutex;
use serde_json::{json, Value};

const FRESH: &str = "1440000000001";

/// Every formatted log line, shared with the subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn post_json(base: &str, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

// One thread: the dispatcher's tasks run where the test's subscriber is the default.
#[tokio::test(flavor = "current_thread")]
async fn giving_up_logs_an_error_with_busi_seq_and_the_masked_card() {
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/push", l.local_addr().unwrap())
    };
    let config = SandboxConfig {
        onelink: OneLinkConfig {
            demo_callback_url: Some(dead),
            push: PushConfig {
                timeout_ms: 300,
                resend_interval_ms: 10,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let sb = Running::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = sb.base_url.clone();
    let tok = post_json(
        &base,
        "/v5/ec/get/token",
        json!({"appid": DEMO_APPID, "password": DEMO_PASSWORD, "transid": "t"}),
    )
    .await;
    let tok = tok["result"][0]["token"].as_str().unwrap().to_owned();
    let v = post_json(
        &base,
        "/v5/ec/secure/sim-real-name-reg",
        json!({"transid": "t", "token": tok, "msisdn": FRESH, "urlType": "6"}),
    )
    .await;
    let busi_seq = v["result"][0]["busiSeq"].as_str().unwrap().to_owned();
    let v = post_json(
        &base,
        &format!("/_sandbox/onelink/registrations/{busi_seq}/complete"),
        json!({"name": "李四", "residentId": "11010519491231002X", "liveness": "pass"}),
    )
    .await;
    assert!(v["outcome"].is_object(), "{v}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let line = loop {
        let text = String::from_utf8_lossy(&lines.0.lock()).into_owned();
        if let Some(l) = text.lines().find(|l| l.contains("giving up")) {
            break l.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no give-up line within 20 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(&format!("busi_seq={busi_seq}")), "{line}");
    assert!(line.contains(&mask_number(FRESH)), "{line}");
    let all = String::from_utf8_lossy(&lines.0.lock()).into_owned();
    assert!(
        !all.contains(FRESH),
        "the full card number never reaches the log:\n{all}"
    );
    sb.stop();
}
