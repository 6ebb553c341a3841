//! Running wrk (an independent load tool) with one of the scripts in bench/wrk/ and reading
//! the machine-readable line its `done` hook prints.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::machine::nproc;
use crate::results::Level;

#[derive(Debug, Deserialize)]
struct Line {
    requests: u64,
    duration_us: u64,
    non2xx: u64,
    socket_errors: u64,
    p50_us: u64,
    p99_us: u64,
}

pub fn available() -> bool {
    std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wrk"))
}

/// `wrk -t T -c conns -d secs -s script url` with `env`; T = min(cores, conns).
/// The wrk threads a run at `conns` connections uses.
pub fn threads(conns: usize) -> usize {
    nproc().min(conns).max(1)
}

pub async fn run(
    script: &Path,
    url: &str,
    conns: usize,
    secs: u64,
    env: &[(&str, &str)],
) -> anyhow::Result<Level> {
    let threads = threads(conns);
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.arg("-t")
        .arg(threads.to_string())
        .arg("-c")
        .arg(conns.to_string())
        .arg("-d")
        .arg(format!("{secs}s"))
        .args(["--timeout", "10s", "-s"])
        .arg(script)
        .arg(url)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(secs + 60), cmd.output())
        .await
        .context("wrk did not finish in time")?
        .context("running wrk (apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .with_context(|| {
            format!(
                "no BENCH line from wrk: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let l: Line = serde_json::from_str(line)?;
    let secs = l.duration_us as f64 / 1e6;
    Ok(Level {
        conns,
        requests: l.requests,
        failed: l.non2xx + l.socket_errors,
        secs,
        per_sec: l.requests as f64 / secs,
        p50_ms: l.p50_us as f64 / 1000.0,
        p99_ms: l.p99_us as f64 / 1000.0,
        rss_kib: Vec::new(),
    })
}
