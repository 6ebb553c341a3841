//! Confirmation of push claims survives SIGKILL, across two gateway processes on one
//! PostgreSQL and Redis: 40 success pushes are acknowledged, their 23A23 checks are queued durably, one
//! instance is killed in the middle of the queue, and the other finishes it once its leases
//! run out. Every registration ends `registered`, each confirmation is closed exactly once and
//! each webhook event is written exactly once: nothing lost, nothing repeated.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const APPID: &str = "100059999270000006";
const PASSWORD: &str = "onelink-sandbox-pass";
const API_KEY: &str = "kill-test-api-key-0001";
const CARDS: usize = 40;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &std::path::Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cmcc"))
        .current_dir(dir)
        .args(args)
        .env_remove("CMCC_GATEWAY_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_up(http: &reqwest::Client, url: &str) {
    for _ in 0..300 {
        if let Ok(r) = http.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let v = r.json().await.unwrap_or(Value::Null);
    assert!(s.is_success(), "{s}: {v}");
    v
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_survives_sigkill_across_two_instances() {
    let pg = std::env::var("CMCC_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let redis =
        std::env::var("CMCC_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let admin = match sqlx::PgPool::connect(&pg).await {
        Ok(p) => p,
        Err(e) => {
            assert!(!in_ci(), "CI=true but PostgreSQL is not reachable: {e}");
            eprintln!("SKIPPED: PostgreSQL not reachable ({e})");
            return;
        }
    };
    let redis_addr = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Err(e) = std::net::TcpStream::connect(&redis_addr) {
        assert!(!in_ci(), "CI=true but Redis is not reachable: {e}");
        eprintln!("SKIPPED: Redis not reachable ({e})");
        return;
    }
    let tag = format!("cmcc_kill_{}_{}", std::process::id(), chrono_free_nanos());
    sqlx::query(&format!("CREATE SCHEMA {tag}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let db = format!("{pg}?options=-c%20search_path%3D{tag}");
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // The carrier: `cmcc sandbox` in its own process.
    let sbx_port = free_port();
    let sbx = format!("http://127.0.0.1:{sbx_port}");
    let _sandbox = Killed(spawn(
        dir.path(),
        &["sandbox", "--listen", &format!("127.0.0.1:{sbx_port}")],
    ));
    wait_up(&http, &format!("{sbx}/_sandbox/onelink/ping")).await;
    post(
        &http,
        format!("{sbx}/_sandbox/onelink/cards/generate"),
        json!({"appid": APPID, "count": CARDS}),
    )
    .await;

    let config = format!(
        r#"
database_url = "{db}"
redis_url = "{redis}"
redis_prefix = "{tag}:"
api_keys = ["{API_KEY}"]
lease_secs = 2
reconcile_after_secs = 86400
forward_url = "http://127.0.0.1:9/hook"
webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
webhook_retry_secs = [86400]
[onelink]
base_url = "{sbx}"
appid = "{APPID}"
password = "{PASSWORD}"
"#
    );
    let cfg_path = dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, config).unwrap();
    let cfg = cfg_path.display().to_string();
    let ports = [free_port(), free_port()];
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut a = Some(Killed(spawn(
        dir.path(),
        &[
            "gateway",
            "--config",
            &cfg,
            "--listen",
            &format!("127.0.0.1:{}", ports[0]),
        ],
    )));
    let _b = Killed(spawn(
        dir.path(),
        &[
            "gateway",
            "--config",
            &cfg,
            "--listen",
            &format!("127.0.0.1:{}", ports[1]),
        ],
    ));
    for b in &bases {
        wait_up(&http, &format!("{b}/readyz")).await;
    }

    // 40 links, registered at OneLink by the page (no callback: the test pushes itself).
    let mut regs = Vec::new();
    for i in 0..CARDS {
        let msisdn = format!("1440{:09}", 1000 + i);
        let link = post(
            &http,
            format!("{}/v1/registrations", bases[i % 2]),
            json!({"msisdn": msisdn}),
        )
        .await;
        let busi = link["busiSeq"].as_str().unwrap().to_owned();
        post(
            &http,
            format!("{sbx}/_sandbox/onelink/registrations/{busi}/complete"),
            json!({"name": "张三", "residentId": "11010519491231002X", "liveness": "pass"}),
        )
        .await;
        regs.push((busi, msisdn));
    }
    // Every 23A23 answer takes 150 ms, so the queue is still being worked when A is killed.
    post(
        &http,
        format!("{sbx}/_sandbox/onelink/faults"),
        json!({"endpoint": "/v5/ec/query/sim-identity-registration-info", "delay_ms": 150, "remaining": 10_000}),
    )
    .await;
    for (i, (busi, msisdn)) in regs.iter().enumerate() {
        let body = json!({"status": "0", "message": "正确", "result": [{"regStatus": "1", "regMsg": "ok", "busiSeq": busi, "msisdn": msisdn}]});
        let r: Value = http
            .post(format!("{}/onelink/push", bases[i % 2]))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "0");
    }

    let registered = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == "registered")
            .count()
    };
    let list_url = format!("{}/v1/registrations?limit=1000", bases[1]);
    let get = |url: String| {
        let http = http.clone();
        async move {
            http.get(url)
                .bearer_auth(API_KEY)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Kill A mid-queue.
    let started = Instant::now();
    loop {
        let n = registered(&get(list_url.clone()).await);
        if n >= 4 {
            assert!(n < CARDS, "the queue finished before the kill ({n})");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "confirmations did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(a.take()); // SIGKILL
    let at_kill = registered(&get(list_url.clone()).await);

    // B finishes, including what A had leased.
    let started = Instant::now();
    loop {
        if registered(&get(list_url.clone()).await) == CARDS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every confirmation finished after the kill"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let store = cmcc_gateway::store::Store::connect(&db).await.unwrap();
    assert_eq!(store.confirm_open().await.unwrap(), 0);
    for (busi, _) in &regs {
        let r = store.registration(busi).await.unwrap().unwrap();
        assert_eq!(
            (r.state.as_str(), r.settled_by.as_deref()),
            ("registered", Some("confirm")),
            "{busi}"
        );
        assert_eq!(
            store.confirm_closed(busi).await.unwrap(),
            1,
            "{busi}: confirmed once"
        );
        assert_eq!(
            store.events(Some(busi), 10).await.unwrap().len(),
            1,
            "{busi}: one webhook event"
        );
    }
    store.close().await;
    println!(
        "registered at SIGKILL: {at_kill}/{CARDS}; after: {CARDS}/{CARDS}, each confirmed once"
    );
}

fn chrono_free_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}
