//! A gateway's state: configuration, storage, shared state, carrier clients, the push writer.
//! Nothing here knows the routes ([`crate::router`]) or the serving ([`crate::running`]).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cmcc_client::{
    OneLinkBase, OneLinkClient, OneLinkConfig, PassportBase, PassportClient, PassportConfig,
};
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use ipnet::IpNet;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::{secret_or_file, Config, ConfigError, OneLinkSection, PassportSection};
use crate::inbox::Inbox;
use crate::shared::{Shared, SharedTokenStore};
use crate::store::{PushPolicy, Store};

/// Why a gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("storage ({url}): {err}")]
    Store {
        url: String,
        err: crate::store::StoreError,
    },
    #[error("shared state (Redis): {0}")]
    Shared(#[from] crate::shared::SharedError),
    #[error("{0}")]
    Client(#[from] cmcc_client::Error),
    #[error("listening on {addr}: {err}")]
    Bind {
        addr: SocketAddr,
        err: std::io::Error,
    },
}

/// What every handler reads. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub cfg: Config,
    pub store: Store,
    pub shared: Shared,
    pub inbox: Inbox,
    /// The audit log's writer.
    pub audits: crate::audit::AuditLog,
    /// Every time the gateway reads (real time unless a test moves it).
    pub clock: crate::clock::Clock,
    pub passport: Option<PassportClient>,
    pub onelink: Option<Arc<OneLinkClient>>,
    pub metrics: Option<PrometheusHandle>,
    pub http: reqwest::Client,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Who may push (empty: anyone who knows `push_path`).
    pub push_allowed: Vec<IpNet>,
    /// The webhook signing key (from `whsec_…`).
    pub webhook_key: Option<Vec<u8>>,
    /// This instance's name on the leases it takes (queues shared by instances).
    pub owner: String,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The process-wide Prometheus recorder (the `metrics` facade has one global recorder; the
/// first gateway in a process installs it, later ones share it).
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed; /metrics will be empty");
                None
            }
        })
        .clone()
}

fn read_key_text(
    inline: &Option<String>,
    file: &Option<std::path::PathBuf>,
    what: &str,
) -> Result<String, ConfigError> {
    let inline = inline.as_ref().map(|s| Secret::new(s.clone()));
    Ok(secret_or_file(&inline, file, what)?.expose().to_owned())
}

/// Build the auth-platform client from its config section.
pub fn passport_client(s: &PassportSection) -> Result<PassportClient, StartError> {
    let base = match s.base_url.as_str() {
        "production" => PassportBase::production(),
        "test" => PassportBase::test_environment(),
        url => PassportBase::single(url),
    };
    let app_key = secret_or_file(&s.app_key, &s.app_key_file, "passport.app_key")?;
    let private = secret_or_file(&s.private_key, &s.private_key_file, "passport.private_key")?;
    let customer_key = PrivateKey::parse(private.expose()).map_err(|e| {
        ConfigError::Invalid(format!(
            "passport.private_key is not an RSA private key: {e}"
        ))
    })?;
    let platform = read_key_text(
        &s.platform_public_key,
        &s.platform_public_key_file,
        "passport.platform_public_key",
    )?;
    let platform_key = PublicKey::parse(&platform).map_err(|e| {
        ConfigError::Invalid(format!(
            "passport.platform_public_key is not an RSA public key: {e}"
        ))
    })?;
    let mut cfg = PassportConfig::new(base, &s.app_id, app_key, customer_key, platform_key);
    cfg.headers = s
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(PassportClient::new(cfg)?)
}

/// Build the OneLink client; its token lives in `shared`, so instances refresh it once.
pub fn onelink_client(s: &OneLinkSection, shared: &Shared) -> Result<OneLinkClient, StartError> {
    let base = match s.base_url.as_str() {
        "production" => OneLinkBase::production(),
        url => OneLinkBase::sandbox(url),
    };
    let password = secret_or_file(&s.password, &s.password_file, "onelink.password")?;
    let cfg = OneLinkConfig::new(base, &s.appid, password);
    Ok(OneLinkClient::new(
        cfg,
        Arc::new(SharedTokenStore::new(shared.clone())),
    )?)
}

impl AppState {
    /// Connect storage (running migrations) and shared state, build the carrier clients and
    /// start the writers (pushes, audits), whose tasks end when the last state handle is dropped.
    pub async fn build(
        cfg: Config,
    ) -> Result<(Self, Vec<tokio::task::JoinHandle<()>>), StartError> {
        cfg.validate()?;
        let store = Store::connect(&cfg.database_url)
            .await
            .map_err(|err| StartError::Store {
                url: redact_url(&cfg.database_url),
                err,
            })?;
        store.migrate().await.map_err(|err| StartError::Store {
            url: redact_url(&cfg.database_url),
            err,
        })?;
        let shared = match &cfg.redis_url {
            Some(url) => Shared::redis(url, &cfg.redis_prefix).await?,
            None => Shared::memory(),
        };
        let passport = cfg.passport.as_ref().map(passport_client).transpose()?;
        let onelink = cfg
            .onelink
            .as_ref()
            .map(|s| onelink_client(s, &shared).map(Arc::new))
            .transpose()?;
        let policy = PushPolicy {
            forward: cfg.forward_url.is_some(),
            confirm: cfg.confirm_pushes,
            adopt: cfg.adopt_unknown_pushes,
        };
        let (inbox, inbox_task) = Inbox::start(store.clone(), policy);
        let (audits, audit_task) = crate::audit::AuditLog::start(store.clone());
        let cidrs = |l: &[String]| crate::net::parse_cidrs(l).map_err(ConfigError::Invalid);
        let trusted_proxies = cidrs(&cfg.trusted_proxies)?;
        let push_allowed = cidrs(&cfg.push_allowed_cidrs)?;
        let webhook_key = cfg.webhook_key()?;
        let owner = crate::store::new_event_id().replacen("msg_", "gw_", 1);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| cmcc_client::Error::Input(format!("HTTP client: {e}")))?;
        Ok((
            Self(Arc::new(Inner {
                cfg,
                store,
                shared,
                inbox,
                audits,
                clock: crate::clock::Clock::default(),
                passport,
                onelink,
                metrics: metrics_handle(),
                http,
                trusted_proxies,
                push_allowed,
                webhook_key,
                owner,
            })),
            vec![inbox_task, audit_task],
        ))
    }

    pub fn passport(&self) -> Result<&PassportClient, crate::error::ApiError> {
        self.passport
            .as_ref()
            .ok_or_else(|| crate::error::ApiError::not_configured("passport"))
    }

    pub fn onelink(&self) -> Result<&Arc<OneLinkClient>, crate::error::ApiError> {
        self.onelink
            .as_ref()
            .ok_or_else(|| crate::error::ApiError::not_configured("onelink"))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
