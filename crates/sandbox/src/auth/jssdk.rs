//! The JSSDK files (same global API as the carrier's: `YDRZ.getConnection`, `YDRZ.getSign`,
//! `YDRZ.getTokenInfo`), the network-type endpoint behind `getConnection`, and CORS for the
//! endpoints pages call from their own origin.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cmcc_proto::wire::passport::GetConnection;
use cmcc_proto::wire::passport::{self as wire, GetConnectionRequest, GetConnectionResponse};
use serde_json::json;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

use super::network::{self, Net};
use super::{Meta, Service};
use crate::core::EndpointRoutes;

pub use wire::GET_CONNECTION_PATH;

const H5_JS: &str = include_str!("../../assets/auth/jssdk_h5.js");
const MINI_JS: &str = include_str!("../../assets/auth/jssdk_mini.js");

/// Placeholder in the JS files replaced by the sandbox's base URL.
const BASE_PLACEHOLDER: &str = "__CMCC_SANDBOX_BASE__";

/// Pages call these cross-origin, with the device cookie: mirror the origin, allow credentials.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .allow_credentials(true)
}

pub fn routes() -> Router<Service> {
    Router::new()
        .route(wire::H5_JSSDK_PATH, get(h5_js))
        .route(wire::MINI_JSSDK_PATH, get(mini_js))
        .endpoint::<GetConnection, _, _>(get_connection)
}

fn js(ctx: &Service, text: &str) -> Response {
    let body = text.replace(BASE_PLACEHOLDER, &ctx.core.base_url);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn h5_js(State(ctx): State<Service>) -> Response {
    js(&ctx, H5_JS)
}

async fn mini_js(State(ctx): State<Service>) -> Response {
    js(&ctx, MINI_JS)
}

/// The network type of the calling device, from the virtual network.
async fn get_connection(
    State(ctx): State<Service>,
    meta: Meta,
    body: Bytes,
) -> Json<GetConnectionResponse> {
    // Anything unreadable is a request without an appId (130010), as before.
    let req: GetConnectionRequest = serde_json::from_slice(&body).unwrap_or_default();
    let devices = ctx.state.devices();
    let device = network::resolve(&meta.headers, req.phone_num.as_deref(), &devices);
    let net = device.as_ref().map_or("UNKNOWN", |d| d.net.net_type());
    let (code, reason) = if req.app_id.trim().is_empty() {
        ("130010", "empty: appId")
    } else {
        ("103000", "")
    };
    ctx.journal(GET_CONNECTION_PATH, code, reason, json!({"netType": net}));
    Json(GetConnectionResponse {
        result_code: code.to_owned(),
        result_desc: if code == "103000" {
            "成功".to_owned()
        } else {
            super::desc(code)
        },
        net_type: net.to_owned(),
        is_cellular: device.as_ref().is_some_and(|d| d.net != Net::Wifi),
    })
}
