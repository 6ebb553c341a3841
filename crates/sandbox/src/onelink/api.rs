//! The carrier endpoints, routed from their definitions in `cmcc_proto::wire::onelink` (token,
//! 23A12, 23A23, 23A10; GET and POST both, every answer HTTP 200 with the envelope). `serve`
//! is the one way a OneLink call is answered; `card_query` adds what every card API shares.

use axum::extract::State;
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, Utc};
use cmcc_proto::endpoint::Endpoint;
use cmcc_proto::format::parse_transid;
use cmcc_proto::ids::{mask_number, IdError};
use cmcc_proto::time::format_archive_time;
use cmcc_proto::wire::onelink::{
    Authenticated, CardQuery, Envelope, GetToken, IdentityRegistrationInfo, IssueRegistrationLink,
    QueryIdentityInfo, QueryRealNameStatus, RealNameStatus, TokenResult, UrlType,
    TOKEN_EXPIRED_STATUS,
};
use serde_json::json;

use super::inventory::Card as CardRecord;
use super::params::{self, RawCall};
use super::Service;
use crate::core::{EndpointRoutes, Refusal};

pub fn routes() -> Router<Service> {
    Router::new()
        .endpoint::<GetToken, _, _>(get_token)
        .endpoint::<IssueRegistrationLink, _, _>(issue_registration_link)
        .endpoint::<QueryIdentityInfo, _, _>(query_identity_info)
        .endpoint::<QueryRealNameStatus, _, _>(query_real_name_status)
}

/// What an endpoint's handler gets: the sandbox, the (virtual) time of the request, and the
/// journal's view of the request, which the handler fills in as it learns who is asking.
pub(super) struct Call<'a> {
    pub app: &'a Service,
    pub now: DateTime<Utc>,
    pub detail: serde_json::Value,
}

/// Serve one call of the OneLink API `E`: a queued fault, or the request read from any of the
/// three styles into `E::Request` (12001 if it cannot be), `handle` run on it, the records
/// answered in the envelope (or the refusal's code), the outcome journaled.
pub(super) async fn serve<E, R>(
    app: &Service,
    raw: &RawCall,
    handle: impl FnOnce(&mut Call<'_>, E::Request) -> Result<Vec<R>, Refusal>,
) -> Response
where
    E: Endpoint<Response = Envelope<R>>,
    R: serde::Serialize,
{
    let path = E::METADATA.path;
    if let Some(r) = app.fault(path).await {
        return r;
    }
    let mut call = Call {
        app,
        now: app.core.clock.now(),
        detail: serde_json::Value::Null,
    };
    app.state.settle_jobs(call.now);
    let outcome = raw
        .params()
        .and_then(|p| p.parse::<E::Request>())
        .map_err(|e| refuse("12001", e))
        .and_then(|req| handle(&mut call, req));
    let detail = call.detail;
    match outcome {
        Ok(records) => {
            app.journal(path, "0", "", detail);
            params::ok(records)
        }
        Err(e) => {
            app.journal(path, &e.code, &e.reason, detail);
            params::error(&e.code)
        }
    }
}

pub(super) fn refuse(code: &str, reason: impl Into<String>) -> Refusal {
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

    /// The enterprise behind a request's token (12021 for unknown or expired), and its transid
    /// checked.
    pub(super) fn authenticate(
        &self,
        req: &impl Authenticated,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let (token, transid) = req.credentials();
        let appid = self
            .state
            .tokens
            .lock()
            .check(token, now)
            .map(str::to_owned)
            .ok_or_else(|| refuse(TOKEN_EXPIRED_STATUS, "token unknown or expired"))?;
        self.check_transid(transid, &appid)?;
        if !self.state.allow_call(&appid, now) {
            return Err(refuse(
                "12030",
                format!(
                    "more than {} calls this second for this enterprise (calls_per_sec)",
                    self.state.config.calls_per_sec
                ),
            ));
        }
        Ok(appid)
    }
}

pub(super) fn card_refusal(e: &IdError) -> Refusal {
    match e {
        IdError::CardCount(_) => refuse("12004", e.to_string()),
        _ => refuse("12001", e.to_string()),
    }
}

async fn get_token(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<GetToken, _>(&app, &raw, |call, req| {
        call.detail = json!({ "appid": req.appid, "refresh": req.refresh });
        let app = call.app;
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
            call.now,
            cfg.token_ttl_secs,
            cfg.old_token_policy,
            refresh,
        );
        Ok(vec![TokenResult {
            token: issued.token,
            ttl: issued.ttl,
        }])
    })
    .await
}

async fn issue_registration_link(State(app): State<Service>, raw: RawCall) -> Response {
    serve::<IssueRegistrationLink, _>(&app, &raw, |call, req| {
        let (app, now) = (call.app, call.now);
        let appid = app.authenticate(&req, now)?;
        let id = req.card.card_id().map_err(|e| card_refusal(&e))?;
        call.detail = json!({ "appid": appid, "card": id.to_string(), "urlType": req.url_type });
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
        Ok(vec![result])
    })
    .await
}

/// Serve the card query `E`: authenticate, find the enterprise's card (12011 otherwise), and
/// answer the record `answer` makes of it. Every card API is one of these.
pub(super) async fn card_query<E: CardQuery>(
    app: &Service,
    raw: &RawCall,
    answer: impl FnOnce(&CardRecord, DateTime<Utc>) -> E::Record,
) -> Response {
    serve::<E, E::Record>(app, raw, |call, req| {
        let (app, now) = (call.app, call.now);
        let appid = app.authenticate(&req, now)?;
        let id = req.card.card_id().map_err(|e| card_refusal(&e))?;
        call.detail = json!({ "appid": appid, "card": format!("{}={}", id.field(), mask_number(id.value())) });
        let inv = app.state.inventory.read();
        let card = inv
            .find(&id)
            .map(|i| &inv.cards[i])
            .filter(|c| c.appid == appid)
            .ok_or_else(|| refuse("12011", "no such card for this enterprise"))?;
        Ok(vec![answer(card, now)])
    })
    .await
}

async fn query_identity_info(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryIdentityInfo>(&app, &raw, |card, now| match card.registered_at(now) {
        Some(r) => IdentityRegistrationInfo {
            status: "1".into(),
            registration_type: Some(r.registration_type.clone()),
            archive_time: Some(format_archive_time(r.archive_time)),
        },
        None => IdentityRegistrationInfo {
            status: "0".into(),
            registration_type: None,
            archive_time: None,
        },
    })
    .await
}

async fn query_real_name_status(State(app): State<Service>, raw: RawCall) -> Response {
    card_query::<QueryRealNameStatus>(&app, &raw, |card, now| RealNameStatus {
        real_name_status: if card.registered_at(now).is_some() {
            "1"
        } else {
            "0"
        }
        .into(),
    })
    .await
}

impl super::OneLinkState {
    /// Count a call of `appid` this second; `false` beyond `calls_per_sec` (0: no limit).
    pub fn allow_call(&self, appid: &str, now: DateTime<Utc>) -> bool {
        let limit = self.config.calls_per_sec;
        if limit == 0 {
            return true;
        }
        let sec = now.timestamp();
        let mut calls = self.calls.lock();
        let e = calls.entry(appid.to_owned()).or_insert((sec, 0));
        if e.0 != sec {
            *e = (sec, 0);
        }
        e.1 += 1;
        e.1 <= limit
    }
}
