//! What the integration tests of every cmcc crate share (`publish = false`).
//!
//! - [`spawn_sandbox`] / [`spawn_sandbox_with`]: the real sandbox on a free loopback port.
//! - [`spawn_gateway`]: the real gateway on a fresh SQLite file, wired to a sandbox's demo app
//!   and demo enterprise, or to carriers that are not there; edited by a closure.
//! - [`post_json`] / [`get_json`]: one request, its status and its body as JSON.
//! - [`eventually`]: poll a condition until it holds, with a deadline and a message.
//! - [`path`] and the constants below: endpoint paths and test values taken from
//!   cmcc-proto and the sandbox, never re-typed as strings.
//! - [`backends`]: the test machine's PostgreSQL and Redis; a test that needs one skips
//!   with a notice where it is not running, except under `CI=true`, where it fails.

#![expect(
    clippy::unwrap_used,
    reason = "test support: a failed set-up is a failed test"
)]

use std::future::Future;
use std::time::{Duration, Instant};

use cmcc_gateway::config::{OneLinkSection, PassportSection};
use cmcc_proto::endpoint::Endpoint;
use cmcc_proto::{PrivateKey, Secret};
use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use serde_json::Value;

pub mod backends;

pub use cmcc_sandbox::auth::network::DEVICE_HEADER;
pub use cmcc_sandbox::onelink::config::{DEMO_APPID as DEMO_ENTERPRISE, DEMO_PASSWORD};
pub use cmcc_sandbox::{Running as Sandbox, SandboxConfig};

/// The API key every gateway of [`spawn_gateway`] accepts.
pub const API_KEY: &str = "testkit-api-key-0001";

/// The path of endpoint `E`, from its metadata in cmcc-proto.
#[must_use]
pub const fn path<E: Endpoint>() -> &'static str {
    E::METADATA.path
}

/// The sandbox with its default configuration (demo app, demo enterprise, magic numbers and
/// cards) on a free loopback port.
pub async fn spawn_sandbox() -> Sandbox {
    spawn_sandbox_with(SandboxConfig::default()).await
}

/// The sandbox with `config` on a free loopback port.
pub async fn spawn_sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(&config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// A running gateway, its folder (the SQLite file) and an HTTP client.
#[derive(Debug)]
pub struct Gateway {
    /// The gateway.
    pub run: cmcc_gateway::Running,
    /// A client for it (no default headers).
    pub http: reqwest::Client,
    /// The folder of its SQLite file; removed when the gateway is dropped.
    pub dir: tempfile::TempDir,
}

impl Gateway {
    /// The gateway's URL of `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.run.base_url)
    }

    /// `POST path` with [`API_KEY`] and a JSON body: status and JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        send(
            self.http
                .post(self.url(path))
                .bearer_auth(API_KEY)
                .json(body),
        )
        .await
    }

    /// `POST path` without an API key (browser routes, the push receiver).
    pub async fn post_anonymous(&self, path: &str, body: &Value) -> (u16, Value) {
        post_json(&self.http, &self.url(path), body).await
    }

    /// `GET path` with [`API_KEY`]: status and JSON answer.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.http.get(self.url(path)).bearer_auth(API_KEY)).await
    }
}

/// The gateway configuration [`spawn_gateway`] starts from, before the edit: listen on a free
/// port, store in `dir/gw.db`, accept [`API_KEY`]; with a sandbox, its demo app and demo
/// enterprise (the keys a business would hold); without, fresh keys and carriers that are not
/// there (port 9), for tests that must not reach one.
#[must_use]
pub fn gateway_config(sandbox: Option<&Sandbox>, dir: &std::path::Path) -> cmcc_gateway::Config {
    let mut cfg = cmcc_gateway::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite:{}", dir.join("gw.db").display()),
        api_keys: vec![Secret::new(API_KEY)],
        ..cmcc_gateway::Config::default()
    };
    let (base_url, app_id, app_key, private_key, platform_public_key, enterprise, password) =
        match sandbox {
            Some(sb) => {
                let app = sb.sandbox.auth.app(DEMO_APP_ID).unwrap();
                (
                    sb.base_url.clone(),
                    DEMO_APP_ID.to_owned(),
                    app.cfg.app_key.clone(),
                    app.cfg.customer_private_key.clone(),
                    app.platform_public_b64.clone(),
                    DEMO_ENTERPRISE.to_owned(),
                    DEMO_PASSWORD.to_owned(),
                )
            }
            None => {
                let key = PrivateKey::generate(1024).unwrap();
                let platform = PrivateKey::generate(1024).unwrap();
                (
                    "http://127.0.0.1:9".to_owned(),
                    "300011000001".to_owned(),
                    "appkey-secret-value".to_owned(),
                    key.to_base64().unwrap(),
                    platform.public_key().unwrap().to_base64().unwrap(),
                    "100000000000000001".to_owned(),
                    "pw".to_owned(),
                )
            }
        };
    cfg.passport = Some(PassportSection {
        base_url: base_url.clone(),
        app_id,
        app_key: Some(Secret::new(app_key)),
        app_key_file: None,
        private_key: Some(Secret::new(private_key)),
        private_key_file: None,
        platform_public_key: Some(platform_public_key),
        platform_public_key_file: None,
        headers: Default::default(),
    });
    cfg.onelink = Some(OneLinkSection {
        base_url,
        appid: enterprise,
        password: Some(Secret::new(password)),
        password_file: None,
    });
    cfg
}

