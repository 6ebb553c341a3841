//! Server-facing routes: the business's backend asks for registration links and reads
//! registration state. Behind API keys (`Authorization: Bearer <key>`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cmcc_proto::wire::onelink::UrlType;
use cmcc_proto::{CardId, Phone};
use serde::Deserialize;

use crate::api::{
    CardStateResponse, RegistrationLinkResponse, RegistrationList, RegistrationRequest,
    RegistrationView,
};
use crate::app::AppState;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::store::{NewRegistration, RegState};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/v1/registrations",
            post(create_registration).get(list_registrations),
        )
        .route("/v1/cards/{field}/{value}", get(card_state))
        .merge(super::events::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_api_key,
        ))
}

/// Constant-time comparison, so a key cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Bearer <key>`, strictly: the scheme (any case), exactly one space, and a key without
/// whitespace or control characters.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, key) = header.split_once(' ')?;
    let clean = !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic() || !b.is_ascii());
    (scheme.eq_ignore_ascii_case("bearer") && clean).then_some(key)
}

async fn require_api_key(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    let ok = match presented {
        Some(k) => st
            .cfg
            .api_keys
            .iter()
            .any(|key| same(key.expose().as_bytes(), k.as_bytes())),
        _ => false,
    };
    if ok {
        next.run(req).await
    } else {
        let hint = if st.cfg.api_keys.is_empty() {
            "this gateway has no api_keys configured: set api_keys (or api_keys_file / CMCC_API_KEYS)"
        } else {
            "send Authorization: Bearer <one of the gateway's api_keys>"
        };
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required for this route",
        )
        .with_hint(hint)
        .into_response()
    }
}

fn card_from(req: &RegistrationRequest) -> Result<CardId, ApiError> {
    CardId::from_fields(
        req.msisdn.as_deref(),
        req.iccid.as_deref(),
        req.imsi.as_deref(),
    )
    .map_err(|e| {
        ApiError::bad_request(format!("card: {e}")).with_hint(
            "give exactly one of msisdn (13 or 11 digits), iccid (20 characters), imsi (15 digits)",
        )
    })
}

/// 23A12 through the SDK; the link is recorded as a pending registration.
#[utoipa::path(post, path = "/v1/registrations", tag = "server",
    request_body = RegistrationRequest,
    responses((status = 200, body = RegistrationLinkResponse),
              (status = 400, body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody),
              (status = 415, description = "the body is not sent as JSON", body = crate::api::ErrorBody),
              (status = 422, description = "OneLink rejected the request; `code` is OneLink's", body = crate::api::ErrorBody),
              (status = 429, description = "12012: one link per card and urlType per minute; see Retry-After", body = crate::api::ErrorBody),
              (status = 502, description = "`link_answer_lost`: the request was sent but its answer lost; the link may exist (see Retry-After and hint)", body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn create_registration(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<RegistrationRequest>,
) -> Result<ApiJson<RegistrationLinkResponse>, ApiError> {
    let onelink = st.onelink()?;
    let card = card_from(&req)?;
    let url_type = match req.url_type {
        3 => UrlType::MiniProgram,
        6 => UrlType::H5JumpMiniProgram,
        n => {
            return Err(ApiError::bad_request(format!("urlType {n} is not offered"))
                .with_hint("use 6 (H5 page that opens the mini-program) or 3 (from inside your WeChat mini-program)"))
        }
    };
    let user_phone = match req.user_phone.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Some(Phone::parse(p).map_err(|e| {
            ApiError::bad_request(format!("userPhone: {e}")).with_hint("11 digits")
        })?),
        _ => None,
    };
    let link = match onelink
        .registration_link(&card, url_type, user_phone.as_ref())
        .await
    {
        Ok(l) => l,
        Err(
            e @ (cmcc_client::Error::Timeout { .. }
            | cmcc_client::Error::Http { .. }
            | cmcc_client::Error::Decode { .. }),
        ) => {
            return Err(lost_answer(&st, &card, url_type, &e).await);
        }
        Err(e) => return Err(ApiError::from_client(&e)),
    };
    st.store
        .insert_registration(&NewRegistration {
            busi_seq: link.busi_seq.clone(),
            card_field: card.field().into(),
            card_value: card.value().into(),
            url_type: url_type.code(),
            url: link.url.clone(),
            created_at: st.clock.now_ms(),
            state: RegState::Pending,
        })
        .await
        .map_err(|e| ApiError::internal("recording the registration", &e))?;
    metrics::counter!("cmcc_registrations_total", "url_type" => url_type.code().to_string())
        .increment(1);
    Ok(ApiJson(RegistrationLinkResponse {
        busi_seq: link.busi_seq,
        url: link.url,
        mini_param: link.mini_param.and_then(|m| serde_json::to_value(m).ok()),
    }))
}

/// 23A12 was sent but its answer was lost (timeout, HTTP error, unreadable answer): OneLink may
/// have made the link. Recorded as a `lost` registration of the card, which the card's push
/// takes over (and reconciliation checks with 23A23); the caller learns when to ask again.
async fn lost_answer(
    st: &AppState,
    card: &CardId,
    url_type: UrlType,
    e: &cmcc_client::Error,
) -> ApiError {
    tracing::warn!(error = %e, card = %card, "23A12 answer lost after sending; the link may exist");
    let now = st.clock.now_ms();
    let placeholder = NewRegistration {
        busi_seq: format!(
            "lost-{}",
            crate::store::new_event_id().trim_start_matches("msg_")
        ),
        card_field: card.field().into(),
        card_value: card.value().into(),
        url_type: url_type.code(),
        url: String::new(),
        created_at: now,
        state: RegState::Lost,
    };
    if let Err(se) = st.store.insert_registration(&placeholder).await {
        tracing::error!(error = %se, "recording the lost 23A12 answer failed");
    }
    metrics::counter!("cmcc_registration_answers_lost_total").increment(1);
    let wait = crate::error::ONE_LINK_PER_MINUTE_SECS;
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "link_answer_lost",
        "OneLink's answer to the link request was lost after it was sent: the link may exist, but this gateway did not receive it",
    )
    .with_retry_after(wait)
    .with_hint(format!(
        "ask again after {wait} s (OneLink makes one link per card and urlType per minute, 12012 before then); the card's result push is still matched to this card, and GET /v1/cards/{}/…?refresh=true asks OneLink",
        card.field()
    ))
}

