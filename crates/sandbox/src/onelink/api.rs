//! The carrier endpoints at their real paths: `/v5/ec/get/token`, 23A12
//! `/v5/ec/secure/sim-real-name-reg`, 23A23 `/v5/ec/query/sim-identity-registration-info`,
//! 23A10 `/v5/ec/query/sim-real-name-status`. GET and POST both; every answer is HTTP 200.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::format::parse_transid;
use cmcc_proto::ids::{mask_number, IdError};
use cmcc_proto::time::format_archive_time;
use cmcc_proto::wire::onelink::{
    CardQueryRequest, IdentityRegistrationInfo, RealNameRegRequest, RealNameStatus, TokenRequest,
    TokenResult, UrlType, IDENTITY_INFO_PATH, REAL_NAME_REG_PATH, REAL_NAME_STATUS_PATH,
    TOKEN_EXPIRED_STATUS, TOKEN_PATH,
};
use serde_json::json;

use super::params::{self, Params};
use super::Service;
use crate::core::Refusal;

pub fn routes() -> Router<Service> {
    Router::new()
        .route(TOKEN_PATH, get(get_token).post(get_token))
        .route(
            REAL_NAME_REG_PATH,
            get(issue_registration_link).post(issue_registration_link),
        )
        .route(
            IDENTITY_INFO_PATH,
            get(query_identity_info).post(query_identity_info),
        )
        .route(
            REAL_NAME_STATUS_PATH,
            get(query_real_name_status).post(query_real_name_status),
        )
}

fn refuse(code: &str, reason: impl Into<String>) -> Refusal {
    Refusal::new(code, reason)
}

impl Service {
    pub(super) fn journal(&self, path: &str, code: &str, reason: &str, detail: serde_json::Value) {
        self.core.record("onelink", path, code, reason, detail);
    }

    /// A queued fault for `path`: wait, and maybe answer its code instead.
    async fn fault(&self, path: &str) -> Option<Response> {
        let code = self.core.fault(path).await?;
        self.journal(path, &code, "fault injected", serde_json::Value::Null);
        Some(params::fault_answer(&code))
    }

    fn finish(
        &self,
        path: &str,
        outcome: Result<Response, Refusal>,
        detail: serde_json::Value,
    ) -> Response {
        match outcome {
            Ok(r) => {
                self.journal(path, "0", "", detail);
                r
            }
            Err(e) => {
                self.journal(path, &e.code, &e.reason, detail);
                params::error(&e.code)
            }
        }
    }

    /// transid: present always; its format only in strict mode.
    fn check_transid(&self, transid: &str, appid: &str) -> Result<(), Refusal> {
        if transid.trim().is_empty() {
            return Err(refuse("12001", "transid is missing"));
        }
        if self.state.config.strict_transid {
            parse_transid(transid.trim(), appid).map_err(|e| refuse("12003", e.to_string()))?;
        }
        Ok(())
    }

    /// The enterprise behind a token (12021 for unknown or expired).
    fn authenticate(
        &self,
        token: &str,
        transid: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let appid = self
            .state
            .tokens
            .lock()
            .check(token, now)
            .map(str::to_owned)
            .ok_or_else(|| refuse(TOKEN_EXPIRED_STATUS, "token unknown or expired"))?;
        self.check_transid(transid, &appid)?;
        Ok(appid)
    }
}

