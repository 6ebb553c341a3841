//! A gateway serving on a socket with its background work, and its graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::{AppState, StartError};
use crate::config::Config;
use crate::router::router;

/// A gateway serving on a socket, with its background work.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
    writers: Vec<tokio::task::JoinHandle<()>>,
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
        let (state, writers) = AppState::build(cfg).await?;
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
            tokio::spawn(crate::confirm::confirm_loop(state.clone(), stopped.clone())),
            tokio::spawn(crate::webhook::delivery_loop(state.clone(), stopped)),
        ];
        tracing::info!(%addr, store = state.store.backend(), shared = state.shared.backend(), "gateway listening");
        Ok(Self {
            addr,
            base_url: format!("http://{addr}"),
            stop,
            server,
            background,
            writers,
            state: Some(state),
        })
    }

    /// The running gateway's state (for tests and the embedding process).
    pub fn state(&self) -> Option<&AppState> {
        self.state.as_ref()
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish (a push being written is
    /// answered after its commit), stop background work, flush the writers (pushes, audits), close storage.
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
        for w in &mut self.writers {
            if tokio::time::timeout(Duration::from_secs(10), w)
                .await
                .is_err()
            {
                tracing::warn!("a writer still has handles after 10 s; stopping without it");
            }
        }
        if let Some(store) = store {
            store.close().await;
        }
        tracing::info!("gateway stopped");
    }
}
