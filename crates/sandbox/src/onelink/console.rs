//! OneLink's part of the one console (`/_sandbox/`, see [`crate::console`]): enterprises and
//! their callbacks, cards, the magic cards, registrations, pushes with their delivery attempts
//! in words, and the console's plain forms (POST, then back to the console), so it works
//! without JavaScript.

use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::post;
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use cmcc_proto::ids::mask_number;
use serde::Deserialize;
use serde_json::json;

use super::config::DEMO_APPID;
use super::push::{Attempt, PushState};
use super::{inventory, OneLinkState, Service, ADMIN_PREFIX};
use crate::console::{self, FaultForm};
use crate::pages::china_time;

pub fn routes() -> Router<Service> {
    let p = ADMIN_PREFIX;
    Router::new()
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
        // The fault form was OneLink's before the console was one; faults are shared.
        .route(&format!("{p}/console/faults"), post(console_fault))
}

/// The magic cards' outcomes in Chinese, in the order of [`inventory::MAGIC`].
const MAGIC_ZH: &[&str] = &[
    "未登记；登记页活体检测通过即登记成功",
    "已登记（类型 01，归档 2024-10-21 09:30:00）：23A12 答 12013",
    "登记总是失败（推送 regStatus \"0\"，无论页面填什么）",
    "卡状态不允许登记（停机）：23A12 答 12014",
    "属于另一企业：演示企业调用 23A12/23A23/23A10 答 12011",
    "已登记为车联网卡（类型 04，归档 2024-10-21 09:30:00）",
    "停机：复机（operType 1）后为已激活；再停机答 12048",
    "待激活，从未激活：无 IMEI，无激活日期",
    "可测试",
    "库存，从未激活",
    "预销户：任何状态变更答 12017",
    "已激活但数据功能关闭：无会话、无流量；23M07 关闭答 12048",
    "已激活；任何变更（状态、数据）答 12015",
];

/// A push's state in words.
fn push_state(s: PushState) -> (&'static str, &'static str) {
    match s {
        PushState::Queued => ("排队中", "queued"),
        PushState::Delivering => ("发送中", "delivering"),
        PushState::Delivered => ("已送达", "delivered"),
        PushState::GaveUp => ("已放弃：每次重发都失败", "gave up: every resend failed"),
        PushState::NoCallback => ("未发送：企业没有推送地址", "not sent: no callback URL"),
    }
}

/// One delivery attempt in words.
fn attempt(a: &Attempt) -> serde_json::Value {
    let (zh, en) = match a.outcome.as_ref() {
        "ok" => ("成功", "ok"),
        "timeout" => ("超时", "timed out"),
        "error" => ("连接失败", "could not connect"),
        "not_json" => ("应答不是 JSON", "the answer is not JSON"),
        "status_not_0" => ("应答 status 不为 0", "the answer's status is not 0"),
        _ => ("其他", "other"),
    };
    let send = if a.resend == 0 {
        "首次发送 · first send".to_owned()
    } else {
        format!("第 {0} 次重发 · resend {0}", a.resend)
    };
    json!({
        "ok": a.outcome == "ok",
        "text": format!(
            "第 {round} 轮 {send}：{zh} · round {round}: {en}{http}，{ms} ms，{at}",
            round = a.round,
            http = a.http_status.map_or(String::new(), |s| format!(" (HTTP {s})")),
            ms = a.latency_ms,
            at = china_time(a.at),
        ),
    })
}

