//! Where the time goes: `perf record` on the server processes while one load level runs,
//! then a flat self-time report by process and library, and the top symbols. Skipped (with
//! `None`) where `perf` cannot count (`perf stat -e instructions true` fails, e.g. in a VM
//! without a PMU or with `perf_event_paranoid` too high).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;

use crate::procs::tree_pids;

#[derive(Debug)]
struct Recording {
    name: String,
    child: std::process::Child,
    data: PathBuf,
}

/// One `perf record` per server process, so each one's report is its own.
#[derive(Debug)]
pub(crate) struct Perf {
    recordings: Vec<Recording>,
}

fn perf_works() -> bool {
    std::process::Command::new("perf")
        .args(["stat", "-e", "instructions", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Perf {
    /// Start recording every thread of each `(name, pid)` (and its children) into `dir`.
    pub(crate) fn start(targets: &[(&str, u32)], dir: &Path) -> Option<Self> {
        if !perf_works() {
            eprintln!("profile: perf cannot count on this machine; skipped");
            return None;
        }
        let mut recordings = Vec::new();
        for &(name, root) in targets {
            let pids: Vec<String> = tree_pids(root).iter().map(u32::to_string).collect();
            let data = dir.join(format!("perf-{name}.data"));
            let child = std::process::Command::new("perf")
                .args(["record", "-q", "-F", "999", "-o"])
                .arg(&data)
                .args(["-p", &pids.join(",")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            recordings.push(Recording {
                name: name.to_owned(),
                child,
                data,
            });
        }
        // perf attaches asynchronously; give it a moment before the load starts.
        std::thread::sleep(Duration::from_millis(500));
        Some(Self { recordings })
    }

    /// Stop recording (SIGINT, as Ctrl-C would) and render one report per process.
    pub(crate) async fn finish(self) -> anyhow::Result<String> {
        let mut text = String::new();
        for mut r in self.recordings {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &r.child.id().to_string()])
                .status();
            for _ in 0..100 {
                if r.child.try_wait()?.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if r.child.try_wait()?.is_none() {
                let _ = r.child.kill();
                anyhow::bail!("perf did not stop within 10 s");
            }
            let by_dso = report(&r.data, &["--sort", "dso", "--percent-limit", "0.5"])?;
            let by_thread = report(&r.data, &["--sort", "comm", "--percent-limit", "0.5"])?;
            // libcrypto's internal functions have no symbols in Debian's build: their
            // addresses say nothing the by-library line does not.
            let by_sym: String = report(&r.data, &["--sort", "dso,sym", "--percent-limit", "1.5"])?
                .lines()
                .filter(|l| !l.contains("[.] 0x"))
                .collect::<Vec<_>>()
                .join("\n");
            let all = report(&r.data, &["--sort", "dso,sym", "--percent-limit", "0"])?;
            let by_part = categories(&all);
            text.push_str(&format!(
                "## {}: self time by part\n{by_part}\n## {}: by library\n{by_dso}\n## {}: by thread\n{by_thread}\n## {}: top symbols\n{by_sym}\n",
                r.name, r.name, r.name, r.name
            ));
        }
        Ok(text)
    }
}

fn report(data: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = std::process::Command::new("perf")
        .arg("report")
        .arg("-i")
        .arg(data)
        .args(["--stdio", "--no-children"])
        .args(args)
        .output()
        .context("perf report")?;
    anyhow::ensure!(
        out.status.success(),
        "perf report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty() && (!l.starts_with('#') || l.starts_with("# Samples")))
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// What a symbol of the `cmcc` binary belongs to, by its crate (first path segment).
fn part_of(dso: &str, sym: &str) -> &'static str {
    match dso {
        d if d.starts_with("libcrypto") => return "OpenSSL libcrypto (RSA, MD5)",
        d if d.starts_with("[kernel") => return "kernel (loopback TCP, fsync, scheduling)",
        d if d.starts_with("libc.") || d.starts_with("libm.") || d == "[vdso]" => {
            return "libc (malloc/free, memcpy, syscalls)"
        }
        d if d != "cmcc" => return "other libraries",
        _ => {}
    }
    // C functions linked into the binary are SQLite's (libsqlite3-sys, bundled).
    if !sym.contains("::") && !sym.starts_with('_') && !sym.starts_with('<') {
        return "SQLite (the audit rows)";
    }
    let krate = sym
        .trim_start_matches('<')
        .split("::")
        .next()
        .unwrap_or_default();
    // `<&T as core::fmt::Display>::fmt`: the trait's crate.
    let krate = krate.rsplit(" as ").next().unwrap_or(krate);
    match krate {
        "sqlx_core" | "sqlx_sqlite" | "sqlx_postgres" | "flume" => {
            "sqlx (pool, SQLite worker channel)"
        }
        "hyper" | "hyper_util" | "http" | "httparse" | "http_body" | "h2" | "url"
        | "percent_encoding" | "mime" | "form_urlencoded" | "bytes" => "HTTP (hyper, http, url)",
        "reqwest" | "hyper_tls" | "idna" => "HTTP client (reqwest, URL parsing)",
        "axum" | "axum_core" | "tower" | "tower_http" | "tower_service" | "matchit" => {
            "routing, middleware (axum, tower)"
        }
        "serde_json" | "serde" | "serde_core" => "JSON (serde_json)",
        "tracing" | "tracing_core" | "tracing_subscriber" | "nu_ansi_term" | "sharded_slab" => {
            "logging (tracing)"
        }
        "metrics" | "metrics_exporter_prometheus" | "metrics_util" => "metrics",
        "tokio" | "mio" | "futures_util" | "futures_core" | "futures_channel"
        | "futures_intrusive" | "atomic_waker" | "event_listener" => {
            "async runtime (tokio, futures)"
        }
        "chrono" => "time and date formatting (chrono)",
        "alloc" | "core" | "std" | "__rustc" | "__rdl_alloc" | "__rdl_dealloc"
        | "__rdl_realloc" | "hashbrown" | "foldhash" => "Rust std (alloc, fmt, collections)",
        k if k.starts_with("cmcc") => "cmcc's own code",
        "openssl" | "openssl_sys" | "base64" | "md5" | "md-5" => {
            "crypto glue (openssl crate, base64)"
        }
        _ => "other Rust crates",
    }
}

/// A `--sort dso,sym --percent-limit 0` report summed by [`part_of`], largest first.
fn categories(report: &str) -> String {
    let mut parts: std::collections::BTreeMap<&'static str, f64> =
        std::collections::BTreeMap::new();
    for line in report.lines() {
        let mut it = line.split_whitespace();
        let (Some(pct), Some(dso)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(pct) = pct.trim_end_matches('%').parse::<f64>() else {
            continue;
        };
        let sym = line.split_once("] ").map_or("", |x| x.1.trim());
        *parts.entry(part_of(dso, sym)).or_default() += pct;
    }
    let mut v: Vec<_> = parts.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v.iter()
        .map(|(k, p)| format!("    {p:5.1}%  {k}"))
        .collect::<Vec<_>>()
        .join("\n")
}
