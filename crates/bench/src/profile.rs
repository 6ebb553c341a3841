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
pub struct Perf {
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
    pub fn start(targets: &[(&str, u32)], dir: &Path) -> Option<Self> {
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
    pub async fn finish(self) -> anyhow::Result<String> {
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
            text.push_str(&format!(
                "## {}: self time by library\n{by_dso}\n## {}: by thread\n{by_thread}\n## {}: top symbols\n{by_sym}\n",
                r.name, r.name, r.name
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
