//! Client-side cost of one number verification: encrypt `phoneNum` (RSA/ECB/PKCS1 with the
//! platform key), sign (MD5withRSA with the customer key), build and serialise the
//! verifyVmMobileApi request — what `PassportClient::verify_number` does before it sends.
//! Single-threaded, compared in the same run with the same work done by Java 17's standard
//! library (`interop/java/VerifyBench.java`), RsaUtils style (keys parsed per call) and with
//! keys cached. Keys: the sandbox's published RSA-1024 demo pairs.
//!
//! `cargo bench -p cmcc-client --bench verify_cost` (env `CMCC_BENCH_SECS`, default 5 s per
//! variant after a 2 s warm-up; `javac`/`java` from PATH or `JAVA_HOME`).

#![allow(clippy::unwrap_used, reason = "benchmark")]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use cmcc_client::transport::random_id;
use cmcc_proto::wire::passport::{VerifyInput, VerifyRequest};
use cmcc_proto::{Phone, PrivateKey, PublicKey, Secret, Timestamp17};

const APP_ID: &str = "300011800001";
const APP_KEY: &str = "5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D";
const TOKEN: &str = "STsid0000001700000000000000000000000000000000000000000000000000";
const USER_INFO: &str = "fp-0123456789abcdef";
const KEYS: &str = include_str!("../../sandbox/assets/auth/demo_keys.toml");

fn key(name: &str) -> String {
    KEYS.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_owned()
}

fn one(phone: &Phone, app_key: &Secret, platform: &PublicKey, customer: &PrivateKey) -> usize {
    let timestamp = Timestamp17::from_utc(Utc::now()).to_string();
    let msg_id = random_id();
    let req = VerifyRequest::build(
        VerifyInput {
            app_id: APP_ID,
            app_key,
            msg_id: &msg_id,
            timestamp: &timestamp,
            version: "1.0",
            phone,
            token: TOKEN,
            user_information: USER_INFO,
        },
        platform,
        customer,
    )
    .unwrap();
    serde_json::to_vec(&req).unwrap().len()
}

fn measure(secs: f64, mut op: impl FnMut() -> usize) -> f64 {
    let end = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    let mut sum = 0usize;
    while start.elapsed() < end {
        for _ in 0..16 {
            sum = sum.wrapping_add(op());
        }
        n += 16;
    }
    black_box(sum);
    n as f64 / start.elapsed().as_secs_f64()
}

fn java_bin(name: &str) -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| PathBuf::from(h).join("bin").join(name))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn java(priv_b64: &str, pub_b64: &str, warm: f64, secs: f64) -> Option<(f64, f64, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = root.join("interop/java/VerifyBench.java");
    let out = std::env::temp_dir().join(format!("cmcc-verify-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).ok()?;
    let ok = Command::new(java_bin("javac"))
        .arg("-d")
        .arg(&out)
        .arg(&src)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    let version = Command::new(java_bin("java"))
        .arg("-version")
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    let run = Command::new(java_bin("java"))
        .arg("-cp")
        .arg(&out)
        .arg("VerifyBench")
        .args([priv_b64, pub_b64, &warm.to_string(), &secs.to_string()])
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&out);
    let text = String::from_utf8_lossy(&run.stdout);
    let get = |variant: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{variant} ")))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    Some((get("parsed")?, get("cached")?, version))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let secs: f64 = std::env::var("CMCC_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 0.2 } else { 5.0 });
    let warm = if quick { 0.1 } else { 2.0 };

    let priv_b64 = key("customer_private_key");
    let pub_b64 = key("platform_public_key");
    let customer = PrivateKey::parse(&priv_b64).unwrap();
    let platform = PublicKey::parse(&pub_b64).unwrap();
    let phone = Phone::parse("13800138000").unwrap();
    let app_key = Secret::new(APP_KEY);

    let cached = || one(&phone, &app_key, &platform, &customer);
    let parsed = || {
        let customer = PrivateKey::parse(&priv_b64).unwrap();
        let platform = PublicKey::parse(&pub_b64).unwrap();
        one(&phone, &app_key, &platform, &customer)
    };
    measure(warm, cached);
    measure(warm, parsed);
    let rust_cached = measure(secs, cached);
    let rust_parsed = measure(secs, parsed);

    println!(
        "client-side cost of one verification (encrypt phoneNum + MD5withRSA sign + JSON body), RSA-1024, 1 thread, {secs} s per variant"
    );
    println!("{:<44} {:>12}", "variant", "verif./s");
    println!(
        "{:<44} {:>12.0}",
        "cmcc-client, keys parsed once", rust_cached
    );
    println!(
        "{:<44} {:>12.0}",
        "cmcc-client, keys parsed per call", rust_parsed
    );
    match java(&priv_b64, &pub_b64, warm, secs) {
        Some((j_parsed, j_cached, version)) => {
            println!(
                "{:<44} {:>12.0}",
                "JDK, RsaUtils style (keys parsed per call)", j_parsed
            );
            println!(
                "{:<44} {:>12.0}",
                "JDK, keys + Cipher + Signature cached", j_cached
            );
            println!("java: {version}");
            println!(
                "ratio cmcc-client (cached) / JDK RsaUtils style: {:.2}x",
                rust_cached / j_parsed
            );
            println!(
                "ratio cmcc-client (cached) / JDK cached:         {:.2}x",
                rust_cached / j_cached
            );
            println!(
                "ratio per-call parsing, cmcc-client / JDK:       {:.2}x",
                rust_parsed / j_parsed
            );
        }
        None => println!("JDK: javac/java not found or failed; Java side skipped"),
    }
}
