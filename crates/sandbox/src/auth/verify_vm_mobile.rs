//! verifyVmMobileApi (seed 004 §3): is this number the device's own? `000` / `001`, or one of
//! the error codes of §3.2.2 and the appendix.

use axum::body::Bytes;
use axum::extract::State;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use cmcc_proto::crypto::decode_base64_lenient;
use cmcc_proto::diagnose::{diagnose, Candidates};
use cmcc_proto::ids::mask_number;
use cmcc_proto::sign::{legacy_phone_num, split_phone_plaintext};
use cmcc_proto::wire::passport::VerifyVmMobile;
use cmcc_proto::wire::passport::{
    self as wire, VerifyRequest, VerifyResponse, VerifyResponseBody, VerifyResponseHeader,
};
use cmcc_proto::Platform;
use cmcc_proto::{SignAlg, Timestamp17};
use serde_json::json;

use super::checks::{server_app_checks, short, sign_failure};
use super::counters::Hold;
use super::tenant::{App, CodeTable, Product};
use super::tokens::{fingerprint_hash, TokenError};
use super::{require, typed_owned, Echo, Meta, Refusal, Served, Service};
use crate::core::EndpointRoutes;

pub fn routes() -> Router<Service> {
    Router::new().endpoint::<VerifyVmMobile, _, _>(verify_number)
}

async fn verify_number(
    State(ctx): State<Service>,
    meta: Meta,
    body: Bytes,
) -> Json<VerifyResponse> {
    let path = wire::VERIFY_VM_MOBILE_PATH;
    let now = ctx.core.clock.now();
    // The envelope echoes msgId/appId even when the request is rejected.
    let Echo { msg_id, app_id, .. } = Echo::header(&body);
    let outcome = ctx
        .serve(path, &body, |v| {
            let (code, detail) = check(&ctx, &meta, v, now)?;
            Ok(Served {
                value: code,
                code,
                detail,
            })
        })
        .await;
    let (code, text) = match outcome {
        Ok(code) => (code.to_owned(), super::desc(code)),
        Err(r) => {
            let t = r.text(Platform::Passport);
            (r.code, t)
        }
    };
    Json(VerifyResponse {
        header: VerifyResponseHeader {
            msg_id,
            timestamp: Timestamp17::from_utc(now).to_string(),
            app_id,
            result_code: code,
        },
        body: VerifyResponseBody {
            task_id: ctx.state.task_id(now),
            result_desc: text,
            expand_params: String::new(),
        },
    })
}

