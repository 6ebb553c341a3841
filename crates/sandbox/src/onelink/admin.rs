//! Admin API (JSON) under `/_sandbox/onelink/`: enterprises, cards,
//! registrations, pushes with their delivery logs and manual redeliver, faults, journal.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cmcc_proto::wire::onelink::{CardFields, Envelope, PushRecord, REG_STATUS_SUCCESS};
use cmcc_proto::Secret;
use serde::Deserialize;
use serde_json::json;

use super::inventory::{Card, Enterprise};
use super::life::Life;
use super::registration::Submission;
use super::{Service, ADMIN_PREFIX};
use crate::admin_error::{AdminError, AdminJson, AdminQuery};
use crate::core::Fault;
use cmcc_proto::wire::onelink::CardState;

pub fn routes() -> Router<Service> {
    let p = ADMIN_PREFIX;
    Router::new()
        .route(&format!("{p}/ping"), get(ping))
        .route(
            &format!("{p}/enterprises"),
            get(list_enterprises).post(put_enterprise),
        )
        .route(&format!("{p}/cards"), get(list_cards).post(add_card))
        .route(&format!("{p}/cards/generate"), post(generate_cards))
        .route(&format!("{p}/cards/{{number}}"), get(show_card))
        .route(&format!("{p}/cards/{{number}}/reset"), post(reset_card))
        .route(&format!("{p}/registrations"), get(list_registrations))
        .route(
            &format!("{p}/registrations/{{busi_seq}}"),
            get(show_registration),
        )
        .route(
            &format!("{p}/registrations/{{busi_seq}}/complete"),
            post(complete_registration),
        )
        .route(&format!("{p}/pushes"), get(list_pushes))
        .route(&format!("{p}/pushes/synthetic"), post(synthetic_pushes))
        .route(&format!("{p}/pushes/{{id}}"), get(show_push))
        .route(&format!("{p}/pushes/{{id}}/redeliver"), post(redeliver))
        .route(
            &format!("{p}/faults"),
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(&format!("{p}/tokens"), axum::routing::delete(revoke_tokens))
        .route(&format!("{p}/journal"), get(journal))
        .merge(super::console::routes())
}

fn bad(status: StatusCode, msg: impl Into<String>) -> Response {
    AdminError::new(status, msg).into_response()
}

/// An empty JSON answer: the baseline of the status-query benchmark.
async fn ping() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
}

