//! What examples.rs runs on: a `cmcc up` child, the example backends of each language, the
//! `standardwebhooks` signer, a POST helper.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cmcc_client::passport::{PassportClient, PassportConfig};
use cmcc_client::PassportBase;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use cmcc_testkit::DEVICE_HEADER;
use serde_json::{json, Value};

use crate::support::{output_within, repo_root, terminate, wait_for, CMCC, UP_ON_FREE_PORTS};

/// Whether `cmd args…` runs and exits 0 within a minute, and its stdout.
pub(crate) fn probe(cmd: &str, args: &[&str]) -> Option<String> {
    let mut c = Command::new(cmd);
    c.args(args);
    let out = output_within(&mut c, cmd, Duration::from_secs(60)).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A `cmcc up` child, stopped with SIGTERM when dropped.
pub(crate) struct Up {
    child: Child,
    urls: Value,
    /// `<root>/.cmcc`, where `cmcc up` run in `<root>` keeps its data.
    dir: PathBuf,
    root: tempfile::TempDir,
}

impl Up {
    /// `cmcc up` in a fresh folder; with `webhook_url`, `--webhook-url` it.
    pub(crate) fn start(webhook_url: Option<&str>) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".cmcc");
        let mut cmd = Command::new(CMCC);
        cmd.args(UP_ON_FREE_PORTS).arg("--data-dir").arg(&dir);
        if let Some(url) = webhook_url {
            cmd.args(["--webhook-url", url]);
        }
        let printed = std::fs::File::create(root.path().join("printed.txt")).unwrap();
        let child = cmd
            .env("RUST_LOG", "warn")
            .stdout(printed)
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut up = Self {
            child,
            urls: Value::Null,
            dir,
            root,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let file = up.dir.join("up.json");
        while up.urls.is_null() {
            if let Some(v) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
            {
                up.urls = v;
            }
            assert!(up.child.try_wait().unwrap().is_none(), "cmcc up exited");
            assert!(Instant::now() < deadline, "cmcc up not ready after 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        up
    }

    pub(crate) fn url(&self, which: &str) -> String {
        self.urls[which]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_owned()
    }

    /// What `cmcc up` printed so far.
    pub(crate) fn printed(&self) -> String {
        std::fs::read_to_string(self.root.path().join("printed.txt")).unwrap_or_default()
    }

    /// The data folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// What a page's JSSDK gets on the sandbox device `phone`: a token and userInformation
    /// (mini-program getTokenInfo, made with the SDK and the demo app's files).
    pub(crate) async fn page_token(&self, phone: &str) -> (String, String) {
        let mut cfg = PassportConfig::new(
            PassportBase::single(&self.url("sandbox")),
            cmcc_sandbox::auth::tenant::DEMO_APP_ID,
            Secret::new(self.file("app-key")),
            PrivateKey::parse(&self.file("customer.key")).unwrap(),
            PublicKey::parse(&self.file("platform.pub")).unwrap(),
        );
        cfg.headers = vec![(DEVICE_HEADER.into(), phone.into())];
        let grant = PassportClient::new(cfg)
            .unwrap()
            .mini_get_token_info(&ExpandParams::new())
            .await
            .unwrap();
        (grant.token, grant.user_information.unwrap())
    }
}

impl Up {
    /// SIGTERM (a graceful stop), SIGKILL after 10 s; the data folder stays until drop.
    pub(crate) fn stop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Signs like a Standard Webhooks sender, with the `standardwebhooks` PyPI package.
pub(crate) struct Signer {
    python: PathBuf,
}

const SIGNER: &str = r#"
import base64, json, os, sys
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
req = json.load(sys.stdin)
if "secrets" in req:
    out = ["whsec_" + base64.b64encode(os.urandom(32)).decode() for _ in range(req["secrets"])]
else:
    out = [Webhook(c["secret"]).sign(c["id"], datetime.fromtimestamp(c["timestamp"], tz=timezone.utc), c["body"])
           for c in req["sign"]]
print(json.dumps(out))
"#;

impl Signer {
    /// `CMCC_WEBHOOKS_PYTHON`, the venv `./dev test` makes, or a `python3` that has the package.
    pub(crate) fn find() -> Result<Self, String> {
        let venv = repo_root().join("target/examples-venv/bin/python3");
        let candidates = std::env::var_os("CMCC_WEBHOOKS_PYTHON")
            .map(PathBuf::from)
            .into_iter()
            .chain([venv, PathBuf::from("python3")]);
        for python in candidates {
            let py = python.to_string_lossy().into_owned();
            if probe(&py, &["-c", "import standardwebhooks"]).is_some() {
                return Ok(Self { python });
            }
        }
        Err("the standardwebhooks PyPI package is not installed (target/examples-venv)".into())
    }

    fn run(&self, input: &Value) -> Vec<String> {
        use std::io::Write as _;
        let mut child = Command::new(&self.python)
            .args(["-c", SIGNER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        assert!(wait_for(&mut child, "the signer", Duration::from_secs(30)).success());
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Fresh `whsec_` secrets of 32 random bytes.
    pub(crate) fn secrets(&self, n: usize) -> Vec<String> {
        self.run(&json!({ "secrets": n }))
    }

    /// `v1,<base64>` for each (secret, id, timestamp, body).
    pub(crate) fn sign(&self, cases: &[(&str, &str, i64, &str)]) -> Vec<String> {
        let cases: Vec<Value> = cases
            .iter()
            .map(|(s, id, ts, body)| json!({"secret": s, "id": id, "timestamp": ts, "body": body}))
            .collect();
        self.run(&json!({ "sign": cases }))
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Lang {
    Java,
    Node,
    Python,
    Go,
    Php,
}

impl Lang {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lang::Java => "Java",
            Lang::Node => "Node",
            Lang::Python => "Python",
            Lang::Go => "Go",
            Lang::Php => "PHP",
        }
    }

    /// What is missing to run this language's example, if anything.
    pub(crate) fn missing(self) -> Option<String> {
        let ok = match self {
            // The single-file source launcher compiles in memory: it needs a JDK, not a JRE.
            Lang::Java => probe("java", &["-version"]).and(probe("javac", &["-version"])),
            Lang::Node => probe(
                "node",
                &["-e", "if (typeof fetch !== 'function') process.exit(1)"],
            ),
            Lang::Python => probe("python3", &["--version"]),
            Lang::Go => probe("go", &["version"]),
            Lang::Php => probe("php", &["-m"]).filter(|m| m.lines().any(|l| l == "curl")),
        };
        ok.is_none().then(|| match self {
            Lang::Java => "no JDK 17 (java, javac): apt-get install openjdk-17-jdk-headless".into(),
            Lang::Node => "no node 18+ (built-in fetch)".into(),
            Lang::Python => "no python3".into(),
            Lang::Go => "no go: apt-get install golang-go".into(),
            Lang::Php => "no php with curl: apt-get install php-cli php-curl".into(),
        })
    }

    /// The command that runs the example (Go's is built first, so the process we stop is the
    /// server itself, not `go run`).
    pub(crate) fn command(self, root: &Path, work: &Path, port: u16) -> Command {
        let ex = root.join("examples");
        match self {
            Lang::Java => {
                let mut c = Command::new("java");
                c.arg(ex.join("java/CmccBackend.java"));
                c
            }
            Lang::Node => {
                let mut c = Command::new("node");
                c.arg(ex.join("node/backend.mjs"));
                c
            }
            Lang::Python => {
                let mut c = Command::new("python3");
                c.arg(ex.join("python/backend.py"));
                c
            }
            Lang::Go => {
                let bin = work.join("cmcc-backend");
                let mut build = Command::new("go")
                    .args(["build", "-o"])
                    .arg(&bin)
                    .arg(".")
                    .current_dir(ex.join("go"))
                    .env("GOCACHE", root.join("target/go-cache"))
                    .env("GOPATH", root.join("target/go-path"))
                    .env("GOPROXY", "off")
                    .env("GOTOOLCHAIN", "local")
                    .spawn()
                    .unwrap();
                let built = wait_for(&mut build, "go build", Duration::from_secs(300));
                assert!(built.success(), "go build failed: {built}");
                Command::new(bin)
            }
            Lang::Php => {
                let mut c = Command::new("php");
                c.args(["-S", &format!("127.0.0.1:{port}")])
                    .arg(ex.join("php/backend.php"));
                c
            }
        }
    }
}

/// A running example backend, killed when dropped.
pub(crate) struct Example {
    child: Child,
    pub base: String,
    log: PathBuf,
    _work: tempfile::TempDir,
}

impl Example {
    /// With `key_file`, the API key's file is named by `CMCC_API_KEY_FILE`; without, the
    /// example runs where `cmcc up` ran and finds `.cmcc/gateway-api-key` itself.
    /// On `port` ([`free_port`]).
    pub(crate) fn start(
        lang: Lang,
        up: &Up,
        webhook_secret: &str,
        key_file: bool,
        port: u16,
    ) -> Self {
        let work = tempfile::tempdir().unwrap();
        let log = work.path().join("out.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = lang.command(&repo_root(), work.path(), port);
        cmd.env_remove("CMCC_API_KEY")
            .env_remove("CMCC_API_KEY_FILE");
        if key_file {
            cmd.current_dir(work.path())
                .env("CMCC_API_KEY_FILE", up.dir.join("gateway-api-key"));
        } else {
            cmd.current_dir(up.root.path());
        }
        let child = cmd
            .env("PORT", port.to_string())
            .env("CMCC_GATEWAY_URL", up.url("gateway"))
            .env("CMCC_WEBHOOK_SECRET", webhook_secret)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut ex = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _work: work,
        };
        // The JVM compiles the source first: allow it a while on a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(90);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if ex.child.try_wait().unwrap().is_some() {
                panic!("the {} example exited:\n{}", lang.name(), ex.output());
            }
            assert!(
                Instant::now() < deadline,
                "the {} example is not listening after 90 s:\n{}",
                lang.name(),
                ex.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        ex
    }

    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POST `body` with `headers`: status and JSON answer (Null when the answer is not JSON).
pub(crate) async fn post(
    http: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut req = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
