//! RSA throughput of cmcc-proto next to `openssl speed` on the same machine, same run.
//!
//! `cargo bench -p cmcc-proto --bench crypto [-- --seconds N --rounds R]` prints a Markdown
//! table for docs/BENCHMARKS.md: one thread, like `openssl speed` without `-multi`, then all
//! cores (threads sharing one key) against `openssl speed -multi N`. Rounds
//! alternate between cmcc and openssl and the best of each is kept, so a burst of other load on
//! the machine hits both sides alike.
//!
//! OpenSSL 3.0's `speed rsaNNNN` reports sign and verify only. Decrypt is the same private-key
//! operation as sign and encrypt the same public-key operation as verify, so decrypt is compared
//! with openssl's sign/s and encrypt with its verify/s.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use cmcc_proto::{PrivateKey, SignAlg};

#[expect(clippy::disallowed_methods, reason = "a benchmark measures time")]
fn rate(seconds: f64, mut op: impl FnMut()) -> f64 {
    // Warm up, then count whole operations for the duration.
    for _ in 0..50 {
        op();
    }
    let deadline = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < deadline {
        for _ in 0..32 {
            op();
        }
        n += 32;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Sum of `threads` threads' rates, all running `op` at once.
fn rate_threads(seconds: f64, threads: usize, op: impl Fn() + Sync) -> f64 {
    std::thread::scope(|s| {
        let running: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| rate(seconds, &op)))
            .collect();
        running.into_iter().map(|t| t.join().unwrap_or(0.0)).sum()
    })
}

/// `(sign/s, verify/s)` from `openssl speed -seconds N [-multi P] rsaBITS`.
fn openssl_speed(bits: u32, seconds: u32, multi: usize) -> Option<(f64, f64)> {
    let mut args = vec!["speed".to_owned(), "-seconds".into(), seconds.to_string()];
    if multi > 1 {
        args.extend(["-multi".into(), multi.to_string()]);
    }
    args.push(format!("rsa{bits}"));
    let out = Command::new("openssl").args(&args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("rsa {bits} bits")))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok())
        .collect();
    // "rsa 1024 bits 0.000074s 0.000005s  13468.5 199005.0": the last two are the rates.
    let n = nums.len();
    (n >= 2).then(|| (nums[n - 2], nums[n - 1]))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: f64| -> f64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let seconds = flag("--seconds", 1.0);
    let rounds = flag("--rounds", 3.0) as usize;
    let version = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("| key | op | cmcc-proto ops/s | openssl speed ops/s | ratio | target |");
    println!("|---|---|---:|---:|---:|---:|");
    let msg = b"300011580392a1b2c3d4e5f60718293a4b5c6d7e8fCfMl0mgc8zdA8Hk20160628180001165VM_12c9519d86141.0";
    let plain = b"13999994444AA03E6C60D0B0D14320B9A3F0B5AAD9920121227180001165";
    for bits in [1024u32, 2048] {
        let key = PrivateKey::generate(bits).expect("keygen");
        let public = key.public_key().expect("public");
        let sig = key.sign_raw(SignAlg::Md5WithRsa, msg).expect("sign");
        let ct = public.encrypt_raw(plain).expect("encrypt");
        let (mut sign, mut verify, mut encrypt, mut decrypt) = (0f64, 0f64, 0f64, 0f64);
        let (mut os_sign, mut os_verify) = (f64::NAN, f64::NAN);
        for _ in 0..rounds.max(1) {
            sign = sign.max(rate(seconds, || {
                black_box(key.sign_raw(SignAlg::Md5WithRsa, black_box(msg)).ok());
            }));
            verify = verify.max(rate(seconds, || {
                black_box(
                    public
                        .verify_raw(SignAlg::Md5WithRsa, black_box(msg), black_box(&sig))
                        .ok(),
                );
            }));
            encrypt = encrypt.max(rate(seconds, || {
                black_box(public.encrypt_raw(black_box(plain)).ok());
            }));
            decrypt = decrypt.max(rate(seconds, || {
                black_box(key.decrypt_raw(black_box(&ct)).ok());
            }));
            if let Some((s, v)) = openssl_speed(bits, seconds.ceil() as u32, 1) {
                os_sign = if os_sign.is_nan() { s } else { os_sign.max(s) };
                os_verify = if os_verify.is_nan() {
                    v
                } else {
                    os_verify.max(v)
                };
            }
        }
        for (op, ours, theirs, target) in [
            ("sign (MD5withRSA)", sign, os_sign, 0.9),
            ("verify (MD5withRSA)", verify, os_verify, 0.6),
            ("encrypt (PKCS#1, 1 block)", encrypt, os_verify, 0.6),
            ("decrypt (PKCS#1, 1 block)", decrypt, os_sign, 0.9),
        ] {
            let ratio = ours / theirs;
            let mark = if ratio >= target { "ok" } else { "MISSED" };
            println!("| RSA-{bits} | {op} | {ours:.0} | {theirs:.0} | {ratio:.2}× | ≥ {target}× {mark} |");
        }
    }
    println!("\n{version}; best of {rounds} rounds of {seconds} s per measurement; one thread.");

    // All cores: threads sharing one key (as a client or server holds it) against `openssl
    // speed -multi`, whose processes share nothing.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("\n| key | op, {cores} threads, one shared key | cmcc-proto ops/s | openssl speed -multi {cores} ops/s | ratio |");
    println!("|---|---|---:|---:|---:|");
    for bits in [1024u32, 2048] {
        let key = PrivateKey::generate(bits).expect("keygen");
        let public = key.public_key().expect("public");
        let sig = key.sign_raw(SignAlg::Md5WithRsa, msg).expect("sign");
        let (mut sign, mut verify) = (0f64, 0f64);
        let (mut os_sign, mut os_verify) = (f64::NAN, f64::NAN);
        for _ in 0..rounds.max(1) {
            sign = sign.max(rate_threads(seconds, cores, || {
                black_box(key.sign_raw(SignAlg::Md5WithRsa, black_box(msg)).ok());
            }));
            verify = verify.max(rate_threads(seconds, cores, || {
                black_box(
                    public
                        .verify_raw(SignAlg::Md5WithRsa, black_box(msg), black_box(&sig))
                        .ok(),
                );
            }));
            if let Some((s, v)) = openssl_speed(bits, seconds.ceil() as u32, cores) {
                os_sign = if os_sign.is_nan() { s } else { os_sign.max(s) };
                os_verify = if os_verify.is_nan() {
                    v
                } else {
                    os_verify.max(v)
                };
            }
        }
        for (op, ours, theirs) in [
            ("sign (MD5withRSA)", sign, os_sign),
            ("verify (MD5withRSA)", verify, os_verify),
        ] {
            println!(
                "| RSA-{bits} | {op} | {ours:.0} | {theirs:.0} | {:.2}× |",
                ours / theirs
            );
        }
    }
}
