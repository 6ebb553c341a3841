//! The auth platform (seeds 001, 002, 004): H5 and mini-program number verification, UAID, and
//! the JSSDK, at the carrier's paths.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | `[auth]` of the configuration, run-time settings |
//! | [`reject`] | code texts, the body checks (130032, 130010) |
//! | [`extract`] | the router state [`Service`] with `serve` (fault, body, journal: every endpoint answers through it), request metadata, the msgId/appId echo |
//! | [`checks`] | checks several endpoints make: the app, the getToken rate, signature failures |
//! | [`describe`] | the credentials printer |
//! | [`tenant`] | apps (appId, keys, entitlements, allow-lists, validity, caps, lifetimes) |
//! | [`network`] | the virtual cellular network: devices, number segments, magic numbers |
//! | [`counters`] | usage count, daily cap and rate, checked and counted atomically |
//! | [`tokens`] | compact single-use tokens with lifetimes, swept when expired |
//! | [`referer`] | referer/origin rules of seed 004 §2.3 |
//! | [`get_token`] | H5 image and getToken, mini-program getTokenInfo, UAID getMobile |
//! | [`images`] | the H5 JSSDK's getMobile.htm image requests, waiting for their getToken |
//! | [`verify_vm_mobile`] | verifyVmMobileApi: 000/001 and its error codes |
//! | [`imei_token_validate`] | imeiTokenValidate: the UAID |
//! | [`jssdk`] | the JS files, getConnection, CORS |
//! | [`admin`] | `/_sandbox/` admin API and console pages |
//! | [`persist`] | the optional state file |

pub mod admin;
pub mod checks;
pub mod config;
pub mod counters;
pub mod describe;
pub mod extract;
pub mod get_token;
pub mod images;
pub mod imei_token_validate;
pub mod jssdk;
pub mod network;
pub mod persist;
pub mod referer;
pub mod reject;
pub mod tenant;
pub mod tokens;
pub mod verify_vm_mobile;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::Timestamp17;
use parking_lot::{Mutex, RwLock};

pub use config::{AuthConfig, Settings};
pub use extract::{Echo, Meta, Served, Service};
pub use reject::{desc, Refusal};
use reject::{parse_object, require, typed, typed_owned};

use crate::core::Core;
use network::DeviceProfile;
use tenant::{App, AppConfig};
use tokens::TokenStore;

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
    /// The auth platform's state from its configuration and, when it has one, its state file.
    ///
    /// # Errors
    ///
    /// When the state file cannot be read or parsed, or an app cannot be built (see
    /// [`App::build`](tenant::App::build)).
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
    ///
    /// # Errors
    ///
    /// As [`AuthState::new`]: the state file or an app of the configuration is unusable.
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
    ///
    /// # Errors
    ///
    /// As [`App::build`](tenant::App::build); nothing changes then.
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

    /// Check a 17-digit timestamp against platform time (105112).
    fn check_timestamp(&self, ts: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        let t = Timestamp17::parse(ts.trim()).map_err(|e| {
            Refusal::new("105112", format!("timestamp {e}"))
                .detail(serde_json::json!({"timestamp": ts.chars().take(40).collect::<String>()}))
        })?;
        let skew = (now - t.instant()).num_seconds().unsigned_abs();
        let tol = self.settings().timestamp_tolerance_secs;
        if skew > tol {
            return Err(Refusal::new(
                "105112",
                format!("timestamp is {skew} s away from platform time (tolerance {tol} s); timestamps are China time (UTC+8)"),
            )
            .detail(serde_json::json!({"timestamp": ts, "platform_time": Timestamp17::from_utc(now).to_string()})));
        }
        Ok(())
    }
}

/// Every auth route: endpoints at the carrier's paths, the JSSDK, the admin API and pages.
pub fn router(core: Core, state: Arc<AuthState>) -> Router {
    let ctx = Service { core, state };
    Router::new()
        .merge(get_token::routes())
        .merge(jssdk::routes())
        .layer(jssdk::cors())
        .merge(verify_vm_mobile::routes())
        .merge(imei_token_validate::routes())
        .merge(admin::routes())
        .with_state(ctx)
}
