//! The one console, `/_sandbox/`: both platforms on one page, in Chinese with English. This
//! browser's device and the apps (auth platform), enterprises, cards, registrations and pushes
//! (OneLink), the faults and the virtual clock both share, and the journal of both, with each
//! answer explained in words and its raw JSON one click away. Times are China time to the
//! second. `/_sandbox/auth/` and `/_sandbox/onelink/`, the two consoles it replaces, answer the
//! same page. Plain forms that POST and come back, so it works without JavaScript.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cmcc_proto::codes::{Code, Platform};
use serde::Deserialize;
use serde_json::json;

use crate::admin_error::AdminQuery;
use crate::core::{Core, Fault, JournalEntry};
use crate::pages::{self, china_time};
use crate::Sandbox;

/// Where the console is.
pub const PATH: &str = "/_sandbox/";
/// How many journal lines the console shows.
const JOURNAL_LINES: usize = 100;

pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(PATH, get(console))
        .route("/_sandbox/auth/", get(console))
        .route("/_sandbox/onelink/", get(console))
        .route("/_sandbox/console/faults", post(fault))
        .route("/_sandbox/console/faults/clear", post(clear_faults))
        .route("/_sandbox/console/clock", post(advance_clock))
}

/// Back to the console's `section`, with a notice on top.
pub fn back(notice: &str, section: &str) -> Redirect {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("{PATH}?{q}#{section}"))
}

#[derive(Debug, Default, Deserialize)]
struct ConsoleQuery {
    #[serde(default)]
    notice: String,
    /// A card to show (msisdn, iccid or imsi).
    #[serde(default)]
    card: String,
    /// Journal of one platform only: `auth` or `onelink`.
    #[serde(default)]
    platform: String,
    /// Journal lines with this code only.
    #[serde(default)]
    code: String,
}

async fn console(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    AdminQuery(q): AdminQuery<ConsoleQuery>,
) -> Response {
    let now = s.core.clock.now();
    let platform = match q.platform.as_str() {
        p @ ("auth" | "onelink") => Some(p),
        _ => None,
    };
    let code = q.code.trim();
    let journal: Vec<_> = s
        .core
        .journal
        .recent(usize::MAX, platform)
        .into_iter()
        .filter(|e| code.is_empty() || e.code == code)
        .take(JOURNAL_LINES)
        .map(|e| journal_line(&e))
        .collect();
    let faults: Vec<_> = s.core.faults.list();
    pages::html(
        StatusCode::OK,
        "console.html",
        &json!({
            "links": s.links(),
            "notice": q.notice,
            "auth": crate::auth::admin::console_view(&s.auth, &headers),
            "onelink": crate::onelink::console::view(&s.onelink, now, &q.card),
            "faults": faults,
            "clock": {
                "now": china_time(now),
                "offset_secs": s.core.clock.offset().num_seconds(),
            },
            "journal": journal,
            "platform": platform.unwrap_or(""),
            "code": code,
        }),
    )
}

/// One journal line: when (China time), which platform, what was answered and why, in words;
/// the entry as `GET /_sandbox/journal` gives it, for the raw view.
fn journal_line(e: &JournalEntry) -> serde_json::Value {
    let (zh, en) = meaning(e);
    json!({
        "id": e.id,
        "time": china_time(e.at),
        "platform": if e.platform == "auth" { "认证 · auth" } else { "OneLink" },
        "path": e.path,
        "code": e.code,
        "ok": e.reason.is_empty(),
        "zh": zh,
        "en": en,
        "reason": e.reason,
        "raw": serde_json::to_string_pretty(e).unwrap_or_default(),
    })
}

