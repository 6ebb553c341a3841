//! Benchmark 3: the sandbox next to the mock servers QA teams use — WireMock (the `wiremock`
//! npm package, its standalone jar on the JDK), Mockoon CLI and Prism — all answering the same
//! 23A23 status query with the same body: the sandbox for real (token check, card lookup,
//! journal entry), the others as a canned response. Same load tool (wrk, bench/wrk/status.lua),
//! same connections, runs alternating between the servers in one session; median of the
//! rounds. None of the three can answer verifyVmMobileApi (RSA decrypt + signature check of
//! the request), so that comparison has only one side.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::machine::Machine;
use crate::procs::{free_port, Server};
use crate::results::{save, Level, PeerRun, PeersResult};
use crate::setup::{self, path_str, Keys, Opts};
use crate::wrk;

pub(crate) const LEVELS: [usize; 3] = [8, 32, 128];
pub(crate) const STATUS_PATH: &str = "/v5/ec/query/sim-identity-registration-info";
const MSISDN: &str = "1440000001000";

fn npm_version(peers_dir: &Path, package: &str) -> String {
    std::fs::read_to_string(
        peers_dir
            .join("node_modules")
            .join(package)
            .join("package.json"),
    )
    .ok()
    .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    .and_then(|v| v["version"].as_str().map(str::to_owned))
    .unwrap_or_else(|| "?".into())
}

async fn wiremock(peers: &Path, dir: &Path, body: &str) -> anyhow::Result<Server> {
    let root = dir.join("wiremock");
    std::fs::create_dir_all(root.join("mappings"))?;
    let mapping = json!({
        "request": {"method": "POST", "url": STATUS_PATH},
        "response": {"status": 200, "headers": {"Content-Type": "application/json;charset=UTF-8"}, "body": body}
    });
    std::fs::write(root.join("mappings/status.json"), mapping.to_string())?;
    let port = free_port()?;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(peers.join("node_modules/wiremock/index.js"))
        .args([
            "--port",
            &port.to_string(),
            "--bind-address",
            "127.0.0.1",
            "--disable-banner",
        ])
        // Bounded like the sandbox's journal, so memory is compared like for like.
        .args(["--max-request-journal-entries", "10000", "--root-dir"])
        .arg(&root);
    Server::start(
        "WireMock",
        cmd,
        port,
        "/__admin/health",
        &dir.join("wiremock.log"),
        Duration::from_secs(90),
    )
    .await
}

async fn mockoon(peers: &Path, dir: &Path, body: &str) -> anyhow::Result<Server> {
    let port = free_port()?;
    // A minimal Mockoon environment; the CLI fills in every other field with its defaults.
    let env = json!({
        "uuid": "b3c9a6c0-0000-4000-8000-000000000001",
        "lastMigration": 33,
        "name": "cmcc-bench",
        "port": port,
        "hostname": "127.0.0.1",
        "routes": [{
            "uuid": "b3c9a6c0-0000-4000-8000-000000000002",
            "type": "http",
            "method": "post",
            "endpoint": STATUS_PATH.trim_start_matches('/'),
            "responses": [{
                "uuid": "b3c9a6c0-0000-4000-8000-000000000003",
                "statusCode": 200,
                "body": body,
                "headers": [{"key": "Content-Type", "value": "application/json;charset=UTF-8"}],
                "default": true
            }]
        }],
        "rootChildren": [{"type": "route", "uuid": "b3c9a6c0-0000-4000-8000-000000000002"}]
    });
    let file = dir.join("mockoon.json");
    std::fs::write(&file, env.to_string())?;
    let mut cmd = tokio::process::Command::new(peers.join("node_modules/.bin/mockoon-cli"));
    cmd.args([
        "start",
        "--disable-log-to-file",
        "-d",
        path_str(&file)?,
        "-p",
        &port.to_string(),
    ]);
    Server::start(
        "Mockoon CLI",
        cmd,
        port,
        "/",
        &dir.join("mockoon.log"),
        Duration::from_secs(60),
    )
    .await
}

async fn prism(peers: &Path, dir: &Path, body: &Value) -> anyhow::Result<Server> {
    let port = free_port()?;
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "cmcc-bench", "version": "1"},
        "paths": {STATUS_PATH: {"post": {
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "23A23 answer", "content": {"application/json": {"example": body}}}}
        }}}
    });
    let file = dir.join("prism.json");
    std::fs::write(&file, spec.to_string())?;
    let mut cmd = tokio::process::Command::new(peers.join("node_modules/.bin/prism"));
    cmd.args([
        "mock",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        path_str(&file)?,
    ]);
    Server::start(
        "Prism",
        cmd,
        port,
        "/",
        &dir.join("prism.log"),
        Duration::from_secs(60),
    )
    .await
}

async fn answer(http: &reqwest::Client, url: &str, req: &str) -> anyhow::Result<Value> {
    let r = http
        .post(url)
        .header("content-type", "application/json")
        .body(req.to_owned())
        .send()
        .await?;
    let status = r.status();
    let text = r.text().await?;
    anyhow::ensure!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).with_context(|| format!("{url}: not JSON: {text}"))
}

