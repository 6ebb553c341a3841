//! `/` (the index) and `/_sandbox/`: what both platforms share — the console, the journal, the
//! virtual clock, fault injection, reset.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::admin_error::AdminQuery;
use crate::auth::admin::{bad_request, json_body};
use crate::core::Fault;
use crate::{pages, Sandbox};

pub fn routes(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/favicon.ico", get(|| async { pages::favicon() }))
        .route("/_sandbox/journal", get(journal).delete(clear_journal))
        .route("/_sandbox/clock", get(clock))
        .route("/_sandbox/clock/advance", post(advance))
        .route(
            "/_sandbox/faults",
            get(faults).post(push_fault).delete(clear_faults),
        )
        .route("/_sandbox/reset", post(reset))
        .merge(crate::console::routes())
        .with_state(Arc::new(sandbox))
}

type S = State<Arc<Sandbox>>;

/// `/`: what the sandbox is, its pages, the JSSDK's addresses, the admin API, the other parts.
async fn index(State(s): S) -> Response {
    pages::html(
        StatusCode::OK,
        "index.html",
        &json!({
            "links": s.links(),
            "base": &*s.core.base_url,
            "h5_jssdk": cmcc_proto::wire::passport::H5_JSSDK_PATH,
            "mini_jssdk": cmcc_proto::wire::passport::MINI_JSSDK_PATH,
        }),
    )
}

#[derive(Deserialize)]
struct JournalQuery {
    limit: Option<usize>,
    platform: Option<String>,
    code: Option<String>,
}

async fn journal(State(s): S, AdminQuery(q): AdminQuery<JournalQuery>) -> Json<serde_json::Value> {
    let limit = q.limit.unwrap_or(100).min(10_000);
    let mut entries = s.core.journal.recent(usize::MAX, q.platform.as_deref());
    if let Some(c) = &q.code {
        entries.retain(|e| &e.code == c);
    }
    entries.truncate(limit);
    Json(json!({ "entries": entries }))
}

async fn clear_journal(State(s): S) -> StatusCode {
    s.core.journal.clear();
    StatusCode::NO_CONTENT
}

fn clock_view(s: &Sandbox) -> serde_json::Value {
    let now = s.core.clock.now();
    json!({
        "now": now,
        "china_time": cmcc_proto::Timestamp17::from_utc(now).to_string(),
        "offset_ms": s.core.clock.offset().num_milliseconds(),
    })
}

async fn clock(State(s): S) -> Json<serde_json::Value> {
    Json(clock_view(&s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    ms: i64,
}

/// Move the virtual clock (expire tokens, roll the China day); expired tokens are swept.
async fn advance(State(s): S, body: axum::body::Bytes) -> Response {
    let a: Advance = match json_body(&body) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(ms) = a
        .seconds
        .checked_mul(1000)
        .and_then(|x| x.checked_add(a.ms))
        .filter(|m| m.abs() < 10 * 365 * 86_400_000)
    else {
        return bad_request("advance by less than ten years");
    };
    s.core.clock.advance(chrono::Duration::milliseconds(ms));
    let swept = s.auth.tokens.sweep(s.core.clock.now().timestamp_millis());
    let mut v = clock_view(&s);
    v["tokens_swept"] = swept.into();
    Json(v).into_response()
}

async fn faults(State(s): S) -> Json<serde_json::Value> {
    Json(json!({ "faults": s.core.faults.list() }))
}

async fn push_fault(State(s): S, body: axum::body::Bytes) -> Response {
    let f: Fault = match json_body(&body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if !f.endpoint.starts_with('/') || f.delay_ms > 120_000 {
        return bad_request("endpoint is a request path (e.g. /NumberAbility/h5/verifyVmMobileApi.htm); delay_ms at most 120000");
    }
    s.core.faults.push(f);
    (
        StatusCode::CREATED,
        Json(json!({ "faults": s.core.faults.list() })),
    )
        .into_response()
}

async fn clear_faults(State(s): S) -> StatusCode {
    s.core.faults.clear();
    StatusCode::NO_CONTENT
}

/// Journal, clock, faults, the auth platform and OneLink back to their start state.
async fn reset(State(s): S) -> Response {
    s.core.journal.clear();
    s.core.clock.reset();
    s.core.faults.clear();
    match s
        .auth
        .reset()
        .and_then(|()| s.onelink.reset(s.core.clock.now()))
    {
        Ok(()) => Json(json!({"reset": true})).into_response(),
        Err(e) => bad_request(e),
    }
}
