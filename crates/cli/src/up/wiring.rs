//! What `cmcc up` sets up between the sandbox and the gateway, so that nothing needs
//! configuring: the demo site's origin registered with the demo app (referer/origin allow-list)
//! and the gateway (CORS), the demo app's keys handed to the gateway, the gateway's push URL as
//! the demo enterprise's callback, and an API key for the server-facing routes (kept in the data
//! folder, so it survives restarts).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cmcc_gateway::config::{OneLinkSection, PassportSection, RelatedLink};
use cmcc_proto::Secret;
use cmcc_sandbox::auth::tenant::{DEMO_APP_ID, DEMO_APP_KEY};
use cmcc_sandbox::onelink::config::{DEMO_APPID, DEMO_PASSWORD};
use cmcc_sandbox::pages::Link;

use super::Options;

/// Cards generated for the demo enterprise besides the magic ones (serials 1000…).
pub const GENERATED_CARDS: u32 = 20;
/// The gateway's push receiver, under an unguessable segment (kept in the data folder, so the
/// callback URL survives restarts): the push carries no signature, so its URL is a secret.
fn push_path(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("gateway-push-path");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let p = text.trim();
        if p.starts_with("/onelink/push/") {
            return Ok(p.to_owned());
        }
    }
    let bytes: [u8; 16] = rand::random();
    let p: String = std::iter::once("/onelink/push/".to_owned())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    super::private_file::write_private(&path, &format!("{p}\n"))?;
    Ok(p)
}
/// Where `cmcc up --webhook-url` keeps the webhook signing secret (owner-only; never printed).
pub const WEBHOOK_SECRET_FILE: &str = "webhook-secret";

/// The gateway's signed webhooks, when `--webhook-url` asks for them.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: Secret,
    /// The file holding `secret`, for the receiver (`CMCC_WEBHOOK_SECRET_FILE`).
    pub secret_file: PathBuf,
}

impl Webhook {
    /// Check `url` (an http or https URL) and read the secret from the data folder, or make
    /// one on the first start (`whsec_` and 32 random bytes in base64, as Standard Webhooks
    /// secrets are), so a receiver configured once keeps working across restarts.
    pub fn new(url: &str, data_dir: &Path) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url.trim())
            .with_context(|| format!("--webhook-url {url:?} is not a URL"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some(),
            "--webhook-url must be an http:// or https:// URL of your receiver (got {url:?})"
        );
        let secret_file = data_dir.join(WEBHOOK_SECRET_FILE);
        let kept = std::fs::read_to_string(&secret_file)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| t.starts_with("whsec_"));
        let secret = match kept {
            Some(s) => s,
            None => {
                use base64::Engine as _;
                let bytes: [u8; 32] = rand::random();
                let s = format!(
                    "whsec_{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                );
                super::private_file::write_private(&secret_file, &format!("{s}\n"))?;
                s
            }
        };
        Ok(Self {
            url: parsed.to_string(),
            secret: Secret::new(secret),
            secret_file,
        })
    }
}

/// Everyone using a local demo comes from 127.0.0.1: the production default (60 calls per
/// minute per IP) would throttle a few people clicking around, or the browser tests.
const DEMO_PER_IP_PER_MINUTE: u64 = 1200;

/// What the gateway needs to talk to the sandbox as the demo tenant.
#[derive(Debug, Clone)]
pub struct Wired {
    pub app_id: String,
    app_key: Secret,
    customer_private_key: Secret,
    platform_public_key: String,
    pub api_key: Secret,
    pub origins: Vec<String>,
}

/// `http://127.0.0.1:8701` and `http://localhost:8701`: a page may be opened by either name.
fn origins_of(demo_url: &str) -> Vec<String> {
    let base = demo_url.trim_end_matches('/').to_owned();
    let mut out = vec![base.clone()];
    if let Some(rest) = base.strip_prefix("http://127.0.0.1") {
        out.push(format!("http://localhost{rest}"));
    }
    out
}

/// Register the demo site with the sandbox's demo app and read the app's keys.
pub fn wire(
    sandbox: &cmcc_sandbox::Running,
    demo_url: &str,
    data_dir: &Path,
) -> anyhow::Result<Wired> {
    let auth = &sandbox.sandbox.auth;
    let app = auth
        .app(DEMO_APP_ID)
        .context("the sandbox has no demo app (appId 300011800001)")?;
    let mut cfg = app.cfg.clone();
    let origins = origins_of(demo_url);
    for o in &origins {
        let referer = format!("{o}/");
        if !cfg.referers.contains(&referer) {
            cfg.referers.push(referer);
        }
        if !cfg.origins.contains(o) {
            cfg.origins.push(o.clone());
        }
    }
    let app = auth
        .upsert_app(cfg)
        .context("registering the demo site's origin")?;
    Ok(Wired {
        app_id: app.cfg.app_id.clone(),
        app_key: Secret::new(DEMO_APP_KEY),
        customer_private_key: Secret::new(app.cfg.customer_private_key.clone()),
        platform_public_key: app.platform_public_b64.clone(),
        api_key: api_key(data_dir)?,
        origins,
    })
}

/// The gateway's API key: read from the data folder, or made on the first start.
fn api_key(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("gateway-api-key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let key = text.trim();
        if !key.is_empty() {
            return Ok(Secret::new(key));
        }
    }
    let bytes: [u8; 24] = rand::random();
    let key: String = std::iter::once("cmcc_demo_".to_owned())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    super::private_file::write_private(&path, &format!("{key}\n"))?;
    Ok(Secret::new(key))
}

