//! The crypto bound of one whole verification: what the machine's cores manage doing nothing
//! but its four RSA-1024 operations — the gateway's (encrypt `phoneNum` with the platform
//! public key, MD5withRSA-sign the request with the customer key) and the platform's (decrypt
//! `phoneNum`, check the signature) — on as many threads as there are cores.

use std::time::{Duration, Instant};

use anyhow::ensure;
use cmcc_proto::{SignAlg, Timestamp17};

use crate::setup::{Keys, APP_ID, APP_KEY};

/// Whole verifications per second, crypto only, on `threads` threads for `secs`.
pub(crate) fn bound(keys: &Keys, threads: usize, secs: f64) -> anyhow::Result<f64> {
    let platform_pub = keys.platform_public()?;
    let customer_pub = keys.customer.public_key()?;
    let dur = Duration::from_secs_f64(secs);
    let counts = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let (platform_pub, customer_pub) = (&platform_pub, &customer_pub);
                s.spawn(move || -> anyhow::Result<u64> {
                    let started = Instant::now();
                    let mut n = 0u64;
                    while started.elapsed() < dur {
                        let phone = format!("138{:08}", (t as u64 * 1_000_000 + n) % 100_000_000);
                        let ts = Timestamp17::from_utc(chrono::Utc::now()).to_string();
                        // Gateway side.
                        let phone_num =
                            platform_pub.encrypt_base64(&format!("{phone}{APP_KEY}{ts}"))?;
                        let text = format!("{APP_ID}{n:032}{phone_num}{ts}TOKEN1.0");
                        let sign = keys.customer.sign(SignAlg::Md5WithRsa, text.as_bytes())?;
                        // Platform side.
                        let plain = keys.platform.decrypt_base64(&phone_num)?;
                        ensure!(plain.starts_with(&phone), "decrypt mismatch");
                        ensure!(
                            customer_pub.verify(SignAlg::Md5WithRsa, text.as_bytes(), &sign)?,
                            "signature did not verify"
                        );
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("crypto thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<u64>>>()
    })?;
    Ok(counts.iter().sum::<u64>() as f64 / secs)
}
