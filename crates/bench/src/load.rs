//! The load generator of the verification benchmark: `conns` keep-alive HTTP/1.1 connections
//! (hyper), each sending the next prepared body as soon as its previous answer is in, until
//! every body is sent. Latency is per request, from send to the whole answer read.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;

use crate::results::Level;

/// No single request may take longer than this (a stuck server fails the benchmark).
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub addr: SocketAddr,
    pub path: String,
}

/// Sends every body once over `conns` connections; `ok` judges an answer body.
pub(crate) async fn run(
    target: &Target,
    bodies: Vec<Bytes>,
    conns: usize,
    ok: fn(u16, &[u8]) -> bool,
) -> anyhow::Result<Level> {
    let n = bodies.len();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conns {
        let (bodies, next, target) = (bodies.clone(), next.clone(), target.clone());
        tasks.spawn(async move { connection(&target, &bodies, &next, ok).await });
    }
    let mut lat: Vec<u32> = Vec::with_capacity(n);
    let mut failed = 0u64;
    while let Some(r) = tasks.join_next().await {
        let (l, f) = r.context("load task")??;
        lat.extend(l);
        failed += f;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    Ok(Level {
        conns,
        requests: lat.len() as u64,
        failed,
        secs,
        per_sec: lat.len() as f64 / secs,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
        rss_kib: Vec::new(),
    })
}

/// Microsecond latencies sorted ascending → milliseconds at quantile `q`.
pub(crate) fn percentile(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[i]) / 1000.0
}

async fn connection(
    target: &Target,
    bodies: &[Bytes],
    next: &AtomicUsize,
    ok: fn(u16, &[u8]) -> bool,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let stream = tokio::net::TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let host = target.addr.to_string();
    let mut lat = Vec::new();
    let mut failed = 0;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else { break };
        let req = hyper::Request::post(target.path.as_str())
            .header("host", &host)
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))?;
        let t = Instant::now();
        let answer = tokio::time::timeout(REQUEST_DEADLINE, async {
            send.ready().await?;
            let res = send.send_request(req).await?;
            let status = res.status().as_u16();
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        })
        .await
        .context("request took longer than 30 s")?;
        let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
        match answer {
            Ok((status, body)) if ok(status, &body) => lat.push(us),
            Ok((status, body)) => {
                failed += 1;
                lat.push(us);
                if failed <= 3 {
                    eprintln!(
                        "unexpected answer {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
            Err(e) => anyhow::bail!("connection failed: {e}"),
        }
    }
    drop(send);
    let _ = driver.await;
    Ok((lat, failed))
}
