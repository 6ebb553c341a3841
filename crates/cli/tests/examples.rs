//! The integration examples of `examples/` (Java, Node, Python, Go, PHP), each run against a real
//! `cmcc up` (free ports, fresh data folder): a number verified through the gateway with a token
//! the sandbox gave a "page", a registration link issued with the API key from the data folder,
//! and the webhook receiver checked with signatures made by the independent `standardwebhooks`
//! PyPI package (valid, tampered body, wrong secret, stale and future timestamps, rotated keys).
//!
//! A language whose toolchain is missing is skipped with a notice, except under `CI=true`, where
//! that fails; so is a missing `standardwebhooks` (`./dev test` installs both: `examples_deps`).

#![expect(clippy::unwrap_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cmcc_client::passport::{PassportClient, PassportConfig};
use cmcc_client::PassportBase;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use serde_json::{json, Value};

/// The number of the sandbox device the "page" runs on (seed 004's 4G phone).
const PHONE: &str = "13800138000";
/// A card of the demo enterprise that `cmcc up` generates, unregistered.
const CARD: &str = "1440000001000";
/// Magic card 5: another enterprise's, so OneLink answers 12011.
const FOREIGN_CARD: &str = "1440000000005";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// Skip with a notice, or fail under `CI=true`.
fn unavailable(what: &str, why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the {what} example cannot run: {why}"
    );
    eprintln!("SKIPPED: {what} example: {why}; `./dev test` installs what it needs");
}

