//! Browser-facing routes: what a login page needs from its business server. Behind a CORS
//! allow-list and a per-IP rate limit; none of them signs or reveals anything a page could
//! abuse (the preSign must be ours and fresh; the appKey never leaves the server).

use std::net::IpAddr;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Extension, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Timelike;
use cmcc_client::Verification;
use cmcc_proto::{Phone, Timestamp17};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::api::{
    SignResponse, TokenSignRequest, TokenSignResponse, UaidRequest, UaidResponse, VerifyRequest,
    VerifyResponse,
};
use crate::app::AppState;
use crate::error::{ApiError, ApiJson};
use crate::store::Audit;

pub fn router(state: &AppState) -> Router<AppState> {
    let origins: Vec<HeaderValue> = state
        .cfg
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/v1/presign/sign", post(sign_pre_sign))
        .route("/v1/token-sign", post(token_sign))
        .route("/v1/verify", post(verify))
        .route("/v1/uaid", post(uaid))
        .route_layer(middleware::from_fn_with_state(state.clone(), per_ip_limit))
        .layer(cors)
}

/// The client's address (behind `trusted_proxies`), for audits.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Browser calls per client IP per minute, across all instances (shared state).
async fn per_ip_limit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let client = crate::net::client_ip(peer.ip(), req.headers(), &st.trusted_proxies);
    req.extensions_mut().insert(ClientIp(client));
    let key = format!("ip:{client}:{}", st.clock.now().timestamp() / 60);
    match st
        .shared
        .reserve(
            &key,
            st.cfg.limits.per_ip_per_minute,
            Duration::from_secs(61),
        )
        .await
    {
        Ok(Some(_)) => next.run(req).await,
        Ok(None) => {
            metrics::counter!("cmcc_rejections_total", "reason" => "rate_limited").increment(1);
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "more than {} calls from this address in a minute",
                    st.cfg.limits.per_ip_per_minute
                ),
            )
            .with_hint(
                "wait a minute; raise limits.per_ip_per_minute if this is legitimate traffic",
            )
            .into_response()
        }
        Err(e) => ApiError::internal("rate limiter", &e).into_response(),
    }
}

/// Sign the page's preSign (from `YDRZ.getSign`) with the customer private key.
#[utoipa::path(post, path = "/v1/presign/sign", tag = "browser",
    request_body = crate::api::PreSignRequest,
    responses((status = 200, body = SignResponse), (status = 400, body = crate::api::ErrorBody), (status = 415, description = "the body is not sent as JSON", body = crate::api::ErrorBody), (status = 422, description = "the carrier rejected the request; `code` is the carrier's", body = crate::api::ErrorBody)))]
pub async fn sign_pre_sign(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<crate::api::PreSignRequest>,
) -> Result<ApiJson<SignResponse>, ApiError> {
    let passport = st.passport()?;
    check_pre_sign_version(&st, &req.pre_sign, &passport.config().app_id)?;
    let max_age = Duration::from_secs(st.cfg.limits.presign_max_age_secs);
    let sign = passport
        .sign_pre_sign(&req.pre_sign, st.clock.now(), max_age)
        .map_err(|e| {
            ApiError::from_client(&e).with_hint(
                "pass the preSign exactly as YDRZ.getSign made it, within limits.presign_max_age_secs",
            )
        })?;
    Ok(ApiJson(SignResponse { sign }))
}

/// The version part must be exactly one the JSSDK produces (`presign_versions`), so nothing
/// appended to a genuine preSign (`…1.0` + `0`) gets signed.
fn check_pre_sign_version(st: &AppState, pre_sign: &str, app_id: &str) -> Result<(), ApiError> {
    let hint =
        "pass the preSign exactly as YDRZ.getSign made it, within limits.presign_max_age_secs";
    let parsed = cmcc_proto::format::PreSign::parse(pre_sign, app_id)
        .map_err(|e| ApiError::bad_request(format!("preSign: {e}")).with_hint(hint))?;
    if st.cfg.presign_versions.contains(&parsed.version) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "preSign version {:?} is not one this gateway signs",
            parsed.version
        ))
        .with_hint(format!(
            "the JSSDK's getSign version must be one of presign_versions ({})",
            st.cfg.presign_versions.join(", ")
        )))
    }
}

