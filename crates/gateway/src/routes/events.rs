//! Server-facing views of what the push receiver and the webhook sender did: webhook events
//! with their delivery log (and redelivery), and the quarantine of unmatched pushes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::api::{DeliveryView, EventList, EventView, QuarantineList, RedeliverResponse};
use crate::app::AppState;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::store::EventRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(list_events))
        .route("/v1/events/{id}", get(event))
        .route("/v1/events/{id}/redeliver", post(redeliver))
        .route("/v1/pushes/quarantine", get(quarantine))
}

#[derive(Debug, Deserialize)]
pub struct EventQuery {
    #[serde(rename = "busiSeq")]
    pub busi_seq: Option<String>,
    pub limit: Option<i64>,
}

fn limit(l: Option<i64>) -> Result<i64, ApiError> {
    let l = l.unwrap_or(100);
    if (1..=1000).contains(&l) {
        Ok(l)
    } else {
        Err(ApiError::bad_request("limit must be 1-1000"))
    }
}

async fn view(st: &AppState, e: EventRow, with_payload: bool) -> Result<EventView, ApiError> {
    let deliveries = st
        .store
        .deliveries(e.id)
        .await
        .map_err(|err| ApiError::internal("reading deliveries", &err))?;
    let status = match (e.delivered_at, e.failed_at) {
        (Some(_), _) => "delivered",
        (None, Some(_)) => "failed",
        _ => "pending",
    };
    Ok(EventView {
        next_attempt_at: (status == "pending").then_some(e.next_attempt_at),
        id: e.event_id,
        kind: e.event_type,
        busi_seq: e.busi_seq,
        status: status.into(),
        attempts: e.attempts,
        created_at: e.created_at,
        last_error: e.last_error,
        payload: with_payload
            .then(|| serde_json::from_str(&e.payload).ok())
            .flatten(),
        deliveries: deliveries.into_iter().map(DeliveryView::from).collect(),
    })
}

/// Webhook events, newest first, with their deliveries.
#[utoipa::path(get, path = "/v1/events", tag = "server",
    params(("busiSeq" = Option<String>, Query, description = "only this registration's events"),
           ("limit" = Option<i64>, Query, description = "1-1000, default 100")),
    responses((status = 200, body = EventList), (status = 400, body = crate::api::ErrorBody), (status = 401, body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_events(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> Result<ApiJson<EventList>, ApiError> {
    let rows = st
        .store
        .events(q.busi_seq.as_deref(), limit(q.limit)?)
        .await
        .map_err(|e| ApiError::internal("listing events", &e))?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(view(&st, r, false).await?);
    }
    Ok(ApiJson(EventList { items }))
}

fn no_event(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no event {id:?}"),
    )
    .with_hint("event ids (webhook-id) are listed by GET /v1/events")
}

/// One event with its body and every delivery attempt.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "server",
    params(("id" = String, Path, description = "the webhook-id")),
    responses((status = 200, body = EventView), (status = 404, body = crate::api::ErrorBody), (status = 401, body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn event(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<EventView>, ApiError> {
    let row = st
        .store
        .event(&id)
        .await
        .map_err(|e| ApiError::internal("reading the event", &e))?
        .ok_or_else(|| no_event(&id))?;
    Ok(ApiJson(view(&st, row, true).await?))
}

/// Deliver an event again now, with the same `webhook-id` (receivers deduplicate on it).
#[utoipa::path(post, path = "/v1/events/{id}/redeliver", tag = "server",
    params(("id" = String, Path, description = "the webhook-id")),
    responses((status = 202, body = RedeliverResponse), (status = 404, body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody), (status = 409, description = "no forward_url configured", body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn redeliver(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, ApiJson<RedeliverResponse>), ApiError> {
    if st.cfg.forward_url.is_none() {
        // 409, not 5xx: the gateway works; this request needs a setting it does not have
        // (schemathesis flagged the former 501 as a server error).
        let mut err = ApiError::not_configured("forward_url");
        err.status = StatusCode::CONFLICT;
        return Err(err);
    }
    let found = st
        .store
        .redeliver(&id, st.clock.now_ms())
        .await
        .map_err(|e| ApiError::internal("queueing the redelivery", &e))?;
    if !found {
        return Err(no_event(&id));
    }
    metrics::counter!("cmcc_webhook_redeliveries_total").increment(1);
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(RedeliverResponse { id, queued: true }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct QuarantineQuery {
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    pub limit: Option<i64>,
}

/// Pushes that matched no registration issued here, newest first (cards masked).
#[utoipa::path(get, path = "/v1/pushes/quarantine", tag = "server",
    params(("since" = Option<i64>, Query, description = "received at or after (Unix ms)"),
           ("limit" = Option<i64>, Query, description = "1-1000, default 100")),
    responses((status = 200, body = QuarantineList), (status = 400, body = crate::api::ErrorBody), (status = 401, body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn quarantine(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<QuarantineQuery>,
) -> Result<ApiJson<QuarantineList>, ApiError> {
    let rows = st
        .store
        .quarantine(q.since.unwrap_or(0), limit(q.limit)?)
        .await
        .map_err(|e| ApiError::internal("listing the quarantine", &e))?;
    Ok(ApiJson(QuarantineList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}