fn median(mut runs: Vec<Level>) -> Level {
    runs.sort_by(|a, b| a.per_sec.total_cmp(&b.per_sec));
    let rss = runs
        .iter()
        .map(|l| l.rss_kib.first().map_or(0, |x| x.1))
        .max()
        .unwrap_or(0);
    let mut m = runs.swap_remove(runs.len() / 2);
    m.rss_kib = vec![("max at end of a run".into(), rss)];
    m
}

pub(crate) async fn run(opts: &Opts, peers_dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(wrk::available(), "wrk not found (apt-get install wrk)");
    let peers = std::path::absolute(peers_dir)?;
    anyhow::ensure!(
        peers.join("node_modules").exists(),
        "{}: run npm ci there first",
        peers.display()
    );
    let machine = Machine::now();
    let (secs, rounds, warm) = if opts.quick { (2, 1, 1) } else { (10, 3, 10) };
    let script = std::path::absolute("bench/wrk/status.lua")?;
    let dir = opts.scratch("peers")?;
    let keys = Keys::generate()?;
    let http = setup::http()?;

    let sbx = setup::start_sandbox(opts, &dir, &keys).await?;
    let token = setup::onelink_token(&sbx.base_url).await?;
    let req = json!({"transid": "bench", "token": token, "msisdn": MSISDN}).to_string();
    let canned = answer(&http, &format!("{}{STATUS_PATH}", sbx.base_url), &req).await?;
    anyhow::ensure!(canned["status"] == "0", "sandbox 23A23: {canned}");
    let body = canned.to_string();

    let mut servers: Vec<(Server, String)> = vec![(sbx, env!("CARGO_PKG_VERSION").to_owned())];
    let mut skipped = Vec::new();
    for (name, started) in [
        ("WireMock", wiremock(&peers, &dir, &body).await),
        ("Mockoon CLI", mockoon(&peers, &dir, &body).await),
        ("Prism", prism(&peers, &dir, &canned).await),
    ] {
        match started {
            Ok(s) => {
                let version = match name {
                    "WireMock" => npm_version(&peers, "wiremock"),
                    "Mockoon CLI" => npm_version(&peers, "@mockoon/cli"),
                    _ => npm_version(&peers, "@stoplight/prism-cli"),
                };
                servers.push((s, version));
            }
            Err(e) => {
                eprintln!("peers: {name} not started: {e:#}");
                skipped.push(format!("{name}: {e:#}"));
            }
        }
    }
    // Same body from every server, byte for byte once parsed.
    for (s, _) in &servers {
        let got = answer(&http, &format!("{}{STATUS_PATH}", s.base_url), &req).await?;
        anyhow::ensure!(got == canned, "{} answers {got}, not {canned}", s.name);
    }
    let mut idle = Vec::new();
    for (s, _) in &servers {
        idle.push(s.rss_kib());
        let url = format!("{}{STATUS_PATH}", s.base_url);
        wrk::run(&script, &url, 32, warm, &[("BENCH_BODY", req.as_str())]).await?;
    }

    let mut runs: Vec<Vec<Vec<Level>>> = vec![vec![Vec::new(); LEVELS.len()]; servers.len()];
    for round in 0..rounds {
        for (li, conns) in LEVELS.into_iter().enumerate() {
            for k in 0..servers.len() {
                // Rotate who goes first, so no server always runs right after the same one.
                let si = (k + round + li) % servers.len();
                let s = &servers[si].0;
                let url = format!("{}{STATUS_PATH}", s.base_url);
                let mut l =
                    wrk::run(&script, &url, conns, secs, &[("BENCH_BODY", req.as_str())]).await?;
                l.rss_kib = vec![(s.name.clone(), s.rss_kib())];
                println!(
                    "peers: round {round} {:<12} {conns:>3} conns {:>7.0} req/s p99 {:.2} ms ({} failed)",
                    s.name, l.per_sec, l.p99_ms, l.failed
                );
                runs[si][li].push(l);
            }
        }
    }
    // The sandbox did the real work all along: the token still checks out.
    let after = answer(
        &http,
        &format!("{}{STATUS_PATH}", servers[0].0.base_url),
        &req,
    )
    .await?;
    anyhow::ensure!(
        after == canned,
        "sandbox answer changed under load: {after}"
    );

    let mut out = Vec::new();
    for (si, (s, version)) in servers.iter().enumerate() {
        out.push(PeerRun {
            server: s.name.clone(),
            version: version.clone(),
            idle_rss_kib: idle[si],
            levels: runs[si].drain(..).map(median).collect(),
        });
    }
    for (s, _) in servers {
        s.stop(Duration::from_secs(10)).await;
    }
    let result = PeersResult {
        machine,
        quick: opts.quick,
        secs_per_run: secs,
        rounds,
        body_bytes: body.len(),
        peers: out,
        skipped,
    };
    save(&opts.out, "peers", &result)
}
