//! Oversized requests: answered in the platform's own envelope, never plain text, and with
//! `Connection: close`, so a keep-alive client knows the connection ends there (the rest of the
//! body is not read).
//!
//! Paths under `/v5/` get OneLink's envelope with 12001 (parameter error); the auth platform's
//! paths get its header/body envelope with 130032 (报文格式错误), `resultCode` in both parts so a
//! client of any auth endpoint finds it where it looks; anything else (admin, pages) gets the
//! admin API's JSON error with HTTP 413. The limit and these codes are cmcc's choice.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cmcc_proto::wire::onelink::Envelope;
use serde_json::json;

/// The largest request body any route reads (axum's default extractor limit).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Middleware: refuse a declared length over [`MAX_BODY_BYTES`] before the handler runs, and turn
/// the extractors' 413 (a chunked body that grew too large) into the same answer.
pub async fn limit(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large(&path);
    }
    let resp = next.run(req).await;
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(&path);
    }
    resp
}

fn too_large(path: &str) -> Response {
    let reason = format!("the request body is larger than {MAX_BODY_BYTES} bytes");
    tracing::info!(path, "request body too large");
    let mut resp = if path.starts_with("/v5/") {
        Json(Envelope::<serde_json::Value>::error(
            "12001",
            crate::onelink::params::message_for("12001"),
        ))
        .into_response()
    } else if path.starts_with("/NumberAbility/") || path.starts_with("/h5/") {
        let desc = crate::auth::desc("130032");
        Json(json!({
            "header": {"resultCode": "130032", "msgId": "", "appId": "",
                "timestamp": cmcc_proto::Timestamp17::from_utc(chrono::Utc::now()).to_string()},
            "body": {"resultCode": "130032", "resultDesc": desc},
        }))
        .into_response()
    } else {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": reason })),
        )
            .into_response()
    };
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
