//! The auth platform (seeds 001, 002, 004): H5 and mini-program number verification, UAID, and
//! the JSSDK, at the carrier's paths.
//!
//! | module | what |
//! |---|---|
//! | [`tenant`] | apps (appId, keys, entitlements, allow-lists, validity, caps, lifetimes) |
//! | [`network`] | the virtual cellular network: devices, number segments, magic numbers |
//! | [`counters`] | usage count, daily cap and rate, checked and counted atomically |
//! | [`tokens`] | compact single-use tokens with lifetimes, swept when expired |
//! | [`referer`] | referer/origin rules of seed 004 §2.3 |
//! | [`get_token`] | H5 getToken, mini-program getTokenInfo, UAID getMobile |
//! | [`images`] | the H5 JSSDK's getMobile.htm image requests, waiting for their getToken |
//! | [`verify_vm_mobile`] | verifyVmMobileApi: 000/001 and its error codes |
//! | [`imei_token_validate`] | imeiTokenValidate: the UAID |
//! | [`jssdk`] | the JS files, getConnection, CORS |
//! | [`admin`] | `/_sandbox/` admin API and console pages |
//! | [`persist`] | the optional state file |

pub mod admin;
pub mod counters;
pub mod get_token;
pub mod images;
pub mod imei_token_validate;
pub mod jssdk;
pub mod network;
pub mod persist;
pub mod referer;
pub mod tenant;
pub mod tokens;
pub mod verify_vm_mobile;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::codes::Code;
use cmcc_proto::{Platform, Timestamp17};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::core::Core;
use network::DeviceProfile;
use tenant::{App, AppConfig};
use tokens::TokenStore;

fn yes() -> bool {
    true
}
fn ten_minutes() -> u64 {
    600
}

/// `[auth]` of the sandbox configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Reject bad signatures (103101, 130018). `false`: log-only — the journal records the
    /// failure and the request goes on.
    #[serde(default = "yes")]
    pub strict_signatures: bool,
    /// How far a request `timestamp` may be from platform time (105112).
    #[serde(default = "ten_minutes")]
    pub timestamp_tolerance_secs: u64,
    /// Create the demo app when no app is configured.
    #[serde(default = "yes")]
    pub demo_app: bool,
    /// Keep apps and devices in this file (written atomically after every change).
    pub state_file: Option<PathBuf>,
    pub apps: Vec<AppConfig>,
    /// Device profiles for the device page; the defaults when empty.
    pub devices: Vec<DeviceProfile>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            strict_signatures: true,
            timestamp_tolerance_secs: ten_minutes(),
            demo_app: true,
            state_file: None,
            apps: Vec::new(),
            devices: Vec::new(),
        }
    }
}

/// Settings that can change at run time (admin API).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Settings {
    pub strict_signatures: bool,
    pub timestamp_tolerance_secs: u64,
}

#[derive(Debug, Default)]
struct Apps {
    by_id: BTreeMap<String, Arc<App>>,
}

/// The auth platform's state.
#[derive(Debug)]
pub struct AuthState {
    initial: AuthConfig,
    base_url: String,
    settings: RwLock<Settings>,
    apps: RwLock<Apps>,
    devices: RwLock<Vec<DeviceProfile>>,
    pub tokens: TokenStore,
    pub images: images::Images,
    pub(crate) counters: counters::Counters,
    next_idx: AtomicU32,
    task_seq: AtomicU64,
    /// Serialises state-file writes.
    persist_lock: Mutex<()>,
}

impl AuthState {
    pub fn new(core: &Core, config: &AuthConfig) -> anyhow::Result<Self> {
        let state = Self {
            initial: config.clone(),
            base_url: core.base_url.to_string(),
            settings: RwLock::new(Settings {
                strict_signatures: config.strict_signatures,
                timestamp_tolerance_secs: config.timestamp_tolerance_secs,
            }),
            apps: RwLock::default(),
            devices: RwLock::default(),
            tokens: TokenStore::default(),
            images: images::Images::default(),
            counters: counters::Counters::default(),
            next_idx: AtomicU32::new(0),
            task_seq: AtomicU64::new(1),
            persist_lock: Mutex::new(()),
        };
        state.load_initial()?;
        Ok(state)
    }

