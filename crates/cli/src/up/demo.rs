//! The demo site: what an integrator's own website would be. Its pages call only the gateway's
//! browser API (cross-origin, through the gateway's CORS list) and the sandbox's JSSDK. The
//! IoT page also needs the server-facing API, which takes an API key that must never reach a
//! page, so the site has a small backend of its own under `/demo-api/` that calls the gateway
//! with the key, as a real integrator's backend would.

use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cmcc_proto::Secret;

/// The pages (route, template name, template), embedded in the binary.
const PAGES: &[(&str, &str, &str)] = &[
    (
        "/",
        "index.html",
        include_str!("../../assets/demo/index.html"),
    ),
    (
        "/h5.html",
        "h5.html",
        include_str!("../../assets/demo/h5.html"),
    ),
    (
        "/mini.html",
        "mini.html",
        include_str!("../../assets/demo/mini.html"),
    ),
    (
        "/uaid.html",
        "uaid.html",
        include_str!("../../assets/demo/uaid.html"),
    ),
    (
        "/iot.html",
        "iot.html",
        include_str!("../../assets/demo/iot.html"),
    ),
];

/// The pages' templates, parsed once (HTML-escaped; `conf|tojson` in their scripts).
static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = cmcc_sandbox::pages::environment();
    for (_, name, source) in PAGES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "a demo page template does not parse");
        }
    }
    env
});
const CSS: &str = include_str!("../../assets/demo/demo.css");
const JS: &str = include_str!("../../assets/demo/demo.js");

/// What the pages are told (no secrets) and what the backend holds (the API key).
#[derive(Debug, Clone)]
pub struct Site {
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

/// A page filled with the site's addresses: as text in the HTML, as JSON (`conf`) in scripts.
fn render(site: &Site, name: &str) -> Result<String, minijinja::Error> {
    let conf = serde_json::json!({
        "sandbox": site.sandbox,
        "gateway": site.gateway,
        "appId": site.app_id,
    });
    let ctx = serde_json::json!({
        "sandbox": site.sandbox,
        "gateway": site.gateway,
        "app_id": site.app_id,
        "conf": conf,
    });
    TEMPLATES
        .get_template(name)?
        .render(minijinja::Value::from(minijinja::value::Serde(&ctx)))
}

pub fn router(site: Site) -> Router {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_default();
    let mut r = Router::new();
    for (path, name, _) in PAGES {
        // Rendered once: the site's addresses do not change while it runs.
        let page = match render(&site, name) {
            Ok(html) => Ok(Html(html)),
            Err(e) => {
                tracing::error!(page = name, error = %e, "rendering a demo page failed");
                Err((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "this demo page could not be rendered (see the log)",
                ))
            }
        };
        r = r.route(path, get(move || async move { page }));
    }
    r.route("/demo.css", get(|| async { asset("text/css", CSS) }))
        .route(
            "/favicon.ico",
            get(|| async { cmcc_sandbox::pages::favicon() }),
        )
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

/// Call the gateway's server API with the key and hand its answer back unchanged (status,
/// body, `Retry-After`).
async fn forward(ctx: &Ctx, req: reqwest::RequestBuilder) -> Response {
    let req = req.bearer_auth(ctx.site.api_key.expose());
    match req.send().await {
        Ok(r) => {
            let status =
                StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            // When to ask again (12012: one link per card and urlType per minute) reaches the
            // page too.
            let retry_after = r.headers().get(header::RETRY_AFTER).cloned();
            let body = r.bytes().await.unwrap_or_default();
            let mut resp = (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response();
            if let Some(v) = retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
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
pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub fn serve(listener: tokio::net::TcpListener, site: Site) -> Running {
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
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is data: template text in it is not expanded, and it cannot leave the script or
    /// the attribute it is placed in.
    #[test]
    fn addresses_are_json_in_scripts_and_escaped_in_html() {
        let hostile = "http://x/{{gateway}}\"></script><script>alert(1)</script>'";
        let site = Site {
            sandbox: hostile.into(),
            gateway: "http://gw/{{sandbox}}".into(),
            app_id: "3000\u{2028}1\"".into(),
            api_key: Secret::new("k"),
        };
        for (_, name, _) in PAGES {
            let html = render(&site, name).unwrap();
            assert!(
                !html.contains("<script>alert(1)</script>"),
                "{name}:\n{html}"
            );
            assert!(!html.contains("{{gateway}}\"></script>"), "{name}:\n{html}");
            assert!(
                !html.contains("http://gw/http://x"),
                "{name}: a value was expanded"
            );
            // The script's configuration reads back as the values given.
            if let Some(start) = html.find("window.CMCC_DEMO = ") {
                let rest = &html[start + "window.CMCC_DEMO = ".len()..];
                let json = &rest[..rest.find(";</script>").unwrap()];
                let conf: serde_json::Value = serde_json::from_str(json).unwrap();
                assert_eq!(conf["sandbox"], hostile, "{name}");
                assert_eq!(conf["gateway"], "http://gw/{{sandbox}}", "{name}");
                assert_eq!(conf["appId"], site.app_id, "{name}");
            }
        }
        // The pages that load the JSSDK name the sandbox as given, escaped for an attribute.
        let h5 = render(&site, "h5.html").unwrap();
        assert!(h5.contains("src=\"http://x/{{gateway}}&quot;&gt;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;/NumberAbility/h5/js/jssdk_auth.min.js\""), "{h5}");
    }
}
