//! What the gateway's tests share beyond cmcc-testkit: a sandbox with the page's side of a
//! verification and its admin API, pushes as OneLink sends them, waits that move the gateway's
//! clock, stores and shared state on the test machine's backends (a SQLite file, a fresh
//! PostgreSQL schema, a Redis key prefix; PostgreSQL/Redis tests skip with a notice when the
//! server is not there, except under `CI=true`), and Python checkers run with a deadline.

use std::future::Future;
use std::io::{Read, Write as _};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cmcc_client::passport::{PassportClient, PassportConfig};
use cmcc_client::PassportBase;
use cmcc_gateway::shared::Shared;
use cmcc_gateway::store::Store;
use cmcc_gateway::Config;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use cmcc_sandbox::auth::tenant::DEMO_APP_ID;
use cmcc_testkit::{backends, Gateway, Sandbox, DEADLINE, DEMO_ENTERPRISE, DEVICE_HEADER};
use serde_json::{json, Value};

/// The gateway's push receiver (the default `push_path`).
pub(crate) const PUSH: &str = "/onelink/push";

/// A sandbox in this process and a client for its admin API.
pub(crate) struct Sys {
    pub(crate) sbx: Sandbox,
    pub(crate) http: reqwest::Client,
}

impl Sys {
    pub(crate) async fn start() -> Self {
        Self {
            sbx: cmcc_testkit::spawn_sandbox().await,
            http: cmcc_testkit::http(),
        }
    }

    /// A gateway on a fresh SQLite file, wired to this sandbox's demo app and demo enterprise,
    /// edited by `edit`.
    pub(crate) async fn gateway(&self, edit: impl FnOnce(&mut Config)) -> Gateway {
        cmcc_testkit::spawn_gateway(Some(&self.sbx), edit).await
    }

