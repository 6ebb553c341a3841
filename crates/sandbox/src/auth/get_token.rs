//! The getToken family: the H5 JSSDK's getToken (preSign signed with the customer key), the
//! mini-program getTokenInfo (businessType 5, MD5 sign) and UAID getMobile (businessType 3).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine as _;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::wire::passport::{
    self as wire, GetTokenRequest, GetTokenResponse, H5GetTokenRequest, H5ImageQuery,
    H5TokenAnswer, H5TokenAnswerBody, H5TokenAnswerHeader, H5TokenEnvelope, TokenBody, TokenHeader,
};
use cmcc_proto::wire::passport::{H5GetToken, H5Image, MiniGetTokenInfo, UaidGetMobile};
use cmcc_proto::Platform;
use cmcc_proto::Timestamp17;
use serde_json::json;

use super::network::{self, Fetch};
use super::tenant::{App, CodeTable, Product};
use super::tokens::{fingerprint_hash, TokenRec};
use super::{parse_object, referer, require, typed, Echo, Meta, Refusal, Service};
use crate::core::EndpointRoutes;

pub fn routes() -> Router<Service> {
    Router::new()
        .endpoint::<H5Image, _, _>(h5_image)
        .endpoint::<H5GetToken, _, _>(h5_get_token)
        .endpoint::<MiniGetTokenInfo, _, _>(mini_get_token_info)
        .endpoint::<UaidGetMobile, _, _>(uaid_get_mobile)
}

/// A token granted.
struct Issued {
    token: String,
    user_information: String,
    expand: String,
}

/// Apply a queued fault, run the checks, journal the outcome.
async fn outcome(
    ctx: &Service,
    path: &str,
    body: &[u8],
    f: impl FnOnce(&serde_json::Value) -> Result<(Issued, serde_json::Value), Refusal>,
) -> Result<Issued, Refusal> {
    let outcome = match ctx.fault(path).await {
        Some(r) => Err(r),
        None => parse_object(body).and_then(|v| f(&v)),
    };
    match outcome {
        Ok((issued, detail)) => {
            ctx.journal(path, "103000", "", detail);
            Ok(issued)
        }
        Err(r) => {
            ctx.journal(path, &r.code, &r.reason, r.detail.clone());
            Err(r)
        }
    }
}

/// The getToken family's answer: header echo, body with the code and the token.
async fn answer(
    ctx: &Service,
    path: &str,
    body: &[u8],
    f: impl FnOnce(&serde_json::Value) -> Result<(Issued, serde_json::Value), Refusal>,
) -> Json<GetTokenResponse> {
    let now = ctx.core.clock.now();
    let echo = Echo::flat(body);
    let header = TokenHeader {
        msg_id: echo.msg_id,
        timestamp: Timestamp17::from_utc(now).to_string(),
        app_id: echo.app_id,
    };
    let body = match outcome(ctx, path, body, f).await {
        Ok(issued) => TokenBody {
            result_code: "103000".into(),
            expand_params: issued.expand,
            result_desc: "成功".into(),
            token: issued.token,
            user_information: Some(issued.user_information),
        },
        Err(r) => TokenBody {
            result_desc: r.text(Platform::Passport),
            result_code: r.code,
            expand_params: String::new(),
            token: String::new(),
            user_information: None,
        },
    };
    Json(GetTokenResponse { header, body })
}

/// The carrier H5 JSSDK's image request: remember the device and fingerprint for the getToken
/// that follows, answer a 1×1 GIF.
async fn h5_image(State(ctx): State<Service>, meta: Meta, RawQuery(q): RawQuery) -> Response {
    let fields: serde_json::Map<String, serde_json::Value> =
        form_urlencoded::parse(q.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
    let img: H5ImageQuery =
        serde_json::from_value(serde_json::Value::Object(fields)).unwrap_or_default();
    let now_ms = ctx.core.clock.now().timestamp_millis();
    ctx.state.images.put(
        &img.app_id,
        &img.msg_id,
        &meta.headers,
        &img.user_information,
        now_ms,
    );
    ctx.journal(
        wire::H5_IMAGE_PATH,
        "image",
        "",
        json!({"appId": img.app_id, "msgId": img.msg_id}),
    );
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        GIF,
    )
        .into_response()
}