    fn load_initial(&self) -> anyhow::Result<()> {
        let config = &self.initial;
        let mut apps = config.apps.clone();
        let mut devices = if config.devices.is_empty() {
            network::default_devices()
        } else {
            config.devices.clone()
        };
        if let Some(saved) = config.state_file.as_deref().and_then(persist::load) {
            let saved = saved?;
            for a in saved.apps {
                apps.retain(|x| x.app_id != a.app_id);
                apps.push(a);
            }
            if !saved.devices.is_empty() {
                devices = saved.devices;
            }
        }
        if apps.is_empty() && config.demo_app {
            apps.push(tenant::demo_app(&self.base_url));
        }
        // A saved demo app keeps working when the sandbox moves to another address.
        let fresh_demo = tenant::demo_app(&self.base_url);
        for a in apps.iter_mut().filter(|a| a.app_id == tenant::DEMO_APP_ID) {
            for r in &fresh_demo.referers {
                if !a.referers.contains(r) {
                    a.referers.push(r.clone());
                }
            }
            for o in &fresh_demo.origins {
                if !a.origins.contains(o) {
                    a.origins.push(o.clone());
                }
            }
        }
        let mut built = Apps::default();
        for cfg in apps {
            let app = App::build(self.next_idx.fetch_add(1, Ordering::Relaxed), cfg)?;
            built.by_id.insert(app.cfg.app_id.clone(), Arc::new(app));
        }
        *self.apps.write() = built;
        *self.devices.write() = devices;
        self.persist();
        Ok(())
    }

    /// Back to the configuration (and state file) the sandbox started with; tokens and
    /// counters are dropped.
    pub fn reset(&self) -> anyhow::Result<()> {
        self.tokens.clear();
        self.images.clear();
        self.counters.clear();
        *self.settings.write() = Settings {
            strict_signatures: self.initial.strict_signatures,
            timestamp_tolerance_secs: self.initial.timestamp_tolerance_secs,
        };
        self.load_initial()
    }

    pub fn settings(&self) -> Settings {
        *self.settings.read()
    }

    pub fn set_settings(&self, s: Settings) {
        *self.settings.write() = s;
    }

    pub fn app(&self, app_id: &str) -> Option<Arc<App>> {
        self.apps.read().by_id.get(app_id.trim()).cloned()
    }

    pub fn apps(&self) -> Vec<Arc<App>> {
        self.apps.read().by_id.values().cloned().collect()
    }

    /// Add or replace an app (admin API). Returns the app as built (with its platform key).
    pub fn upsert_app(&self, cfg: AppConfig) -> anyhow::Result<Arc<App>> {
        let app = Arc::new(App::build(
            self.next_idx.fetch_add(1, Ordering::Relaxed),
            cfg,
        )?);
        self.apps
            .write()
            .by_id
            .insert(app.cfg.app_id.clone(), app.clone());
        self.counters.reset_usage(&app.cfg.app_id);
        self.persist();
        Ok(app)
    }

    pub fn remove_app(&self, app_id: &str) -> bool {
        let removed = self.apps.write().by_id.remove(app_id).is_some();
        if removed {
            self.persist();
        }
        removed
    }

    pub fn devices(&self) -> Vec<DeviceProfile> {
        self.devices.read().clone()
    }

    pub fn upsert_device(&self, d: DeviceProfile) {
        {
            let mut g = self.devices.write();
            g.retain(|x| x.id != d.id);
            g.push(d);
        }
        self.persist();
    }

    pub fn remove_device(&self, id: &str) -> bool {
        let removed = {
            let mut g = self.devices.write();
            let before = g.len();
            g.retain(|x| x.id != id);
            before != g.len()
        };
        if removed {
            self.persist();
        }
        removed
    }

    /// Billable verifications used so far.
    pub fn usage(&self, app_id: &str) -> u64 {
        self.counters.usage(app_id)
    }

    fn persist(&self) {
        let Some(path) = self.initial.state_file.as_deref() else {
            return;
        };
        let _g = self.persist_lock.lock();
        let snapshot = persist::Snapshot {
            apps: self.apps().iter().map(|a| a.cfg.clone()).collect(),
            devices: self.devices(),
        };
        if let Err(e) = persist::save(path, &snapshot) {
            tracing::warn!(path = %path.display(), error = %e, "could not write the sandbox state file");
        }
    }

    /// One more getToken for this app in the current minute; false when over the limit.
    fn rate_ok(&self, app: &App, now: DateTime<Utc>) -> bool {
        self.counters
            .rate_ok(&app.cfg.app_id, app.cfg.rate_limit_per_minute, now)
    }

