//! Operations: liveness, readiness, Prometheus metrics, the OpenAPI document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa::OpenApi as _;

use crate::app::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: storage and shared state answer.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = crate::api::ReadyResponse),
              (status = 503, description = "storage or shared state does not answer", body = crate::api::ReadyResponse)))]
pub async fn readyz(State(st): State<AppState>) -> Response {
    let store = st.store.ping().await;
    let shared = st.shared.ping().await;
    let body = json!({
        "store": { "backend": st.store.backend(), "ok": store.is_ok() },
        "shared": { "backend": st.shared.backend(), "ok": shared.is_ok() },
    });
    if let Err(e) = &store {
        tracing::warn!(error = %e, "not ready: storage");
    }
    if let Err(e) = &shared {
        tracing::warn!(error = %e, "not ready: shared state");
    }
    let status = if store.is_ok() && shared.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(st): State<AppState>) -> Response {
    if let Ok(n) = st.store.outbox_pending().await {
        metrics::gauge!("cmcc_outbox_pending").set(n as f64);
    }
    if let Ok(n) = st.store.confirm_open().await {
        metrics::gauge!("cmcc_confirm_pending").set(n as f64);
    }
    let text = st.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// The OpenAPI 3 document of the API (this document).
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub async fn openapi() -> Response {
    axum::Json(crate::openapi::ApiDoc::openapi()).into_response()
}
