//! What the SDK's integration tests share beyond cmcc-testkit: clients of the in-process
//! sandbox (demo app, demo enterprise), the sandbox's journal and faults, and the checks of a
//! carrier error.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cmcc_client::onelink::RequestStyle;
use cmcc_client::{
    CarrierError, Error, MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig, PassportBase,
    PassportClient, PassportConfig,
};
use cmcc_proto::codes::Platform;
use cmcc_proto::{CardId, PrivateKey, PublicKey, Secret};
use cmcc_sandbox::auth::tenant::{AppConfig, DEMO_APP_ID};
use cmcc_sandbox::core::Fault;
use cmcc_testkit::{Sandbox, DEMO_ENTERPRISE, DEMO_PASSWORD, DEVICE_HEADER};

pub(crate) const PHONE: &str = "13800138000";
pub(crate) const OTHER_PHONE: &str = "13900139000";

pub(crate) use cmcc_testkit::journal_count;

/// How many requests of `path` the sandbox answered with `code`.
pub(crate) fn journal_codes(sb: &Sandbox, path: &str, code: &str) -> usize {
    sb.sandbox
        .core
        .journal
        .recent(usize::MAX, None)
        .iter()
        .filter(|e| e.path == path && e.code == code)
        .count()
}

pub(crate) fn fault(
    sb: &Sandbox,
    endpoint: &str,
    code: Option<&str>,
    delay_ms: u64,
    remaining: u32,
) {
    sb.sandbox.core.faults.push(Fault {
        endpoint: endpoint.into(),
        code: code.map(str::to_owned),
        delay_ms,
        remaining,
    });
}

pub(crate) fn advance(sb: &Sandbox, secs: i64) {
    sb.sandbox
        .core
        .clock
        .advance(chrono::Duration::seconds(secs));
}

// ---------------------------------------------------------------- auth platform

/// What the business server of `app_id` holds.
pub(crate) struct AppSecrets {
    pub app_id: String,
    pub app_key: String,
    #[allow(dead_code, reason = "read by no_secret_in_logs.rs only")]
    pub customer_b64: String,
    pub customer: PrivateKey,
    pub platform: PublicKey,
}

pub(crate) fn secrets(sb: &Sandbox, app_id: &str) -> AppSecrets {
    let app = sb.sandbox.auth.app(app_id).unwrap();
    AppSecrets {
        app_id: app.cfg.app_id.clone(),
        app_key: app.cfg.app_key.clone(),
        customer_b64: app.cfg.customer_private_key.clone(),
        customer: PrivateKey::parse(&app.cfg.customer_private_key).unwrap(),
        platform: PublicKey::parse(&app.platform_public_b64).unwrap(),
    }
}

pub(crate) fn demo_secrets(sb: &Sandbox) -> AppSecrets {
    secrets(sb, DEMO_APP_ID)
}

static NEXT_APP: AtomicU32 = AtomicU32::new(1);

/// A copy of the demo app (same keys, referers, origins) under a new appId, edited.
pub(crate) fn variant(sb: &Sandbox, edit: impl FnOnce(&mut AppConfig)) -> String {
    let mut cfg = sb.sandbox.auth.app(DEMO_APP_ID).unwrap().cfg.clone();
    cfg.app_id = format!("30001190{:04}", NEXT_APP.fetch_add(1, Ordering::Relaxed));
    edit(&mut cfg);
    sb.sandbox.auth.upsert_app(cfg).unwrap().cfg.app_id.clone()
}

pub(crate) fn passport_config(sb: &Sandbox, app_id: &str, device: Option<&str>) -> PassportConfig {
    let s = secrets(sb, app_id);
    let mut cfg = PassportConfig::new(
        PassportBase::single(&sb.base_url),
        &s.app_id,
        Secret::new(s.app_key),
        s.customer,
        s.platform,
    );
    if let Some(d) = device {
        cfg.headers.push((DEVICE_HEADER.into(), d.into()));
    }
    cfg.headers
        .push(("referer".into(), format!("{}/login.html", sb.base_url)));
    cfg.headers.push(("origin".into(), sb.base_url.clone()));
    cfg
}

/// The demo app's client on the device `13800138000` (4G).
pub(crate) fn passport(sb: &Sandbox) -> PassportClient {
    PassportClient::new(passport_config(sb, DEMO_APP_ID, Some(PHONE))).unwrap()
}

pub(crate) fn passport_for(sb: &Sandbox, app_id: &str, device: Option<&str>) -> PassportClient {
    PassportClient::new(passport_config(sb, app_id, device)).unwrap()
}

