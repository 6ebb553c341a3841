//! Shell blocks of the docs that a unit test cannot run in place, run as written:
//! - the server commands of the README and docs/GATEWAY.md: every command line of the block
//!   below a `tested by` marker naming one of these tests starts its server, which must print
//!   its URL and answer on it within the deadline; then it is stopped. Ports come from the
//!   servers' own `CMCC_SANDBOX_LISTEN` / `CMCC_LISTEN` variables (port 0), and the files the
//!   commands name are written into a fresh folder first, so the lines stay as documented;
//! - the fleet benchmark script of docs/BENCHMARKS.md, whole, at 200 cards instead of 100,000
//!   (its `N`, `C`, `PORT` and `BIN` take their values from the environment).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{free_port, output_within, repo_root};

const DEADLINE: Duration = Duration::from_secs(30);

/// The shell block right below the marker that names `test` in `doc`, as written.
fn block(doc: &str, test: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
    let marker = format!("doc_commands.rs: {test} -->");
    let after = &text[text
        .find(&marker)
        .unwrap_or_else(|| panic!("{doc} has no marker naming {test}"))..];
    after
        .split_once("```sh\n")
        .and_then(|(_, b)| b.split_once("```"))
        .map(|(b, _)| b.to_owned())
        .unwrap_or_else(|| panic!("{doc}: no shell block below the marker naming {test}"))
}

/// The commands of that block: one per line, with trailing comments and comment-only lines
/// dropped.
fn commands(doc: &str, test: &str) -> Vec<String> {
    block(doc, test)
        .lines()
        .map(|l| l.split(" #").next().unwrap_or("").trim().to_owned())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Run `line` with bash in `dir` (the `cmcc` under test first on PATH), wait until it prints
/// an `http://` URL and `probe` on that URL answers 200, then stop it.
fn serves(dir: &Path, line: &str, probe: &str) {
    let bin = Path::new(env!("CARGO_BIN_EXE_cmcc")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("exec {line}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("CMCC_SANDBOX_LISTEN", "127.0.0.1:0")
        .env("CMCC_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    // Read stdout to its end, not only to the URL: a server whose pipe is closed fails its next
    // write.
    std::thread::spawn(move || {
        let mut sent = false;
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if let (false, Some(i)) = (sent, l.find("http://")) {
                let url: String = l[i..].chars().take_while(|c| !c.is_whitespace()).collect();
                sent = tx.send(url).is_ok();
            }
        }
    });
    let started = Instant::now();
    let url = match rx.recv_timeout(DEADLINE) {
        Ok(u) => u,
        Err(_) => {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "`{line}` printed no URL within {DEADLINE:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answered = rt.block_on(async {
        let http = cmcc_testkit::http();
        loop {
            if let Ok(r) = http.get(format!("{url}{probe}")).send().await {
                break r.status().as_u16();
            }
            if started.elapsed() > DEADLINE {
                break 0;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    assert!(
        still_running && answered == 200,
        "`{line}`: {url}{probe} answered {answered} (0: nothing within {DEADLINE:?}); stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The files the documented commands name, minimal and valid.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sandbox.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("gateway.toml"),
        "database_url = \"sqlite:gateway.db\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn the_readme_server_commands_start_as_written() {
    let cmds = commands("README.md", "the_readme_server_commands_start_as_written");
    assert!(cmds.len() >= 4, "{cmds:?}");
    for line in &cmds {
        let dir = folder();
        let probe = if line.starts_with("cmcc gateway") {
            "/healthz"
        } else {
            "/"
        };
        serves(dir.path(), line, probe);
    }
}

#[test]
fn the_gateway_doc_commands_start_as_written() {
    let cmds = commands(
        "docs/GATEWAY.md",
        "the_gateway_doc_commands_start_as_written",
    );
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    for line in &cmds {
        if line.contains("postgres://") && !cmcc_testkit::backends::in_ci() {
            // Outside CI the machine may have no PostgreSQL or Redis: try them first.
            let reachable = ["127.0.0.1:5432", "127.0.0.1:6379"].iter().all(|a| {
                std::net::TcpStream::connect_timeout(&a.parse().unwrap(), Duration::from_secs(1))
                    .is_ok()
            });
            if !reachable {
                cmcc_testkit::backends::unavailable(
                    "PostgreSQL and Redis",
                    "no answer on 5432/6379",
                );
                continue;
            }
        }
        let dir = folder();
        serves(dir.path(), line, "/healthz");
    }
}

#[test]
fn the_fleet_benchmark_block_runs_as_written_at_a_small_scale() {
    let block = block(
        "docs/BENCHMARKS.md",
        "the_fleet_benchmark_block_runs_as_written_at_a_small_scale",
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let n = 200;
    // The sandbox the block starts in the background is stopped however the block ends: on its
    // own last line, or by the EXIT trap (also when `timeout`, which bounds the whole block,
    // sends TERM).
    let script = format!(
        "trap 'exit 124' TERM; trap '[ -n \"$SB\" ] && kill \"$SB\" 2>/dev/null' EXIT\n{block}"
    );
    // The outer limit only backs up `timeout`, whose TERM lets the trap stop the sandbox.
    let o = output_within(
        Command::new("timeout")
            .args(["300", "bash", "-c", &script])
            .current_dir(dir.path())
            .env("BIN", env!("CARGO_BIN_EXE_cmcc"))
            .env("N", n.to_string())
            .env("C", "4")
            .env("PORT", port.to_string()),
        "the fleet benchmark block",
        Duration::from_secs(320),
    )
    .unwrap();
    let (status, stdout, stderr) = (
        o.status,
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(
        status.success(),
        "the block failed ({status}):\n{stdout}\n{stderr}"
    );
    let counted = stdout
        .lines()
        .find(|l| l.trim_end().ends_with(" changed"))
        .unwrap_or_else(|| panic!("no `N changed` line:\n{stdout}\n{stderr}"));
    assert_eq!(
        counted.split_whitespace().next(),
        Some(n.to_string().as_str()),
        "{stdout}"
    );
    assert!(
        !stdout.contains(" already"),
        "a stop was repeated:\n{stdout}"
    );
    let after = std::fs::read_to_string(dir.path().join("after.csv")).unwrap();
    let rows: Vec<&str> = after.lines().skip(1).collect();
    assert_eq!(rows.len(), n, "{after}");
    assert!(rows.iter().all(|r| r.contains("stopped")), "{after}");
}
