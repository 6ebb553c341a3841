//! What the tests of this crate share: a sandbox in this process and gateways wired to it, and
//! real backends (a SQLite file, a fresh PostgreSQL schema, a Redis key prefix).
//! PostgreSQL/Redis tests skip with a notice when the server is not there, except in CI
//! (`CI=true`), where a missing server fails the test.

use cmcc_gateway::shared::Shared;
use cmcc_gateway::store::Store;
use std::collections::BTreeMap;
use std::time::Duration;

use cmcc_client::passport::{PassportClient, PassportConfig};
use cmcc_client::PassportBase;
use cmcc_gateway::config::{OneLinkSection, PassportSection};
use cmcc_gateway::Config;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use serde_json::{json, Value};

pub(crate) const DEVICE: &str = "x-cmcc-sandbox-device";
pub(crate) const ENTERPRISE: &str = "100059999270000006";
pub(crate) const ENTERPRISE_PW: &str = "onelink-sandbox-pass";
pub(crate) const API_KEY: &str = "flows-api-key-0001";

pub(crate) struct Sys {
    pub sbx: cmcc_sandbox::Running,
    pub http: reqwest::Client,
}

impl Sys {
    pub(crate) async fn start() -> Self {
        let sbx = cmcc_sandbox::Running::start(
            &cmcc_sandbox::SandboxConfig::default(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        Self {
            sbx,
            http: reqwest::Client::new(),
        }
    }

    /// The sandbox's per-number daily cap, so gateway-side caps can be tested above/below it.
    pub(crate) fn set_sandbox_daily_cap(&self, cap: u32) {
        let app = self.sbx.sandbox.auth.app(DEMO_APP_ID).unwrap();
        let mut cfg = app.cfg.clone();
        cfg.daily_cap = cap;
        self.sbx.sandbox.auth.upsert_app(cfg).unwrap();
    }

    /// A gateway configuration wired to this sandbox's demo app and demo enterprise.
    pub(crate) fn gateway_config(&self, database_url: String) -> Config {
        let app = self.sbx.sandbox.auth.app(DEMO_APP_ID).unwrap();
        let mut cfg = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url,
            api_keys: vec![Secret::new(API_KEY)],
            ..Config::default()
        };
        cfg.passport = Some(PassportSection {
            base_url: self.sbx.base_url.clone(),
            app_id: DEMO_APP_ID.into(),
            app_key: Some(Secret::new(app.cfg.app_key.clone())),
            app_key_file: None,
            private_key: Some(Secret::new(app.cfg.customer_private_key.clone())),
            private_key_file: None,
            platform_public_key: Some(app.platform_public_b64.clone()),
            platform_public_key_file: None,
            headers: BTreeMap::new(),
        });
        cfg.onelink = Some(OneLinkSection {
            base_url: self.sbx.base_url.clone(),
            appid: ENTERPRISE.into(),
            password: Some(Secret::new(ENTERPRISE_PW)),
            password_file: None,
        });
        cfg
    }

    /// The page's side: the JSSDK's calls for `device`, made with the SDK.
    fn page_client(&self, device: &str) -> PassportClient {
        let app = self.sbx.sandbox.auth.app(DEMO_APP_ID).unwrap();
        let mut cfg = PassportConfig::new(
            PassportBase::single(&self.sbx.base_url),
            DEMO_APP_ID,
            Secret::new(app.cfg.app_key.clone()),
            PrivateKey::parse(&app.cfg.customer_private_key).unwrap(),
            PublicKey::parse(&app.platform_public_b64).unwrap(),
        );
        cfg.headers = vec![
            (DEVICE.into(), device.into()),
            (
                "referer".into(),
                format!("{}/login.html", self.sbx.base_url),
            ),
            ("origin".into(), self.sbx.base_url.clone()),
        ];
        PassportClient::new(cfg).unwrap()
    }

    /// A verification token and userInformation for `device` (mini-program getTokenInfo).
    pub(crate) async fn token(&self, device: &str) -> (String, String) {
        let g = self
            .page_client(device)
            .mini_get_token_info(&ExpandParams::new())
            .await
            .unwrap();
        (g.token, g.user_information.unwrap())
    }

    /// The page's whole verification: a token for the number of `device`, then the gateway's
    /// `POST /v1/verify` with the number the user `typed`. Returns the token and
    /// userInformation too, for tests that reuse them.
    pub(crate) async fn verify(
        &self,
        gateway: &str,
        device: &str,
        typed: &str,
    ) -> (u16, Value, (String, String)) {
        let (token, ui) = self.token(device).await;
        let (s, v) = post(
            &self.http,
            format!("{gateway}/v1/verify"),
            json!({"phone": typed, "token": token, "userInformation": ui}),
        )
        .await;
        (s, v, (token, ui))
    }

    /// A UAID token for `device`.
    pub(crate) async fn uaid_token(&self, device: &str) -> String {
        self.page_client(device)
            .uaid_get_token(&ExpandParams::new())
            .await
            .unwrap()
            .token
    }

    pub(crate) fn journal_count(&self, path: &str) -> usize {
        self.sbx
            .sandbox
            .core
            .journal
            .recent(1_000_000, None)
            .iter()
            .filter(|e| e.path == path)
            .count()
    }

    pub(crate) async fn set_callback(&self, url: &str) {
        let r = self
            .http
            .post(format!(
                "{}/_sandbox/onelink/enterprises",
                self.sbx.base_url
            ))
            .json(&json!({"appid": ENTERPRISE, "callbackUrl": url}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    pub(crate) async fn complete(&self, busi_seq: &str, liveness: &str) {
        let r = self
            .http
            .post(format!(
                "{}/_sandbox/onelink/registrations/{busi_seq}/complete",
                self.sbx.base_url
            ))
            .json(
                &json!({"name": "张三", "residentId": "11010519491231002X", "liveness": liveness}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
}

impl Sys {
    /// Make the sandbox's `endpoint` answer `code` (`http503`, `13000`, …) the next `remaining`
    /// times.
    pub(crate) async fn fault(&self, endpoint: &str, code: &str, remaining: u32) {
        let r = self
            .http
            .post(format!("{}/_sandbox/onelink/faults", self.sbx.base_url))
            .json(
                &json!({"endpoint": endpoint, "code": code, "delay_ms": 0, "remaining": remaining}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
}

/// A push body as OneLink sends it, with these records.
pub(crate) fn push_of(records: Value) -> Value {
    json!({"status": "0", "message": "正确", "result": records})
}

/// Post a push (no API key: OneLink has none) and return the status and answer.
pub(crate) async fn push(http: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let r = http.post(url).json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) const IDENTITY_INFO: &str = "/v5/ec/query/sim-identity-registration-info";

pub(crate) async fn post(http: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn get(http: &reqwest::Client, url: String) -> (u16, Value) {
    let r = http.get(url).bearer_auth(API_KEY).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("gw.db").display())
}

/// Poll `f` until it is true or 10 s pass.
pub(crate) async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}



pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn unavailable(what: &str, why: &str) {
    assert!(!in_ci(), "CI=true but {what} is not reachable: {why}");
    eprintln!("SKIPPED: {what} not reachable ({why}); set CMCC_TEST_POSTGRES / CMCC_TEST_REDIS or start it");
}

pub(crate) fn unique(tag: &str) -> String {
    format!("{tag}_{}_{:08x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() as u32
}

pub(crate) fn postgres_url() -> String {
    std::env::var("CMCC_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub(crate) fn redis_url() -> String {
    std::env::var("CMCC_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// A store on a fresh SQLite file (kept alive by the returned directory).
pub(crate) async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("gw.db").display());
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

/// A store on a fresh schema of the test PostgreSQL, or `None` (skip) outside CI.
pub(crate) async fn postgres() -> Option<Store> {
    let base = postgres_url();
    let admin = match sqlx::PgPool::connect(&base).await {
        Ok(p) => p,
        Err(e) => {
            unavailable("PostgreSQL", &e.to_string());
            return None;
        }
    };
    let schema = unique("cmcc_t");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Some(Store::connect(&url).await.expect("postgres store"))
}

pub(crate) async fn redis() -> Option<Shared> {
    match Shared::redis(&redis_url(), &format!("{}:", unique("cmcc_t"))).await {
        Ok(s) => match s.ping().await {
            Ok(()) => Some(s),
            Err(e) => {
                unavailable("Redis", &e.to_string());
                None
            }
        },
        Err(e) => {
            unavailable("Redis", &e.to_string());
            None
        }
    }
}
