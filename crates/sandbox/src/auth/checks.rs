//! Checks more than one endpoint makes: the app (existence, caller IP, entitlement, validity),
//! the getToken rate, signature failures in strict or log-only mode, and the fingerprint the
//! platform makes when a client sends none.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;

use super::tenant::{App, CodeTable, Product};
use super::{Meta, Refusal, Service};

/// App existence, entitlement and validity (110022, 110023, 110025).
pub(super) fn common_app_checks(
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

pub(super) fn rate(
    c: &Service,
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Refusal> {
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

/// A fingerprint made by the platform when the client sent none (mini-program, UAID).
pub(super) fn server_fingerprint(meta: &Meta, msg_id: &str) -> String {
    let ua = meta
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let raw = json!({"ua": ua, "src": "sandbox", "msgId": msg_id}).to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// App-level checks shared with imeiTokenValidate: existence, IP, entitlement, validity, key.
pub(super) fn server_app_checks(
    ctx: &Service,
    meta: &Meta,
    app_id: &str,
    products: &[Product],
) -> Result<Arc<App>, Refusal> {
    let app = ctx
        .state
        .app(app_id)
        .ok_or_else(|| Refusal::new("110022", "no such appId").desc("应用ID不存在"))?;
    if !app.cfg.server_ips.is_empty() {
        let ip = meta.ip.map(|i| i.to_string()).unwrap_or_default();
        if !app.cfg.server_ips.iter().any(|a| a.trim() == ip) {
            return Err(Refusal::new(
                "110004",
                format!("caller IP {ip:?} is not on the app's allow-list"),
            )
            .detail(json!({"seen_ip": ip, "registered": app.cfg.server_ips})));
        }
    }
    if !products.iter().any(|p| app.entitled(*p)) {
        return Err(
            Refusal::new("110023", format!("the app is not entitled to {products:?}"))
                .detail(json!({"entitlements": app.cfg.entitlements})),
        );
    }
    Ok(app)
}
