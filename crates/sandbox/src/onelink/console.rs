//! The console: HTML pages under `/_sandbox/onelink/` over the same state as the admin API.
//! Plain forms that POST and redirect back, so it works without JavaScript.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cmcc_proto::ids::mask_number;
use serde::Deserialize;
use serde_json::json;

use super::config::DEMO_APPID;
use super::inventory;
use super::{Service, ADMIN_PREFIX};
use crate::core::Fault;
use crate::pages;

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

async fn console(State(app): State<Service>, Query(q): Query<ConsoleQuery>) -> Response {
    let now = app.core.clock.now();
    let (enterprises, card_count, card_view) = {
        let inv = app.state.inventory.read();
        let enterprises: Vec<_> = inv
            .enterprises
            .values()
            .map(|e| json!({"appid": e.appid, "callback_url": e.callback_url}))
            .collect();
        let view = if q.card.trim().is_empty() {
            None
        } else {
            inv.find_any(&q.card)
                .map(|i| serde_json::to_string_pretty(&inv.cards[i].view(now)).unwrap_or_default())
        };
        (enterprises, inv.cards.len(), view)
    };
    let magic: Vec<_> = inventory::magic_table()
        .into_iter()
        .map(
            |(c, what)| json!({"msisdn": c.msisdn, "iccid": c.iccid, "imsi": c.imsi, "what": what}),
        )
        .collect();
    let registrations: Vec<_> = app
        .state
        .registrations
        .lock()
        .by_seq
        .values()
        .rev()
        .take(50)
        .map(|r| {
            json!({
                "busi_seq": r.busi_seq,
                "appid": r.appid,
                "card": format!("{}={}", r.card_field, mask_number(&r.card_value)),
                "url_type": r.url_type,
                "outcome": r.outcome.as_ref().map_or("待提交", |o| o.reg_msg.as_str()),
            })
        })
        .collect();
    let pushes: Vec<_> = app
        .state
        .pushes
        .recent(50, None)
        .into_iter()
        .map(|push| {
            let attempts: Vec<String> = push
                .attempts
                .iter()
                .map(|a| format!("#{}.{} {} {}ms", a.round, a.resend, a.outcome, a.latency_ms))
                .collect();
            json!({
                "id": push.id,
                "busi_seq": push.busi_seq,
                "state": push.state,
                "attempts": attempts.join(", "),
            })
        })
        .collect();
    pages::html(
        StatusCode::OK,
        "onelink/console.html",
        &json!({
        "prefix": ADMIN_PREFIX,
        "notice": q.notice,
        "enterprises": enterprises,
        "card_count": card_count,
        "card_query": q.card,
        "card_view": card_view,
        "demo_appid": DEMO_APPID,
        "magic": magic,
        "registrations": registrations,
        "pushes": pushes,
        "push_summary": json!(app.state.pushes.summary()).to_string(),
        "faults": app.core.faults.list(),
        }),
    )
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
