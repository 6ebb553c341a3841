//! Shared set-up: options, the bench tenant's keys, and the sandbox and gateway processes
//! configured so that no limit or cap binds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use cmcc_proto::{PrivateKey, PublicKey};

use crate::procs::{free_port, Server};

#[derive(Debug, Clone)]
pub(crate) struct Opts {
    pub quick: bool,
    pub cmcc: PathBuf,
    pub out: PathBuf,
}

impl Opts {
    /// A `cmcc` subcommand, with logs at `info` as a production server would run.
    pub(crate) fn cmcc(&self, args: &[&str]) -> anyhow::Result<tokio::process::Command> {
        anyhow::ensure!(
            self.cmcc.exists(),
            "{} not found (build it: cargo build --profile bench -p cmcc)",
            self.cmcc.display()
        );
        let mut c = tokio::process::Command::new(&self.cmcc);
        c.args(args).env("RUST_LOG", "info");
        // Only the benchmark's own configuration: no CMCC_* setting of the caller's shell
        // (a gateway key, a data folder, a log format) may change what is measured.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CMCC_") {
                c.env_remove(k);
            }
        }
        Ok(c)
    }

    /// A scratch folder for one benchmark, under the results folder (logs kept for reading).
    pub(crate) fn scratch(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = self.out.join("run").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(std::path::absolute(dir)?)
    }
}

pub(crate) const APP_ID: &str = "300011800042";
pub(crate) const APP_KEY: &str = "0F1E2D3C4B5A69788796A5B4C3D2E1F0";
pub(crate) const ENTERPRISE: &str = "100059999270000006";
pub(crate) const ENTERPRISE_PW: &str = "onelink-sandbox-pass";
pub(crate) const CARDS: u32 = 100_000;

/// The bench app's two key pairs: the customer's (gateway signs) and the platform's (sandbox
/// decrypts `phoneNum`).
#[derive(Debug)]
pub(crate) struct Keys {
    pub customer: PrivateKey,
    pub platform: PrivateKey,
}

impl Keys {
    pub(crate) fn generate() -> anyhow::Result<Self> {
        Ok(Self {
            customer: PrivateKey::generate(1024)?,
            platform: PrivateKey::generate(1024)?,
        })
    }

    pub(crate) fn platform_public(&self) -> anyhow::Result<PublicKey> {
        Ok(self.platform.public_key()?)
    }
}

/// The sandbox: the bench app with caps, rate limits and token lifetime out of the way, and
/// the demo enterprise with 100,000 generated cards.
pub(crate) fn sandbox_toml(keys: &Keys) -> anyhow::Result<String> {
    Ok(format!(
        r#"[auth]
timestamp_tolerance_secs = 3600

[[auth.apps]]
app_id = "{APP_ID}"
app_key = "{APP_KEY}"
name = "bench"
customer_public_key = "{}"
platform_private_key = "{}"
daily_cap = 4294967295
rate_limit_per_minute = 4294967295
verify_token_ttl_secs = 7200
test_mode = true

[onelink]
demo_generate_cards = {CARDS}
"#,
        keys.customer.public_key()?.to_base64()?,
        keys.platform.to_base64()?,
    ))
}

/// The gateway wired to `sandbox_url`, with limits that do not bind; `extra` is appended
/// (a variant's own settings).
pub(crate) fn gateway_toml(
    keys: &Keys,
    port: u16,
    database_url: &str,
    sandbox_url: &str,
    extra: &str,
) -> anyhow::Result<String> {
    Ok(format!(
        r#"listen = "127.0.0.1:{port}"
database_url = "{database_url}"
api_keys = ["bench-api-key-0001"]
{extra}

[limits]
daily_cap_per_number = 1000000000000
per_ip_per_minute = 1000000000000

[passport]
base_url = "{sandbox_url}"
app_id = "{APP_ID}"
app_key = "{APP_KEY}"
private_key = "{}"
platform_public_key = "{}"

[onelink]
base_url = "{sandbox_url}"
appid = "{ENTERPRISE}"
password = "{ENTERPRISE_PW}"
"#,
        keys.customer.to_base64()?,
        keys.platform_public()?.to_base64()?,
    ))
}

pub(crate) async fn start_sandbox(opts: &Opts, dir: &Path, keys: &Keys) -> anyhow::Result<Server> {
    let config = dir.join("sandbox.toml");
    std::fs::write(&config, sandbox_toml(keys)?)?;
    let port = free_port()?;
    let listen = format!("127.0.0.1:{port}");
    let data = dir.join("sandbox-data");
    let cmd = opts.cmcc(&[
        "sandbox",
        "--listen",
        &listen,
        "--config",
        path_str(&config)?,
        "--data-dir",
        path_str(&data)?,
    ])?;
    Server::start(
        "sandbox",
        cmd,
        port,
        "/_sandbox/onelink/ping",
        &dir.join("sandbox.log"),
        Duration::from_secs(60),
    )
    .await
}

pub(crate) async fn start_gateway(
    opts: &Opts,
    dir: &Path,
    keys: &Keys,
    database_url: &str,
    sandbox_url: &str,
    extra: &str,
) -> anyhow::Result<Server> {
    let port = free_port()?;
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        gateway_toml(keys, port, database_url, sandbox_url, extra)?,
    )?;
    let cmd = opts.cmcc(&["gateway", "--config", path_str(&config)?])?;
    Server::start(
        "gateway",
        cmd,
        port,
        "/healthz",
        &dir.join("gateway.log"),
        Duration::from_secs(60),
    )
    .await
}

pub(crate) fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("non-UTF-8 path")
}

/// The sandbox's OneLink token for the demo enterprise (23A01).
pub(crate) async fn onelink_token(sandbox_url: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = http()?
        .post(format!("{sandbox_url}/v5/ec/get/token"))
        .json(&serde_json::json!({"appid": ENTERPRISE, "password": ENTERPRISE_PW, "transid": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    v["result"][0]["token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no token in {v}"))
}

/// An HTTP client for set-up calls and checks; every call has a deadline.
pub(crate) fn http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?)
}
