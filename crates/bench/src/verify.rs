//! Benchmark 1: number verification through the gateway. Tokens come from the sandbox before
//! the clock starts (mini-program getTokenInfo, test-mode `phoneNum`, one distinct number per
//! token); then `POST /v1/verify` at 1/8/32/128 keep-alive connections against a gateway
//! (SQLite, `synchronous = FULL`) wired to the sandbox, each in its own process. The crypto
//! bound of one whole verification is taken in the same run on the same cores, before and
//! after the load; a profile of both servers at 32 connections follows when `perf` works.

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use cmcc_client::passport::{PassportClient, PassportConfig};
use cmcc_client::PassportBase;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::Secret;

use crate::load::{self, Target};
use crate::machine::{nproc, Machine};
use crate::procs::Server;
use crate::results::{save, VerifyResult};
use crate::setup::{self, Keys, Opts, APP_ID, APP_KEY};
use crate::{crypto, profile};

pub(crate) const LEVELS: [usize; 4] = [1, 8, 32, 128];
const PROFILE_CONNS: usize = 32;

/// A `/v1/verify` answer that says the number matched.
fn verified(status: u16, body: &[u8]) -> bool {
    status == 200 && body.windows(15).any(|w| w == br#""verified":true"#)
}

/// `n` fresh tokens (distinct numbers), fetched with `inflight` requests at a time.
async fn tokens(
    keys: &Keys,
    sandbox_url: &str,
    n: usize,
    first: u64,
) -> anyhow::Result<Vec<Bytes>> {
    let client = PassportClient::new(PassportConfig::new(
        PassportBase::single(sandbox_url),
        APP_ID,
        Secret::new(APP_KEY),
        keys.customer.clone(),
        keys.platform_public()?,
    ))?;
    let mut out = Vec::with_capacity(n);
    let mut set = tokio::task::JoinSet::new();
    let mut issued = 0usize;
    while out.len() < n {
        while issued < n && set.len() < 64 {
            let (c, phone) = (client.clone(), format!("138{:08}", first + issued as u64));
            set.spawn(async move {
                let g = c
                    .mini_get_token_info(&ExpandParams::new().with("phoneNum", &phone))
                    .await?;
                let ui = g.user_information.context("no userInformation")?;
                let body =
                    serde_json::json!({"phone": phone, "token": g.token, "userInformation": ui});
                anyhow::Ok(Bytes::from(serde_json::to_vec(&body)?))
            });
            issued += 1;
        }
        if let Some(r) = set.join_next().await {
            out.push(r??);
        }
    }
    Ok(out)
}

fn target(gw: &Server) -> anyhow::Result<Target> {
    Ok(Target {
        addr: gw.base_url.trim_start_matches("http://").parse()?,
        path: "/v1/verify".into(),
    })
}

pub(crate) async fn run(opts: &Opts, requests: Option<usize>) -> anyhow::Result<()> {
    let machine = Machine::now();
    let per_level = requests
        .unwrap_or(if opts.quick { 400 } else { 20_000 })
        .max(8);
    let bound_secs = if opts.quick { 0.5 } else { 3.0 };
    let dir = opts.scratch("verify")?;
    let keys = Keys::generate()?;
    let sbx = setup::start_sandbox(opts, &dir, &keys).await?;
    let db = format!("sqlite:{}", dir.join("gateway.db").display());
    let gw = setup::start_gateway(opts, &dir, &keys, &db, &sbx.base_url, "").await?;
    let target = target(&gw)?;

    // Untimed: every token of the run, then a warm-up at 8 connections.
    // The profile needs a few seconds of samples even in a smoke run.
    let profile_requests = if opts.quick {
        per_level.max(4_000)
    } else {
        per_level
    };
    let levels_total = per_level * LEVELS.len() + profile_requests + per_level / 4;
    let started = std::time::Instant::now();
    let mut all = tokens(&keys, &sbx.base_url, levels_total, 0).await?;
    println!(
        "verify: {levels_total} tokens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let warm: Vec<Bytes> = all.drain(..per_level / 4).collect();
    let w = load::run(&target, warm, 8, verified).await?;
    anyhow::ensure!(
        w.failed == 0,
        "warm-up: {} verifications did not match",
        w.failed
    );

    let threads = nproc();
    let crypto_bound = crypto::bound(&keys, threads, bound_secs)?;
    println!("verify: crypto bound {crypto_bound:.0} verifications/s on {threads} threads");

    let mut levels = Vec::new();
    for conns in LEVELS {
        let bodies: Vec<Bytes> = all.drain(..per_level).collect();
        let mut l = load::run(&target, bodies, conns, verified).await?;
        l.rss_kib = vec![
            ("gateway".into(), gw.rss_kib()),
            ("sandbox".into(), sbx.rss_kib()),
        ];
        println!(
            "verify: {conns:>3} conns {:>7.0}/s p50 {:.2} ms p99 {:.2} ms ({} not matched)",
            l.per_sec, l.p50_ms, l.p99_ms, l.failed
        );
        anyhow::ensure!(
            l.failed == 0,
            "{} verifications at {conns} connections did not match",
            l.failed
        );
        levels.push(l);
    }
    let crypto_bound_after = crypto::bound(&keys, threads, bound_secs)?;

    // The profile: both servers, one more level at PROFILE_CONNS.
    let bodies: Vec<Bytes> = std::mem::take(&mut all);
    let (profile, profile_tool) =
        match profile::Perf::start(&[("gateway", gw.pid), ("sandbox", sbx.pid)], &dir) {
            Some(p) => {
                load::run(&target, bodies, PROFILE_CONNS, verified).await?;
                let report = p.finish().await;
                (
                    report.ok(),
                    Some("perf record -F 999 on each server process, self time".to_owned()),
                )
            }
            None => (None, None),
        };
    if let Some(p) = &profile {
        std::fs::write(opts.out.join("verify-profile.txt"), p)?;
    }

    gw.stop(Duration::from_secs(10)).await;
    sbx.stop(Duration::from_secs(10)).await;
    let result = VerifyResult {
        machine,
        quick: opts.quick,
        requests_per_level: per_level,
        crypto_bound,
        crypto_bound_after,
        levels,
        profile,
        profile_tool,
    };
    save(&opts.out, "verify", &result)
}