    /// The sandbox's per-number daily cap, so gateway-side caps can be tested above/below it.
    pub(crate) fn set_sandbox_daily_cap(&self, cap: u32) {
        let app = self.sbx.sandbox.auth.app(DEMO_APP_ID).unwrap();
        let mut cfg = app.cfg.clone();
        cfg.daily_cap = cap;
        self.sbx.sandbox.auth.upsert_app(cfg).unwrap();
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
            (DEVICE_HEADER.into(), device.into()),
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
        gw: &Gateway,
        device: &str,
        typed: &str,
    ) -> (u16, Value, (String, String)) {
        let (token, ui) = self.token(device).await;
        let (s, v) = gw
            .post(
                "/v1/verify",
                &json!({"phone": typed, "token": token, "userInformation": ui}),
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

    /// How often the sandbox was asked `path`.
    pub(crate) fn journal_count(&self, path: &str) -> usize {
        cmcc_testkit::journal_count(&self.sbx, path)
    }

    /// The demo enterprise's results are pushed to `gw`'s push receiver.
    pub(crate) async fn push_to(&self, gw: &Gateway) {
        self.admin(
            "/enterprises",
            &json!({"appid": DEMO_ENTERPRISE, "callbackUrl": gw.url(PUSH)}),
        )
        .await;
    }

    /// The user finishes registration `busi_seq` on the page, with this liveness result.
    pub(crate) async fn complete(&self, busi_seq: &str, liveness: &str) {
        self.admin(
            &format!("/registrations/{busi_seq}/complete"),
            &json!({"name": "张三", "residentId": "11010519491231002X", "liveness": liveness}),
        )
        .await;
    }

    /// Make the sandbox's `endpoint` answer `code` (`http503`, `13000`, …) the next `remaining`
    /// times.
    pub(crate) async fn fault(&self, endpoint: &str, code: &str, remaining: u32) {
        self.admin(
            "/faults",
            &json!({"endpoint": endpoint, "code": code, "delay_ms": 0, "remaining": remaining}),
        )
        .await;
    }

    /// `count` more cards for the demo enterprise.
    pub(crate) async fn generate_cards(&self, count: u32) {
        self.admin(
            "/cards/generate",
            &json!({"appid": DEMO_ENTERPRISE, "count": count}),
        )
        .await;
    }

    async fn admin(&self, path: &str, body: &Value) -> Value {
        cmcc_testkit::onelink_admin(&self.http, &self.sbx, path, body).await
    }
}

/// A registration link for `card` (`{"msisdn": …}` or another card id): its busiSeq.
pub(crate) async fn link(gw: &Gateway, card: &Value) -> String {
    let (s, v) = gw.post("/v1/registrations", card).await;
    assert_eq!(s, 200, "a link for {card}: {v}");
    v["busiSeq"].as_str().unwrap().to_owned()
}

/// A push body as OneLink sends it, with these records.
pub(crate) fn push_of(records: Value) -> Value {
    json!({"status": "0", "message": "正确", "result": records})
}

/// The gateway's `/metrics` text.
pub(crate) async fn metrics(gw: &Gateway) -> String {
    gw.http
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Wait until `check` holds, moving `gw`'s clock forward by `step` before each look: a
/// back-off timed on that clock (confirmation retries, webhook retries) then passes in a few
/// polls instead of the test sleeping through it in real time.
pub(crate) async fn eventually_advancing<F, Fut>(
    gw: &Gateway,
    what: &str,
    step: chrono::Duration,
    mut check: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let clock = gw.run.state().unwrap().clock.clone();
    cmcc_testkit::eventually_true(what, DEADLINE, || {
        clock.advance(step);
        check()
    })
    .await;
}

/// A store on a fresh SQLite file (kept alive by the returned directory).
pub(crate) async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("gw.db").display());
    (Store::connect(&url).await.unwrap(), dir)
}

/// A fresh schema on the test PostgreSQL: its name and a URL that uses it; `None` (skip)
/// where PostgreSQL is not running, outside CI.
pub(crate) async fn postgres_schema(tag: &str) -> Option<(String, String)> {
    let base = backends::postgres_url();
    let admin = match sqlx::PgPool::connect(&base).await {
        Ok(p) => p,
        Err(e) => {
            backends::unavailable("PostgreSQL", &e.to_string());
            return None;
        }
    };
    let schema = backends::unique(tag);
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = backends::with_search_path(&base, &schema);
    Some((schema, url))
}

/// A store on a fresh schema of the test PostgreSQL, or `None` (skip) outside CI.
pub(crate) async fn postgres() -> Option<Store> {
    let (_, url) = postgres_schema("cmcc_t").await?;
    Some(Store::connect(&url).await.unwrap())
}

/// Shared state on the test Redis under a fresh key prefix, or `None` (skip) outside CI.
pub(crate) async fn redis() -> Option<Shared> {
    let prefix = format!("{}:", backends::unique("cmcc_t"));
    let reached = match Shared::redis(&backends::redis_url(), &prefix).await {
        Ok(s) => s.ping().await.map(|()| s),
        Err(e) => Err(e),
    };
    match reached {
        Ok(s) => Some(s),
        Err(e) => {
            backends::unavailable("Redis", &e.to_string());
            None
        }
    }
}

/// How long a Python checker may take.
const PYTHON_DEADLINE: Duration = Duration::from_secs(60);

/// Whether `python3` can import `module` (of the PyPI package `package`, which `./dev test`
/// installs). Where it cannot, the caller skips that check with a notice; under `CI=true` it
/// fails instead.
pub(crate) fn python_has(module: &str, package: &str) -> bool {
    let import = format!("import {module}");
    let probe = python(&["-c", import.as_str()], b"");
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        !backends::in_ci(),
        "CI=true but the {package} Python package is missing (./dev test installs it)"
    );
    eprintln!("SKIPPED: the {package} Python package is not installed");
    false
}

/// Run `python3 args…` with `input` on its stdin: its exit status and output. An error when
/// python3 cannot be started.
///
/// # Panics
///
/// When it has not finished within [`PYTHON_DEADLINE`] (it is killed first).
pub(crate) fn python(args: &[&str], input: &[u8]) -> std::io::Result<Output> {
    let mut child = Command::new("python3")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Every pipe on its own thread: a child that writes a lot, or reads its input late, then
    // cannot stall this thread before the deadline below is checked.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // A child that exits without reading its input is judged by its status, not by this.
        let _ = stdin.write_all(&input);
    });
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + PYTHON_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("python3 {args:?} did not finish within {PYTHON_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap();
    Ok(Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        all
    })
}