    fn task_id(&self, now: DateTime<Utc>) -> String {
        format!(
            "SBX{}{:08}",
            Timestamp17::from_utc(now),
            self.task_seq.fetch_add(1, Ordering::Relaxed) % 100_000_000
        )
    }

    /// The apps and how to call them (part of [`crate::Sandbox::describe`]).
    pub fn describe(&self, core: &Core) -> String {
        use std::fmt::Write as _;
        let base = &core.base_url;
        let mut out = String::from("\n== auth platform (number verification, UAID) ==\n");
        let _ = writeln!(out, "console:          {base}/_sandbox/auth/");
        let _ = writeln!(
            out,
            "H5 JSSDK:         {base}{}",
            cmcc_proto::wire::passport::H5_JSSDK_PATH
        );
        let _ = writeln!(
            out,
            "mini JSSDK:       {base}{}",
            cmcc_proto::wire::passport::MINI_JSSDK_PATH
        );
        for (what, path) in [
            (
                "H5 getToken:      ",
                cmcc_proto::wire::passport::H5_GET_TOKEN_PATH,
            ),
            (
                "mini getTokenInfo:",
                cmcc_proto::wire::passport::MINI_GET_TOKEN_INFO_PATH,
            ),
            (
                "UAID getMobile:   ",
                cmcc_proto::wire::passport::UAID_GET_MOBILE_PATH,
            ),
        ] {
            let _ = writeln!(out, "{what}{base}{path}");
        }
        let _ = writeln!(
            out,
            "verify:           {base}{}",
            cmcc_proto::wire::passport::VERIFY_VM_MOBILE_PATH
        );
        let _ = writeln!(
            out,
            "UAID validate:    {base}{}",
            cmcc_proto::wire::passport::IMEI_TOKEN_VALIDATE_PATH
        );
        let _ = writeln!(
            out,
            "device header:    {}: 13800138000 (or '13800138000; wifi')",
            network::DEVICE_HEADER
        );
        let _ = writeln!(
            out,
            "test mode:        expandParams phoneNum=<number>; outcomes by number: crates/sandbox/MAGIC.md"
        );
        for app in self.apps() {
            let c = &app.cfg;
            let _ = writeln!(
                out,
                "\napp {} {}",
                c.app_id,
                if c.name.is_empty() { "" } else { &c.name }
            );
            let _ = writeln!(out, "  appId:                {}", c.app_id);
            let _ = writeln!(out, "  appKey:               {}", c.app_key);
            let _ = writeln!(out, "  platform public key:  {}", app.platform_public_b64);
            if !c.customer_public_key.is_empty() {
                let _ = writeln!(out, "  customer public key:  {}", c.customer_public_key);
            }
            if !c.customer_private_key.is_empty() {
                let _ = writeln!(
                    out,
                    "  customer private key: {} (demo only)",
                    c.customer_private_key
                );
            }
            let _ = writeln!(
                out,
                "  entitlements: {:?}; test mode: {}; referers: {:?}; origins: {:?}",
                c.entitlements, c.test_mode, c.referers, c.origins
            );
        }
        out
    }

    /// Check a 17-digit timestamp against platform time (105112).
    fn check_timestamp(&self, ts: &str, now: DateTime<Utc>) -> Result<(), Reject> {
        let t = Timestamp17::parse(ts.trim()).map_err(|e| {
            Reject::new("105112", format!("timestamp {e}"))
                .detail(serde_json::json!({"timestamp": ts.chars().take(40).collect::<String>()}))
        })?;
        let skew = (now - t.instant()).num_seconds().unsigned_abs();
        let tol = self.settings().timestamp_tolerance_secs;
        if skew > tol {
            return Err(Reject::new(
                "105112",
                format!("timestamp is {skew} s away from platform time (tolerance {tol} s); timestamps are China time (UTC+8)"),
            )
            .detail(serde_json::json!({"timestamp": ts, "platform_time": Timestamp17::from_utc(now).to_string()})));
        }
        Ok(())
    }
}

/// A rejected request: the code answered and why (for the journal).
#[derive(Debug, Clone)]
pub struct Reject {
    pub code: String,
    pub desc: Option<&'static str>,
    pub reason: String,
    pub detail: serde_json::Value,
}

impl Reject {
    pub fn new(code: &str, reason: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            desc: None,
            reason: reason.into(),
            detail: serde_json::Value::Null,
        }
    }
    #[must_use]
    pub fn desc(mut self, d: &'static str) -> Self {
        self.desc = Some(d);
        self
    }
    #[must_use]
    pub fn detail(mut self, v: serde_json::Value) -> Self {
        self.detail = v;
        self
    }
    pub fn text(&self) -> String {
        self.desc.map_or_else(|| desc(&self.code), str::to_owned)
    }
}