/// A transparent 1×1 GIF.
const GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// H5 getToken. The carrier JSSDK's `{header, body}` form follows an image request, which
/// identified the device; the flat form (cmcc's earlier JSSDK, SDK tests) identifies it itself.
async fn h5_get_token(State(ctx): State<Service>, meta: Meta, body: Bytes) -> Response {
    let is_envelope = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|v| v.get("header").is_some_and(serde_json::Value::is_object));
    let c = ctx.clone();
    if !is_envelope {
        return answer(&ctx, wire::H5_GET_TOKEN_PATH, &body, |v| {
            let req: H5GetTokenRequest = typed(v)?;
            let ui = req.user_information.clone();
            h5_checks(&c, &meta, Some(&meta), &req, ui)
        })
        .await
        .into_response();
    }
    let result = outcome(&ctx, wire::H5_GET_TOKEN_PATH, &body, |v| {
        let env: H5TokenEnvelope = typed(v)?;
        let now_ms = c.core.clock.now().timestamp_millis();
        let image = c
            .state
            .images
            .take(&env.header.app_id, &env.header.msg_id, now_ms);
        let device = image.as_ref().map(|i| Meta {
            headers: i.device_headers.clone(),
            ip: meta.ip,
        });
        let req = env.flatten(image.map(|i| i.user_information));
        let ui = req.user_information.clone();
        h5_checks(&c, &meta, device.as_ref(), &req, ui)
    })
    .await;
    let (result_code, token, result_desc) = match result {
        Ok(i) => ("103000".to_owned(), i.token, "成功".to_owned()),
        Err(r) => {
            let t = r.text(Platform::Passport);
            (r.code, String::new(), t)
        }
    };
    Json(H5TokenAnswer {
        header: H5TokenAnswerHeader { result_code },
        body: H5TokenAnswerBody { token, result_desc },
    })
    .into_response()
}

/// The H5 getToken checks. `device`: the request that identifies the device (`None`: the
/// carrier JSSDK's image request never came).
fn h5_checks(
    c: &Service,
    page: &Meta,
    device: Option<&Meta>,
    req: &H5GetTokenRequest,
    user_information: Option<String>,
) -> Result<(Issued, serde_json::Value), Refusal> {
    require(&[
        ("appId", &req.app_id),
        ("msgId", &req.msg_id),
        ("timestamp", &req.timestamp),
        ("uuid", &req.uuid),
        ("version", &req.version),
        ("sign", &req.sign),
    ])?;
    let now = c.core.clock.now();
    c.state.check_timestamp(&req.timestamp, now)?;
    let app = common_app_checks(c, &req.app_id, Product::H5, now)?;
    let ro = referer::check(&page.headers, &app.cfg.referers, &app.cfg.origins);
    if !ro.ok {
        return Err(Refusal::new("170001", ro.reason).detail(ro.detail));
    }
    rate(c, &app, now)?;
    // The page's sign is the business server's MD5withRSA signature of the preSign.
    let pre = req.pre_sign();
    let key = app.customer_key.as_ref().ok_or_else(|| {
        Refusal::new(
            "103101",
            "no customer public key is registered for this app",
        )
    })?;
    if !key
        .verify(
            cmcc_proto::SignAlg::Md5WithRsa,
            pre.as_str().as_bytes(),
            &req.sign,
        )
        .unwrap_or(false)
    {
        sign_failure(c, "103101", "the sign is not a valid MD5withRSA signature of the preSign with the registered public key",
            json!({"expected_pre_sign": pre.as_str(), "received_sign": short(&req.sign)}))?;
    }
    let Some(device) = device else {
        return Err(Refusal::new(
            "103111",
            "no getMobile.htm image request was seen for this appId and msgId: the JSSDK loads \
             the image (where the mobile gateway identifies the device) before getToken",
        )
        .desc("WAP 网关 IP 错误"));
    };
    let ui = user_information
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| server_fingerprint(page, &req.msg_id));
    issue(
        c,
        &app,
        Product::H5,
        req.expand_params.as_deref(),
        false,
        device,
        ui,
        0,
        0,
    )
}