/// Whether `cmd args…` runs and exits 0, and its stdout.
fn probe(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Wait for `child` with a deadline; kill it when the deadline passes.
fn wait_for(child: &mut Child, what: &str, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `cmcc up` child, stopped with SIGTERM when dropped.
struct Up {
    child: Child,
    urls: Value,
    /// `<root>/.cmcc`, where `cmcc up` run in `<root>` keeps its data.
    dir: PathBuf,
    root: tempfile::TempDir,
}

impl Up {
    fn start() -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".cmcc");
        let child = Command::new(env!("CARGO_BIN_EXE_cmcc"))
            .args(["up", "--data-dir"])
            .arg(&dir)
            .args(["--sandbox-listen", "127.0.0.1:0", "--demo-listen"])
            .args(["127.0.0.1:0", "--gateway-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
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

    fn url(&self, which: &str) -> String {
        self.urls[which]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_owned()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// What a page's JSSDK gets on the sandbox device `phone`: a token and userInformation
    /// (mini-program getTokenInfo, made with the SDK and the demo app's files).
    async fn page_token(&self, phone: &str) -> (String, String) {
        let mut cfg = PassportConfig::new(
            PassportBase::single(&self.url("sandbox")),
            cmcc_sandbox::auth::tenant::DEMO_APP_ID,
            Secret::new(self.file("app-key")),
            PrivateKey::parse(&self.file("customer.key")).unwrap(),
            PublicKey::parse(&self.file("platform.pub")).unwrap(),
        );
        cfg.headers = vec![("x-cmcc-sandbox-device".into(), phone.into())];
        let grant = PassportClient::new(cfg)
            .unwrap()
            .mini_get_token_info(&ExpandParams::new())
            .await
            .unwrap();
        (grant.token, grant.user_information.unwrap())
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

/// Signs like a Standard Webhooks sender, with the `standardwebhooks` PyPI package.
struct Signer {
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
    fn find() -> Result<Self, String> {
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
    fn secrets(&self, n: usize) -> Vec<String> {
        self.run(&json!({ "secrets": n }))
    }

    /// `v1,<base64>` for each (secret, id, timestamp, body).
    fn sign(&self, cases: &[(&str, &str, i64, &str)]) -> Vec<String> {
        let cases: Vec<Value> = cases
            .iter()
            .map(|(s, id, ts, body)| json!({"secret": s, "id": id, "timestamp": ts, "body": body}))
            .collect();
        self.run(&json!({ "sign": cases }))
    }
}

#[derive(Debug, Clone, Copy)]
enum Lang {
    Java,
    Node,
    Python,
    Go,
    Php,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Java => "Java",
            Lang::Node => "Node",
            Lang::Python => "Python",
            Lang::Go => "Go",
            Lang::Php => "PHP",
        }
    }

    /// What is missing to run this language's example, if anything.
    fn missing(self) -> Option<String> {
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
    fn command(self, root: &Path, work: &Path, port: u16) -> Command {
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
struct Example {
    child: Child,
    base: String,
    log: PathBuf,
    _work: tempfile::TempDir,
}

impl Example {
    /// With `key_file`, the API key's file is named by `CMCC_API_KEY_FILE`; without, the
    /// example runs where `cmcc up` ran and finds `.cmcc/gateway-api-key` itself.
    fn start(lang: Lang, up: &Up, webhook_secret: &str, key_file: bool) -> Self {
        let work = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
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

    fn output(&self) -> String {
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
async fn post(
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

/// (a) The page's token, the number the user typed, the gateway's answer through the backend.
async fn check_verification(up: &Up, ex: &Example, http: &reqwest::Client) -> Vec<String> {
    let url = format!("{}/api/verify", ex.base);
    let (token, ui) = up.page_token(PHONE).await;
    let body = json!({"phone": PHONE, "token": token, "userInformation": ui}).to_string();
    let (s, v) = post(http, &url, &[], &body).await;
    assert_eq!(
        (s, &v),
        (200, &json!({"verified": true, "code": "000"})),
        "{body}"
    );
    // The same token again: the gateway's refusal (120020) reaches the caller whole.
    let (s, v) = post(http, &url, &[], &body).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "120020", "{v}");
    assert!(
        v["error"]["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "{v}"
    );
    // Another number typed than the phone's: verified false, code 001.
    let (token2, ui2) = up.page_token(PHONE).await;
    let other = json!({"phone": "13900139000", "token": token2, "userInformation": ui2});
    let (s, v) = post(http, &url, &[], &other.to_string()).await;
    assert_eq!((s, &v), (200, &json!({"verified": false, "code": "001"})));
    // Not JSON, or a field missing: the backend's own error in the same shape.
    let (s, v) = post(http, &url, &[], "{not json").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("bad_json")),
        "{v}"
    );
    let (s, v) = post(http, &url, &[], r#"{"phone":"13800138000"}"#).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("bad_request")));
    vec![token, token2]
}

/// (b) A registration link through the backend, recorded by the gateway; a refusal passed on.
async fn check_registration(up: &Up, ex: &Example, http: &reqwest::Client) -> String {
    let url = format!("{}/api/registrations", ex.base);
    let (s, v) = post(http, &url, &[], &json!({"msisdn": CARD}).to_string()).await;
    assert_eq!(s, 200, "{v}");
    let link = v["url"].as_str().unwrap();
    let reg_page = format!("{}/onelink/h5/reg/", up.url("sandbox"));
    assert!(link.starts_with(&reg_page), "{v}");
    let busi_seq = v["busiSeq"].as_str().unwrap().to_owned();
    let listed = http
        .get(format!("{}/v1/registrations", up.url("gateway")))
        .bearer_auth(up.file("gateway-api-key"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        listed.to_string().contains(&busi_seq),
        "the gateway has no registration {busi_seq}: {listed}"
    );
    let (s, v) = post(
        http,
        &url,
        &[],
        &json!({"msisdn": FOREIGN_CARD}).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("12011")),
        "{v}"
    );
    let both = json!({"msisdn": CARD, "iccid": "89860424000000001000"});
    let (s, v) = post(http, &url, &[], &both.to_string()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("bad_request")));
    busi_seq
}

/// (c) The webhook receiver against signatures made by `standardwebhooks`. Returns the id of
/// the accepted event.
async fn check_webhooks(
    signer: &Signer,
    secrets: &[String],
    ex: &Example,
    http: &reqwest::Client,
    busi_seq: &str,
) -> String {
    let url = format!("{}/webhooks/cmcc", ex.base);
    let id = format!("msg_examples_{}", std::process::id());
    let now = chrono::Utc::now().timestamp();
    let event = json!({
        "type": "registration.registered",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "data": {"busiSeq": busi_seq, "cardField": "msisdn", "msisdn": CARD,
                 "state": "registered", "regStatus": "1", "regMsg": "成功"},
    })
    .to_string();
    let (right, wrong) = (secrets[0].as_str(), secrets[1].as_str());
    let sigs = signer.sign(&[
        (right, &id, now, &event),
        (wrong, &id, now, &event),
        (right, &id, now - 600, &event),
        (right, &id, now + 600, &event),
    ]);
    let send = |sig: String, ts: i64, body: String| {
        let url = url.clone();
        let id = id.clone();
        async move {
            let ts = ts.to_string();
            let headers = [
                ("webhook-id", id.as_str()),
                ("webhook-timestamp", ts.as_str()),
                ("webhook-signature", sig.as_str()),
            ];
            post(http, &url, &headers, &body).await
        }
    };
    let refused = |(s, v): (u16, Value), code: &str, case: &str| {
        assert_eq!(s, 401, "{case}: {v}");
        assert_eq!(v["error"]["code"], code, "{case}: {v}");
    };
    let (s, v) = send(sigs[0].clone(), now, event.clone()).await;
    assert_eq!(
        (s, &v),
        (200, &json!({ "received": id })),
        "genuine webhook"
    );
    let tampered = event.replace("\"registered\"", "\"failed\"");
    assert_ne!(tampered, event);
    refused(
        send(sigs[0].clone(), now, tampered).await,
        "bad_signature",
        "tampered body",
    );
    refused(
        send(sigs[1].clone(), now, event.clone()).await,
        "bad_signature",
        "wrong secret",
    );
    refused(
        send(sigs[2].clone(), now - 600, event.clone()).await,
        "stale_timestamp",
        "10 min old",
    );
    refused(
        send(sigs[3].clone(), now + 600, event.clone()).await,
        "stale_timestamp",
        "10 min ahead",
    );
    // A genuine signature for another timestamp than the header's.
    refused(
        send(sigs[0].clone(), now - 1, event.clone()).await,
        "bad_signature",
        "moved timestamp",
    );
    // Key rotation: a sender lists one signature per key; one valid signature is enough.
    let rotated = format!("{} {}", sigs[1], sigs[0]);
    let (s, _) = send(rotated, now, event.clone()).await;
    assert_eq!(s, 200, "a list of signatures with one valid");
    let (s, v) = post(http, &url, &[], &event).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("missing_headers"))
    );
    id
}

async fn run(lang: Lang) {
    if let Some(why) = lang.missing() {
        return unavailable(lang.name(), &why);
    }
    let signer = match Signer::find() {
        Ok(s) => s,
        Err(why) => return unavailable(lang.name(), &why),
    };
    let up = Up::start();
    let secrets = signer.secrets(2);
    let started = Instant::now();
    let ex = Example::start(lang, &up, &secrets[0], true);
    eprintln!(
        "{} example ready in {} ms",
        lang.name(),
        started.elapsed().as_millis()
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let tokens = check_verification(&up, &ex, &http).await;
    let busi_seq = check_registration(&up, &ex, &http).await;
    let id = check_webhooks(&signer, &secrets, &ex, &http, &busi_seq).await;
    let out = ex.output();
    drop(ex);
    let line = format!("webhook {id}: registration.registered busiSeq={busi_seq} state=registered");
    assert!(out.contains(&line), "the log lacks {line:?}:\n{out}");
    assert!(
        out.contains("120020"),
        "the gateway's refusal is not logged:\n{out}"
    );
    let key = up.file("gateway-api-key");
    let never = [
        key.as_str(),
        secrets[0].as_str(),
        PHONE,
        "13900139000",
        CARD,
    ];
    for secret in never
        .iter()
        .copied()
        .chain(tokens.iter().map(String::as_str))
    {
        assert!(!out.contains(secret), "the log shows {secret:?}:\n{out}");
    }
}

#[tokio::test]
async fn java_example() {
    run(Lang::Java).await;
}

#[tokio::test]
async fn node_example() {
    run(Lang::Node).await;
}

#[tokio::test]
async fn python_example() {
    run(Lang::Python).await;
}

#[tokio::test]
async fn go_example() {
    run(Lang::Go).await;
}

#[tokio::test]
async fn php_example() {
    run(Lang::Php).await;
}

/// docs/INTEGRATING.md's first steps as written: `cmcc up`, a backend started where it ran (the
/// API key from `.cmcc/gateway-api-key`), `examples/page-token.sh` standing in for the page.
#[tokio::test]
async fn page_token_script_feeds_a_backend() {
    let missing = Lang::Python.missing().or_else(|| {
        probe("curl", &["--version"])
            .is_none()
            .then(|| "no curl".into())
    });
    if let Some(why) = missing {
        return unavailable("page-token.sh", &why);
    }
    let up = Up::start();
    let ex = Example::start(
        Lang::Python,
        &up,
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        false,
    );
    let http = reqwest::Client::new();
    for (typed, verified, code) in [(PHONE, true, "000"), ("13900139000", false, "001")] {
        let out = Command::new("bash")
            .arg(repo_root().join("examples/page-token.sh"))
            .args([PHONE, typed])
            .env("CMCC_SANDBOX_URL", up.url("sandbox"))
            .env("CMCC_GATEWAY_URL", up.url("gateway"))
            .output()
            .unwrap();
        let body = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (s, v) = post(&http, &format!("{}/api/verify", ex.base), &[], &body).await;
        assert_eq!((s, v), (200, json!({"verified": verified, "code": code})));
    }
    let card = json!({ "msisdn": CARD }).to_string();
    let (s, v) = post(&http, &format!("{}/api/registrations", ex.base), &[], &card).await;
    assert_eq!(s, 200, "the default key file was not used: {v}");
    // A device on another carrier's network gets no token: the script says so and fails.
    let out = Command::new("bash")
        .arg(repo_root().join("examples/page-token.sh"))
        .arg("18612345678")
        .env("CMCC_SANDBOX_URL", up.url("sandbox"))
        .env("CMCC_GATEWAY_URL", up.url("gateway"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("111002"));
}