fn check_token_id(trace_id: &str) -> Result<(), ApiError> {
    let ok = (8..=64).contains(&trace_id.len())
        && trace_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(
            ApiError::bad_request("traceId must be 8-64 letters, digits or '-'")
                .with_hint("use a fresh 32-hex id per call (the JSSDK makes one)"),
        )
    }
}

/// The MD5 sign of getTokenInfo (businessType 5) or UAID getMobile (businessType 3).
#[utoipa::path(post, path = "/v1/token-sign", tag = "browser",
    request_body = TokenSignRequest,
    responses((status = 200, body = TokenSignResponse), (status = 400, body = crate::api::ErrorBody), (status = 415, description = "the body is not sent as JSON", body = crate::api::ErrorBody), (status = 422, description = "the carrier rejected the request; `code` is the carrier's", body = crate::api::ErrorBody)))]
pub async fn token_sign(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<TokenSignRequest>,
) -> Result<ApiJson<TokenSignResponse>, ApiError> {
    let passport = st.passport()?;
    let bt = req.business_type.as_str();
    if bt != cmcc_proto::wire::passport::BUSINESS_TYPE_UAID
        && bt != cmcc_proto::wire::passport::BUSINESS_TYPE_MINI
    {
        return Err(ApiError::bad_request(format!(
            "businessType {bt:?} is not signed here: only \"3\" (UAID) and \"5\" (mini-program)"
        )));
    }
    check_token_id(&req.trace_id)?;
    if req.version.is_empty() || req.version.len() > 8 {
        return Err(ApiError::bad_request(
            "version must be 1-8 characters, e.g. \"1.0\"",
        ));
    }
    let ts = Timestamp17::parse(&req.timestamp).map_err(|e| {
        ApiError::bad_request(format!("timestamp: {e}"))
            .with_hint("17 digits yyyyMMddHHmmssSSS in China time (UTC+8)")
    })?;
    let age = (st.clock.now() - ts.instant()).num_seconds().unsigned_abs();
    if age > st.cfg.limits.presign_max_age_secs {
        return Err(ApiError::bad_request(format!(
            "timestamp is {age} s away from now: stale or from a wrong clock"
        ))
        .with_hint("make the timestamp just before the call, in China time"));
    }
    let sign = passport.md5_sign(bt, &req.trace_id, &req.timestamp, &req.version);
    Ok(ApiJson(TokenSignResponse {
        app_id: passport.config().app_id.clone(),
        sign,
    }))
}

/// Seconds until the next China-time midnight (when the daily cap window ends), plus a margin.
fn until_china_midnight(now: chrono::DateTime<chrono::Utc>) -> Duration {
    let now = now.with_timezone(&cmcc_proto::time::china());
    let secs_today = u64::from(now.num_seconds_from_midnight());
    Duration::from_secs(86_400 - secs_today.min(86_399) + 60)
}

async fn audit(
    st: &AppState,
    kind: &str,
    phone: Option<&Phone>,
    ip: IpAddr,
    code: &str,
    started: Instant,
) {
    let a = Audit {
        at: st.clock.now_ms(),
        kind: kind.into(),
        app_id: st
            .passport
            .as_ref()
            .map(|p| p.config().app_id.clone())
            .unwrap_or_default(),
        phone_masked: phone.map(Phone::masked),
        client_ip: Some(ip.to_string()),
        code: code.into(),
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    st.audits.record(a).await;
}

/// verifyVmMobileApi through the SDK, after the per-number daily cap.
#[utoipa::path(post, path = "/v1/verify", tag = "browser",
    request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse),
              (status = 400, body = crate::api::ErrorBody),
              (status = 422, description = "the carrier rejected the request; `code` is the carrier's", body = crate::api::ErrorBody),
              (status = 429, description = "daily cap for this number or per-IP limit", body = crate::api::ErrorBody),
              (status = 415, description = "the body is not sent as JSON", body = crate::api::ErrorBody)))]
