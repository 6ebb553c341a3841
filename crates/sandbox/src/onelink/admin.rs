//! Admin API (JSON) and console (HTML) under `/_sandbox/onelink/`: enterprises, cards,
//! registrations, pushes with their delivery logs and manual redeliver, faults, journal.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cmcc_proto::ids::mask_number;
use cmcc_proto::Secret;
use serde::Deserialize;
use serde_json::json;

use super::config::DEMO_APPID;
use super::inventory::{self, Card, Enterprise};
use super::page::{esc, fill};
use super::registration::Submission;
use super::{App, ADMIN_PREFIX};
use crate::core::Fault;

const CONSOLE: &str = include_str!("../../assets/onelink/console.html");

pub fn routes() -> Router<App> {
    let p = ADMIN_PREFIX;
    Router::new()
        .route(&format!("{p}/"), get(console))
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
        .route(
            &format!("{p}/console/enterprises/{{appid}}/callback"),
            post(console_set_callback),
        )
        .route(
            &format!("{p}/console/cards/generate"),
            post(console_generate),
        )
        .route(
            &format!("{p}/console/pushes/{{id}}/redeliver"),
            post(console_redeliver),
        )
        .route(&format!("{p}/console/faults"), post(console_fault))
}

fn bad(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({ "error": msg.into() }))).into_response()
}

/// An empty JSON answer: the baseline of the status-query benchmark.
async fn ping() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
}

