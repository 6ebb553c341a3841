//! The admin API, console pages, faults, reset, the state file, CORS and robustness against
//! bad input.

use cmcc_proto::wire::passport as wire;
use cmcc_sandbox::SandboxConfig;
use cmcc_testkit::DEVICE_HEADER;
use reqwest::Method;
use serde_json::json;

use crate::support::auth::*;

const PHONE: &str = "13800138000";

#[tokio::test]
async fn first_start_describes_a_working_demo_app() {
    let s = Sbx::demo().await;
    let d = s.run.sandbox.describe();
    let demo = s.demo_creds();
    for needle in [
        demo.app_id.as_str(),
        demo.app_key.as_str(),
        "platform public key",
        "customer private key",
        "/_sandbox/auth/",
    ] {
        assert!(d.contains(needle), "{needle} missing from:\n{d}");
    }
    // The demo app is the same on every start (fixed, published demo keys).
    let s2 = Sbx::demo().await;
    assert_eq!(s2.demo_creds().app_key, demo.app_key);
    assert_eq!(
        s2.demo_creds().platform.to_base64().unwrap(),
        demo.platform.to_base64().unwrap()
    );
    // And it works end to end with the printed credentials.
    let (code, token, ui) = s.h5_token(&demo, PHONE).await;
    assert_eq!(code, "103000");
    assert_eq!(s.verify(&demo, PHONE, &token, &ui).await, "000");
}

#[tokio::test]
async fn apps_and_devices_admin() {
    let s = Sbx::demo().await;
    let c = s.add_app(|a| a.name = "shop".into()).await;
    let v = s.get_json("/_sandbox/auth/apps").await;
    assert!(v["apps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["app_id"] == c.app_id.as_str()));
    assert!(!v.to_string().contains("platform_private_key"));
    let app = format!("/_sandbox/auth/apps/{}", c.app_id);
    let v = s.get_json(&app).await;
    assert_eq!(v["name"], "shop");
    for (what, method, want) in [
        ("delete the app", Method::DELETE, 204),
        ("the deleted app", Method::GET, 404),
    ] {
        assert_eq!(s.status(method, &app, None).await, want, "{what}");
    }
    // Bad app: 400 with a message, never 500.
    for body in [
        "{",
        "{\"app_id\":\"1\"}",
        "{\"app_id\":\"1\",\"app_key\":\"k\",\"customer_public_key\":\"zzz\"}",
        "{\"app_id\":\"\",\"app_key\":\"k\"}",
    ] {
        let (status, v) = s.post_raw("/_sandbox/auth/apps", body, &[]).await;
        assert_eq!(status, 400, "{body}");
        assert!(v["error"].is_string());
    }
    // Devices.
    s.admin(
        "/_sandbox/auth/devices",
        json!({"id": "lab-phone", "label": "lab", "number": "13912345678", "net": "5g"}),
    )
    .await;
    let v = s.get_json("/_sandbox/auth/devices").await;
    assert!(v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == "lab-phone"));
    for (what, method, path, body, want) in [
        (
            "a device with a bad id",
            Method::POST,
            "/_sandbox/auth/devices",
            Some(json!({"id": "bad id!", "number": "1", "net": "4g"})),
            400,
        ),
        (
            "delete the device",
            Method::DELETE,
            "/_sandbox/auth/devices/lab-phone",
            None,
            204,
        ),
        // Settings.
        (
            "settings",
            Method::PUT,
            "/_sandbox/auth/settings",
            Some(json!({"strict_signatures": false, "timestamp_tolerance_secs": 30})),
            200,
        ),
    ] {
        assert_eq!(s.status(method, path, body).await, want, "{what}");
    }
    assert_eq!(
        s.get_json("/_sandbox/auth/settings").await["timestamp_tolerance_secs"],
        30
    );
}

// The fault's delay is a tokio sleep in the sandbox and nothing else here waits on a timer
// (no client timeout, no push): paused time skips it instead of sleeping.
#[tokio::test(start_paused = true)]
async fn faults_delay_and_replace_codes_then_reset() {
    let s = Sbx::demo().await;
    let demo = s.demo_creds();
    s.admin(
        "/_sandbox/faults",
        json!({"endpoint": wire::H5_GET_TOKEN_PATH, "code": "105002", "remaining": 2}),
    )
    .await;
    s.admin(
        "/_sandbox/faults",
        json!({"endpoint": wire::H5_GET_TOKEN_PATH, "delay_ms": 300}),
    )
    .await;
    assert_eq!(
        s.get_json("/_sandbox/faults").await["faults"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(s.h5_token(&demo, PHONE).await.0, "105002");
    assert_eq!(s.h5_token(&demo, PHONE).await.0, "105002");
    let t0 = tokio::time::Instant::now();
    assert_eq!(s.h5_token(&demo, PHONE).await.0, "103000");
    assert!(t0.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(s.h5_token(&demo, PHONE).await.0, "103000");
    assert_eq!(
        s.status(
            Method::POST,
            "/_sandbox/faults",
            Some(json!({"endpoint": "nope"}))
        )
        .await,
        400,
        "a fault for an endpoint that is no path"
    );

    // Reset: journal, clock, faults, apps and tokens back to the start.
    let extra = s.add_app(|_| {}).await;
    s.admin("/_sandbox/clock/advance", json!({"seconds": 5}))
        .await;
    s.admin(
        "/_sandbox/faults",
        json!({"endpoint": wire::H5_GET_TOKEN_PATH, "code": "1"}),
    )
    .await;
    s.admin("/_sandbox/reset", json!({})).await;
    assert_eq!(s.get_json("/_sandbox/clock").await["offset_ms"], 0);
    assert!(s.get_json("/_sandbox/faults").await["faults"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(s.get_json("/_sandbox/journal").await["entries"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(s.run.sandbox.auth.app(&extra.app_id).is_none());
    assert_eq!(s.run.sandbox.auth.tokens.len(), 0);
    assert_eq!(
        s.status(
            Method::POST,
            "/_sandbox/clock/advance",
            Some(json!({"seconds": i64::MAX}))
        )
        .await,
        400,
        "a clock advance past the end of time"
    );
}

#[tokio::test]
async fn state_file_keeps_apps_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/auth.json");
    let mut config = SandboxConfig::default();
    config.auth.state_file = Some(path.clone());
    let s = Sbx::start(config.clone()).await;
    let c = s.add_app(|a| a.name = "kept".into()).await;
    s.admin(
        "/_sandbox/auth/devices",
        json!({"id": "kept-phone", "number": "13912345678", "net": "4g"}),
    )
    .await;
    s.run.stop();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&c.app_id));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let s2 = Sbx::start(config).await;
    let app = s2.run.sandbox.auth.app(&c.app_id).unwrap();
    assert_eq!(app.cfg.name, "kept");
    assert_eq!(app.platform_public_b64, c.platform.to_base64().unwrap());
    assert!(s2
        .run
        .sandbox
        .auth
        .devices()
        .iter()
        .any(|d| d.id == "kept-phone"));
    // (Its registered referer is the first sandbox's address: use the mini-program flow.)
    let (code, token, ui) = s2.mini_token(&c, PHONE).await;
    assert_eq!(code, "103000");
    assert_eq!(s2.verify(&c, PHONE, &token, &ui).await, "000");
    // The demo app follows the sandbox to its new address.
    let demo = s2.demo_creds();
    assert_eq!(s2.h5_token(&demo, PHONE).await.0, "103000");
}

#[tokio::test]
async fn toml_tenants() {
    let customer = cmcc_proto::PrivateKey::generate(1024).unwrap();
    let toml = format!(
        r#"
[auth]
strict_signatures = true
demo_app = true

[[auth.apps]]
app_id = "300011899999"
app_key = "KEYKEYKEYKEYKEYKEYKEYKEYKEYKEY12"
customer_public_key = "{}"
entitlements = ["uaid"]
referers = ["http://127.0.0.1/"]
origins = []
daily_cap = 3
uaid_token_ttl_secs = 120
"#,
        customer.public_key().unwrap().to_base64().unwrap()
    );
    let config = SandboxConfig::from_toml(&toml).unwrap();
    let s = Sbx::start(config).await;
    // Configured apps replace the demo app.
    assert!(s
        .run
        .sandbox
        .auth
        .app(cmcc_sandbox::auth::tenant::DEMO_APP_ID)
        .is_none());
    let app = s.run.sandbox.auth.app("300011899999").unwrap();
    assert_eq!(app.cfg.uaid_token_ttl_secs, 120);
    assert!(SandboxConfig::from_toml("[auth]\nnope = 1").is_err());
}

#[tokio::test]
async fn pages_js_and_cors() {
    let s = Sbx::demo().await;
    for (path, ctype) in [
        ("/_sandbox/", "text/html"),
        ("/_sandbox/auth/", "text/html"),
        (wire::H5_JSSDK_PATH, "application/javascript"),
        (wire::MINI_JSSDK_PATH, "application/javascript"),
    ] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ctype),
            "{path}"
        );
        let text = r.text().await.unwrap();
        assert!(!text.contains("__CMCC_SANDBOX_BASE__"));
    }
    let r = s
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}{}", s.base, wire::H5_GET_TOKEN_PATH),
        )
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            format!("content-type,{DEVICE_HEADER}"),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
}