pub async fn verify(
    State(st): State<AppState>,
    Extension(ClientIp(peer)): Extension<ClientIp>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<ApiJson<VerifyResponse>, ApiError> {
    let started = Instant::now();
    let passport = st.passport()?;
    let phone = Phone::parse(req.phone.trim()).map_err(|e| {
        ApiError::bad_request(format!("phone: {e}")).with_hint("11 digits, no +86 or spaces")
    })?;
    if req.token.trim().is_empty() || req.user_information.trim().is_empty() {
        return Err(
            ApiError::bad_request("token and userInformation are required")
                .with_hint("pass both values from the page's getToken result"),
        );
    }
    let day = cmcc_proto::time::china_day(st.clock.now());
    let cap_key = format!("cap:{}:{}:{day}", passport.config().app_id, phone.as_str());
    let cap = st.cfg.limits.daily_cap_per_number;
    match st
        .shared
        .reserve(&cap_key, cap, until_china_midnight(st.clock.now()))
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => {
            metrics::counter!("cmcc_rejections_total", "reason" => "daily_cap").increment(1);
            audit(&st, "verify", Some(&phone), peer, "daily_cap", started).await;
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "daily_cap",
                format!("this number was verified {cap} times today (China time)"),
            )
            .with_hint("offer another login method; the cap resets at 00:00 China time (limits.daily_cap_per_number)"));
        }
        Err(e) => return Err(ApiError::internal("daily cap", &e)),
    }
    let result = passport
        .verify_number(&phone, req.token.trim(), req.user_information.trim())
        .await;
    let code = match &result {
        Ok(o) => o.code.clone(),
        Err(e) => e.carrier_code().unwrap_or("transport").to_owned(),
    };
    metrics::counter!("cmcc_carrier_results_total", "api" => "verify", "code" => code.clone())
        .increment(1);
    metrics::histogram!("cmcc_carrier_seconds", "api" => "verify")
        .record(started.elapsed().as_secs_f64());
    audit(&st, "verify", Some(&phone), peer, &code, started).await;
    match result {
        Ok(o) => {
            tracing::info!(phone = %phone, code = %o.code, "verified");
            Ok(ApiJson(VerifyResponse {
                verified: o.result == Verification::Match,
                code: o.code,
                task_id: o.task_id,
            }))
        }
        Err(e) => {
            // Only 000/001 are billed and count toward the cap: give the unit back.
            if let Err(re) = st.shared.release(&cap_key).await {
                tracing::warn!(error = %re, "daily cap unit not released");
            }
            tracing::info!(phone = %phone, code = %code, "verification failed");
            Err(ApiError::from_client(&e))
        }
    }
}

/// imeiTokenValidate through the SDK: the UAID of the device that got the token.
#[utoipa::path(post, path = "/v1/uaid", tag = "browser",
    request_body = UaidRequest,
    responses((status = 200, body = UaidResponse), (status = 400, body = crate::api::ErrorBody), (status = 415, description = "the body is not sent as JSON", body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn uaid(
    State(st): State<AppState>,
    Extension(ClientIp(peer)): Extension<ClientIp>,
    ApiJson(req): ApiJson<UaidRequest>,
) -> Result<ApiJson<UaidResponse>, ApiError> {
    let started = Instant::now();
    let passport = st.passport()?;
    if req.token.trim().is_empty() {
        return Err(ApiError::bad_request("token is required"));
    }
    let result = passport.validate_uaid(req.token.trim()).await;
    let code = match &result {
        Ok(_) => "000000".to_owned(),
        Err(e) => e.carrier_code().unwrap_or("transport").to_owned(),
    };
    metrics::counter!("cmcc_carrier_results_total", "api" => "uaid", "code" => code.clone())
        .increment(1);
    audit(&st, "uaid", None, peer, &code, started).await;
    let uaid = result.map_err(|e| ApiError::from_client(&e))?;
    Ok(ApiJson(UaidResponse { uaid }))
}
