//! imeiTokenValidate (seed 002 §3.2): a UAID token for the device's anonymous id.

use axum::body::Bytes;
use axum::extract::State;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use cmcc_proto::crypto::decode_base64_lenient;
use cmcc_proto::wire::passport::ImeiTokenValidate;
use cmcc_proto::wire::passport::{
    self as wire, ImeiValidateRequest, ImeiValidateResponse, ImeiValidateResponseBody,
    ImeiValidateResponseHeader,
};
use cmcc_proto::Platform;
use cmcc_proto::{SignAlg, Timestamp17};
use serde_json::json;

use super::checks::{server_app_checks, short, sign_failure};
use super::tenant::{CodeTable, Product};
use super::tokens::TokenError;
use super::{require, typed, Echo, Meta, Refusal, Served, Service};
use crate::core::EndpointRoutes;
use cmcc_proto::diagnose::{diagnose, Candidates};

pub fn routes() -> Router<Service> {
    Router::new().endpoint::<ImeiTokenValidate, _, _>(validate_uaid)
}

async fn validate_uaid(
    State(ctx): State<Service>,
    meta: Meta,
    body: Bytes,
) -> Json<ImeiValidateResponse> {
    let path = wire::IMEI_TOKEN_VALIDATE_PATH;
    let now = ctx.core.clock.now();
    let outcome = ctx
        .serve(path, &body, |v| {
            Ok(Served {
                value: check(&ctx, &meta, &v, now)?,
                code: "000000",
                detail: json!({}),
            })
        })
        .await;
    let (code, text, uaid) = match outcome {
        Ok(uaid) => ("000000".to_owned(), "成功".to_owned(), Some(uaid)),
        Err(r) => {
            let t = r.text(Platform::Passport);
            (r.code, t, None)
        }
    };
    let echo = Echo::header(&body);
    Json(ImeiValidateResponse {
        header: ImeiValidateResponseHeader {
            version: if echo.version.is_empty() {
                "2.0".to_owned()
            } else {
                echo.version
            },
            msg_id: echo.msg_id,
            timestamp: Timestamp17::from_utc(now).to_string(),
            app_id: echo.app_id,
        },
        body: ImeiValidateResponseBody {
            result_code: code,
            result_desc: text,
            expand_params: String::new(),
            uaid,
        },
    })
}

fn check(
    ctx: &Service,
    meta: &Meta,
    v: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<String, Refusal> {
    let req: ImeiValidateRequest = typed(v)?;
    let (h, b) = (&req.header, &req.body);
    require(&[
        ("appId", &h.app_id),
        ("msgId", &h.msg_id),
        ("timestamp", &h.timestamp),
        ("version", &h.version),
        ("token", &b.token),
        ("sign", &b.sign),
    ])?;
    let app = server_app_checks(ctx, meta, &h.app_id, &[Product::Uaid])?;
    app.check_validity(now, CodeTable::ImeiValidate)?;
    ctx.state.check_timestamp(&h.timestamp, now)?;
    let Some(key) = app.customer_key.as_ref() else {
        return Err(Refusal::new(
            "130018",
            "no customer public key is registered for this app",
        ));
    };
    let expected = req.sign_string();
    let ok = decode_base64_lenient(&b.sign)
        .ok()
        .and_then(|raw| {
            key.verify_raw(SignAlg::Md5WithRsa, expected.as_str().as_bytes(), &raw)
                .ok()
        })
        .unwrap_or(false);
    if !ok {
        let c = Candidates {
            fields: vec![
                ("appId", h.app_id.clone()),
                ("msgId", h.msg_id.clone()),
                ("timestamp", h.timestamp.clone()),
                ("token", b.token.clone()),
                ("version", h.version.clone()),
            ],
            extra: vec![("expandParams", b.expand_params.clone())],
            other: Vec::new(),
        };
        let mut detail = diagnose(key, expected.as_str(), &b.sign, &c).to_json();
        detail["received_sign"] = short(&b.sign).into();
        sign_failure(ctx, "130018", "signature verification failed", detail)?;
    }
    let rec = ctx
        .state
        .tokens
        .take(&b.token, now.timestamp_millis())
        .map_err(|e| match e {
            TokenError::Unknown => Refusal::new(
                "120009",
                "unknown token, or already validated (tokens are single use)",
            )
            .desc("token重复校验或已失效"),
            TokenError::Expired => Refusal::new(
                "120009",
                format!("token expired (lifetime {} s)", app.cfg.uaid_token_ttl_secs),
            )
            .desc("token重复校验或已失效"),
        })?;
    if rec.app != app.idx || Product::from_u8(rec.product) != Product::Uaid {
        return Err(Refusal::new(
            "120009",
            "the token was not issued by UAID getMobile for this appId",
        )
        .desc("token校验失败"));
    }
    match rec.referer_origin {
        0 => {}
        1 => {
            return Err(Refusal::new("120010", format!("no referer/origin was registered or seen at getMobile; see journal entry #{}", rec.journal))
                .desc("refer或origin不存在")
                .detail(json!({"getmobile_journal_id": rec.journal})))
        }
        _ => {
            return Err(Refusal::new("120010", format!("referer/origin seen at getMobile did not match the registered ones; see journal entry #{}", rec.journal))
                .desc("refer或origin校验失败")
                .detail(json!({"getmobile_journal_id": rec.journal})))
        }
    }
    Ok(uaid(&h.app_id, rec.number))
}

/// The UAID: stable per app and device, anonymous (64 hex digits like seed 002's example).
fn uaid(app_id: &str, number: u64) -> String {
    let a = cmcc_proto::crypto::sha256_hex_upper(&format!("cmcc-sandbox-uaid|{app_id}|{number}"));
    a.to_ascii_lowercase()
}