#[derive(Debug, Deserialize)]
pub struct CardQuery {
    /// Ask OneLink (23A23) instead of answering from the store.
    #[serde(default)]
    pub refresh: bool,
}

/// A card's registration state: from the store, or asked live with `?refresh=true`.
#[utoipa::path(get, path = "/v1/cards/{field}/{value}", tag = "server",
    params(("field" = String, Path, description = "msisdn, iccid or imsi"),
           ("value" = String, Path, description = "the card number"),
           ("refresh" = Option<bool>, Query, description = "query OneLink (23A23) and settle the stored registration")),
    responses((status = 200, body = CardStateResponse), (status = 400, body = crate::api::ErrorBody), (status = 401, body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn card_state(
    State(st): State<AppState>,
    ApiPath((field, value)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<CardQuery>,
) -> Result<ApiJson<CardStateResponse>, ApiError> {
    let card = match field.as_str() {
        "msisdn" => CardId::from_fields(Some(&value), None, None),
        "iccid" => CardId::from_fields(None, Some(&value), None),
        "imsi" => CardId::from_fields(None, None, Some(&value)),
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown card field {other:?}: use msisdn, iccid or imsi"
            )))
        }
    }
    .map_err(|e| ApiError::bad_request(format!("card: {e}")))?;
    let latest = st
        .store
        .latest_for_card(card.field(), card.value())
        .await
        .map_err(|e| ApiError::internal("reading the registration", &e))?;
    if !q.refresh {
        let registered = latest.as_ref().is_some_and(|r| r.state == "registered");
        return Ok(ApiJson(CardStateResponse {
            registered,
            source: "store".into(),
            registration: latest.map(RegistrationView::from),
            registration_type: None,
            registration_time: None,
        }));
    }
    let onelink = st.onelink()?;
    let info = onelink
        .identity_info(&card)
        .await
        .map_err(|e| ApiError::from_client(&e))?;
    let registered = info.status == "1";
    let mut registration = latest;
    if let Some(r) = registration.as_mut() {
        // OneLink is the authority: correct the stored state in either direction.
        let now = st.clock.now_ms();
        let changed = st
            .store
            .settle_by_23a23(
                &r.busi_seq,
                registered,
                "refresh",
                st.cfg.forward_url.is_some(),
                now,
            )
            .await
            .map_err(|e| ApiError::internal("settling the registration", &e))?;
        if let Some(state) = changed {
            if state == RegState::Disputed {
                metrics::counter!("cmcc_push_disputed_total").increment(1);
                tracing::warn!(busi_seq = %r.busi_seq, card = %card, "stored state contradicted by 23A23 on refresh");
            }
            if let Ok(Some(fresh)) = st.store.registration(&r.busi_seq).await {
                *r = fresh;
            }
        }
    }
    Ok(ApiJson(CardStateResponse {
        registered,
        source: "onelink".into(),
        registration: registration.map(RegistrationView::from),
        registration_type: info.registration_type,
        registration_time: info.archive_time,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `pending`, `unconfirmed`, `registered`, `failed`, `disputed`, `unknown` or `lost`.
    pub state: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
    /// At most 1000; default 100.
    pub limit: Option<i64>,
}

/// Registrations by state and creation time, newest first.
#[utoipa::path(get, path = "/v1/registrations", tag = "server",
    params(("state" = Option<String>, Query, description = "pending, unconfirmed, registered, failed, disputed, unknown or lost"),
           ("since" = Option<i64>, Query, description = "created at or after (Unix ms)"),
           ("until" = Option<i64>, Query, description = "created before (Unix ms)"),
           ("limit" = Option<i64>, Query, description = "1-1000, default 100")),
    responses((status = 200, body = RegistrationList), (status = 400, body = crate::api::ErrorBody), (status = 401, body = crate::api::ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_registrations(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<ApiJson<RegistrationList>, ApiError> {
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(RegState::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "state {s:?}: use pending, unconfirmed, registered, failed, disputed, unknown or lost"
            ))
        })?),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1-1000"));
    }
    let items = st
        .store
        .list(
            state,
            q.since.unwrap_or(0),
            q.until.unwrap_or(i64::MAX),
            limit,
        )
        .await
        .map_err(|e| ApiError::internal("listing registrations", &e))?;
    Ok(ApiJson(RegistrationList {
        items: items.into_iter().map(RegistrationView::from).collect(),
    }))
}
