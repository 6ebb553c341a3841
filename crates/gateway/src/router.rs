//! Every route of the gateway, and what answers when none matches: the API's one JSON error
//! shape for unknown paths (404) and wrong methods (405) too.

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes;

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
        .route("/", get(routes::index::index))
        .route("/favicon.ico", get(routes::index::favicon))
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .route("/openapi.json", get(routes::ops::openapi))
        .fallback(not_found)
        .layer(middleware::from_fn(json_405))
        .layer(middleware::from_fn(track))
        .layer(DefaultBodyLimit::max(cfg.limits.max_body_bytes))
        .with_state(state)
}

async fn not_found(req: Request) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {}", req.uri().path()),
    )
    .with_hint("the routes are listed in /openapi.json")
    .into_response()
}

/// axum answers a wrong method with an empty 405; give it the API's error body (keeping its
/// `Allow` header). Done here rather than as a method fallback so CORS preflights still reach
/// the CORS layer.
async fn json_405(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED
        || resp
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return resp;
    }
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {path}"),
    )
    .with_hint("the methods of each route are listed in /openapi.json")
    .into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}
