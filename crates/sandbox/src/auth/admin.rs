//! `/_sandbox/auth/`: the auth platform's admin API (apps, devices, settings), and its part of the
//! one console (`/_sandbox/`, see [`crate::console`]): this browser's device and the apps, with
//! the console's plain forms. Admin answers are JSON; bad input is a 400 with a message, never a
//! 500.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::network::{self, DeviceProfile};
use super::tenant::AppConfig;
use super::{AuthState, Service, Settings};
use crate::console;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/_sandbox/auth/console/device", post(console_device))
        .route("/_sandbox/auth/console/apps", post(console_app))
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
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad_request(format!("invalid JSON: {e}"))))
}

/// The auth platform's part of the console: this browser's device (its cookie), the device
/// profiles, the apps (no private key: the console shows what the open platform would).
pub fn console_view(state: &AuthState, headers: &HeaderMap) -> serde_json::Value {
    let selected = network::selected_profile(headers);
    let devices: Vec<_> = state
        .devices()
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id,
                "label": d.label,
                "number": d.number,
                "net": d.net,
                "selected": selected.as_deref() == Some(d.id.as_str()),
            })
        })
        .collect();
    let apps: Vec<_> = state
        .apps()
        .iter()
        .map(|a| {
            let c = &a.cfg;
            json!({
                "app_id": c.app_id,
                "name": c.name,
                "app_key": c.app_key,
                "entitlements": c.entitlements,
                "test_mode": c.test_mode,
                "referers": c.referers,
                "origins": c.origins,
                "usage_used": state.usage(&c.app_id),
                "usage_limit": c.usage_limit,
                "daily_cap": c.daily_cap,
                "platform_public_key": a.platform_public_b64,
            })
        })
        .collect();
    json!({
        "selected": selected,
        "devices": devices,
        "apps": apps,
        "header": network::DEVICE_HEADER,
    })
}

#[derive(Deserialize)]
struct DeviceForm {
    /// A device profile id; empty clears the selection.
    #[serde(default)]
    id: String,
}

/// The console's device buttons: the same cookie as `POST /_sandbox/auth/device`.
async fn console_device(State(ctx): State<Service>, Form(f): Form<DeviceForm>) -> Response {
    match device_cookie(&ctx, f.id.trim()) {
        Some(cookie) => {
            let notice = if f.id.trim().is_empty() {
                "已清除本浏览器的设备 · This browser's device is cleared".to_owned()
            } else {
                format!(
                    "本浏览器现在是设备 {} · This browser is now device {}",
                    f.id.trim(),
                    f.id.trim()
                )
            };
            (
                [(header::SET_COOKIE, cookie)],
                console::back(&notice, "device"),
            )
                .into_response()
        }
        None => console::back("没有这个设备 · No such device", "device").into_response(),
    }
}

#[derive(Deserialize)]
struct AppForm {
    #[serde(default)]
    json: String,
}

/// The console's app form: a JSON app configuration, as `POST /_sandbox/auth/apps` takes.
async fn console_app(State(ctx): State<Service>, Form(f): Form<AppForm>) -> Redirect {
    let cfg: AppConfig = match serde_json::from_str(&f.json) {
        Ok(c) => c,
        Err(e) => {
            return console::back(
                &format!("不是有效的应用 JSON · Not a valid app: {e}"),
                "apps",
            )
        }
    };
    match ctx.state.upsert_app(cfg) {
        Ok(app) => console::back(
            &format!("应用已保存 · App saved: {}", app.cfg.app_id),
            "apps",
        ),
        Err(e) => console::back(&format!("应用未保存 · App not saved: {e}"), "apps"),
    }
}

/// The `Set-Cookie` value that selects device `id` (empty: clears it); `None` for an unknown id.
fn device_cookie(ctx: &Service, id: &str) -> Option<String> {
    if id.is_empty() {
        Some(format!(
            "{}=; Path=/; Max-Age=0; SameSite=Lax",
            network::DEVICE_COOKIE
        ))
    } else if ctx.state.devices().iter().any(|d| d.id == id) {
        Some(format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            network::DEVICE_COOKIE,
            id
        ))
    } else {
        None
    }
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
    let Some(cookie) = device_cookie(&ctx, &s.id) else {
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