fn collect(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Result<Params, Refusal> {
    params::collect(uri.query(), headers, body).map_err(|e| refuse("12001", e))
}

fn card_refusal(e: &IdError) -> Refusal {
    match e {
        IdError::CardCount(_) => refuse("12004", e.to_string()),
        _ => refuse("12001", e.to_string()),
    }
}

async fn get_token(
    State(app): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = app.fault(TOKEN_PATH).await {
        return r;
    }
    let mut detail = serde_json::Value::Null;
    let outcome = (|| {
        let p = collect(&uri, &headers, &body)?;
        let req: TokenRequest = p.parse().map_err(|e| refuse("12001", e))?;
        detail = json!({ "appid": req.appid, "refresh": req.refresh });
        if req.appid.trim().is_empty() || req.password.is_empty() {
            return Err(refuse("12001", "appid and password are required"));
        }
        let known = app
            .state
            .inventory
            .read()
            .enterprises
            .get(req.appid.trim())
            .is_some_and(|e| e.password_matches(&req.password));
        if !known {
            return Err(refuse("12002", "unknown appid or wrong password"));
        }
        app.check_transid(&req.transid, req.appid.trim())?;
        let refresh = req.refresh.as_deref().map(str::trim) != Some("0");
        let cfg = &app.state.config;
        let issued = app.state.tokens.lock().issue(
            req.appid.trim(),
            app.core.clock.now(),
            cfg.token_ttl_secs,
            cfg.old_token_policy,
            refresh,
        );
        Ok(params::ok(vec![TokenResult {
            token: issued.token,
            ttl: issued.ttl,
        }]))
    })();
    app.finish(TOKEN_PATH, outcome, detail)
}

async fn issue_registration_link(
    State(app): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = app.fault(REAL_NAME_REG_PATH).await {
        return r;
    }
    let now = app.core.clock.now();
    let mut detail = serde_json::Value::Null;
    let outcome = (|| {
        let p = collect(&uri, &headers, &body)?;
        let req: RealNameRegRequest = p.parse().map_err(|e| refuse("12001", e))?;
        let appid = app.authenticate(&req.token, &req.transid, now)?;
        let id = req.card.card_id().map_err(|e| card_refusal(&e))?;
        detail = json!({ "appid": appid, "card": id.to_string(), "urlType": req.url_type });
        let url_type = match req.url_type() {
            Some(UrlType::MiniProgram) => 3,
            Some(UrlType::H5JumpMiniProgram | UrlType::MiniProgramH5) => 6,
            Some(t) if t.is_withdrawn() => {
                return Err(refuse(
                    "12005",
                    format!("urlType {} was withdrawn in October 2024", t.code()),
                ))
            }
            _ => return Err(refuse("12005", "urlType must be 3 or 6 (2 answers like 6)")),
        };
        if let Some(phone) = req.user_phone.as_deref().filter(|s| !s.trim().is_empty()) {
            cmcc_proto::Phone::parse(phone)
                .map_err(|e| refuse("12001", format!("userPhone: {e}")))?;
        }
        let card = {
            let inv = app.state.inventory.read();
            let i = inv
                .find(&id)
                .filter(|&i| inv.cards[i].appid == appid)
                .ok_or_else(|| refuse("12011", "no such card for this enterprise"))?;
            let c = &inv.cards[i];
            if c.blocked {
                return Err(refuse("12014", "the card's state forbids registration"));
            }
            if c.registered_at(now).is_some() {
                return Err(refuse("12013", "already registered"));
            }
            i
        };
        // The limit counts per urlType as asked (2 and 6 are distinct types).
        let asked = req.url_type().map_or(0, UrlType::code);
        if !app.state.registrations.lock().allow_call(
            card,
            asked,
            now,
            app.state.config.rate_limit_secs,
        ) {
            return Err(refuse("12012", "one call per card per urlType per minute"));
        }
        let result = app
            .state
            .issue_link(&app.core, &appid, card, &req.card, url_type, now)
            .map_err(|e| {
                tracing::error!(error = %e, "cannot issue a registration link");
                refuse("999999", "internal error")
            })?;
        Ok(params::ok(vec![result]))
    })();
    app.finish(REAL_NAME_REG_PATH, outcome, detail)
}

/// Common part of 23A23 and 23A10: the card's registration as of now, if any.
fn query_card(
    app: &Service,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    now: DateTime<Utc>,
    detail: &mut serde_json::Value,
) -> Result<Option<(String, String)>, Refusal> {
    let p = collect(uri, headers, body)?;
    let req: CardQueryRequest = p.parse().map_err(|e| refuse("12001", e))?;
    let appid = app.authenticate(&req.token, &req.transid, now)?;
    let id = req.card.card_id().map_err(|e| card_refusal(&e))?;
    *detail =
        json!({ "appid": appid, "card": format!("{}={}", id.field(), mask_number(id.value())) });
    let inv = app.state.inventory.read();
    let c = inv
        .find(&id)
        .map(|i| &inv.cards[i])
        .filter(|c| c.appid == appid)
        .ok_or_else(|| refuse("12011", "no such card for this enterprise"))?;
    Ok(c.registered_at(now).map(|r| {
        (
            r.registration_type.clone(),
            format_archive_time(r.archive_time),
        )
    }))
}

async fn query_identity_info(
    State(app): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = app.fault(IDENTITY_INFO_PATH).await {
        return r;
    }
    let now = app.core.clock.now();
    let mut detail = serde_json::Value::Null;
    let outcome = query_card(&app, &uri, &headers, &body, now, &mut detail).map(|reg| {
        let info = match reg {
            Some((t, archived)) => IdentityRegistrationInfo {
                status: "1".into(),
                registration_type: Some(t),
                archive_time: Some(archived),
            },
            None => IdentityRegistrationInfo {
                status: "0".into(),
                registration_type: None,
                archive_time: None,
            },
        };
        params::ok(vec![info])
    });
    app.finish(IDENTITY_INFO_PATH, outcome, detail)
}

async fn query_real_name_status(
    State(app): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = app.fault(REAL_NAME_STATUS_PATH).await {
        return r;
    }
    let now = app.core.clock.now();
    let mut detail = serde_json::Value::Null;
    let outcome = query_card(&app, &uri, &headers, &body, now, &mut detail).map(|reg| {
        params::ok(vec![RealNameStatus {
            real_name_status: if reg.is_some() { "1" } else { "0" }.into(),
        }])
    });
    app.finish(REAL_NAME_STATUS_PATH, outcome, detail)
}
