//! What `cmcc up` sets up between the sandbox and the gateway, so that nothing needs
//! configuring: the demo site's origin registered with the demo app (referer/origin allow-list)
//! and the gateway (CORS), the demo app's keys handed to the gateway, the gateway's push URL as
//! the demo enterprise's callback, and an API key for the server-facing routes (kept in the data
//! folder, so it survives restarts).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use cmcc_gateway::config::{OneLinkSection, PassportSection};
use cmcc_proto::Secret;
use cmcc_sandbox::auth::tenant::{DEMO_APP_ID, DEMO_APP_KEY};
use cmcc_sandbox::onelink::config::{DEMO_APPID, DEMO_PASSWORD};

use super::Options;

/// Cards generated for the demo enterprise besides the magic ones (serials 1000…).
pub(crate) const GENERATED_CARDS: u32 = 20;
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
/// Everyone using a local demo comes from 127.0.0.1: the production default (60 calls per
/// minute per IP) would throttle a few people clicking around, or the browser tests.
const DEMO_PER_IP_PER_MINUTE: u64 = 1200;

/// What the gateway needs to talk to the sandbox as the demo tenant.
#[derive(Debug, Clone)]
pub(crate) struct Wired {
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
pub(crate) fn wire(
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
pub(crate) fn gateway_config(
    w: &Wired,
    sandbox_url: &str,
    opts: &Options,
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

/// The demo enterprise pushes registration results to the gateway.
pub(crate) fn set_callback(sandbox: &cmcc_sandbox::Running, push_url: &str) -> anyhow::Result<()> {
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
pub(crate) fn describe(urls: &super::Urls, w: &Wired, sandbox: &cmcc_sandbox::Running) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "cmcc up: sandbox + gateway + demo site\n");
    let _ = writeln!(out, "  demo site:        {}", urls.demo);
    let _ = writeln!(out, "  sandbox console:  {}", urls.console);
    let _ = writeln!(
        out,
        "  gateway:          {}  (API: {}/openapi.json)",
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
