//! What the card user sees: the H5 registration page of urlType 6 (and 2), and an H5 stand-in
//! for the carrier's mini-program page of urlType 3, which first checks `param`, `signature`
//! and `transactionID`. Plain HTML forms: no JavaScript needed, so a test can drive them.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cmcc_proto::format::MiniParam;
use cmcc_proto::ids::mask_number;
use serde::Deserialize;
use serde_json::json;

use super::registration::{custom_query, Submission, SubmitError};
use super::{Service, H5_PREFIX, MINI_PATH};
use crate::pages;

pub fn routes() -> Router<Service> {
    Router::new()
        .route(&format!("{H5_PREFIX}/{{ticket}}"), get(show_h5_page))
        .route(&format!("{H5_PREFIX}/{{ticket}}/submit"), post(submit_page))
        .route(MINI_PATH, get(show_mini_page))
}

fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    class: &str,
    extra: &str,
) -> Response {
    pages::html(
        status,
        "onelink/result.html",
        &json!({ "title": title, "message": message, "class": class, "extra": extra }),
    )
}

struct FormView<'a> {
    ticket: &'a str,
    custom: &'a str,
    name: &'a str,
    resident_id: &'a str,
    error: Option<&'a str>,
}

fn form_page(app: &Service, v: &FormView<'_>, status: StatusCode) -> Response {
    let now = app.core.clock.now();
    let regs = app.state.registrations.lock();
    let Some(r) = regs.by_ticket(v.ticket) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "链接无效",
            "该实名登记链接不存在。",
            "err",
            "",
        );
    };
    if let Some(o) = &r.outcome {
        let (title, class) = if o.success {
            ("实名登记成功", "ok")
        } else {
            ("实名登记未通过", "err")
        };
        return message_page(StatusCode::OK, title, &o.reg_msg, class, "");
    }
    if now >= r.expires {
        return message_page(
            StatusCode::GONE,
            "链接已过期",
            "请联系业务方重新获取实名登记链接。",
            "err",
            "",
        );
    }
    let source = if r.url_type == 3 {
        "小程序（沙箱替身页）"
    } else {
        "H5 页面"
    };
    pages::html(
        status,
        "onelink/register.html",
        &json!({
        "card": mask_number(&r.card_value),
        "busi_seq": &r.busi_seq,
        "source": source,
        "error": v.error,
        "action": format!("{H5_PREFIX}/{}/submit", v.ticket),
        "custom": v.custom,
        "name": v.name,
        "resident_id": v.resident_id,
        }),
    )
}

/// urlType 6 (and 2): every query parameter appended to the link is a custom one.
async fn show_h5_page(
    State(app): State<Service>,
    Path(ticket): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let custom = custom_query(q.as_deref());
    let resp = form_page(
        &app,
        &FormView {
            ticket: &ticket,
            custom: &custom,
            name: "",
            resident_id: "",
            error: None,
        },
        StatusCode::OK,
    );
    page_journal(&app, H5_PREFIX, &resp, "registration page viewed");
    resp
}

/// Journal a page request: the code is the HTTP status.
fn page_journal(app: &Service, path: &str, resp: &Response, reason: &str) {
    app.journal(
        path,
        resp.status().as_str(),
        reason,
        serde_json::Value::Null,
    );
}

/// urlType 3 stand-in: the four parameters of `extraData` arrive as a query string, custom
/// parameters beside them (as the seed appends them to the mini-program path).
async fn show_mini_page(State(app): State<Service>, RawQuery(q): RawQuery) -> Response {
    let raw = q.unwrap_or_default();
    let m = match MiniParam::from_url(&raw) {
        Ok(m) => m,
        Err(e) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "参数错误",
                &e.to_string(),
                "err",
                "",
            )
        }
    };
    let ticket = match app.state.check_mini_param(&m) {
        Ok(t) => t,
        Err(why) => return message_page(StatusCode::FORBIDDEN, "校验失败", why, "err", ""),
    };
    let custom = custom_query(Some(&raw));
    let resp = form_page(
        &app,
        &FormView {
            ticket: &ticket,
            custom: &custom,
            name: "",
            resident_id: "",
            error: None,
        },
        StatusCode::OK,
    );
    page_journal(&app, MINI_PATH, &resp, "mini-program stand-in viewed");
    resp
}

#[derive(Debug, Deserialize)]
struct SubmitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    liveness: String,
    #[serde(default)]
    custom: String,
}

async fn submit_page(
    State(app): State<Service>,
    Path(ticket): Path<String>,
    Form(f): Form<SubmitForm>,
) -> Response {
    let s = Submission {
        name: f.name.clone(),
        resident_id: f.resident_id.clone(),
        liveness: f.liveness.clone(),
        custom: f.custom.clone(),
    };
    let outcome = app.state.submit(&app.core, &ticket, &s);
    let reason = match &outcome {
        Ok(r) => r
            .outcome
            .as_ref()
            .map_or(String::new(), |o| o.reg_msg.clone()),
        Err(e) => e.to_string(),
    };
    let resp = submit_answer(&app, &ticket, &f, outcome);
    page_journal(&app, &format!("{H5_PREFIX}/submit"), &resp, &reason);
    resp
}

fn submit_answer(
    app: &Service,
    ticket: &str,
    f: &SubmitForm,
    outcome: Result<super::registration::Registration, SubmitError>,
) -> Response {
    match outcome {
        Ok(r) => {
            let o = r.outcome.as_ref();
            let success = o.is_some_and(|o| o.success);
            let extra = o
                .map(|o| &o.extra)
                .filter(|e| !e.is_empty())
                .map(|e| serde_json::to_string_pretty(e).unwrap_or_default());
            let (title, class) = if success {
                ("实名登记成功", "ok")
            } else {
                ("实名登记未通过", "err")
            };
            message_page(
                StatusCode::OK,
                title,
                o.map_or("", |o| o.reg_msg.as_str()),
                class,
                &extra.unwrap_or_default(),
            )
        }
        Err(e @ (SubmitError::Name | SubmitError::ResidentId(_) | SubmitError::Liveness)) => {
            form_page(
                app,
                &FormView {
                    ticket,
                    custom: &f.custom,
                    name: &f.name,
                    resident_id: &f.resident_id,
                    error: Some(&e.to_string()),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(SubmitError::UnknownLink) => message_page(
            StatusCode::NOT_FOUND,
            "链接无效",
            "该实名登记链接不存在。",
            "err",
            "",
        ),
        Err(SubmitError::Expired) => message_page(
            StatusCode::GONE,
            "链接已过期",
            "请联系业务方重新获取实名登记链接。",
            "err",
            "",
        ),
        Err(SubmitError::Done) => message_page(
            StatusCode::CONFLICT,
            "该链接已完成实名登记",
            "同一链接只能提交一次。",
            "err",
            "",
        ),
    }
}
