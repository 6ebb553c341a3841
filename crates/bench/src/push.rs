//! Benchmark 2: the OneLink push receiver under wrk (bench/wrk/push.lua, a distinct busiSeq
//! per push) at 8/32/128 connections, on SQLite (`synchronous = FULL`) and PostgreSQL, for
//! each gateway variant of bench/push-variants.toml. A push counts once the gateway answered
//! `{"status":"0"}`, which it does only after the push's transaction committed; the
//! gateway's own counter of stored pushes is checked against what wrk saw answered.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::machine::Machine;
use crate::procs::Server;
use crate::results::{save, PushResult, PushRun};
use crate::setup::{self, Keys, Opts};
use crate::wrk;

pub const LEVELS: [usize; 3] = [8, 32, 128];

#[derive(Debug, Deserialize)]
struct Variants {
    variant: Vec<Variant>,
}

#[derive(Debug, Deserialize)]
struct Variant {
    name: String,
    #[serde(default)]
    gateway: String,
    /// Issue a registration for every push before the run (written straight into the
    /// gateway's database, outside the timed part), so each push matches one.
    #[serde(default)]
    issued: bool,
}

/// Registrations issued per wrk thread and level when a variant has `issued`: more than one
/// thread sends in a level at the target rate.
fn prefill_per_thread(quick: bool) -> u64 {
    if quick {
        5_000
    } else {
        150_000
    }
}

/// Write pending registrations for the busiSeqs bench/wrk/push.lua will send with `tag`
/// (`{tag}-{thread}-{counter}`, the card `1440` + (1000 + counter % 100000)), in one
/// transaction per 10,000 rows.
async fn prefill(url: &str, tag: &str, threads: usize, per_thread: u64) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    const SQL: &str = "INSERT INTO registrations (busi_seq, card_field, card_value, url_type, url, state, created_at, updated_at) VALUES ($1, 'msisdn', $2, 6, '', 'pending', $3, $3)";
    let now = chrono::Utc::now().timestamp_millis();
    let rows = (0..threads).flat_map(|t| {
        (1..=per_thread).map(move |c| {
            (
                format!("{tag}-{t}-{c}"),
                format!("1440{:09}", 1000 + c % 100_000),
            )
        })
    });
    let rows: Vec<(String, String)> = rows.collect();
    macro_rules! fill {
        ($conn:expr) => {{
            let mut conn = $conn;
            for chunk in rows.chunks(10_000) {
                let mut tx = conn.begin().await?;
                for (busi_seq, card) in chunk {
                    sqlx::query(SQL)
                        .bind(busi_seq)
                        .bind(card)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }};
    }
    if let Some(path) = url.strip_prefix("sqlite:") {
        fill!(sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await?);
    } else {
        fill!(sqlx::PgConnection::connect(url).await?);
    }
    Ok(())
}

fn postgres_base() -> String {
    std::env::var("CMCC_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn psql(sql: &str) -> anyhow::Result<()> {
    let out = std::process::Command::new("psql")
        .env("PGCONNECT_TIMEOUT", "5")
        .args([
            postgres_base().as_str(),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .context("running psql")?;
    anyhow::ensure!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// Pushes the gateway stored durably: `cmcc_pushes_total` with outcome `applied`, `adopted` or
/// `quarantined` (the bench's busiSeqs were never issued, so the trust rules quarantine them).
async fn stored(gw: &Server) -> anyhow::Result<u64> {
    let text = setup::http()?
        .get(format!("{}/metrics", gw.base_url))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| {
            l.starts_with("cmcc_pushes_total{")
                && ["applied", "adopted", "quarantined"]
                    .iter()
                    .any(|o| l.contains(&format!("outcome=\"{o}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

pub async fn run(opts: &Opts, variants: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(wrk::available(), "wrk not found (apt-get install wrk)");
    let machine = Machine::now();
    let variants: Variants = toml::from_str(
        &std::fs::read_to_string(variants)
            .with_context(|| format!("reading {}", variants.display()))?,
    )?;
    let secs = if opts.quick { 2 } else { 15 };
    let script = std::path::absolute("bench/wrk/push.lua")?;
    let dir = opts.scratch("push")?;
    let keys = Keys::generate()?;
    let sbx = setup::start_sandbox(opts, &dir, &keys).await?;
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    let stamp = chrono::Utc::now().format("%H%M%S").to_string();
    for (vi, v) in variants.variant.iter().enumerate() {
        for database in ["sqlite", "postgres"] {
            let url = if database == "sqlite" {
                let _ = std::fs::remove_file(dir.join("push.db"));
                format!("sqlite:{}", dir.join("push.db").display())
            } else {
                let schema = format!("cmcc_bench_{stamp}_{vi}");
                if let Err(e) = psql(&format!("CREATE SCHEMA {schema}")) {
                    // Without PostgreSQL the SQLite figures still stand; say so in the table.
                    eprintln!("push: PostgreSQL not reachable, skipped: {e:#}");
                    skipped.push(format!("PostgreSQL ({}): {e}", v.name));
                    continue;
                }
                let base = postgres_base();
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-c%20search_path%3D{schema}")
            };
            let gw =
                setup::start_gateway(opts, &dir, &keys, &url, &sbx.base_url, &v.gateway).await?;
            let push_url = format!("{}/onelink/push", gw.base_url);
            let tag = format!("w{stamp}{vi}{database}");
            let warm = wrk::run(&script, &push_url, 32, 1, &[("BENCH_TAG", tag.as_str())]).await?;
            anyhow::ensure!(
                warm.failed == 0,
                "push warm-up on {database}: {} failed",
                warm.failed
            );
            let mut levels = Vec::new();
            for conns in LEVELS {
                let tag = format!("r{stamp}{vi}{database}{conns}");
                if v.issued {
                    prefill(
                        &url,
                        &tag,
                        wrk::threads(conns),
                        prefill_per_thread(opts.quick),
                    )
                    .await
                    .with_context(|| format!("issuing registrations on {database}"))?;
                }
                let before = stored(&gw).await?;
                let mut l = wrk::run(
                    &script,
                    &push_url,
                    conns,
                    secs,
                    &[("BENCH_TAG", tag.as_str())],
                )
                .await?;
                let delta = stored(&gw).await?.saturating_sub(before);
                l.rss_kib = vec![("gateway".into(), gw.rss_kib())];
                println!(
                    "push: {database:<8} {conns:>3} conns {:>7.0}/s p99 {:.2} ms, stored {delta} for {} answered ({} failed)",
                    l.per_sec, l.p99_ms, l.requests, l.failed
                );
                anyhow::ensure!(
                    l.failed == 0,
                    "{} pushes failed on {database} at {conns}",
                    l.failed
                );
                anyhow::ensure!(
                    delta >= l.requests && delta <= l.requests + conns as u64,
                    "gateway stored {delta} pushes, wrk saw {} answered",
                    l.requests
                );
                levels.push(l);
            }
            let total = stored(&gw).await?;
            gw.stop(Duration::from_secs(10)).await;
            runs.push(PushRun {
                database: database.into(),
                variant: v.name.clone(),
                levels,
                stored: total,
                note: None,
            });
            if database == "postgres" {
                let _ = psql(&format!("DROP SCHEMA cmcc_bench_{stamp}_{vi} CASCADE"));
            }
        }
    }
    sbx.stop(Duration::from_secs(10)).await;
    let result = PushResult {
        machine,
        quick: opts.quick,
        secs_per_level: secs,
        runs,
        skipped,
    };
    save(&opts.out, "push", &result)
}