#[tokio::test]
async fn bad_input_never_panics_or_500s() {
    let s = Sbx::demo().await;
    let bodies = [
        "", "null", "1", "\"x\"", "[]", "{}", "{\"header\":1}", "{\"header\":{},\"body\":[]}",
        "{\"appId\":123,\"msgId\":[]}", "\u{0}\u{1}\u{2}", "{\"header\":{\"appId\":\"300011800001\",\"msgId\":\"m\",\"timestamp\":\"99999999999999999\",\"version\":\"1\"},\"body\":{\"phoneNum\":\"x\",\"token\":\"t\",\"sign\":\"s\"}}",
        "{\"appId\":\"300011800001\",\"msgId\":\"a\",\"traceId\":\"a\",\"timestamp\":\"20240101000000000\",\"version\":\"1.0\",\"businessType\":\"5\",\"sign\":\"s\",\"expandParams\":\"%%%|=|phoneNum\"}",
    ];
    let paths = [
        wire::H5_GET_TOKEN_PATH,
        wire::MINI_GET_TOKEN_INFO_PATH,
        wire::UAID_GET_MOBILE_PATH,
        wire::VERIFY_VM_MOBILE_PATH,
        wire::IMEI_TOKEN_VALIDATE_PATH,
        cmcc_sandbox::auth::jssdk::GET_CONNECTION_PATH,
    ];
    for p in paths {
        for b in bodies {
            let (status, v) = s.post_raw(p, b, &[(DEVICE_HEADER, "garbage<>;net=")]).await;
            assert_eq!(status, 200, "{p} {b:?}: {v}");
        }
        let big = "x".repeat(100_000);
        let (status, _) = s.post_raw(p, &big, &[]).await;
        assert_eq!(status, 200);
    }
}
