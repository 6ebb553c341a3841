//! Confirmation of push claims survives SIGKILL, across two gateway processes on one
//! PostgreSQL and Redis: 40 success pushes are acknowledged, their 23A23 checks are queued durably, one
//! instance is killed in the middle of the queue, and the other finishes it once its leases
//! run out. Every registration ends `registered`, each confirmation is closed exactly once and
//! each webhook event is written exactly once: nothing lost, nothing repeated.

use std::time::Duration;

use cmcc_proto::wire::onelink::IDENTITY_INFO_PATH;
use cmcc_testkit::backends::{postgres_url, redis_url, unavailable, unique, with_search_path};
use cmcc_testkit::{eventually, eventually_true, DEMO_ENTERPRISE, DEMO_PASSWORD};
use serde_json::{json, Value};

use crate::support::{free_port, spawn_quiet, wait_ok};

const API_KEY: &str = "kill-test-api-key-0001";
const CARDS: usize = 40;
/// How long a server child may take to start.
const UP: Duration = Duration::from_secs(15);

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_survives_sigkill_across_two_instances() {
    let (pg, redis) = (postgres_url(), redis_url());
    let admin = match sqlx::PgPool::connect(&pg).await {
        Ok(p) => p,
        Err(e) => return unavailable("PostgreSQL", &e.to_string()),
    };
    let redis_addr = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Err(e) = std::net::TcpStream::connect(&redis_addr) {
        return unavailable("Redis", &e.to_string());
    }
    let tag = unique("cmcc_kill");
    sqlx::query(&format!("CREATE SCHEMA {tag}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let db = with_search_path(&pg, &tag);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // The carrier: `cmcc sandbox` in its own process.
    let sbx_port = free_port();
    let sbx = format!("http://127.0.0.1:{sbx_port}");
    let _sandbox = spawn_quiet(
        dir.path(),
        &["sandbox", "--listen", &format!("127.0.0.1:{sbx_port}")],
    );
    wait_ok(&http, &format!("{sbx}/_sandbox/onelink/ping"), UP).await;
    post(
        &http,
        format!("{sbx}/_sandbox/onelink/cards/generate"),
        json!({"appid": DEMO_ENTERPRISE, "count": CARDS}),
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
appid = "{DEMO_ENTERPRISE}"
password = "{DEMO_PASSWORD}"
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
    let gateway = |port: u16| {
        let listen = format!("127.0.0.1:{port}");
        spawn_quiet(
            dir.path(),
            &["gateway", "--config", &cfg, "--listen", &listen],
        )
    };
    let a = gateway(ports[0]);
    let _b = gateway(ports[1]);
    for b in &bases {
        wait_ok(&http, &format!("{b}/readyz"), UP).await;
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
        json!({"endpoint": IDENTITY_INFO_PATH, "delay_ms": 150, "remaining": 10_000}),
    )
    .await;
    for (i, (busi, msisdn)) in regs.iter().enumerate() {
        let body = json!({"status": "0", "message": "正确", "result": [{"regStatus": "1", "regMsg": "ok", "busiSeq": busi, "msisdn": msisdn}]});
        let url = format!("{}/onelink/push", bases[i % 2]);
        let (_, r) = cmcc_testkit::post_json(&http, &url, &body).await;
        assert_eq!(r["status"], "0", "{r}");
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
    let n = eventually("4 confirmations", Duration::from_secs(30), || async {
        let n = registered(&get(list_url.clone()).await);
        (n >= 4).then_some(n)
    })
    .await;
    assert!(n < CARDS, "the queue finished before the kill ({n})");
    a.kill(); // SIGKILL
    let at_kill = registered(&get(list_url.clone()).await);

    // B finishes, including what A had leased.
    eventually_true(
        "every confirmation to finish after the kill",
        Duration::from_secs(60),
        || async { registered(&get(list_url.clone()).await) == CARDS },
    )
    .await;
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