async fn mini_get_token_info(
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

async fn uaid_get_mobile(
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

/// App existence, entitlement and validity (110022, 110023, 110025).
fn common_app_checks(
    c: &Service,
    app_id: &str,
    product: Product,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::sync::Arc<App>, Refusal> {
    let app = c
        .state
        .app(app_id)
        .ok_or_else(|| Refusal::new("110022", "no such appId").desc("应用 ID 不存在"))?;
    if !app.entitled(product) {
        return Err(
            Refusal::new("110023", format!("the app is not entitled to {product:?}"))
                .detail(json!({"entitlements": app.cfg.entitlements})),
        );
    }
    app.check_validity(now, CodeTable::GetToken)?;
    Ok(app)
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

fn rate(c: &Service, app: &App, now: chrono::DateTime<chrono::Utc>) -> Result<(), Refusal> {
    if c.state.rate_ok(app, now) {
        Ok(())
    } else {
        Err(Refusal::new(
            "140005",
            format!(
                "more than {} getToken calls this minute for this appId",
                app.cfg.rate_limit_per_minute
            ),
        ))
    }
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

/// A signature failure: a rejection in strict mode; in log-only mode a journal note and go on.
pub(super) fn sign_failure(
    c: &Service,
    code: &str,
    reason: &str,
    detail: serde_json::Value,
) -> Result<(), Refusal> {
    if c.state.settings().strict_signatures {
        Err(Refusal::new(code, reason).detail(detail))
    } else {
        c.journal(
            "(log-only signatures)",
            code,
            &format!("would answer {code}: {reason}"),
            detail,
        );
        Ok(())
    }
}

/// At most 64 characters of something a client sent (journal detail).
pub(super) fn short(s: &str) -> String {
    s.chars().take(64).collect()
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

/// A fingerprint made by the platform when the client sent none (mini-program, UAID).
fn server_fingerprint(meta: &Meta, msg_id: &str) -> String {
    let ua = meta
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let raw = json!({"ua": ua, "src": "sandbox", "msgId": msg_id}).to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Resolve the device and, when it has a usable number, issue a token.
#[expect(clippy::too_many_arguments, reason = "one call site per endpoint")]
fn issue(
    c: &Service,
    app: &App,
    product: Product,
    expand: Option<&str>,
    request_is_test: bool,
    meta: &Meta,
    user_information: String,
    referer_origin: u8,
    journal: u32,
) -> Result<(Issued, serde_json::Value), Refusal> {
    let params = match expand.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => ExpandParams::decode(e)
            .map_err(|err| Refusal::new("130032", format!("expandParams: {err}")))?,
        None => ExpandParams::new(),
    };
    let test_env = app.cfg.test_mode || request_is_test;
    let test_phone = if test_env {
        params.get("phoneNum")
    } else {
        None
    };
    let devices = c.state.devices();
    let device = network::resolve(&meta.headers, test_phone, &devices);
    let device_json = device.as_ref().map(|d| {
        json!({
            "number": cmcc_proto::ids::mask_number(&d.number),
            "net": d.net,
            "source": d.source,
        })
    });
    let number = match network::fetch(device.as_ref()) {
        Fetch::Number(n) => n,
        Fetch::Refused { code, desc, reason } => {
            let mut reason = reason;
            if device.is_none() && !test_env && params.get("phoneNum").is_some() {
                reason
                    .push_str(" (expandParams phoneNum= is ignored: the app is not in test mode)");
            }
            return Err(Refusal::new(code, reason)
                .desc(desc)
                .detail(json!({"device": device_json})));
        }
    };
    let now_ms = c.core.clock.now().timestamp_millis();
    let rec = TokenRec {
        expires_ms: now_ms.saturating_add(app.token_ttl_ms(product)),
        number,
        fingerprint: fingerprint_hash(&user_information),
        app: app.idx,
        journal,
        product: product.as_u8(),
        referer_origin,
    };
    let token = c.state.tokens.issue(rec, now_ms);
    Ok((
        Issued {
            token,
            user_information,
            expand: String::new(),
        },
        json!({"device": device_json, "product": product, "ttl_secs": app.token_ttl_ms(product) / 1000}),
    ))
}
