//! What handlers get: the router state ([`Service`], with the fault and journal helpers), the request
//! metadata ([`Meta`]), and the lenient echo of msgId/appId ([`Echo`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::Deserialize;

use super::{AuthState, Refusal};
use crate::core::Core;

/// Router state.
#[derive(Debug, Clone)]
pub struct Service {
    pub core: Core,
    pub state: Arc<AuthState>,
}

impl Service {
    /// Apply a queued fault: wait, and return the refusal to answer if it sets a code.
    pub(super) async fn fault(&self, endpoint: &str) -> Option<Refusal> {
        let code = self.core.fault(endpoint).await?;
        Some(Refusal::new(
            &code,
            "injected fault (admin API /_sandbox/faults)",
        ))
    }

    /// Serve one call of the endpoint at `path`: a queued fault, or `run` on the body parsed as
    /// a JSON object (130032 if it is not one); the outcome journaled with its code. Every
    /// auth-platform endpoint answers through this, then builds its answer from the outcome.
    pub(super) async fn serve<T>(
        &self,
        path: &str,
        body: &[u8],
        run: impl FnOnce(serde_json::Value) -> Result<Served<T>, Refusal>,
    ) -> Result<T, Refusal> {
        let outcome = match self.fault(path).await {
            Some(r) => Err(r),
            None => super::parse_object(body).and_then(run),
        };
        match outcome {
            Ok(s) => {
                self.journal(path, s.code, "", s.detail);
                Ok(s.value)
            }
            Err(r) => {
                self.journal(path, &r.code, &r.reason, r.detail.clone());
                Err(r)
            }
        }
    }

    pub(super) fn journal(
        &self,
        path: &str,
        code: &str,
        reason: &str,
        detail: serde_json::Value,
    ) -> u64 {
        if !reason.is_empty() {
            tracing::info!(path, code, reason, "auth request rejected");
        }
        self.core.record("auth", path, code, reason, detail)
    }
}

/// A call that succeeded: what the endpoint answers, its result code, and what the journal
/// shows of it.
#[derive(Debug)]
pub struct Served<T> {
    pub value: T,
    pub code: &'static str,
    pub detail: serde_json::Value,
}

/// What every handler needs from the request besides its body.
#[derive(Debug, Clone)]
pub struct Meta {
    pub headers: HeaderMap,
    pub ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            headers: parts.headers.clone(),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        })
    }
}

/// What an answer echoes of its request, read leniently (a missing or non-string field is
/// empty; seed 004's keys with a trailing space are read too), so a rejected request still gets
/// its msgId and appId back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Echo {
    #[serde(rename = "msgId", alias = "msgId ", deserialize_with = "any_str")]
    pub msg_id: String,
    #[serde(rename = "appId", alias = "appId ", deserialize_with = "any_str")]
    pub app_id: String,
    #[serde(alias = "version ", deserialize_with = "any_str")]
    pub version: String,
}

impl Echo {
    /// The echo of a flat request (the getToken family).
    pub fn flat(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The echo of a `{header, body}` request (verification, UAID validation).
    pub fn header(body: &[u8]) -> Self {
        #[derive(Default, Deserialize)]
        #[serde(default)]
        struct Enveloped {
            #[serde(alias = "header ")]
            header: Echo,
        }
        serde_json::from_slice::<Enveloped>(body)
            .unwrap_or_default()
            .header
    }
}

/// A string, or empty for anything else.
fn any_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        _ => String::new(),
    })
}
