//! The demo pages in real Chromium: starts `cmcc up` on free ports with a fresh data folder and
//! runs the Playwright scripts in `e2e/` against it (node's built-in test runner; its exit code
//! decides). Needs node, Debian's chromium and `e2e/node_modules` (`./dev test` installs them):
//! when one is missing the test fails under `CI=true` and is skipped with a notice otherwise.
//! `CMCC_SCREENSHOTS=1` saves each flow's final page under `docs/screenshots/`.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

fn chromium() -> PathBuf {
    std::env::var_os("CMCC_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser tests, if anything.
fn missing(root: &Path) -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is not installed".into());
    }
    if !chromium().exists() {
        return Some(format!(
            "{} is missing (apt-get install chromium)",
            chromium().display()
        ));
    }
    if !root.join("e2e/node_modules/playwright-core").exists() {
        return Some("e2e/node_modules is missing (npm ci --prefix e2e)".into());
    }
    None
}

/// A `cmcc up` child, stopped with SIGTERM (graceful) when dropped.
struct Up {
    child: Child,
    urls: serde_json::Value,
    _dir: tempfile::TempDir,
}

impl Up {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_cmcc"))
            .args([
                "up",
                "--sandbox-listen",
                "127.0.0.1:0",
                "--demo-listen",
                "127.0.0.1:0",
                "--gateway-listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let file = dir.path().join("up.json");
        let mut up = Self {
            child,
            urls: serde_json::Value::Null,
            _dir: dir,
        };
        loop {
            if let Some(v) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            {
                up.urls = v;
                break;
            }
            assert!(
                up.child.try_wait().unwrap().is_none(),
                "cmcc up exited before it was ready"
            );
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "cmcc up not ready after 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("cmcc up ready in {} ms", started.elapsed().as_millis());
        up
    }

    fn url(&self, which: &str) -> String {
        self.urls[which].as_str().unwrap().to_owned()
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demo_flows_in_chromium() {
    let root = repo_root();
    if let Some(why) = missing(&root) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the browser tests cannot run: {why}"
        );
        eprintln!("SKIPPED: browser tests: {why}; `./dev test` installs what they need");
        return;
    }
    let up = Up::start();
    let started = Instant::now();
    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1", "e2e/flows.test.mjs"])
        .current_dir(&root)
        .env("CMCC_DEMO_URL", up.url("demo"))
        .env("CMCC_SANDBOX_URL", up.url("sandbox"))
        .env("CMCC_GATEWAY_URL", up.url("gateway"))
        .env("CMCC_CHROMIUM", chromium())
        .status()
        .unwrap();
    eprintln!("browser tests took {} ms", started.elapsed().as_millis());
    assert!(status.success(), "browser tests failed: {status}");
    drop(up);
}
