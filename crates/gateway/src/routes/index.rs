//! `/`: a small page for people who open the gateway's address in a browser (what it is, the
//! API document, health, what is configured, links to the other parts), and its icon.

use std::sync::LazyLock;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::app::AppState;

const FAVICON_SVG: &str = include_str!("../../assets/favicon.svg");

/// The page's template, parsed once; HTML-escaped.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    let icon = format!(
        "data:image/svg+xml,{}",
        percent_encoding::utf8_percent_encode(
            FAVICON_SVG.trim(),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    env.add_global("favicon", Value::from_safe_string(icon));
    if let Err(e) = env.add_template("index.html", include_str!("../../assets/index.html")) {
        tracing::error!(error = %e, "the index page template does not parse");
    }
    env
});

pub async fn index(State(st): State<AppState>) -> Response {
    let links: Vec<_> = st
        .cfg
        .related_links
        .iter()
        .map(|l| serde_json::json!({"label": l.label, "url": l.url, "note": l.note}))
        .collect();
    let ctx = serde_json::json!({
        "links": links,
        "passport": st.passport.is_some(),
        "onelink": st.onelink.is_some(),
        "webhooks": st.webhook_key.is_some() && st.cfg.forward_url.is_some(),
        "store": st.store.backend(),
    });
    let page = TEMPLATES
        .get_template("index.html")
        .and_then(|t| t.render(Value::from(minijinja::value::Serde(&ctx))));
    match page {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the index page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the index page could not be rendered",
            )
                .into_response()
        }
    }
}

/// The icon, so a browser showing any of the gateway's addresses logs no 404.
pub async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        FAVICON_SVG,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_parses() {
        assert!(super::TEMPLATES.get_template("index.html").is_ok());
    }
}
