//! No call, successful or failing, writes a secret into a log line: every event of the client
//! (and of the HTTP stack under it) at TRACE level is captured and searched for the appKey, the
//! OneLink password, the private key, every token and every full phone number used.

#![expect(clippy::unwrap_used, reason = "tests")]

// The helpers of the `it` binary; this binary stays apart for its global subscriber.
#[allow(
    dead_code,
    unused_imports,
    reason = "this binary uses a part of the helpers"
)]
#[path = "it/support.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cmcc_client::{MemoryTokenStore, OneLinkBase, OneLinkClient, TokenStore};
use cmcc_proto::format::ExpandParams;
use cmcc_proto::wire::onelink::{UrlType, IDENTITY_INFO_PATH};
use cmcc_proto::wire::passport as wire;
use cmcc_proto::{Phone, PrivateKey};
use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use cmcc_testkit::magic::{FRESH, OTHERS, REGISTERED};
use cmcc_testkit::{spawn_sandbox, DEMO_ENTERPRISE, DEMO_PASSWORD};
use support::*;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The token a client holds now.
async fn cached(store: &MemoryTokenStore) -> String {
    let token = store.get(DEMO_ENTERPRISE).await.unwrap().token;
    token.expose().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_line() {
    let buf = Buf::default();
    let writer = buf.clone();
    // Everything but the sandbox's own (server-side) events.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            !m.target().starts_with("cmcc_sandbox")
        }))
        .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();

    let sb = spawn_sandbox().await;
    let s = demo_secrets(&sb);
    let mut secrets: Vec<String> = vec![
        s.app_key.clone(),
        s.customer_b64.clone(),
        DEMO_PASSWORD.into(),
        PHONE.into(),
        OTHER_PHONE.into(),
    ];
    // Segments of the key too, in case it were logged wrapped.
    secrets.extend(
        s.customer_b64
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned()),
    );

    // ---- auth platform, successes.
    let c = passport(&sb);
    let phone = Phone::parse(PHONE).unwrap();
    let other = Phone::parse(OTHER_PHONE).unwrap();
    let g = c.h5_get_token(&ExpandParams::new(), "fp").await.unwrap();
    secrets.push(g.token.clone());
    c.verify_number(&phone, &g.token, g.user_information.as_deref().unwrap())
        .await
        .unwrap();
    let g = c.mini_get_token_info(&ExpandParams::new()).await.unwrap();
    secrets.push(g.token.clone());
    c.verify_number(&other, &g.token, g.user_information.as_deref().unwrap())
        .await
        .unwrap();
    let g = c
        .uaid_get_token(&ExpandParams::new().with("phoneNum", PHONE))
        .await
        .unwrap();
    secrets.push(g.token.clone());
    let uaid = c.validate_uaid(&g.token).await.unwrap();
    assert_eq!(uaid.len(), 64);
    // ---- auth platform, failures.
    for e in [
        c.verify_number(&phone, &g.token, "fp").await.unwrap_err(),
        c.validate_uaid(&g.token).await.unwrap_err(),
        c.verify_number(&phone, "", "fp").await.unwrap_err(),
    ] {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains(&g.token) && !shown.contains(PHONE),
            "{shown}"
        );
    }
    let wrong = passport_edited(&sb, |cfg| {
        cfg.customer_key = PrivateKey::generate(1024).unwrap()
    });
    wrong.verify_number(&phone, "t", "fp").await.unwrap_err();
    wrong
        .h5_get_token(&ExpandParams::new(), "fp")
        .await
        .unwrap_err();
    passport_for(&sb, DEMO_APP_ID, Some("13800138000; wifi"))
        .mini_get_token_info(&ExpandParams::new())
        .await
        .unwrap_err();
    fault(&sb, wire::VERIFY_VM_MOBILE_PATH, None, 1_000, 1);
    passport_edited(&sb, |cfg| cfg.timeout = Duration::from_millis(200))
        .verify_number(&phone, "t", "fp")
        .await
        .unwrap_err();
    let pre = cmcc_proto::sign::pre_sign(
        &s.app_id,
        &cmcc_client::transport::random_id(),
        &cmcc_proto::Timestamp17::from_utc(chrono::Utc::now()).to_string(),
        &cmcc_client::transport::random_id(),
        "1.0",
    )
    .into_string();
    c.sign_pre_sign(&pre, chrono::Utc::now(), Duration::from_secs(60))
        .unwrap();
    c.md5_sign("3", "abc", "20240101000000000", "1.0");

    // ---- OneLink in every style, successes and failures, 12021 recovery, retries.
    for style in STYLES {
        let (o, store) = onelink_styled(&sb, style);
        o.identity_info(&msisdn(FRESH)).await.unwrap();
        secrets.push(cached(&store).await);
        o.real_name_status(&msisdn(REGISTERED)).await.unwrap();
        let user = Phone::parse("13912345678").unwrap();
        secrets.push("13912345678".into());
        let _ = o
            .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, Some(&user))
            .await;
        o.identity_info(&msisdn(OTHERS)).await.unwrap_err();
        advance(&sb, 3_601);
        o.real_name_status(&msisdn(FRESH)).await.unwrap();
        secrets.push(cached(&store).await);
        fault(&sb, IDENTITY_INFO_PATH, Some("13000"), 0, 1);
        o.identity_info(&msisdn(FRESH)).await.unwrap();
        fault(&sb, IDENTITY_INFO_PATH, Some("12021"), 0, 2);
        o.identity_info(&msisdn(FRESH)).await.unwrap_err();
        secrets.push(cached(&store).await);
        // Unreachable platform: the GET style's URL holds the password.
        let mut cfg = onelink_config(&sb);
        cfg.style = style;
        cfg.base = OneLinkBase::sandbox(&dead_address().await);
        let (dead, _) = onelink_with(cfg);
        let e = dead.identity_info(&msisdn(FRESH)).await.unwrap_err();
        assert!(!format!("{e} {e:?}").contains(DEMO_PASSWORD));
        // Wrong password.
        let mut cfg = onelink_config(&sb);
        cfg.style = style;
        cfg.password = cmcc_proto::Secret::new("wrong-onelink-password");
        secrets.push("wrong-onelink-password".into());
        let (bad, _) = onelink_with(cfg);
        bad.real_name_status(&msisdn(FRESH)).await.unwrap_err();
        let _: &OneLinkClient = &o;
        // Debug of the config and the client shows no secret either.
        let dbg = format!("{:?} {:?}", o.config(), o);
        assert!(!dbg.contains(DEMO_PASSWORD), "{dbg}");
    }
    let dbg = format!("{:?} {:?}", c.config(), c);
    assert!(
        !dbg.contains(&s.app_key) && !dbg.contains(&s.customer_b64[..40]),
        "{dbg}"
    );

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("cmcc_client"),
        "the capture works: client events were logged"
    );
    assert!(logs.lines().count() > 20, "{logs}");
    secrets.sort();
    secrets.dedup();
    for secret in &secrets {
        assert!(secret.len() >= 8);
        if let Some(line) = logs.lines().find(|l| l.contains(secret.as_str())) {
            panic!("a secret was logged: {line}");
        }
    }
}
