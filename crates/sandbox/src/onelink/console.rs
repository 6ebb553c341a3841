//! The console: HTML pages under `/_sandbox/onelink/` over the same state as the admin API.
//! Plain forms that POST and redirect back, so it works without JavaScript.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use cmcc_proto::ids::mask_number;
use serde::Deserialize;
use serde_json::json;

use super::config::DEMO_APPID;
use super::inventory;
use super::page::{esc, fill};
use super::{Service, ADMIN_PREFIX};
use crate::core::Fault;

const CONSOLE: &str = include_str!("../../assets/onelink/console.html");

pub fn routes() -> Router<Service> {
    let p = ADMIN_PREFIX;
    Router::new()
        .route(&format!("{p}/"), get(console))
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

#[derive(Debug, Deserialize)]
struct ConsoleQuery {
    #[serde(default)]
    card: String,
    #[serde(default)]
    notice: String,
}

async fn console(State(app): State<Service>, Query(q): Query<ConsoleQuery>) -> Html<String> {
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
    State(app): State<Service>,
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

async fn console_generate(State(app): State<Service>, Form(f): Form<GenerateForm>) -> Redirect {
    let Ok(count) = f.count.trim().parse::<u32>() else {
        return back("数量必须是整数");
    };
    match app
        .state
        .generate_cards(f.appid.trim(), count, app.core.clock.now())
    {
        Ok(_) => back(&format!("已生成 {count} 张卡")),
        Err(e) => back(&e),
    }
}

async fn console_redeliver(State(app): State<Service>, Path(id): Path<u64>) -> Redirect {
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

async fn console_fault(State(app): State<Service>, Form(f): Form<FaultForm>) -> Redirect {
    let code = f.code.trim();
    app.core.faults.push(Fault {
        endpoint: f.endpoint.trim().to_owned(),
        code: (!code.is_empty()).then(|| code.to_owned()),
        delay_ms: f.delay_ms.trim().parse().unwrap_or(0),
        remaining: f.remaining.trim().parse().unwrap_or(1),
    });
    back("故障已注入")
}