async fn list_enterprises(State(app): State<App>) -> Json<serde_json::Value> {
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
async fn put_enterprise(State(app): State<App>, Json(b): Json<EnterpriseBody>) -> Response {
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

async fn list_cards(State(app): State<App>, Query(p): Query<Page>) -> Json<serde_json::Value> {
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
}

async fn add_card(State(app): State<App>, Json(b): Json<CardBody>) -> Response {
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
    let card = Card {
        msisdn: m.as_str().to_owned(),
        iccid: c.as_str().to_owned(),
        imsi: i.as_str().to_owned(),
        appid: b.appid,
        blocked: b.blocked,
        fail_registration: b.fail_registration,
        registration: None,
    };
    let now = app.core.clock.now();
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

fn generate(app: &App, appid: &str, count: u32) -> Result<serde_json::Value, String> {
    if count > 1_000_000 {
        return Err("at most 1,000,000 cards at once".into());
    }
    let now = app.core.clock.now();
    let mut inv = app.state.inventory.write();
    let first = inv.generate(appid, count).map_err(|e| e.to_string())?;
    let sample = inv.cards.get(first).map(|c| c.view(now));
    Ok(json!({ "generated": count, "total": inv.cards.len(), "first": sample }))
}

async fn generate_cards(State(app): State<App>, Json(b): Json<GenerateBody>) -> Response {
    match generate(&app, &b.appid, b.count) {
        Ok(v) => Json(v).into_response(),
        Err(e) => bad(StatusCode::BAD_REQUEST, e),
    }
}

async fn show_card(State(app): State<App>, Path(number): Path<String>) -> Response {
    let now = app.core.clock.now();
    let inv = app.state.inventory.read();
    match inv.find_any(&number) {
        Some(i) => Json(inv.cards[i].view(now)).into_response(),
        None => bad(StatusCode::NOT_FOUND, "no such card"),
    }
}

/// Back to unregistered (so a test can register it again).
async fn reset_card(State(app): State<App>, Path(number): Path<String>) -> Response {
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
    State(app): State<App>,
    Query(p): Query<Page>,
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

async fn show_registration(State(app): State<App>, Path(busi_seq): Path<String>) -> Response {
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
    State(app): State<App>,
    Path(busi_seq): Path<String>,
    Json(b): Json<CompleteBody>,
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
    State(app): State<App>,
    Query(q): Query<PushQuery>,
) -> Json<serde_json::Value> {
    Json(json!({
        "summary": app.state.pushes.summary(),
        "pushes": app.state.pushes.recent(q.limit.min(1000), q.appid.as_deref()),
    }))
}

async fn show_push(State(app): State<App>, Path(id): Path<u64>) -> Response {
    match app.state.pushes.get(id) {
        Some(p) => Json(json!(p)).into_response(),
        None => bad(StatusCode::NOT_FOUND, "no such push"),
    }
}

async fn redeliver(State(app): State<App>, Path(id): Path<u64>) -> Response {
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
async fn synthetic_pushes(State(app): State<App>, Json(b): Json<SyntheticBody>) -> Response {
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
        let body = json!({
            "status": "0", "message": "正确",
            "result": [{ "regStatus": "1", "regMsg": "实名登记成功", "busiSeq": busi_seq, "msisdn": "1440000000001" }],
        });
        ids.push(app.state.pushes.create(&b.appid, &busi_seq, body, now));
    }
    Json(json!({ "queued": ids.len(), "first": ids.first(), "last": ids.last() })).into_response()
}

async fn list_faults(State(app): State<App>) -> Json<Vec<Fault>> {
    Json(app.core.faults.list())
}

async fn add_fault(State(app): State<App>, Json(f): Json<Fault>) -> Response {
    app.core.faults.push(f);
    (StatusCode::CREATED, Json(app.core.faults.list())).into_response()
}

async fn clear_faults(State(app): State<App>) -> StatusCode {
    app.core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn revoke_tokens(State(app): State<App>) -> StatusCode {
    app.state.tokens.lock().clear();
    StatusCode::NO_CONTENT
}

async fn journal(State(app): State<App>) -> Json<serde_json::Value> {
    Json(json!(app.core.journal.recent(200, Some("onelink"))))
}

// ---- console

#[derive(Debug, Deserialize)]
struct ConsoleQuery {
    #[serde(default)]
    card: String,
    #[serde(default)]
    notice: String,
}

async fn console(State(app): State<App>, Query(q): Query<ConsoleQuery>) -> Html<String> {
    let now = app.core.clock.now();
    let p = ADMIN_PREFIX;
    let mut enterprises = String::new();
    let (card_count, card_view) = {
        let inv = app.state.inventory.read();
        for e in inv.enterprises.values() {
            let _ = write!(
                enterprises,
                "<tr><td>{a}</td><td><form class=\"inline\" method=\"post\" action=\"{p}/console/enterprises/{a}/callback\">\
                 <input type=\"text\" name=\"callback_url\" value=\"{u}\" aria-label=\"推送地址\"> <button type=\"submit\">保存</button></form></td><td></td></tr>",
                a = esc(&e.appid),
                u = esc(e.callback_url.as_deref().unwrap_or("")),
            );
        }
        let view = if q.card.trim().is_empty() {
            String::new()
        } else {
            match inv.find_any(&q.card) {
                Some(i) => format!(
                    "<pre>{}</pre>",
                    esc(&serde_json::to_string_pretty(&inv.cards[i].view(now)).unwrap_or_default())
                ),
                None => "<p class=\"err\">没有这张卡</p>".to_owned(),
            }
        };
        (inv.cards.len(), view)
    };
    let mut magic = String::new();
    for (c, what) in inventory::magic_table() {
        let _ = write!(
            magic,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.msisdn),
            esc(&c.iccid),
            esc(&c.imsi),
            esc(what)
        );
    }
    let mut registrations = String::new();
    for r in app
        .state
        .registrations
        .lock()
        .by_seq
        .values()
        .rev()
        .take(50)
    {
        let outcome = r
            .outcome
            .as_ref()
            .map_or("待提交".to_owned(), |o| o.reg_msg.clone());
        let _ = write!(
            registrations,
            "<tr><td>{}</td><td>{}</td><td>{}={}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.busi_seq),
            esc(&r.appid),
            r.card_field,
            esc(&mask_number(&r.card_value)),
            r.url_type,
            esc(&outcome)
        );
    }
    let mut pushes = String::new();
    for push in app.state.pushes.recent(50, None) {
        let attempts: Vec<String> = push
            .attempts
            .iter()
            .map(|a| format!("#{}.{} {} {}ms", a.round, a.resend, a.outcome, a.latency_ms))
            .collect();
        let _ = write!(
            pushes,
            "<tr><td>{id}</td><td>{seq}</td><td>{state}</td><td>{att}</td><td><form class=\"inline\" method=\"post\" action=\"{p}/console/pushes/{id}/redeliver\"><button type=\"submit\">重新推送</button></form></td></tr>",
            id = push.id,
            seq = esc(&push.busi_seq),
            state = esc(json!(push.state).as_str().unwrap_or_default()),
            att = esc(&attempts.join(", ")),
        );
    }
    let mut faults = String::new();
    for f in app.core.faults.list() {
        let _ = write!(
            faults,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.endpoint),
            esc(f.code.as_deref().unwrap_or("")),
            f.delay_ms,
            f.remaining
        );
    }
    let summary = json!(app.state.pushes.summary()).to_string();
    let notice = if q.notice.is_empty() {
        String::new()
    } else {
        format!("<div class=\"card\">{}</div>", esc(&q.notice))
    };
    Html(fill(
        CONSOLE,
        &[
            ("prefix", p),
            ("notice", &notice),
            ("enterprises", &enterprises),
            ("card_count", &card_count.to_string()),
            ("card_query", &esc(&q.card)),
            ("card_view", &card_view),
            ("demo_appid", DEMO_APPID),
            ("magic", &magic),
            ("registrations", &registrations),
            ("pushes", &pushes),
            ("push_summary", &esc(&summary)),
            ("faults", &faults),
        ],
    ))
}

fn back(notice: &str) -> Redirect {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("{ADMIN_PREFIX}/?{q}"))
}

#[derive(Debug, Deserialize)]
struct CallbackForm {
    #[serde(default)]
    callback_url: String,
}

async fn console_set_callback(
    State(app): State<App>,
    Path(appid): Path<String>,
    Form(f): Form<CallbackForm>,
) -> Redirect {
    let mut inv = app.state.inventory.write();
    match inv.enterprises.get_mut(&appid) {
        Some(e) => {
            let u = f.callback_url.trim();
            e.callback_url = (!u.is_empty()).then(|| u.to_owned());
            back("推送地址已保存")
        }
        None => back("没有这个企业"),
    }
}

#[derive(Debug, Deserialize)]
struct GenerateForm {
    appid: String,
    count: String,
}

async fn console_generate(State(app): State<App>, Form(f): Form<GenerateForm>) -> Redirect {
    let Ok(count) = f.count.trim().parse::<u32>() else {
        return back("数量必须是整数");
    };
    match generate(&app, f.appid.trim(), count) {
        Ok(_) => back(&format!("已生成 {count} 张卡")),
        Err(e) => back(&e),
    }
}

async fn console_redeliver(State(app): State<App>, Path(id): Path<u64>) -> Redirect {
    if app.state.pushes.redeliver(id) {
        back(&format!("推送 {id} 已重新排队"))
    } else {
        back("推送不存在或正在发送")
    }
}

#[derive(Debug, Deserialize)]
struct FaultForm {
    endpoint: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    delay_ms: String,
    #[serde(default)]
    remaining: String,
}

async fn console_fault(State(app): State<App>, Form(f): Form<FaultForm>) -> Redirect {
    let code = f.code.trim();
    app.core.faults.push(Fault {
        endpoint: f.endpoint.trim().to_owned(),
        code: (!code.is_empty()).then(|| code.to_owned()),
        delay_ms: f.delay_ms.trim().parse().unwrap_or(0),
        remaining: f.remaining.trim().parse().unwrap_or(1),
    });
    back("故障已注入")
}