fn check(
    ctx: &Service,
    meta: &Meta,
    v: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(&'static str, serde_json::Value), Refusal> {
    let req: VerifyRequest = typed_owned(v)?;
    let (h, b) = (&req.header, &req.body);
    require(&[
        ("appId", &h.app_id),
        ("msgId", &h.msg_id),
        ("timestamp", &h.timestamp),
        ("version", &h.version),
        ("phoneNum", &b.phone_num),
        ("token", &b.token),
        ("sign", &b.sign),
    ])?;
    let app = server_app_checks(ctx, meta, &h.app_id, &[Product::H5, Product::Mini])?;
    app.check_validity(now, CodeTable::Verify)?;
    if !app.cfg.available {
        return Err(Refusal::new(
            "110027",
            "the capability is unavailable (available = false: no contract or no balance)",
        ));
    }
    // Held from here; given back when the answer is not billed (dropped before `bill`).
    let mut hold = ctx
        .state
        .counters
        .hold_usage(&app.cfg.app_id, app.idx, app.cfg.usage_limit)
        .map_err(|_| {
            Refusal::new("111075", "the app's usage count is exhausted (usage_limit)")
                .detail(json!({"usage_limit": app.cfg.usage_limit}))
        })?;
    let Some(customer_key) = app.customer_key.as_ref() else {
        return Err(Refusal::new(
            "103605",
            "no customer public key is registered for this app",
        ));
    };
    ctx.state.check_timestamp(&h.timestamp, now)?;
    let expected = req.sign_string();
    let sig_ok = match decode_base64_lenient(&b.sign) {
        Err(_) => {
            return Err(Refusal::new("130016", "sign is not base64")
                .detail(json!({"received_sign": short(&b.sign)})))
        }
        Ok(raw) => customer_key
            .verify_raw(SignAlg::Md5WithRsa, expected.as_str().as_bytes(), &raw)
            .unwrap_or(false),
    };
    // Decrypt before touching the token (so a broken phoneNum does not burn it).
    let typed_number = if app.cfg.legacy_phone_num {
        None
    } else {
        Some(decrypt_phone(&app, &b.phone_num, &h.timestamp)?)
    };
    if !sig_ok {
        let mut c = Candidates {
            fields: vec![
                ("appId", h.app_id.clone()),
                ("msgId", h.msg_id.clone()),
                ("phoneNum", b.phone_num.clone()),
                ("timestamp", h.timestamp.clone()),
                ("token", b.token.clone()),
                ("version", h.version.clone()),
            ],
            extra: vec![
                ("userInformation", b.user_information.clone()),
                ("expandParams", b.expand_params.clone()),
            ],
            other: Vec::new(),
        };
        if let Some(n) = &typed_number {
            c.other.push((
                "the phone number instead of the phoneNum ciphertext".into(),
                cmcc_proto::sign::verify_vm_mobile(
                    &h.app_id,
                    &h.msg_id,
                    n,
                    &h.timestamp,
                    &b.token,
                    &h.version,
                )
                .into_string(),
            ));
        }
        sign_failure(
            ctx,
            "130018",
            "signature verification failed",
            diagnose(customer_key, expected.as_str(), &b.sign, &c).to_json(),
        )?;
    }
    if b.user_information.trim().is_empty() {
        return Err(Refusal::new("120020", "userInformation is missing"));
    }
    let cap_number = typed_number.as_deref().and_then(|n| n.parse::<u64>().ok());
    if let Some(n) = cap_number {
        daily_cap(&mut hold, &app, n, now)?;
    }
    let now_ms = now.timestamp_millis();
    let rec = ctx
        .state
        .tokens
        .take(&b.token, now_ms)
        .map_err(|e| match e {
            TokenError::Unknown => Refusal::new(
                "120020",
                "unknown token, or already used (tokens are single use)",
            ),
            TokenError::Expired => Refusal::new(
                "120020",
                format!(
                    "token expired (lifetime {} s)",
                    app.cfg.verify_token_ttl_secs
                ),
            ),
        })?;
    if rec.app != app.idx {
        return Err(Refusal::new(
            "120020",
            "the token was issued to another appId",
        ));
    }
    if Product::from_u8(rec.product) == Product::Uaid {
        return Err(Refusal::new(
            "120020",
            "a UAID token cannot be used for number verification",
        ));
    }
    if rec.fingerprint != fingerprint_hash(&b.user_information) {
        return Err(Refusal::new("120020", "userInformation differs from the one the token was issued with (pass it on exactly as the JSSDK returned it)"));
    }
    let device = rec.number.to_string();
    let same = match &typed_number {
        Some(n) => *n == device,
        None => {
            daily_cap(&mut hold, &app, rec.number, now)?;
            legacy_phone_num(&device, &app.cfg.app_key, &h.timestamp)
                .eq_ignore_ascii_case(b.phone_num.trim())
        }
    };
    hold.bill();
    let code = if same { "000" } else { "001" };
    Ok((
        code,
        json!({
            "device_number": mask_number(&device),
            "typed_number": typed_number.as_deref().map(mask_number),
            "legacy_phone_num": app.cfg.legacy_phone_num,
        }),
    ))
}

fn daily_cap(
    hold: &mut Hold<'_>,
    app: &App,
    number: u64,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    hold.daily(number, app.cfg.daily_cap, now).map_err(|n| {
        Refusal::new(
            "121011",
            format!(
                "{} was verified {n} times today (China time); the cap is {}",
                mask_number(&number.to_string()),
                app.cfg.daily_cap
            ),
        )
    })
}

/// Decrypt `phoneNum` with the platform key and check its appKey and timestamp.
fn decrypt_phone(app: &App, phone_num: &str, header_ts: &str) -> Result<String, Refusal> {
    let raw = decode_base64_lenient(phone_num).map_err(|_| {
        Refusal::new(
            "130016",
            "phoneNum is not base64 (RSA ciphertext expected; is this app in legacy mode?)",
        )
    })?;
    let plain = app.platform_key.decrypt_raw(&raw).map_err(|e| {
        Refusal::new("999999", format!("phoneNum could not be decrypted with the platform private key ({e}): encrypt with this app's PLATFORM public key"))
    })?;
    let plain = String::from_utf8(plain)
        .map_err(|_| Refusal::new("130016", "phoneNum plaintext is not UTF-8"))?;
    let (phone, ts) = split_phone_plaintext(&plain, &app.cfg.app_key).ok_or_else(|| {
        Refusal::new(
            "130016",
            "phoneNum plaintext is not phone(11) + appKey + timestamp(17) with this app's appKey",
        )
        .detail(
            json!({"plaintext_len": plain.len(), "expected_len": 11 + app.cfg.app_key.len() + 17}),
        )
    })?;
    if ts != header_ts.trim() {
        return Err(Refusal::new(
            "130016",
            "the timestamp inside phoneNum differs from the header timestamp",
        )
        .detail(json!({"inside": ts, "header": header_ts})));
    }
    if !phone.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::new(
            "130016",
            "the phone inside phoneNum is not 11 digits",
        ));
    }
    Ok(phone.to_owned())
}
