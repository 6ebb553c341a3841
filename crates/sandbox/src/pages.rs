//! The sandbox's HTML: every page and console template in one minijinja environment, embedded in
//! the binary and parsed once on first use. HTML templates are auto-escaped; a value placed in
//! a `<script>` goes through `|tojson`. A value is data, never template text: one containing
//! `{{…}}` is printed as it is, not expanded.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};

/// The sandbox's icon (also the demo site's), served at `/favicon.ico` and inlined in every page.
pub const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");

/// Every template, by name (the name's extension decides the escaping: `.html` is HTML-escaped).
const TEMPLATES: &[(&str, &str)] = &[
    ("console.css", include_str!("../assets/console.css")),
    ("layout.html", include_str!("../assets/layout.html")),
    ("index.html", include_str!("../assets/index.html")),
    ("console.html", include_str!("../assets/console.html")),
    (
        "onelink/style.css",
        include_str!("../assets/onelink/style.css"),
    ),
    (
        "onelink/register.html",
        include_str!("../assets/onelink/register.html"),
    ),
    (
        "onelink/result.html",
        include_str!("../assets/onelink/result.html"),
    ),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = environment();
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // Templates are compiled into the binary; the unit test below parses every one.
            tracing::error!(template = name, error = %e, "a page template does not parse");
        }
    }
    env
});

/// A minijinja environment as every cmcc page is rendered with (the demo site's too): HTML
/// escaped as Jinja2 escapes it, a missing value an error (a misspelt name fails its test; testing
/// one for truth is allowed), the icon as the global `favicon`.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(jinja2_escaping);
    env.add_global("favicon", Value::from_safe_string(favicon_data_uri()));
    env
}

/// In HTML, a string is escaped as Jinja2 (markupsafe) does: `& < > " '`. minijinja also
/// escapes `/`, which browsers read back the same but makes every URL in a page unreadable as
/// text; everything else is minijinja's own formatting.
fn jinja2_escaping(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    match value.as_str() {
        Some(s) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            let mut start = 0;
            for (i, c) in s.char_indices() {
                let rep = match c {
                    '&' => "&amp;",
                    '<' => "&lt;",
                    '>' => "&gt;",
                    '"' => "&quot;",
                    '\'' => "&#39;",
                    _ => continue,
                };
                out.write_str(&s[start..i]).map_err(Error::from)?;
                out.write_str(rep).map_err(Error::from)?;
                start = i + 1;
            }
            out.write_str(&s[start..]).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `data:image/svg+xml,…`: the icon as a URL a page can link without another request.
pub fn favicon_data_uri() -> String {
    let svg = FAVICON_SVG.trim();
    format!(
        "data:image/svg+xml,{}",
        percent_encoding::utf8_percent_encode(svg, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// `GET /favicon.ico`: the SVG icon (browsers accept SVG whatever the name).
pub fn favicon() -> Response {
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

/// A link to another part of the system (the demo site, the gateway, its API document), shown
/// in every page's header and on the index; set by whoever wires the parts together.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// What it is, in Chinese and English (`网关 · Gateway`).
    pub label: String,
    pub url: String,
    /// A few words on what is there (may be empty).
    #[serde(default)]
    pub note: String,
}

impl Link {
    pub fn new(label: impl Into<String>, url: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            url: url.into(),
            note: note.into(),
        }
    }
}

/// Render template `name` with `ctx`.
pub fn render(name: &str, ctx: &impl serde::Serialize) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?
        .render(Value::from(minijinja::value::Serde(ctx)))
}

/// Render template `name` as an HTML answer with `status`; a template error is logged and
/// answered 500 with a short text (never a panic).
pub fn html(status: StatusCode, name: &str, ctx: &impl serde::Serialize) -> Response {
    match render(name, ctx) {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "rendering a page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the sandbox could not render this page (see its log)",
            )
                .into_response()
        }
    }
}

/// `2024-10-21 09:30:00`: China time (UTC+8), to the second, as every page shows time.
pub fn china_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&cmcc_proto::time::china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(ENV.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn china_time_is_utc_plus_8_to_the_second() {
        let t = DateTime::parse_from_rfc3339("2024-10-21T01:30:00.123456789Z")
            .map(|t| t.with_timezone(&Utc));
        assert_eq!(
            t.map(china_time).ok().as_deref(),
            Some("2024-10-21 09:30:00")
        );
    }
}
