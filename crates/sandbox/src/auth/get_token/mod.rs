//! The getToken family: the H5 JSSDK's image request and getToken (`h5`: preSign signed
//! with the customer key), the mini-program getTokenInfo and UAID getMobile (`md5`: MD5
//! sign), and what they share: the answer and the token issued for the device.

mod h5;
mod md5;

use axum::{Json, Router};
use cmcc_proto::format::ExpandParams;
use cmcc_proto::wire::passport::{
    GetTokenResponse, H5GetToken, H5Image, MiniGetTokenInfo, TokenBody, TokenHeader, UaidGetMobile,
};
use cmcc_proto::{Platform, Timestamp17};
use serde_json::json;

use super::network::{self, Fetch};
use super::tenant::{App, Product};
use super::tokens::{fingerprint_hash, TokenRec};
use super::{Echo, Meta, Refusal, Served, Service};
use crate::core::EndpointRoutes;

pub fn routes() -> Router<Service> {
    Router::new()
        .endpoint::<H5Image, _, _>(h5::h5_image)
        .endpoint::<H5GetToken, _, _>(h5::h5_get_token)
        .endpoint::<MiniGetTokenInfo, _, _>(md5::mini_get_token_info)
        .endpoint::<UaidGetMobile, _, _>(md5::uaid_get_mobile)
}

/// A token granted.
pub(super) struct Issued {
    pub(super) token: String,
    pub(super) user_information: String,
    pub(super) expand: String,
}

/// Serve a getToken call; a granted token is journaled as 103000.
pub(super) async fn outcome(
    ctx: &Service,
    path: &str,
    body: &[u8],
    f: impl FnOnce(&serde_json::Value) -> Result<(Issued, serde_json::Value), Refusal>,
) -> Result<Issued, Refusal> {
    ctx.serve(path, body, |v| {
        let (value, detail) = f(&v)?;
        Ok(Served {
            value,
            code: "103000",
            detail,
        })
    })
    .await
}

/// The getToken family's answer: header echo, body with the code and the token.
pub(super) async fn answer(
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

/// Resolve the device and, when it has a usable number, issue a token.
#[expect(clippy::too_many_arguments, reason = "one call site per endpoint")]
pub(super) fn issue(
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