/// The demo app's client on the device `13800138000`, its configuration edited first (a wrong
/// key, another appId…).
pub(crate) fn passport_edited(
    sb: &Sandbox,
    edit: impl FnOnce(&mut PassportConfig),
) -> PassportClient {
    let mut cfg = passport_config(sb, DEMO_APP_ID, Some(PHONE));
    edit(&mut cfg);
    PassportClient::new(cfg).unwrap()
}

// ---------------------------------------------------------------- OneLink

pub(crate) fn onelink_config(sb: &Sandbox) -> OneLinkConfig {
    let mut cfg = OneLinkConfig::new(
        OneLinkBase::sandbox(&sb.base_url),
        DEMO_ENTERPRISE,
        Secret::new(DEMO_PASSWORD),
    );
    cfg.retry.base_delay = Duration::from_millis(5);
    cfg.retry.max_delay = Duration::from_millis(20);
    cfg
}

pub(crate) fn onelink_with(cfg: OneLinkConfig) -> (Arc<OneLinkClient>, Arc<MemoryTokenStore>) {
    let store = Arc::new(MemoryTokenStore::new());
    let client = OneLinkClient::new(cfg, store.clone()).unwrap();
    (Arc::new(client), store)
}

pub(crate) fn onelink(sb: &Sandbox) -> (Arc<OneLinkClient>, Arc<MemoryTokenStore>) {
    onelink_with(onelink_config(sb))
}

/// Every way a OneLink request can be encoded.
pub(crate) const STYLES: [RequestStyle; 3] = [
    RequestStyle::PostJson,
    RequestStyle::PostForm,
    RequestStyle::GetQuery,
];

/// The demo enterprise's client, its requests encoded in `style`.
pub(crate) fn onelink_styled(
    sb: &Sandbox,
    style: RequestStyle,
) -> (Arc<OneLinkClient>, Arc<MemoryTokenStore>) {
    let mut cfg = onelink_config(sb);
    cfg.style = style;
    onelink_with(cfg)
}

/// A client that gives up on an answer after `timeout`, its token already fetched: a fault
/// queued next meets the call under test, not the token fetch.
pub(crate) async fn onelink_impatient(sb: &Sandbox, timeout: Duration) -> Arc<OneLinkClient> {
    let mut cfg = onelink_config(sb);
    cfg.timeout = timeout;
    let (c, _) = onelink_with(cfg);
    c.token().await.unwrap();
    c
}

pub(crate) fn msisdn(n: &str) -> CardId {
    CardId::from_fields(Some(n), None, None).unwrap()
}

pub(crate) fn style_name(s: RequestStyle) -> &'static str {
    match s {
        RequestStyle::PostJson => "json",
        RequestStyle::PostForm => "form",
        RequestStyle::GetQuery => "get",
        _ => "other",
    }
}

// ---------------------------------------------------------------- errors

/// `e` is the carrier's `code`, with its meaning and, when the table has one, its fix hint, in
/// both the structured error and its message.
#[track_caller]
pub(crate) fn assert_carrier(e: &Error, platform: Platform, code: &str) -> CarrierError {
    let Error::Carrier(c) = e else {
        panic!("expected carrier code {code}, got {e:?}");
    };
    assert_eq!(c.code.as_str(), code, "{e}");
    assert_eq!(e.carrier_code(), Some(code));
    assert_eq!(c.platform, platform, "{e}");
    assert!(!c.message.is_empty(), "{e}: the carrier's message is kept");
    let info = c
        .info
        .unwrap_or_else(|| panic!("{code}: no meaning from cmcc-proto's table ({e})"));
    assert_eq!(info.code, code);
    assert_eq!(info.platform, platform);
    assert!(!info.zh.is_empty() && !info.en.is_empty());
    let shown = e.to_string();
    assert!(shown.contains(code), "{shown}");
    assert!(shown.contains(info.en), "{shown}");
    assert_eq!(c.hint(), info.hint);
    if let Some(h) = info.hint {
        assert!(shown.contains(h), "{shown}");
    }
    c.clone()
}

#[track_caller]
pub(crate) fn assert_passport(e: &Error, code: &str) -> CarrierError {
    assert_carrier(e, Platform::Passport, code)
}

/// [`assert_passport`], its first message naming `case`.
#[track_caller]
pub(crate) fn assert_passport_case(case: &str, e: &Error, code: &str) -> CarrierError {
    assert_eq!(e.carrier_code(), Some(code), "{case}: {e:?}");
    assert_passport(e, code)
}

#[track_caller]
pub(crate) fn assert_onelink(e: &Error, code: &str) -> CarrierError {
    assert_carrier(e, Platform::OneLink, code)
}

/// An address nothing listens on.
pub(crate) async fn dead_address() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}
