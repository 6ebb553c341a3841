//! The result files: one JSON document per benchmark in the results folder.

use std::path::Path;

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::machine::Machine;

/// One load level: so many connections, what came out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Level {
    pub conns: usize,
    pub requests: u64,
    /// Answers that were not what the benchmark expects (wrong code, non-2xx, socket errors).
    pub failed: u64,
    pub secs: f64,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// RSS of each server process (tree) at the end of the level, KiB, by name.
    pub rss_kib: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VerifyResult {
    pub machine: Machine,
    pub quick: bool,
    pub requests_per_level: usize,
    /// Whole verifications per second doing only their crypto, on `nproc` threads.
    pub crypto_bound: f64,
    pub crypto_bound_after: f64,
    pub levels: Vec<Level>,
    /// Top of the profile (perf report), if a profiler was available.
    pub profile: Option<String>,
    pub profile_tool: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PushRun {
    pub database: String,
    pub variant: String,
    pub levels: Vec<Level>,
    /// Pushes the gateway reports stored against the requests wrk saw answered.
    pub stored: u64,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PushResult {
    pub machine: Machine,
    pub quick: bool,
    pub secs_per_level: u64,
    pub runs: Vec<PushRun>,
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PeerRun {
    pub server: String,
    pub version: String,
    pub idle_rss_kib: u64,
    /// Median over the rounds, per connection count.
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PeersResult {
    pub machine: Machine,
    pub quick: bool,
    pub secs_per_run: u64,
    pub rounds: usize,
    pub body_bytes: usize,
    pub peers: Vec<PeerRun>,
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MemoryResult {
    pub machine: Machine,
    #[serde(default)]
    pub quick: bool,
    /// (what, idle RSS KiB)
    pub idle: Vec<(String, u64)>,
}

pub(crate) fn save<T: Serialize>(dir: &Path, name: &str, value: &T) -> anyhow::Result<()> {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(value)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

pub(crate) fn load<T: DeserializeOwned>(dir: &Path, name: &str) -> anyhow::Result<Option<T>> {
    let path = dir.join(format!("{name}.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
