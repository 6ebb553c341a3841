//! `cmcc-sandbox`: a local emulator of China Mobile's carrier platforms, so number verification,
//! UAID and IoT real-name registration run end to end without a carrier account or a cellular
//! network.
//!
//! | module | what |
//! |---|---|
//! | [`core`] | what both platforms share: the virtual clock, the journal, fault injection, refusals, routes from endpoint definitions |
//! | [`auth`] | the auth platform of seeds 001/002/004: H5 and mini-program number verification, UAID, the JSSDK |
//! | [`onelink`] | OneLink of seed 000: token, IoT-card real-name registration, the registration page, result push, status |
//! | [`body_limit`] | oversized requests answered in the platform's envelope, `Connection: close` |
//! | [`config`] | the sandbox's TOML configuration |
//! | [`state_file`] | state files of both platforms, written atomically, owner-only |
//! | [`admin_error`] | the admin API's one error type: JSON `{"error"}`, body rejections included |
//! | [`admin`] | `/` (the index) and `/_sandbox/`: journal, virtual clock, faults, reset |
//! | [`console`] | the one console of both platforms at `/_sandbox/` |
//! | [`pages`] | the HTML templates of every page and console (minijinja, embedded, parsed once), the icon |
//!
//! Only the host differs from the real platforms: every endpoint is served at the carrier's path.

pub mod admin;
pub mod admin_error;
pub mod auth;
pub mod body_limit;
pub mod config;
pub mod console;
pub mod core;
pub mod onelink;
pub mod pages;
pub mod state_file;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;

pub use config::SandboxConfig;
pub use core::Core;

/// A running sandbox's state: one [`Core`] and one state per platform.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub core: Core,
    pub auth: Arc<auth::AuthState>,
    pub onelink: Arc<onelink::OneLinkState>,
    /// Background tasks, stopped by [`Sandbox::stop_background`].
    tasks: Arc<parking_lot::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// The other parts of the system the pages link to ([`Sandbox::set_links`]).
    links: Arc<parking_lot::RwLock<Vec<pages::Link>>>,
}

impl Sandbox {
    /// Build the sandbox from its configuration. `base_url` is the address the sandbox is reachable
    /// at (used in links it hands out, e.g. registration page URLs and JSSDK endpoints).
    pub fn new(config: &SandboxConfig, base_url: &str) -> anyhow::Result<Self> {
        let core = Core::new(base_url);
        let auth = Arc::new(auth::AuthState::new(&core, &config.auth)?);
        let onelink = Arc::new(onelink::OneLinkState::new(&core, &config.onelink)?);
        Ok(Self {
            core,
            auth,
            onelink,
            tasks: Arc::default(),
            links: Arc::default(),
        })
    }

    /// Link the pages to the other parts of the system (e.g. `cmcc up`'s demo site and gateway):
    /// shown in every page's header and on the index at `/`.
    pub fn set_links(&self, links: Vec<pages::Link>) {
        *self.links.write() = links;
    }

    /// The links set by [`Sandbox::set_links`].
    pub fn links(&self) -> Vec<pages::Link> {
        self.links.read().clone()
    }

    /// Every route of both platforms, their admin APIs and pages.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(auth::router(self.core.clone(), self.auth.clone()))
            .merge(onelink::router(self.core.clone(), self.onelink.clone()))
            .merge(admin::routes(self.clone()))
            .layer(axum::middleware::from_fn(body_limit::limit))
    }

    /// Everything an integrator needs to call this sandbox (demo apps, enterprises, keys, URLs),
    /// as printed by `cmcc sandbox` on start and written to its credentials file.
    pub fn describe(&self) -> String {
        let mut out = format!("cmcc sandbox at {}\n", self.core.base_url);
        out.push_str(&self.auth.describe(&self.core));
        out.push_str(&self.onelink.describe(&self.core));
        out
    }

    /// Start the background work (the push dispatcher, the OneLink state saver). Call once,
    /// inside a Tokio runtime.
    pub fn start_background(&self) {
        let tasks = onelink::start_background(self.core.clone(), self.onelink.clone());
        self.tasks.lock().extend(tasks);
    }

    /// Stop every background task (deliveries in flight included) and write the state files
    /// one last time.
    pub fn stop_background(&self) {
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
        self.onelink.save_now();
    }
}

/// A sandbox serving on a local port, for tests and `cmcc up`.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    pub sandbox: Sandbox,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Bind `addr` (port 0 picks a free port), build the sandbox for that address and serve it.
    pub async fn start(config: &SandboxConfig, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let sandbox = Sandbox::new(config, &base_url)?;
        sandbox.start_background();
        let app = sandbox
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Self {
            addr,
            base_url,
            sandbox,
            task,
        })
    }

    /// Stop serving, stop the background tasks and write the state files.
    pub fn stop(self) {
        self.task.abort();
        self.sandbox.stop_background();
    }
}