/// What a journal line's code means: the code table's text for the platform's API answers, the
/// page's outcome for the registration pages (their code is the HTTP status).
fn meaning(e: &JournalEntry) -> (String, String) {
    if e.reason == "fault injected" {
        return ("注入的故障".into(), "an injected fault".into());
    }
    if e.path.starts_with("/onelink/h5/") || e.path.starts_with("/onelink/mini/") {
        let (zh, en) = match e.code.as_str() {
            "200" => (
                "页面已显示或登记已提交",
                "page shown, or registration submitted",
            ),
            "422" => (
                "表单有误，请用户改正",
                "the form has a mistake for the user to fix",
            ),
            "404" => ("链接无效", "unknown link"),
            "410" => ("链接已过期", "the link has expired"),
            "409" => ("该链接已提交过", "the link was used already"),
            "400" => ("参数错误", "bad parameters"),
            "403" => (
                "小程序参数校验失败",
                "the mini-program parameters do not check out",
            ),
            _ => ("页面应答", "page answer"),
        };
        return (
            format!("{zh}（HTTP {}）", e.code),
            format!("{en} (HTTP {})", e.code),
        );
    }
    let platform = if e.platform == "auth" {
        Platform::Passport
    } else {
        Platform::OneLink
    };
    let code = Code::new(e.code.clone());
    let infos: Vec<_> = code.infos(platform).collect();
    if infos.is_empty() {
        return (
            "码表中没有这个返回码".into(),
            "a code the code table does not list".into(),
        );
    }
    let zh: Vec<_> = infos.iter().map(|i| i.zh).collect();
    let en: Vec<_> = infos.iter().map(|i| i.en).collect();
    (zh.join("；或："), en.join(" Or: "))
}

/// The fault form: endpoint, code (empty: only a delay), delay, how many calls.
#[derive(Debug, Deserialize)]
pub struct FaultForm {
    endpoint: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    delay_ms: String,
    #[serde(default)]
    remaining: String,
}

/// Queue the fault of `f` and go back to the console's faults.
pub fn add_fault(core: &Core, f: &FaultForm) -> Redirect {
    let endpoint = f.endpoint.trim();
    let Ok(delay_ms) = f.delay_ms.trim().parse::<u64>().or_else(|e| {
        if f.delay_ms.trim().is_empty() {
            Ok(0)
        } else {
            Err(e)
        }
    }) else {
        return back(
            "延迟须为毫秒数 · The delay is a number of milliseconds",
            "faults",
        );
    };
    if !endpoint.starts_with('/') || delay_ms > 120_000 {
        return back(
            "接口为请求路径（如 /v5/ec/get/token），延迟至多 120000 毫秒 · The endpoint is a request path (e.g. /v5/ec/get/token), the delay at most 120000 ms",
            "faults",
        );
    }
    let code = f.code.trim();
    core.faults.push(Fault {
        endpoint: endpoint.to_owned(),
        code: (!code.is_empty()).then(|| code.to_owned()),
        delay_ms,
        remaining: f.remaining.trim().parse().unwrap_or(1),
    });
    back("故障已注入 · Fault queued", "faults")
}

async fn fault(State(s): State<Arc<Sandbox>>, Form(f): Form<FaultForm>) -> Redirect {
    add_fault(&s.core, &f)
}

async fn clear_faults(State(s): State<Arc<Sandbox>>) -> Redirect {
    s.core.faults.clear();
    back("故障已清除 · Faults cleared", "faults")
}

#[derive(Debug, Deserialize)]
struct ClockForm {
    #[serde(default)]
    seconds: String,
}

/// Move the virtual clock (expire tokens and links, roll the China day).
async fn advance_clock(State(s): State<Arc<Sandbox>>, Form(f): Form<ClockForm>) -> Redirect {
    match f.seconds.trim().parse::<i64>() {
        Ok(secs) if secs.abs() < 10 * 365 * 86_400 => {
            s.core.clock.advance(chrono::Duration::seconds(secs));
            s.auth.tokens.sweep(s.core.clock.now().timestamp_millis());
            back(
                &format!("时钟已拨动 {secs} 秒 · Clock moved by {secs} s"),
                "clock",
            )
        }
        _ => back(
            "秒数须为整数，且少于十年 · Seconds: a whole number, less than ten years",
            "clock",
        ),
    }
}