/// The gateway's configuration: SQLite in the data folder, the sandbox as both carriers.
pub fn gateway_config(
    w: &Wired,
    sandbox_url: &str,
    opts: &Options,
    webhook: Option<&Webhook>,
) -> anyhow::Result<cmcc_gateway::Config> {
    let db = opts.data_dir.join("gateway.db");
    let mut cfg = cmcc_gateway::Config {
        listen: opts.gateway,
        database_url: format!("sqlite:{}", db.display()),
        push_path: push_path(&opts.data_dir)?,
        cors_origins: w.origins.clone(),
        api_keys: vec![w.api_key.clone()],
        ..cmcc_gateway::Config::default()
    };
    cfg.limits.per_ip_per_minute = DEMO_PER_IP_PER_MINUTE;
    if let Some(h) = webhook {
        cfg.forward_url = Some(h.url.clone());
        cfg.webhook_secret = Some(h.secret.clone());
    }
    cfg.passport = Some(PassportSection {
        base_url: sandbox_url.to_owned(),
        app_id: w.app_id.clone(),
        app_key: Some(w.app_key.clone()),
        app_key_file: None,
        private_key: Some(w.customer_private_key.clone()),
        private_key_file: None,
        platform_public_key: Some(w.platform_public_key.clone()),
        platform_public_key_file: None,
        headers: Default::default(),
    });
    cfg.onelink = Some(OneLinkSection {
        base_url: sandbox_url.to_owned(),
        appid: DEMO_APPID.into(),
        password: Some(Secret::new(DEMO_PASSWORD)),
        password_file: None,
    });
    cfg.validate()?;
    Ok(cfg)
}

/// What the gateway's index page links to: the demo site and the sandbox.
pub fn gateway_links(demo_url: &str, sandbox_url: &str) -> Vec<RelatedLink> {
    let link = |label: &str, url: String, note: &str| RelatedLink {
        label: label.into(),
        url,
        note: note.into(),
    };
    vec![
        link(
            "演示 · Demo",
            format!("{demo_url}/"),
            "每个流程一个页面 · a page per flow",
        ),
        link(
            "沙箱控制台 · Sandbox console",
            format!("{sandbox_url}/_sandbox/"),
            "设备、应用、OneLink、故障、日志 · device, apps, OneLink, faults, journal",
        ),
        link("沙箱首页 · Sandbox index", format!("{sandbox_url}/"), ""),
    ]
}

/// What the sandbox's pages link to: the demo site, the gateway and its API document.
pub fn sandbox_links(demo_url: &str, gateway_url: &str) -> Vec<Link> {
    vec![
        Link::new(
            "演示 · Demo",
            format!("{demo_url}/"),
            "每个流程一个页面 · a page per flow",
        ),
        Link::new(
            "网关 · Gateway",
            format!("{gateway_url}/"),
            "业务服务端 · the business server",
        ),
        Link::new(
            "API 文档 · API document",
            format!("{gateway_url}/openapi.json"),
            "网关的 OpenAPI · the gateway's OpenAPI",
        ),
    ]
}

/// The demo enterprise pushes registration results to the gateway.
pub fn set_callback(sandbox: &cmcc_sandbox::Running, push_url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        sandbox
            .sandbox
            .onelink
            .set_callback(DEMO_APPID, Some(push_url)),
        "the sandbox has no demo enterprise"
    );
    Ok(())
}

/// What `cmcc up` prints: where everything is and the demo credentials (published demo values
/// and this data folder's API key: the point of a local demo).
pub fn describe(
    urls: &super::Urls,
    w: &Wired,
    webhook: Option<&Webhook>,
    sandbox: &cmcc_sandbox::Running,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "cmcc up: sandbox + gateway + demo site\n");
    let _ = writeln!(out, "  demo site:        {}", urls.demo);
    let _ = writeln!(out, "  sandbox console:  {}", urls.console);
    let _ = writeln!(out, "  sandbox:          {}/", urls.sandbox);
    let _ = writeln!(
        out,
        "  gateway:          {}/  (API: {}/openapi.json)",
        urls.gateway, urls.gateway
    );
    let _ = writeln!(out, "  push receiver:    {}", urls.push);
    let _ = writeln!(out, "\nGateway");
    let _ = writeln!(
        out,
        "  server API key:   {}  (Authorization: Bearer …)",
        w.api_key.expose()
    );
    let _ = writeln!(out, "  browser origins:  {}", w.origins.join(", "));
    match webhook {
        Some(h) => {
            let _ = writeln!(
                out,
                "  webhooks:         signed (Standard Webhooks) to {}\n                    \
                 secret (whsec_…) in {}: give it to your receiver (CMCC_WEBHOOK_SECRET_FILE)",
                h.url,
                h.secret_file.display()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  webhooks:         off (`cmcc up --webhook-url URL` sends them to your receiver)"
            );
        }
    }
    let _ = writeln!(
        out,
        "  e.g. curl -H 'Authorization: Bearer {}' {}/v1/registrations",
        w.api_key.expose(),
        urls.gateway
    );
    let _ = writeln!(
        out,
        "\nDemo IoT cards: the magic ones below, and {GENERATED_CARDS} unregistered cards \
         1440000001000 … 14400000010{:02} (msisdn)",
        GENERATED_CARDS - 1
    );
    let _ = writeln!(out);
    out.push_str(&sandbox.sandbox.describe());
    out
}