async fn list_enterprises(State(app): State<Service>) -> Json<serde_json::Value> {
    let inv = app.state.inventory.read();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for c in &inv.cards {
        *counts.entry(c.appid.as_str()).or_insert(0) += 1;
    }
    Json(json!(inv
        .enterprises
        .values()
        .map(|e| json!({
            "appid": e.appid,
            "callbackUrl": e.callback_url,
            "cards": counts.get(e.appid.as_str()).copied().unwrap_or(0),
        }))
        .collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterpriseBody {
    appid: String,
    /// Keeps the current password when absent.
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "callbackUrl", alias = "callback_url")]
    callback_url: Option<String>,
}

/// Add an enterprise or change its password / callback URL.
async fn put_enterprise(
    State(app): State<Service>,
    AdminJson(b): AdminJson<EnterpriseBody>,
) -> Response {
    let appid = b.appid.trim().to_owned();
    if appid.is_empty() {
        return bad(StatusCode::BAD_REQUEST, "appid is required");
    }
    let mut inv = app.state.inventory.write();
    let password = match (b.password, inv.enterprises.get(&appid)) {
        (Some(p), _) if !p.is_empty() => Secret::new(p),
        (_, Some(e)) => e.password.clone(),
        _ => {
            return bad(
                StatusCode::BAD_REQUEST,
                "password is required for a new enterprise",
            )
        }
    };
    inv.upsert_enterprise(Enterprise {
        appid: appid.clone(),
        password,
        callback_url: b.callback_url.filter(|u| !u.trim().is_empty()),
    });
    Json(json!({ "appid": appid })).into_response()
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    offset: usize,
    #[serde(default = "fifty")]
    limit: usize,
}

fn fifty() -> usize {
    50
}

async fn list_cards(
    State(app): State<Service>,
    AdminQuery(p): AdminQuery<Page>,
) -> Json<serde_json::Value> {
    let now = app.core.clock.now();
    let inv = app.state.inventory.read();
    let cards: Vec<_> = inv
        .cards
        .iter()
        .filter(|c| p.appid.as_deref().is_none_or(|a| a == c.appid))
        .skip(p.offset)
        .take(p.limit.min(1000))
        .map(|c| c.view(now))
        .collect();
    Json(json!({ "total": inv.cards.len(), "cards": cards }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardBody {
    appid: String,
    msisdn: String,
    iccid: String,
    imsi: String,
    #[serde(default)]
    blocked: bool,
    #[serde(default, rename = "failRegistration")]
    fail_registration: bool,
    /// The card's status code (25S04 `cardStatus`; default 2, active).
    #[serde(default, rename = "cardStatus")]
    card_status: Option<u8>,
    /// Data switched on (default true).
    #[serde(default, rename = "dataOn")]
    data_on: Option<bool>,
}

async fn add_card(State(app): State<Service>, AdminJson(b): AdminJson<CardBody>) -> Response {
    let parsed = (
        cmcc_proto::ids::Msisdn::parse(&b.msisdn),
        cmcc_proto::ids::Iccid::parse(&b.iccid),
        cmcc_proto::ids::Imsi::parse(&b.imsi),
    );
    let (Ok(m), Ok(c), Ok(i)) = parsed else {
        return bad(
            StatusCode::BAD_REQUEST,
            "msisdn, iccid and imsi must all be valid",
        );
    };
    let now = app.core.clock.now();
    let mut life = Life::new(0, now.timestamp_millis());
    if let Some(code) = b.card_status {
        life = life.in_state(CardState::from_code(code));
    }
    life.data_on = b.data_on.unwrap_or(true);
    let card = Card {
        msisdn: m.as_str().to_owned(),
        iccid: c.as_str().to_owned(),
        imsi: i.as_str().to_owned(),
        appid: b.appid,
        blocked: b.blocked,
        fail_registration: b.fail_registration,
        registration: None,
        life,
    };
    let mut inv = app.state.inventory.write();
    match inv.add_card(card) {
        Ok(i) => Json(inv.cards[i].view(now)).into_response(),
        Err(e) => bad(StatusCode::CONFLICT, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct GenerateBody {
    appid: String,
    count: u32,
}

async fn generate_cards(
    State(app): State<Service>,
    AdminJson(b): AdminJson<GenerateBody>,
) -> Response {
    match app
        .state
        .generate_cards(&b.appid, b.count, app.core.clock.now())
    {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(StatusCode::BAD_REQUEST, e),
    }
}

async fn show_card(State(app): State<Service>, Path(number): Path<String>) -> Response {
    let now = app.core.clock.now();
    let inv = app.state.inventory.read();
    match inv.find_any(&number) {
        Some(i) => Json(inv.cards[i].view(now)).into_response(),
        None => bad(StatusCode::NOT_FOUND, "no such card"),
    }
}

/// Back to unregistered (so a test can register it again).
async fn reset_card(State(app): State<Service>, Path(number): Path<String>) -> Response {
    let now = app.core.clock.now();
    let mut inv = app.state.inventory.write();
    match inv.find_any(&number) {
        Some(i) => {
            inv.cards[i].registration = None;
            Json(inv.cards[i].view(now)).into_response()
        }
        None => bad(StatusCode::NOT_FOUND, "no such card"),
    }
}

async fn list_registrations(
    State(app): State<Service>,
    AdminQuery(p): AdminQuery<Page>,
) -> Json<serde_json::Value> {
    let regs = app.state.registrations.lock();
    Json(json!(regs
        .by_seq
        .values()
        .rev()
        .filter(|r| p.appid.as_deref().is_none_or(|a| a == r.appid))
        .skip(p.offset)
        .take(p.limit.min(1000))
        .collect::<Vec<_>>()))
}

async fn show_registration(State(app): State<Service>, Path(busi_seq): Path<String>) -> Response {
    let regs = app.state.registrations.lock();
    match regs.by_seq.get(&busi_seq) {
        Some(r) => Json(json!(r)).into_response(),
        None => bad(StatusCode::NOT_FOUND, "no such registration"),
    }
}

#[derive(Debug, Deserialize)]
struct CompleteBody {
    name: String,
    #[serde(rename = "residentId", alias = "resident_id")]
    resident_id: String,
    /// `pass` (default) or `fail`.
    #[serde(default)]
    liveness: Option<String>,
    /// Custom parameters, as a query string (`para1=p1&para2=p2`).
    #[serde(default)]
    custom: String,
}

/// Complete a registration without the page (what the page's submit does).
async fn complete_registration(
    State(app): State<Service>,
    Path(busi_seq): Path<String>,
    AdminJson(b): AdminJson<CompleteBody>,
) -> Response {
    let ticket = {
        let regs = app.state.registrations.lock();
        match regs.by_seq.get(&busi_seq) {
            Some(r) => r.ticket.clone(),
            None => return bad(StatusCode::NOT_FOUND, "no such registration"),
        }
    };
    let s = Submission {
        name: b.name,
        resident_id: b.resident_id,
        liveness: b.liveness.unwrap_or_else(|| "pass".into()),
        custom: b.custom,
    };
    match app.state.submit(&app.core, &ticket, &s) {
        Ok(r) => Json(json!(r)).into_response(),
        Err(e) => bad(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct PushQuery {
    #[serde(default)]
    appid: Option<String>,
    #[serde(default = "fifty")]
    limit: usize,
}

async fn list_pushes(
    State(app): State<Service>,
    AdminQuery(q): AdminQuery<PushQuery>,
) -> Json<serde_json::Value> {
    Json(json!({
        "summary": app.state.pushes.summary(),
        "pushes": app.state.pushes.recent(q.limit.min(1000), q.appid.as_deref()),
    }))
}

async fn show_push(State(app): State<Service>, Path(id): Path<u64>) -> Response {
    match app.state.pushes.get(id) {
        Some(p) => Json(json!(p)).into_response(),
        None => bad(StatusCode::NOT_FOUND, "no such push"),
    }
}

async fn redeliver(State(app): State<Service>, Path(id): Path<u64>) -> Response {
    if app.state.pushes.redeliver(id) {
        (StatusCode::ACCEPTED, Json(json!({ "queued": id }))).into_response()
    } else {
        bad(
            StatusCode::CONFLICT,
            "no such push, or it is being delivered",
        )
    }
}

#[derive(Debug, Deserialize)]
struct SyntheticBody {
    appid: String,
    count: u32,
}

/// Queue `count` pushes with busiSeq `SYN<n>` (load tests of the dispatcher).
async fn synthetic_pushes(
    State(app): State<Service>,
    AdminJson(b): AdminJson<SyntheticBody>,
) -> Response {
    if !app
        .state
        .inventory
        .read()
        .enterprises
        .contains_key(&b.appid)
    {
        return bad(StatusCode::NOT_FOUND, "no such enterprise");
    }
    let now = app.core.clock.now();
    let mut ids = Vec::with_capacity(b.count.min(100_000) as usize);
    for n in 0..b.count.min(100_000) {
        let busi_seq = format!("SYN{n:08}");
        let record = PushRecord {
            reg_status: REG_STATUS_SUCCESS.into(),
            reg_msg: "实名登记成功".into(),
            busi_seq: busi_seq.clone(),
            card: CardFields {
                msisdn: Some("1440000000001".into()),
                ..CardFields::default()
            },
            extra: std::collections::BTreeMap::new(),
        };
        let body = serde_json::to_value(Envelope::ok(vec![record])).unwrap_or_default();
        ids.push(app.state.pushes.create(&b.appid, &busi_seq, body, now));
    }
    Json(json!({ "queued": ids.len(), "first": ids.first(), "last": ids.last() })).into_response()
}

async fn list_faults(State(app): State<Service>) -> Json<Vec<Fault>> {
    Json(app.core.faults.list())
}

async fn add_fault(State(app): State<Service>, AdminJson(f): AdminJson<Fault>) -> Response {
    app.core.faults.push(f);
    (StatusCode::CREATED, Json(app.core.faults.list())).into_response()
}

async fn clear_faults(State(app): State<Service>) -> StatusCode {
    app.core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn revoke_tokens(State(app): State<Service>) -> StatusCode {
    app.state.tokens.lock().clear();
    StatusCode::NO_CONTENT
}

async fn journal(State(app): State<Service>) -> Json<serde_json::Value> {
    Json(json!(app.core.journal.recent(200, Some("onelink"))))
}
