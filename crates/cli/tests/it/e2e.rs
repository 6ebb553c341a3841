//! The demo pages in real Chromium: starts `cmcc up` on free ports with a fresh data folder and
//! runs the Playwright scripts in `e2e/` against it (node's built-in test runner; its exit code
//! decides). Needs node, Debian's chromium and `e2e/node_modules` (`./dev test` installs them):
//! when one is missing the test fails under `CI=true` and is skipped with a notice otherwise.
//! `CMCC_SCREENSHOTS=1` saves each flow's final page under `docs/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    output_within, repo_root, skip, terminate, wait_for, CMCC, COMMAND_DEADLINE, UP_ON_FREE_PORTS,
};

fn chromium() -> PathBuf {
    std::env::var_os("CMCC_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser tests, if anything.
fn missing(root: &Path) -> Option<String> {
    let mut node = Command::new("node");
    node.arg("--version");
    let node = output_within(&mut node, "node --version", Duration::from_secs(60));
    if !node.is_ok_and(|o| o.status.success()) {
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
        let child = Command::new(CMCC)
            .args(UP_ON_FREE_PORTS)
            .arg("--data-dir")
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
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

/// A plain HTTP/1.0 GET (no client library needed): status code and body.
fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn up_wires_everything_and_stops_on_sigterm() {
    let mut up = Up::start();
    let demo = up.url("demo");
    let gateway = up.url("gateway");
    let sandbox = up.url("sandbox");
    let (status, body) = http_get(&format!("{demo}h5.html"));
    assert_eq!(status, 200);
    // The page is filled with the real addresses and holds no secret.
    assert!(body.contains(&format!("{sandbox}/NumberAbility/h5/js/jssdk_auth.min.js")));
    assert!(body.contains(&gateway));
    let key = std::fs::read_to_string(up._dir.path().join("gateway-api-key")).unwrap();
    for page in [
        "",
        "h5.html",
        "mini.html",
        "uaid.html",
        "iot.html",
        "demo.js",
    ] {
        let (status, body) = http_get(&format!("{demo}{page}"));
        assert_eq!(status, 200, "{page}");
        assert!(!body.contains(key.trim()), "{page} leaks the API key");
        assert!(
            !body.contains("5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D"),
            "{page} leaks the appKey"
        );
    }
    assert_eq!(http_get(&format!("{gateway}/healthz")).0, 200);
    // The demo backend reaches the gateway's server routes with the key.
    let (status, body) = http_get(&format!("{demo}demo-api/registrations"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("items"));
    // The credentials file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(up._dir.path().join("credentials.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "credentials.txt is readable by others");
    }
    // SIGTERM: a graceful stop with exit code 0.
    let status =
        terminate(&mut up.child, Duration::from_secs(15)).expect("cmcc up did not stop on SIGTERM");
    assert!(status.success(), "cmcc up exited with {status}");
}

#[test]
fn up_help_tells_how_to_go_live() {
    let mut help = Command::new(CMCC);
    help.args(["up", "--help"]);
    let out = output_within(&mut help, "cmcc up --help", COMMAND_DEADLINE).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    for needle in [
        "cmcc gateway --config",
        "production",
        "--data-dir",
        "/onelink/push",
    ] {
        assert!(
            text.contains(needle),
            "`cmcc up --help` lacks {needle:?}:\n{text}"
        );
    }
}

#[test]
fn demo_flows_in_chromium() {
    let root = repo_root();
    if let Some(why) = missing(&root) {
        return skip("the browser tests", &why);
    }
    let up = Up::start();
    let started = Instant::now();
    let mut node = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "e2e/flows.test.mjs",
            "e2e/pages.test.mjs",
        ])
        .current_dir(&root)
        .env("CMCC_DEMO_URL", up.url("demo"))
        .env("CMCC_SANDBOX_URL", up.url("sandbox"))
        .env("CMCC_GATEWAY_URL", up.url("gateway"))
        .env("CMCC_CHROMIUM", chromium())
        .spawn()
        .unwrap();
    let status = wait_for(&mut node, "the browser tests", Duration::from_secs(600));
    eprintln!("browser tests took {} ms", started.elapsed().as_millis());
    assert!(status.success(), "browser tests failed: {status}");
    drop(up);
}