/// Everything the OneLink section shows; `card` is the card asked for in the query (if any).
pub fn view(state: &OneLinkState, now: DateTime<Utc>, card: &str) -> serde_json::Value {
    let (enterprises, card_count, found) = {
        let inv = state.inventory.read();
        let enterprises: Vec<_> = inv
            .enterprises
            .values()
            .map(|e| json!({"appid": e.appid, "callback_url": e.callback_url}))
            .collect();
        let found = if card.trim().is_empty() {
            None
        } else {
            inv.find_any(card).map(|i| {
                let v = inv.cards[i].view(now);
                json!({
                    "view": v,
                    "raw": serde_json::to_string_pretty(&v).unwrap_or_default(),
                })
            })
        };
        (enterprises, inv.cards.len(), found)
    };
    let magic: Vec<_> = inventory::magic_table()
        .into_iter()
        .enumerate()
        .map(|(i, (c, what))| {
            json!({
                "msisdn": c.msisdn, "iccid": c.iccid, "imsi": c.imsi,
                "zh": MAGIC_ZH.get(i).copied().unwrap_or(""), "en": what,
            })
        })
        .collect();
    let registrations: Vec<_> = state
        .registrations
        .lock()
        .by_seq
        .values()
        .rev()
        .take(50)
        .map(|r| {
            let (outcome, ok) = match &r.outcome {
                None if now >= r.expires => ("链接已过期 · link expired".to_owned(), None),
                None => ("待提交 · not yet submitted".to_owned(), None),
                Some(o) if o.success => {
                    (format!("登记成功 · registered：{}", o.reg_msg), Some(true))
                }
                Some(o) => (
                    format!("未通过 · not registered：{}", o.reg_msg),
                    Some(false),
                ),
            };
            json!({
                "busi_seq": r.busi_seq,
                "appid": r.appid,
                "card": format!("{}={}", r.card_field, mask_number(&r.card_value)),
                "url_type": r.url_type,
                "kind": if r.url_type == 3 { "小程序 · mini-program" } else { "H5" },
                "created": china_time(r.created),
                "outcome": outcome,
                "ok": ok,
                "push_id": r.push_id,
            })
        })
        .collect();
    let pushes: Vec<_> = state
        .pushes
        .recent(50, None)
        .into_iter()
        .map(|p| {
            let (zh, en) = push_state(p.state);
            json!({
                "id": p.id,
                "busi_seq": p.busi_seq,
                "state": p.state,
                "state_zh": zh,
                "state_en": en,
                "created": china_time(p.created),
                "attempts": p.attempts.iter().map(attempt).collect::<Vec<_>>(),
                "raw": serde_json::to_string_pretty(&p).unwrap_or_default(),
            })
        })
        .collect();
    let summary: Vec<_> = state
        .pushes
        .summary()
        .into_iter()
        .map(|(k, n)| {
            let (zh, en) = match k {
                "queued" => ("排队中", "queued"),
                "delivering" => ("发送中", "delivering"),
                "delivered" => ("已送达", "delivered"),
                "gave_up" => ("已放弃", "gave up"),
                _ => ("无推送地址", "no callback"),
            };
            format!("{zh} {n} · {en} {n}")
        })
        .collect();
    json!({
        "prefix": ADMIN_PREFIX,
        "enterprises": enterprises,
        "card_count": card_count,
        "card_query": card,
        "card": found,
        "demo_appid": DEMO_APPID,
        "magic": magic,
        "registrations": registrations,
        "pushes": pushes,
        "push_summary": summary,
    })
}

fn back(notice: &str) -> Redirect {
    console::back(notice, "onelink")
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
    let u = f.callback_url.trim();
    if app.state.set_callback(&appid, (!u.is_empty()).then_some(u)) {
        back("推送地址已保存 · Callback URL saved")
    } else {
        back("没有这个企业 · No such enterprise")
    }
}

#[derive(Debug, Deserialize)]
struct GenerateForm {
    appid: String,
    count: String,
}

async fn console_generate(State(app): State<Service>, Form(f): Form<GenerateForm>) -> Redirect {
    let Ok(count) = f.count.trim().parse::<u32>() else {
        return back("数量必须是整数 · The count must be a whole number");
    };
    match app
        .state
        .generate_cards(f.appid.trim(), count, app.core.clock.now())
    {
        Ok(_) => back(&format!("已生成 {count} 张卡 · {count} cards generated")),
        Err(e) => back(&e),
    }
}

async fn console_redeliver(State(app): State<Service>, Path(id): Path<u64>) -> Redirect {
    if app.state.pushes.redeliver(id) {
        back(&format!("推送 {id} 已重新排队 · Push {id} queued again"))
    } else {
        back("推送不存在或正在发送 · No such push, or it is being sent")
    }
}

async fn console_fault(State(app): State<Service>, Form(f): Form<FaultForm>) -> Redirect {
    console::add_fault(&app.core, &f)
}
