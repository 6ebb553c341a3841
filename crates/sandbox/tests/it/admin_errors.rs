//! Admin refusals are JSON `{"error"}` with a 4xx status — unreadable bodies and queries too.

use cmcc_sandbox::{Running, SandboxConfig};
use serde_json::Value;

async fn refused(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(
        ctype.starts_with("application/json"),
        "{status} {ctype}: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    (status, v)
}

#[tokio::test]
async fn onelink_admin_refusals_are_json() {
    let sb = Running::start(&SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = &sb.base_url;
    let r = http
        .post(format!("{base}/_sandbox/onelink/cards"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 400);
    let r = http
        .post(format!("{base}/_sandbox/onelink/cards/generate"))
        .json(&serde_json::json!({"appid": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 422);
    let r = http
        .post(format!("{base}/_sandbox/onelink/cards/generate"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 415);
    let r = http
        .get(format!("{base}/_sandbox/onelink/cards?limit=many"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 400);
    let r = http
        .get(format!("{base}/_sandbox/journal?limit=many"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 400);
    let r = http
        .get(format!("{base}/_sandbox/onelink/cards/1449999999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await.0, 404);
    sb.stop();
}
