//! Assembling and running a gateway: state, router, background work, graceful shutdown.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use cmcc_client::{
    OneLinkBase, OneLinkClient, OneLinkConfig, PassportBase, PassportClient, PassportConfig,
};
use cmcc_proto::{PrivateKey, PublicKey, Secret};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

use crate::config::{secret_or_file, Config, ConfigError, OneLinkSection, PassportSection};
use crate::inbox::Inbox;
use crate::routes;
use crate::shared::{Shared, SharedTokenStore};
use crate::store::Store;

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
    pub passport: Option<PassportClient>,
    pub onelink: Option<Arc<OneLinkClient>>,
    pub metrics: Option<PrometheusHandle>,
    pub http: reqwest::Client,
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
    /// start the push writer.
    pub async fn build(cfg: Config) -> Result<(Self, tokio::task::JoinHandle<()>), StartError> {
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
        let (inbox, inbox_task) = Inbox::start(store.clone(), cfg.forward_url.is_some());
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
                passport,
                onelink,
                metrics: metrics_handle(),
                http,
            })),
            inbox_task,
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

async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("cmcc_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("cmcc_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    resp
}

/// Every route of the gateway.
pub fn router(state: AppState) -> Router {
    let cfg = &state.cfg;
    let browser = routes::browser::router(&state);
    let server = routes::server::router(&state);
    Router::new()
        .merge(browser)
        .merge(server)
        .route(&cfg.push_path, post(routes::push::receive_push))
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .route("/openapi.json", get(routes::ops::openapi))
        .layer(middleware::from_fn(track))
        .layer(DefaultBodyLimit::max(cfg.limits.max_body_bytes))
        .with_state(state)
}

/// A gateway serving on a socket, with its background work.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
    inbox_task: tokio::task::JoinHandle<()>,
    state: Option<AppState>,
}

impl Running {
    /// Build the gateway from `cfg` and serve it on `cfg.listen`.
    pub async fn start(cfg: Config) -> Result<Self, StartError> {
        let listen = cfg.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|err| StartError::Bind { addr: listen, err })?;
        Self::serve(cfg, listener).await
    }

    /// Build the gateway from `cfg` and serve it on an already bound listener.
    pub async fn serve(cfg: Config, listener: tokio::net::TcpListener) -> Result<Self, StartError> {
        let addr = listener.local_addr().map_err(|err| StartError::Bind {
            addr: cfg.listen,
            err,
        })?;
        let (state, inbox_task) = AppState::build(cfg).await?;
        let (stop, stopped) = watch::channel(false);
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let mut server_stop = stopped.clone();
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = server_stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "gateway server stopped");
            }
        });
        let background = vec![
            tokio::spawn(crate::background::reconcile_loop(
                state.clone(),
                stopped.clone(),
            )),
            tokio::spawn(crate::background::outbox_loop(state.clone(), stopped)),
        ];
        tracing::info!(%addr, store = state.store.backend(), shared = state.shared.backend(), "gateway listening");
        Ok(Self {
            addr,
            base_url: format!("http://{addr}"),
            stop,
            server,
            background,
            inbox_task,
            state: Some(state),
        })
    }

    /// The running gateway's state (for tests and the embedding process).
    pub fn state(&self) -> Option<&AppState> {
        self.state.as_ref()
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish (a push being written is
    /// answered after its commit), stop background work, flush the push writer, close storage.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.server).await;
        for t in self.background.drain(..) {
            let _ = t.await;
        }
        let store = self.state.as_ref().map(|s| s.store.clone());
        self.state = None;
        // Every handle is dropped by now unless the embedding process kept a state clone; do not
        // hang on it. Pushes still queued were not acknowledged, so the platform resends them.
        if tokio::time::timeout(Duration::from_secs(10), &mut self.inbox_task)
            .await
            .is_err()
        {
            tracing::warn!("push writer still has handles after 10 s; stopping without it");
        }
        if let Some(store) = store {
            store.close().await;
        }
        tracing::info!("gateway stopped");
    }
}
