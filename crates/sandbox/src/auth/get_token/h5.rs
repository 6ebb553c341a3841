//! The H5 JSSDK's wire: the image request that identifies the device, then getToken.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cmcc_proto::wire::passport::{
    self as wire, H5GetTokenRequest, H5ImageQuery, H5TokenAnswer, H5TokenAnswerBody,
    H5TokenAnswerHeader, H5TokenEnvelope,
};
use cmcc_proto::Platform;
use serde_json::json;

use super::super::checks::{common_app_checks, rate, server_fingerprint, short, sign_failure};
use super::super::tenant::Product;
use super::super::{referer, require, typed, Meta, Refusal, Service};
use super::{answer, issue, outcome, Issued};

/// The carrier H5 JSSDK's image request: remember the device and fingerprint for the getToken
/// that follows, answer a 1×1 GIF.
pub(super) async fn h5_image(
    State(ctx): State<Service>,
    meta: Meta,
    RawQuery(q): RawQuery,
) -> Response {
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
pub(super) async fn h5_get_token(State(ctx): State<Service>, meta: Meta, body: Bytes) -> Response {
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
