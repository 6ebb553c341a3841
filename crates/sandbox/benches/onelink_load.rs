//! OneLink load benchmark (`cargo bench -p cmcc-sandbox --bench onelink_load`).
//!
//! 1. Status-query (23A23) throughput under loopback load, against an empty JSON endpoint of
//!    the same server in the same run (target: ≥ 0.5×). 100,000 generated cards.
//! 2. Push dispatcher: N pushes to a fast local receiver; deliveries per second, and a check
//!    that every push arrived exactly once.
//!
//! `ONELINK_BENCH_SECS` (default 5) sets the duration of each load phase,
//! `ONELINK_BENCH_PUSHES` (default 20000) the number of pushes.
#![expect(clippy::unwrap_used, reason = "benchmark")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use cmcc_sandbox::onelink::config::{PushConfig, DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::onelink::OneLinkConfig;
use cmcc_sandbox::{Running, SandboxConfig};
use parking_lot::Mutex;
use serde_json::{json, Value};

const CARDS: u32 = 100_000;
const CONCURRENCY: usize = 32;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Requests per second of `make` over `secs` with CONCURRENCY connections.
async fn load<F>(secs: u64, make: F) -> f64
where
    F: Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let (make, done) = (make.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = w as u64;
            while Instant::now() < deadline {
                let body = make(&http, i).send().await.unwrap().bytes().await.unwrap();
                assert!(body.starts_with(b"{"), "unexpected answer");
                if body.len() > 2 {
                    assert!(
                        body.windows(12).any(|x| x == br#""status":"0""#),
                        "{}",
                        String::from_utf8_lossy(&body)
                    );
                }
                done.fetch_add(1, Ordering::Relaxed);
                i += CONCURRENCY as u64;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn bench() {
    let secs = env_or("ONELINK_BENCH_SECS", 5);
    let pushes = env_or("ONELINK_BENCH_PUSHES", 20_000);
    let config = SandboxConfig {
        onelink: OneLinkConfig {
            demo_generate_cards: CARDS,
            push: PushConfig {
                timeout_ms: 5000,
                resend_interval_ms: 1000,
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
    let http = reqwest::Client::new();
    let tok: Value = http
        .post(format!("{base}/v5/ec/get/token"))
        .json(&json!({"appid": DEMO_APPID, "password": DEMO_PASSWORD, "transid": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tok["result"][0]["token"].as_str().unwrap().to_owned();

    // Warm up, then the two endpoints back to back.
    let ping_url = format!("{base}/_sandbox/onelink/ping");
    let u = ping_url.clone();
    load(1, move |h, _| h.get(&u)).await;
    let u = ping_url.clone();
    let ping = load(secs, move |h, _| h.get(&u)).await;
    let info_url = format!("{base}/v5/ec/query/sim-identity-registration-info");
    let status = load(secs, move |h, i| {
        // Generated cards have serials 1000.. (MAGIC-ONELINK.md).
        let msisdn = format!("1440{:09}", 1000 + i % u64::from(CARDS));
        h.post(&info_url)
            .json(&json!({"transid": "bench", "token": token, "msisdn": msisdn}))
    })
    .await;

    // Push dispatcher to a fast local receiver.
    let seen: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/push",
        post(move |body: axum::body::Bytes| {
            let s = s.clone();
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let seq = v["result"][0]["busiSeq"].as_str().unwrap_or("?").to_owned();
                *s.lock().entry(seq).or_insert(0) += 1;
                r#"{"status":"0","message":"ok"}"#
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/push", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    http.post(format!("{base}/_sandbox/onelink/enterprises"))
        .json(&json!({"appid": DEMO_APPID, "callbackUrl": callback}))
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    http.post(format!("{base}/_sandbox/onelink/pushes/synthetic"))
        .json(&json!({"appid": DEMO_APPID, "count": pushes}))
        .send()
        .await
        .unwrap();
    let state = sb.sandbox.onelink.clone();
    loop {
        let sum = state.pushes.summary();
        let settled =
            sum.get("delivered").copied().unwrap_or(0) + sum.get("gave_up").copied().unwrap_or(0);
        if settled as u64 >= pushes {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "pushes did not settle: {sum:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sum = state.pushes.summary();
    let seen = seen.lock();
    let distinct = seen.len() as u64;
    let duplicated = seen.values().filter(|&&n| n > 1).count();
    let delivered = sum.get("delivered").copied().unwrap_or(0) as u64;

    println!("## Sandbox: OneLink (bench output)");
    println!("- cards in inventory: {}", CARDS + 6);
    println!("- load: {CONCURRENCY} concurrent keep-alive connections, {secs} s per endpoint, client and server in one process");
    println!("- empty JSON endpoint (`/_sandbox/onelink/ping`): {ping:.0} req/s");
    println!("- 23A23 status query (POST JSON, random card of 100,000): {status:.0} req/s");
    println!("- ratio status/empty: {:.2} (target >= 0.5)", status / ping);
    println!("- pushes: {pushes} queued, {delivered} delivered in {elapsed:.2} s = {:.0} deliveries/s (target >= 2000)", pushes as f64 / elapsed);
    println!(
        "- receiver saw {distinct} distinct busiSeq, {duplicated} duplicated, {} lost",
        pushes.saturating_sub(distinct)
    );
    assert_eq!(distinct, pushes, "lost pushes");
    assert_eq!(duplicated, 0, "duplicated pushes");
    sb.stop();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench());
}