/// The carrier's Chinese text of a code.
pub fn desc(code: &str) -> String {
    Code::from(code)
        .info(Platform::Passport)
        .map_or_else(|| "系统异常".to_owned(), |i| i.zh.to_owned())
}

/// Router state.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub core: Core,
    pub state: Arc<AuthState>,
}

impl Ctx {
    /// Apply a queued fault: wait, and return the code to answer if one is set.
    async fn fault(&self, endpoint: &str) -> Option<Reject> {
        let f = self.core.faults.take(endpoint)?;
        if !f.delay.is_zero() {
            tokio::time::sleep(f.delay).await;
        }
        f.code
            .map(|c| Reject::new(&c, "injected fault (admin API /_sandbox/faults)"))
    }

    fn journal(&self, path: &str, code: &str, reason: &str, detail: serde_json::Value) -> u64 {
        if !reason.is_empty() {
            tracing::info!(path, code, reason, "auth request rejected");
        }
        self.core
            .journal
            .record(self.core.clock.now(), "auth", path, code, reason, detail)
    }
}

/// What every handler needs from the request besides its body.
#[derive(Debug, Clone)]
pub struct Meta {
    pub headers: HeaderMap,
    pub ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            headers: parts.headers.clone(),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        })
    }
}

/// Parse a JSON object body (130032 otherwise).
fn parse_object(body: &[u8]) -> Result<serde_json::Value, Reject> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(Reject::new("130032", "the body is JSON but not an object")),
        Err(e) => Err(Reject::new(
            "130032",
            format!("the body is not standard JSON: {e}"),
        )),
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, Reject> {
    typed_owned(v.clone())
}

fn typed_owned<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Reject> {
    serde_json::from_value(v)
        .map_err(|e| Reject::new("130032", format!("a field has the wrong type: {e}")))
}

/// Names of required fields that are empty.
fn empty_fields(fields: &[(&'static str, &str)]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(n, _)| *n)
        .collect()
}

fn require(fields: &[(&'static str, &str)]) -> Result<(), Reject> {
    let empty = empty_fields(fields);
    if empty.is_empty() {
        Ok(())
    } else {
        Err(
            Reject::new("130010", format!("empty: {}", empty.join(", ")))
                .desc(empty_desc(empty[0]))
                .detail(serde_json::json!({ "empty": empty })),
        )
    }
}

/// `参数为空-xxx is empty` texts of seed 002 for the fields it names.
fn empty_desc(field: &str) -> &'static str {
    match field {
        "appId" => "参数为空-appId is empty",
        "msgId" => "参数为空-msgId is empty",
        "timestamp" => "参数为空-timestamp is empty",
        _ => "参数为空",
    }
}

/// What an answer echoes of its request, read leniently (a missing or non-string field is
/// empty; seed 004's keys with a trailing space are read too), so a rejected request still gets
/// its msgId and appId back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Echo {
    #[serde(rename = "msgId", alias = "msgId ", deserialize_with = "any_str")]
    pub msg_id: String,
    #[serde(rename = "appId", alias = "appId ", deserialize_with = "any_str")]
    pub app_id: String,
    #[serde(alias = "version ", deserialize_with = "any_str")]
    pub version: String,
}

impl Echo {
    /// The echo of a flat request (the getToken family).
    pub fn flat(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The echo of a `{header, body}` request (verification, UAID validation).
    pub fn header(body: &[u8]) -> Self {
        #[derive(Default, Deserialize)]
        #[serde(default)]
        struct Enveloped {
            #[serde(alias = "header ")]
            header: Echo,
        }
        serde_json::from_slice::<Enveloped>(body)
            .unwrap_or_default()
            .header
    }
}

/// A string, or empty for anything else.
fn any_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        _ => String::new(),
    })
}

/// Every auth route: endpoints at the carrier's paths, the JSSDK, the admin API and pages.
pub fn router(core: Core, state: Arc<AuthState>) -> Router {
    let ctx = Ctx { core, state };
    Router::new()
        .merge(get_token::routes())
        .merge(jssdk::routes())
        .layer(jssdk::cors())
        .merge(verify_vm_mobile::routes())
        .merge(imei_token_validate::routes())
        .merge(admin::routes())
        .with_state(ctx)
}