/// A gateway on a fresh SQLite file: [`gateway_config`] for `sandbox`, edited by `edit`.
pub async fn spawn_gateway(
    sandbox: Option<&Sandbox>,
    edit: impl FnOnce(&mut cmcc_gateway::Config),
) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gateway_config(sandbox, dir.path());
    edit(&mut cfg);
    let run = cmcc_gateway::Running::start(cfg).await.unwrap();
    Gateway {
        run,
        http: http(),
        dir,
    }
}

async fn send(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `POST url` with a JSON body: the status and the answer as JSON (a body that is not JSON
/// comes back as a JSON string, so a test can show it).
pub async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    send(http.post(url).json(body)).await
}

/// `GET url`: the status and the answer as JSON (or as a JSON string when it is not JSON).
pub async fn get_json(http: &reqwest::Client, url: &str) -> (u16, Value) {
    send(http.get(url)).await
}

/// An HTTP client for tests: every request has [`DEADLINE`] as its timeout, so a server that
/// never answers fails the test instead of hanging it.
///
/// # Panics
///
/// When the client cannot be built (no TLS backend is involved, so never in practice).
#[must_use]
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

/// `GET url`, which must answer 200 with an HTML page: the page.
///
/// # Panics
///
/// When the request fails, the status is not 200 or the content type is not `text/html`.
pub async fn get_html(http: &reqwest::Client, url: &str) -> String {
    let r = http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ctype.starts_with("text/html"), "GET {url}: {ctype}");
    r.text().await.unwrap()
}

/// The default deadline of [`eventually`]: generous for a loaded CI machine, short enough that
/// a stuck test fails in seconds rather than hanging the run.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Poll `check` every 20 ms until it returns `Some`, and return that; after `within`, panic
/// with `what` and the time waited. Every wait of a test goes through here, so none can hang.
///
/// # Panics
///
/// When `check` has not returned `Some` within `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < within,
            "timed out after {:?} waiting for {what}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`eventually`] for a condition that is true or not yet.
///
/// # Panics
///
/// When `check` has not returned true within `within`.
pub async fn eventually_true<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually(what, within, || {
        let f = check();
        async move { f.await.then_some(()) }
    })
    .await;
}

/// Await `fut` for at most `within`, or panic with `what`.
///
/// # Panics
///
/// When `fut` has not finished within `within`.
pub async fn within<T>(what: &str, within: Duration, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(within, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {within:?}: {what}"),
    }
}

impl Gateway {
    /// Shut the gateway down (graceful: in-flight requests are answered, writers flushed), with
    /// a deadline, then remove its folder.
    ///
    /// # Panics
    ///
    /// When the shutdown has not finished within [`DEADLINE`].
    pub async fn stop(self) {
        within("the gateway to shut down", DEADLINE, self.run.shutdown()).await;
    }
}

/// How many requests for `path` (a carrier endpoint: [`path`] or cmcc-proto's `*_PATH`
/// constants) the sandbox's journal holds, to tell whether a carrier was called.
#[must_use]
pub fn journal_count(sandbox: &Sandbox, path: &str) -> usize {
    sandbox
        .sandbox
        .core
        .journal
        .recent(usize::MAX, None)
        .iter()
        .filter(|e| e.path == path)
        .count()
}

/// `POST body` to the sandbox's OneLink admin API, at `path` below its prefix (`/faults`,
/// `/enterprises`, `/cards/generate`, `/registrations/{busiSeq}/complete`, …), and its answer.
///
/// # Panics
///
/// When the sandbox does not answer 2xx (the answer is in the message).
pub async fn onelink_admin(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    path: &str,
    body: &Value,
) -> Value {
    let url = format!(
        "{}{}{path}",
        sandbox.base_url,
        cmcc_sandbox::onelink::ADMIN_PREFIX
    );
    let (status, answer) = post_json(http, &url, body).await;
    assert!(
        (200..300).contains(&status),
        "POST {url}: {status} {answer}"
    );
    answer
}

/// The sandbox's magic OneLink cards (`crates/sandbox/MAGIC-ONELINK.md`), by msisdn: each
/// answers one way every time, so a test names the case it wants. All but
/// [`OTHERS`](magic::OTHERS) belong to [`DEMO_ENTERPRISE`].
pub mod magic {
    /// 1: active, unregistered; a registration succeeds when the page's liveness step passes.
    pub const FRESH: &str = "1440000000001";
    /// 2: already registered (type `01`, archived `2024-10-21 09:30:00`): 23A12 answers 12013.
    pub const REGISTERED: &str = "1440000000002";
    /// 3: every registration fails (the push says `regStatus` `"0"`).
    pub const FAILS: &str = "1440000000003";
    /// 4: its state forbids registration: 23A12 answers 12014.
    pub const BLOCKED: &str = "1440000000004";
    /// 5: another enterprise's card: 12011 for the demo enterprise.
    pub const OTHERS: &str = "1440000000005";
    /// 6: already registered as an IoV card (type `04`).
    pub const IOV: &str = "1440000000006";
    /// 7: stopped; a stop answers 12048, a resume makes it active.
    pub const STOPPED: &str = "1440000000007";
    /// 8: pending activation, never activated (no IMEI, `activeDate` `" "`).
    pub const PENDING: &str = "1440000000008";
    /// 10: in stock, never activated.
    pub const STOCK: &str = "1440000000010";
    /// 11: pre-cancelled: every status change answers 12017.
    pub const CANCELLED: &str = "1440000000011";
    /// 12: active with data off: no session, no usage.
    pub const DATA_OFF: &str = "1440000000012";
    /// 13: active; every change (status or data) answers 12015.
    pub const FROZEN: &str = "1440000000013";
}
