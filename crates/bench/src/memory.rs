//! Benchmark 4: idle memory. RSS of `cmcc up` (sandbox + demo site + gateway in one process),
//! of `cmcc gateway` alone (SQLite) and of `cmcc sandbox` alone (no config: demo tenants), each
//! started fresh and read 2 s after it first answered. The RSS at the end of each load is in
//! the other benchmarks' results.

use std::time::Duration;

use crate::machine::Machine;
use crate::procs::{free_port, Server};
use crate::results::{save, MemoryResult};
use crate::setup::{self, path_str, Keys, Opts};

const SETTLE: Duration = Duration::from_secs(2);

pub(crate) async fn run(opts: &Opts) -> anyhow::Result<()> {
    let machine = Machine::now();
    let dir = opts.scratch("memory")?;
    let mut idle = Vec::new();

    // cmcc up, as a newcomer runs it.
    let (s, d, g) = (free_port()?, free_port()?, free_port()?);
    let data = dir.join("up-data");
    let cmd = opts.cmcc(&[
        "up",
        "--sandbox-listen",
        &format!("127.0.0.1:{s}"),
        "--demo-listen",
        &format!("127.0.0.1:{d}"),
        "--gateway-listen",
        &format!("127.0.0.1:{g}"),
        "--data-dir",
        path_str(&data)?,
    ])?;
    let up = Server::start(
        "cmcc up",
        cmd,
        g,
        "/healthz",
        &dir.join("up.log"),
        Duration::from_secs(60),
    )
    .await?;
    tokio::time::sleep(SETTLE).await;
    idle.push((
        "`cmcc up` (sandbox + demo + gateway, one process)".to_owned(),
        up.rss_kib(),
    ));
    up.stop(Duration::from_secs(10)).await;

    // The sandbox alone, no configuration.
    let port = free_port()?;
    let cmd = opts.cmcc(&[
        "sandbox",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        path_str(&dir.join("sandbox-data"))?,
    ])?;
    let sbx = Server::start(
        "sandbox",
        cmd,
        port,
        "/_sandbox/onelink/ping",
        &dir.join("sandbox.log"),
        Duration::from_secs(60),
    )
    .await?;
    tokio::time::sleep(SETTLE).await;
    idle.push((
        "`cmcc sandbox` (no config: demo tenants)".to_owned(),
        sbx.rss_kib(),
    ));

    // The gateway alone (SQLite), wired to that sandbox.
    let keys = Keys::generate()?;
    let db = format!("sqlite:{}", dir.join("gateway.db").display());
    let gw = setup::start_gateway(opts, &dir, &keys, &db, &sbx.base_url, "").await?;
    tokio::time::sleep(SETTLE).await;
    idle.push(("`cmcc gateway` (SQLite)".to_owned(), gw.rss_kib()));
    gw.stop(Duration::from_secs(10)).await;
    sbx.stop(Duration::from_secs(10)).await;

    for (what, kib) in &idle {
        println!("memory: {what}: {:.1} MiB", *kib as f64 / 1024.0);
    }
    save(
        &opts.out,
        "memory",
        &MemoryResult {
            machine,
            quick: opts.quick,
            idle,
        },
    )
}
