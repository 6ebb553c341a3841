//! The demo site: what an integrator's own website would be. Its pages call only the gateway's
//! browser API (cross-origin, through the gateway's CORS list) and the sandbox's JSSDK. The
//! IoT page also needs the server-facing API, which takes an API key that must never reach a
//! page, so the site has a small backend of its own under `/demo-api/` that calls the gateway
//! with the key, as a real integrator's backend would.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cmcc_proto::Secret;

/// The pages, embedded in the binary.
const PAGES: &[(&str, &str)] = &[
    ("/", include_str!("../../assets/demo/index.html")),
    ("/h5.html", include_str!("../../assets/demo/h5.html")),
    ("/mini.html", include_str!("../../assets/demo/mini.html")),
    ("/uaid.html", include_str!("../../assets/demo/uaid.html")),
    ("/iot.html", include_str!("../../assets/demo/iot.html")),
];
const CSS: &str = include_str!("../../assets/demo/demo.css");
const JS: &str = include_str!("../../assets/demo/demo.js");

/// What the pages are told (no secrets) and what the backend holds (the API key).
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub sandbox: String,
    pub gateway: String,
    pub app_id: String,
    pub api_key: Secret,
}

#[derive(Debug, Clone)]
struct Ctx {
    site: Site,
    http: reqwest::Client,
}

/// Fill a page's `{{sandbox}}`, `{{gateway}}` and `{{app_id}}`.
fn render(site: &Site, page: &str) -> String {
    page.replace("{{sandbox}}", &site.sandbox)
        .replace("{{gateway}}", &site.gateway)
        .replace("{{app_id}}", &site.app_id)
}

pub(crate) fn router(site: Site) -> Router {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_default();
    let mut r = Router::new();
    for (path, page) in PAGES {
        let html = render(&site, page);
        r = r.route(path, get(move || async move { Html(html) }));
    }
    r.route("/demo.css", get(|| async { asset("text/css", CSS) }))
        .route(
            "/demo.js",
            get(|| async { asset("application/javascript", JS) }),
        )
        .route(
            "/demo-api/registrations",
            get(list_registrations).post(create_registration),
        )
        .route("/demo-api/cards/{field}/{value}", get(card_state))
        .with_state(Ctx { site, http })
}

fn asset(ctype: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ctype)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// Call the gateway's server API with the key and hand its answer back unchanged.
async fn forward(ctx: &Ctx, req: reqwest::RequestBuilder) -> Response {
    let req = req.bearer_auth(ctx.site.api_key.expose());
    match req.send().await {
        Ok(r) => {
            let status =
                StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = r.bytes().await.unwrap_or_default();
            (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "demo backend: gateway unreachable");
            (
                StatusCode::BAD_GATEWAY,
                axum::Json(serde_json::json!({"error": {"code": "gateway_unreachable", "message": "the gateway did not answer"}})),
            )
                .into_response()
        }
    }
}

async fn create_registration(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let url = format!("{}/v1/registrations", ctx.site.gateway);
    let req = ctx
        .http
        .post(url)
        .header(header::CONTENT_TYPE.as_str(), "application/json")
        .body(body);
    forward(&ctx, req).await
}

async fn list_registrations(State(ctx): State<Ctx>, RawQuery(q): RawQuery) -> Response {
    let mut url = format!("{}/v1/registrations", ctx.site.gateway);
    if let Some(q) = q {
        url.push('?');
        url.push_str(&q);
    }
    let req = ctx.http.get(url);
    forward(&ctx, req).await
}

async fn card_state(
    State(ctx): State<Ctx>,
    Path((field, value)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let ok =
        |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok(&field) || !ok(&value) {
        return (StatusCode::BAD_REQUEST, "bad card").into_response();
    }
    let mut url = format!("{}/v1/cards/{field}/{value}", ctx.site.gateway);
    if q.as_deref() == Some("refresh=true") {
        url.push_str("?refresh=true");
    }
    let req = ctx.http.get(url);
    forward(&ctx, req).await
}

/// The demo site serving on its listener until [`Running::shutdown`].
#[derive(Debug)]
pub(crate) struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub(crate) fn serve(listener: tokio::net::TcpListener, site: Site) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(site);
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "demo site stopped");
        }
    });
    Running { stop, task }
}

impl Running {
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}
