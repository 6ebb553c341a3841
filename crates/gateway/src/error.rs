//! The one place API errors become HTTP responses: a status, a stable code (the carrier's when
//! the carrier answered), a message for people, and a fix hint. Never internals, never a 500
//! with a stack of causes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), hint: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// A failure of ours (database down, …): logged here, once, with its detail; the caller
    /// gets a generic message.
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(context, error = %detail, "internal error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", format!("{context} failed; try again shortly"))
    }
    pub fn from_client(e: &cmcc_client::Error) -> Self {
        use cmcc_client::Error as E;
        match e {
            E::Carrier(c) => {
                let mut err = Self::new(StatusCode::OK, c.code.as_str(), format!("{} ({})", c.info.map_or(c.message.as_str(), |i| i.en), c.message));
                err.hint = c.hint().map(str::to_owned);
                err
            }
            E::Input(m) => Self::bad_request(m.clone()),
            E::Timeout { .. } => Self::new(StatusCode::GATEWAY_TIMEOUT, "carrier_timeout", "the carrier did not answer in time"),
            other => {
                tracing::warn!(error = %other, "carrier call failed");
                Self::new(StatusCode::BAD_GATEWAY, "carrier_unreachable", "the carrier could not be reached or answered garbage")
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(Body { error: &self })).into_response()
    }
}
