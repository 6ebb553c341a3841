//! verifyVmMobileApi throughput under loopback load versus the crypto bound of one verify (one
//! RSA private decrypt of `phoneNum` + one MD5withRSA signature check, measured in the same run
//! on as many threads as the server uses), and memory per outstanding token.
//!
//! `cargo bench -p cmcc-sandbox --bench auth_verify` (env `BENCH_VERIFIES`, `BENCH_CONNS`,
//! `BENCH_TOKENS` scale it).

#![expect(clippy::unwrap_used, reason = "bench")]

use std::time::{Duration, Instant};

use cmcc_proto::format::ExpandParams;
use cmcc_proto::ids::{Phone, Secret};
use cmcc_proto::wire::passport::{self as wire, GetTokenRequest, VerifyInput, VerifyRequest};
use cmcc_proto::{PrivateKey, PublicKey, SignAlg, Timestamp17};
use cmcc_sandbox::auth::tenant::AppConfig;
use cmcc_sandbox::auth::tokens::{TokenRec, TokenStore};
use cmcc_sandbox::{Running, SandboxConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now17() -> String {
    Timestamp17::from_utc(chrono::Utc::now()).to_string()
}

fn hex32() -> String {
    let b: [u8; 16] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const PHONE: &str = "13800138000";

/// Verifies per second that `threads` threads manage doing only the crypto of one verify.
fn crypto_bound(platform: &PrivateKey, customer: &PrivateKey, threads: usize) -> f64 {
    let platform_pub = platform.public_key().unwrap();
    let customer_pub = customer.public_key().unwrap();
    let phone_num = platform_pub
        .encrypt_base64(&format!("{PHONE}KEY{}", now17()))
        .unwrap();
    let text = format!("300011800001{}{phone_num}{}TOKEN1.0", hex32(), now17());
    let sign = customer.sign(SignAlg::Md5WithRsa, text.as_bytes()).unwrap();
    let dur = Duration::from_secs(2);
    let counts: Vec<u64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < dur {
                        let plain = platform.decrypt_base64(&phone_num).unwrap();
                        assert!(plain.starts_with(PHONE));
                        assert!(customer_pub
                            .verify(SignAlg::Md5WithRsa, text.as_bytes(), &sign)
                            .unwrap());
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / dur.as_secs_f64()
}

/// One keep-alive connection sending pre-serialised requests; returns how many answered 000.
async fn drive(addr: std::net::SocketAddr, reqs: Vec<Vec<u8>>) -> usize {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let mut buf = Vec::with_capacity(4096);
    let mut ok = 0;
    for r in reqs {
        s.write_all(&r).await.unwrap();
        buf.clear();
        loop {
            let mut chunk = [0u8; 2048];
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if buf.len() >= end + 4 + len {
                    if String::from_utf8_lossy(&buf[end + 4..]).contains("\"resultCode\":\"000\"") {
                        ok += 1;
                    }
                    break;
                }
            }
        }
    }
    ok
}

fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<usize>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn token_memory(n: usize) {
    let store = TokenStore::default();
    let before = rss_bytes();
    for i in 0..n {
        store.issue(
            TokenRec {
                expires_ms: 60_000,
                number: 13_800_000_000 + i as u64,
                fingerprint: i as u64,
                app: 0,
                journal: 0,
                product: 0,
                referer_origin: 0,
            },
            0,
        );
    }
    let after = rss_bytes();
    let per = (after.saturating_sub(before)) as f64 / n as f64;
    println!(
        "tokens: {n} outstanding, RSS grew {:.1} MiB = {per:.1} bytes per token (record {} B + key 16 B + B-tree overhead); target <= 256",
        (after - before) as f64 / 1_048_576.0,
        std::mem::size_of::<TokenRec>()
    );
    let t = Instant::now();
    let swept = store.sweep(60_001);
    println!(
        "tokens: expired {swept} reclaimed in {:.0} ms, {} left",
        t.elapsed().as_secs_f64() * 1000.0,
        store.len()
    );
    assert!(per <= 256.0, "memory per token {per} > 256 bytes");
    assert_eq!(store.len(), 0);
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` does not: then a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let verifies = env("BENCH_VERIFIES", if full { 40_000 } else { 200 });
    let conns = env("BENCH_CONNS", 8);
    let tokens = env("BENCH_TOKENS", if full { 1_000_000 } else { 50_000 });
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());

    // Memory first, in a fresh process state.
    token_memory(tokens);

    let customer = PrivateKey::generate(1024).unwrap();
    let platform = PrivateKey::generate(1024).unwrap();
    let bound = crypto_bound(&platform, &customer, threads);
    println!("crypto bound: {bound:.0} verifies/s on {threads} threads (RSA-1024 private decrypt + MD5withRSA verify)");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut app = AppConfig::new("300011800009", "0123456789ABCDEF0123456789ABCDEF");
        app.customer_public_key = customer.public_key().unwrap().to_base64().unwrap();
        app.platform_private_key = platform.to_base64().unwrap();
        app.daily_cap = u32::MAX;
        app.rate_limit_per_minute = u32::MAX;
        app.verify_token_ttl_secs = 3600;
        let mut config = SandboxConfig::default();
        config.auth.apps = vec![app];
        config.auth.timestamp_tolerance_secs = 3600;
        let run = Running::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let http = reqwest::Client::new();
        let platform_pub: PublicKey = platform.public_key().unwrap();
        let key = Secret::new("0123456789ABCDEF0123456789ABCDEF");
        let phone = Phone::parse(PHONE).unwrap();

        // Tokens (mini-program getTokenInfo, test-mode phoneNum) and signed requests, untimed.
        let t = Instant::now();
        let mut raw = Vec::with_capacity(verifies);
        let expand = ExpandParams::new().with("phoneNum", PHONE).encode();
        let mut pending = Vec::new();
        for _ in 0..verifies {
            let trace = hex32();
            let mut req = GetTokenRequest {
                trace_id: trace.clone(),
                app_id: "300011800009".into(),
                sign: String::new(),
                msg_id: trace,
                expand_params: Some(expand.clone()),
                business_type: "5".into(),
                version: "1.0".into(),
                timestamp: now17(),
                open_type: None,
                is_test: None,
                user_information: None,
            };
            req.sign = req.md5_input(key.expose()).sign();
            let http = http.clone();
            let url = format!("{}{}", run.base_url, wire::MINI_GET_TOKEN_INFO_PATH);
            pending.push(tokio::spawn(async move {
                let v: serde_json::Value = http.post(url).json(&req).send().await.unwrap().json().await.unwrap();
                (
                    v["body"]["token"].as_str().unwrap().to_owned(),
                    v["body"]["userInformation"].as_str().unwrap().to_owned(),
                )
            }));
            if pending.len() == 64 {
                for p in pending.drain(..) {
                    raw.push(p.await.unwrap());
                }
            }
        }
        for p in pending.drain(..) {
            raw.push(p.await.unwrap());
        }
        let host = run.addr.to_string();
        let reqs: Vec<Vec<u8>> = raw
            .iter()
            .map(|(token, ui)| {
                let req = VerifyRequest::build(
                    VerifyInput {
                        app_id: "300011800009",
                        app_key: &key,
                        msg_id: &hex32(),
                        timestamp: &now17(),
                        version: "1.0",
                        phone: &phone,
                        token,
                        user_information: ui,
                    },
                    &platform_pub,
                    &customer,
                )
                .unwrap();
                let body = serde_json::to_vec(&req).unwrap();
                let mut r = format!(
                    "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    wire::VERIFY_VM_MOBILE_PATH,
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(&body);
                r
            })
            .collect();
        println!("setup: {verifies} tokens and signed requests in {:.1} s", t.elapsed().as_secs_f64());
        run.sandbox.core.journal.clear();

        // Timed: `conns` keep-alive connections.
        let per = reqs.len().div_ceil(conns);
        let mut chunks: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut it = reqs.into_iter();
        loop {
            let c: Vec<_> = it.by_ref().take(per).collect();
            if c.is_empty() {
                break;
            }
            chunks.push(c);
        }
        let t = Instant::now();
        let handles: Vec<_> = chunks.into_iter().map(|c| tokio::spawn(drive(run.addr, c))).collect();
        let mut ok = 0;
        for h in handles {
            ok += h.await.unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        let rate = verifies as f64 / secs;
        println!("verifyVmMobileApi: {verifies} verifies over {conns} loopback connections in {secs:.2} s = {rate:.0}/s ({ok} answered 000)");
        println!("ratio: {:.0}% of the crypto bound (target >= 70%)", 100.0 * rate / bound);
        assert_eq!(ok, verifies, "every verify must answer 000");
        run.stop();
    });
}
