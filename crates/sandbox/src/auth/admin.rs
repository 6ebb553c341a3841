//! `/_sandbox/auth/`: the auth platform's admin API (apps, devices, settings) and console page.
//! Admin answers are JSON; bad input is a 400 with a message, never a 500.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::network::{self, DeviceProfile};
use super::tenant::AppConfig;
use super::{Service, Settings};

const CONSOLE: &str = include_str!("../../assets/auth/console.html");

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/_sandbox/auth/", get(console))
        .route("/_sandbox/auth/apps", get(list_apps).post(put_app))
        .route(
            "/_sandbox/auth/apps/{app_id}",
            get(get_app).delete(delete_app),
        )
        .route("/_sandbox/auth/devices", get(list_devices).post(put_device))
        .route(
            "/_sandbox/auth/devices/{id}",
            axum::routing::delete(delete_device),
        )
        .route(
            "/_sandbox/auth/device",
            get(current_device).post(select_device),
        )
        .route(
            "/_sandbox/auth/settings",
            get(get_settings).put(put_settings),
        )
        .route("/_sandbox/auth/tokens", get(tokens))
}

/// A 400 with a JSON message.
pub fn bad_request(msg: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": msg.to_string()})),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no such {what}")})),
    )
        .into_response()
}

/// Parse a JSON body, 400 on failure.
///
/// # Errors
///
/// A 400 answer (`{"error"}` naming the JSON error) when the body is not JSON of `T`.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad_request(format!("invalid JSON: {e}"))))
}

async fn console() -> Html<&'static str> {
    Html(CONSOLE)
}

async fn list_apps(State(ctx): State<Service>) -> Json<serde_json::Value> {
    let apps: Vec<_> = ctx
        .state
        .apps()
        .iter()
        .map(|a| {
            let mut v = a.view();
            v["usage_used"] = ctx.state.usage(&a.cfg.app_id).into();
            v
        })
        .collect();
    Json(json!({ "apps": apps }))
}

async fn put_app(State(ctx): State<Service>, body: axum::body::Bytes) -> Response {
    let cfg: AppConfig = match json_body(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match ctx.state.upsert_app(cfg) {
        Ok(app) => (StatusCode::OK, Json(app.view())).into_response(),
        Err(e) => bad_request(e),
    }
}

async fn get_app(State(ctx): State<Service>, Path(app_id): Path<String>) -> Response {
    match ctx.state.app(&app_id) {
        Some(a) => Json(a.view()).into_response(),
        None => not_found("app"),
    }
}

async fn delete_app(State(ctx): State<Service>, Path(app_id): Path<String>) -> Response {
    if ctx.state.remove_app(&app_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found("app")
    }
}

async fn list_devices(State(ctx): State<Service>, headers: HeaderMap) -> Json<serde_json::Value> {
    Json(json!({
        "devices": ctx.state.devices(),
        "selected": network::selected_profile(&headers),
        "header": network::DEVICE_HEADER,
    }))
}

async fn put_device(State(ctx): State<Service>, body: axum::body::Bytes) -> Response {
    let d: DeviceProfile = match json_body(&body) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    if d.id.is_empty()
        || d.id.len() > 64
        || !d
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return bad_request("device id: 1-64 letters, digits, '-' or '_'");
    }
    if !d.number.bytes().all(|b| b.is_ascii_digit()) || d.number.len() > 15 {
        return bad_request("device number: digits only");
    }
    ctx.state.upsert_device(d.clone());
    Json(d).into_response()
}

async fn delete_device(State(ctx): State<Service>, Path(id): Path<String>) -> Response {
    if ctx.state.remove_device(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found("device")
    }
}

async fn current_device(State(ctx): State<Service>, headers: HeaderMap) -> Json<serde_json::Value> {
    let sel = network::selected_profile(&headers);
    let d = sel
        .as_ref()
        .and_then(|id| ctx.state.devices().into_iter().find(|d| &d.id == id));
    Json(json!({ "selected": d }))
}

#[derive(Deserialize)]
struct Select {
    /// A device profile id; empty clears the selection.
    #[serde(default)]
    id: String,
}

/// Choose the device this browser is (sets the cookie the endpoints read).
async fn select_device(State(ctx): State<Service>, body: axum::body::Bytes) -> Response {
    let s: Select = match json_body(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let cookie = if s.id.is_empty() {
        format!(
            "{}=; Path=/; Max-Age=0; SameSite=Lax",
            network::DEVICE_COOKIE
        )
    } else if ctx.state.devices().iter().any(|d| d.id == s.id) {
        format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            network::DEVICE_COOKIE,
            s.id
        )
    } else {
        return not_found("device");
    };
    (
        [(header::SET_COOKIE, cookie)],
        Json(json!({"selected": s.id})),
    )
        .into_response()
}

async fn get_settings(State(ctx): State<Service>) -> Json<Settings> {
    Json(ctx.state.settings())
}

async fn put_settings(State(ctx): State<Service>, body: axum::body::Bytes) -> Response {
    match json_body::<Settings>(&body) {
        Ok(s) => {
            ctx.state.set_settings(s);
            Json(s).into_response()
        }
        Err(r) => *r,
    }
}

async fn tokens(State(ctx): State<Service>) -> Json<serde_json::Value> {
    let now = ctx.core.clock.now().timestamp_millis();
    let swept = ctx.state.tokens.sweep(now);
    Json(json!({"outstanding": ctx.state.tokens.len(), "swept_now": swept}))
}
