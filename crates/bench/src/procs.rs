//! Server processes under test: start, wait until they answer (with a deadline), read their
//! resident memory (the whole process tree, so `npx`-style wrappers and the JVM count), stop.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// A running server; stopped (its whole process group) when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    pub name: String,
    pub base_url: String,
    pub pid: u32,
    child: tokio::process::Child,
}

/// A free loopback port (bound, then released for the server to take).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl Server {
    /// Start `program args…` with its output in `log`, then poll `ready_path` (GET, any
    /// answer below 500) until it answers or `deadline` passes.
    pub(crate) async fn start(
        name: &str,
        mut cmd: tokio::process::Command,
        port: u16,
        ready_path: &str,
        log: &Path,
        deadline: Duration,
    ) -> anyhow::Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .kill_on_drop(true);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let pid = child.id().context("no pid")?;
        let mut server = Self {
            name: name.to_owned(),
            base_url: format!("http://127.0.0.1:{port}"),
            pid,
            child,
        };
        let url = format!("{}{ready_path}", server.base_url);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(&url).send().await {
                if r.status().as_u16() < 500 {
                    break;
                }
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "{name} exited with {status} before answering; see {}",
                    log.display()
                );
            }
            if started.elapsed() > deadline {
                bail!(
                    "{name} did not answer {url} within {deadline:?}; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    /// Resident set of this server's process tree, KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        tree_rss_kib(self.pid)
    }

    /// SIGTERM to the process group, then SIGKILL after `grace`.
    pub(crate) async fn stop(mut self, grace: Duration) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.pid)])
            .status();
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pid)])
                .status();
            let _ = tokio::time::timeout(grace, self.child.wait()).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Children of the group leader (a JVM under node) go too.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pid)])
                .status();
        }
    }
}

/// `(pid, ppid, rss KiB)` of every process.
fn processes() -> Vec<(u32, u32, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            };
            Some((
                pid,
                u32::try_from(field("PPid:")?).ok()?,
                field("VmRSS:").unwrap_or(0),
            ))
        })
        .collect()
}

/// RSS of `root` and all its descendants, KiB.
pub(crate) fn tree_rss_kib(root: u32) -> u64 {
    let procs = processes();
    let mut total = 0;
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &(pid, ppid, rss) in &procs {
            if pid == p {
                total += rss;
            }
            if ppid == p {
                todo.push(pid);
            }
        }
    }
    total
}

/// Every pid in the tree of `root` (for a profiler).
pub(crate) fn tree_pids(root: u32) -> Vec<u32> {
    let procs = processes();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(procs.iter().filter(|x| x.1 == p).map(|x| x.0));
        i += 1;
    }
    out
}
