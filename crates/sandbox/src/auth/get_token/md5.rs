//! The MD5-signed getToken calls: mini-program getTokenInfo and UAID getMobile.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use cmcc_proto::wire::passport::{self as wire, GetTokenRequest, GetTokenResponse};
use serde_json::json;

use super::super::checks::{common_app_checks, rate, server_fingerprint, short, sign_failure};
use super::super::tenant::{App, Product};
use super::super::{referer, require, typed, Meta, Refusal, Service};
use super::{answer, issue};

pub(super) async fn mini_get_token_info(
    State(ctx): State<Service>,
    meta: Meta,
    body: Bytes,
) -> Json<GetTokenResponse> {
    let c = ctx.clone();
    answer(&ctx, wire::MINI_GET_TOKEN_INFO_PATH, &body, |v| {
        let req: GetTokenRequest = typed(v)?;
        let (app, now) = md5_family_checks(&c, &req, Product::Mini, wire::BUSINESS_TYPE_MINI)?;
        if !app.cfg.wxappids.is_empty() {
            let wx = wx_appid(&meta);
            if !wx.as_ref().is_some_and(|w| app.cfg.wxappids.contains(w)) {
                return Err(Refusal::new(
                    "170001",
                    "the mini-program's wxappid is not registered for this app",
                )
                .detail(json!({"seen_wxappid": wx, "registered": app.cfg.wxappids})));
            }
        }
        rate(&c, &app, now)?;
        md5_sign_check(&c, &req, &app)?;
        let ui = req
            .user_information
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| server_fingerprint(&meta, &req.msg_id));
        let is_test = req.is_test.as_deref() == Some("0");
        issue(
            &c,
            &app,
            Product::Mini,
            req.expand_params.as_deref(),
            is_test,
            &meta,
            ui,
            0,
            0,
        )
    })
    .await
}

pub(super) async fn uaid_get_mobile(
    State(ctx): State<Service>,
    meta: Meta,
    body: Bytes,
) -> Json<GetTokenResponse> {
    let c = ctx.clone();
    answer(&ctx, wire::UAID_GET_MOBILE_PATH, &body, |v| {
        let req: GetTokenRequest = typed(v)?;
        let (app, now) = md5_family_checks(&c, &req, Product::Uaid, wire::BUSINESS_TYPE_UAID)?;
        rate(&c, &app, now)?;
        md5_sign_check(&c, &req, &app)?;
        // Seed 002: the referer/origin are checked when the token is validated (120010), from
        // what the platform cached at getToken.
        let ro = referer::check(&meta.headers, &app.cfg.referers, &app.cfg.origins);
        let (ro_state, jid) = if ro.ok {
            (0, 0)
        } else {
            let id = c.journal(
                wire::UAID_GET_MOBILE_PATH,
                "note",
                &format!("referer/origin would fail at validation: {}", ro.reason),
                ro.detail,
            );
            (
                if ro.kind == "missing" { 1 } else { 2 },
                u32::try_from(id).unwrap_or(u32::MAX),
            )
        };
        let ui = server_fingerprint(&meta, &req.msg_id);
        issue(
            &c,
            &app,
            Product::Uaid,
            req.expand_params.as_deref(),
            false,
            &meta,
            ui,
            ro_state,
            jid,
        )
    })
    .await
}

/// Checks shared by getTokenInfo and getMobile, up to the app's validity.
fn md5_family_checks(
    c: &Service,
    req: &GetTokenRequest,
    product: Product,
    business_type: &str,
) -> Result<(std::sync::Arc<App>, chrono::DateTime<chrono::Utc>), Refusal> {
    require(&[
        ("appId", &req.app_id),
        ("msgId", &req.msg_id),
        ("timestamp", &req.timestamp),
        ("traceId", &req.trace_id),
        ("version", &req.version),
        ("businessType", &req.business_type),
        ("sign", &req.sign),
    ])?;
    let bt = req.business_type.trim();
    if bt != business_type {
        return Err(
            if bt == wire::BUSINESS_TYPE_MINI || bt == wire::BUSINESS_TYPE_UAID {
                Refusal::new("110024", format!("businessType {bt} belongs to another capability; this endpoint takes {business_type}"))
                .desc("businessType 配置错误")
            } else {
                Refusal::new(
                    "110025",
                    format!("unknown businessType {bt:?}; this endpoint takes {business_type}"),
                )
                .desc("businessType 错误")
            },
        );
    }
    let now = c.core.clock.now();
    c.state.check_timestamp(&req.timestamp, now)?;
    let app = common_app_checks(c, &req.app_id, product, now)?;
    Ok((app, now))
}

fn md5_sign_check(c: &Service, req: &GetTokenRequest, app: &App) -> Result<(), Refusal> {
    let input = req.md5_input(&app.cfg.app_key);
    let problem = if req.msg_id != req.trace_id {
        Some("msgId must equal traceId")
    } else if !input.matches(&req.sign) {
        Some("the sign does not match MD5(appId+businessType+msgId+timestamp+traceId+version+appKey)")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => sign_failure(
            c,
            "103101",
            p,
            json!({
                "expected_pre_image": input.redacted(),
                "received_sign": short(&req.sign),
                "hint": "lowercase hex MD5; the appKey is appended last, after the other values in name order",
            }),
        ),
    }
}

/// The wxappid of a mini-program request: `https://servicewechat.com/{wxappid}/{version}/…`.
fn wx_appid(meta: &Meta) -> Option<String> {
    let r = meta
        .headers
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?;
    let rest = r.strip_prefix("https://servicewechat.com/")?;
    Some(rest.split('/').next()?.to_owned())
}
