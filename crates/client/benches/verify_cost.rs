//! Client-side cost of one number verification: encrypt `phoneNum` (RSA/ECB/PKCS1 with the
//! platform key), sign (MD5withRSA with the customer key), build and serialise the
//! verifyVmMobileApi request — what `PassportClient::verify_number` does before it sends.
//! Compared in the same run with the same work done by Java 17's standard library
//! (`interop/java/VerifyBench.java`), RsaUtils style (keys parsed per call) and with keys
//! cached, on 1 thread and on all cores. Rounds alternate Rust and JDK back to back; ratios are
//! taken per round and the median reported. Keys: the sandbox's published RSA-1024 demo pairs.
//!
//! `cargo bench -p cmcc-client --bench verify_cost` (env `CMCC_BENCH_SECS`, default 5 s per
//! variant after a 2 s warm-up; `CMCC_BENCH_ROUNDS`, default 3; `javac`/`java` from PATH or
//! `JAVA_HOME`). `cargo test --benches` runs one quick round as a smoke test.

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

fn measure(secs: f64, op: &impl Fn() -> usize) -> f64 {
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

/// Sum of the rates of `threads` threads running `op` at once for `secs`.
fn measure_threads(secs: f64, threads: usize, op: &(impl Fn() -> usize + Sync)) -> f64 {
    if threads == 1 {
        return measure(secs, op);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| measure(secs, op)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn java_bin(name: &str) -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| PathBuf::from(h).join("bin").join(name))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Compiled Java side: the class directory and `java -version`'s first line.
struct Jdk {
    classes: PathBuf,
    version: String,
}

impl Jdk {
    fn compile() -> Option<Self> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let src = root.join("interop/java/VerifyBench.java");
        let classes =
            std::env::temp_dir().join(format!("cmcc-verify-bench-{}", std::process::id()));
        std::fs::create_dir_all(&classes).ok()?;
        let ok = Command::new(java_bin("javac"))
            .arg("-d")
            .arg(&classes)
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
        Some(Self { classes, version })
    }

    /// (RsaUtils style, cached) verifications per second on `threads` threads.
    fn run(&self, keys: (&str, &str), warm: f64, secs: f64, threads: usize) -> Option<(f64, f64)> {
        let run = Command::new(java_bin("java"))
            .arg("-cp")
            .arg(&self.classes)
            .arg("VerifyBench")
            .args([
                keys.0,
                keys.1,
                &warm.to_string(),
                &secs.to_string(),
                &threads.to_string(),
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&run.stdout);
        let get = |variant: &str| -> Option<f64> {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{variant} ")))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        };
        Some((get("parsed")?, get("cached")?))
    }
}

impl Drop for Jdk {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.classes);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One round's figures, verifications per second.
#[derive(Default)]
struct Round {
    rust: f64,
    rust_parsed: f64,
    rust_all: f64,
    jdk: Option<(f64, f64)>,
    jdk_all: Option<(f64, f64)>,
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<f64>().ok());
    let secs = env("CMCC_BENCH_SECS").unwrap_or(if quick { 0.2 } else { 5.0 });
    let rounds =
        env("CMCC_BENCH_ROUNDS").map_or(if quick { 1 } else { 3 }, |r| r.max(1.0) as usize);
    let warm = if quick { 0.1 } else { 2.0 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let priv_b64 = key("customer_private_key");
    let pub_b64 = key("platform_public_key");
    let customer = PrivateKey::parse(&priv_b64).unwrap();
    let platform = PublicKey::parse(&pub_b64).unwrap();
    let phone = Phone::parse("13800138000").unwrap();
    let app_key = Secret::new(APP_KEY);

    // One `PrivateKey`/`PublicKey` shared by every thread, as `PassportClient` holds them.
    let cached = || one(&phone, &app_key, &platform, &customer);
    let parsed = || {
        let customer = PrivateKey::parse(&priv_b64).unwrap();
        let platform = PublicKey::parse(&pub_b64).unwrap();
        one(&phone, &app_key, &platform, &customer)
    };
    let jdk = Jdk::compile();

    println!(
        "client-side cost of one verification (encrypt phoneNum + MD5withRSA sign + JSON body), RSA-1024"
    );
    println!(
        "{rounds} round(s), Rust and JDK alternating; each variant warmed {warm} s, measured {secs} s; all cores = {cores} threads"
    );
    let mut all = Vec::new();
    for round in 1..=rounds {
        let mut r = Round::default();
        measure(warm, &cached);
        r.rust = measure(secs, &cached);
        measure(warm, &parsed);
        r.rust_parsed = measure(secs, &parsed);
        measure_threads(warm, cores, &cached);
        r.rust_all = measure_threads(secs, cores, &cached);
        if let Some(j) = &jdk {
            r.jdk = j.run((&priv_b64, &pub_b64), warm, secs, 1);
            r.jdk_all = j.run((&priv_b64, &pub_b64), warm, secs, cores);
        }
        print!(
            "round {round}: cmcc-client 1 thread {:.0}/s, per-call keys {:.0}/s, {cores} threads {:.0}/s",
            r.rust, r.rust_parsed, r.rust_all
        );
        if let (Some((p1, c1)), Some((pn, cn))) = (r.jdk, r.jdk_all) {
            print!(
                "; JDK 1 thread RsaUtils {p1:.0}/s cached {c1:.0}/s, {cores} threads RsaUtils {pn:.0}/s cached {cn:.0}/s; ratio {:.2}x / {:.2}x",
                r.rust / p1,
                r.rust_all / pn
            );
        }
        println!();
        all.push(r);
    }

    let med = |f: &dyn Fn(&Round) -> Option<f64>| median(all.iter().filter_map(f).collect());
    println!("\nmedian over {rounds} round(s)          verif./s   ratio vs JDK RsaUtils style");
    let jdk_ok = all.iter().all(|r| r.jdk.is_some() && r.jdk_all.is_some());
    let line = |name: &str, v: f64, ratio: Option<f64>| match ratio {
        Some(x) => println!("{name:<44} {v:>8.0}   {x:.2}x"),
        None => println!("{name:<44} {v:>8.0}"),
    };
    // Ratios are taken per round (Rust and JDK measured back to back) and then the median.
    let ratio = |rust: &dyn Fn(&Round) -> f64, jdk: &dyn Fn(&Round) -> Option<f64>| {
        jdk_ok.then(|| med(&|r: &Round| jdk(r).map(|j| rust(r) / j)))
    };
    line(
        "cmcc-client, 1 thread",
        med(&|r: &Round| Some(r.rust)),
        ratio(&|r: &Round| r.rust, &|r: &Round| r.jdk.map(|j| j.0)),
    );
    line(
        "cmcc-client, 1 thread, keys parsed per call",
        med(&|r: &Round| Some(r.rust_parsed)),
        ratio(&|r: &Round| r.rust_parsed, &|r: &Round| r.jdk.map(|j| j.0)),
    );
    line(
        &format!("cmcc-client, {cores} threads"),
        med(&|r: &Round| Some(r.rust_all)),
        ratio(&|r: &Round| r.rust_all, &|r: &Round| r.jdk_all.map(|j| j.0)),
    );
    if jdk_ok {
        line(
            "JDK, 1 thread, RsaUtils style",
            med(&|r: &Round| r.jdk.map(|j| j.0)),
            None,
        );
        line(
            "JDK, 1 thread, cached",
            med(&|r: &Round| r.jdk.map(|j| j.1)),
            None,
        );
        line(
            &format!("JDK, {cores} threads, RsaUtils style"),
            med(&|r: &Round| r.jdk_all.map(|j| j.0)),
            None,
        );
        line(
            &format!("JDK, {cores} threads, cached"),
            med(&|r: &Round| r.jdk_all.map(|j| j.1)),
            None,
        );
        if let Some(j) = &jdk {
            println!("java: {}", j.version);
        }
        println!(
            "ratio vs JDK cached: 1 thread {:.2}x, {cores} threads {:.2}x",
            med(&|r: &Round| r.jdk.map(|j| r.rust / j.1)),
            med(&|r: &Round| r.jdk_all.map(|j| r.rust_all / j.1)),
        );
    } else {
        println!("JDK: javac/java not found or failed; Java side skipped");
    }
}
