//! The one place API errors become HTTP responses: a status, a stable code (the carrier's when
//! the carrier answered), a message for people, and a fix hint. Never internals, never a 500
//! with a chain of causes.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Seconds for a `Retry-After` header.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            hint: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_configured(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_configured",
            format!("this gateway has no {what} configured"),
        )
        .with_hint(format!(
            "add the [{what}] section to the gateway config (see `cmcc gateway --help`)"
        ))
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A failure of ours (database down, …): logged here, once, with its detail; the caller
    /// gets a generic message.
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(context, error = %detail, "internal error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{context} failed; try again shortly"),
        )
    }

    /// A client error from the SDK: a carrier rejection keeps the carrier's code, meaning and
    /// fix hint; a transport failure becomes 502/504.
    pub fn from_client(e: &cmcc_client::Error) -> Self {
        use cmcc_client::Error as E;
        match e {
            E::Carrier(c) if c.code.as_str() == "12012" => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "12012",
                "OneLink allows one registration link per card and urlType per minute (12012)",
            )
            .with_retry_after(ONE_LINK_PER_MINUTE_SECS)
            .with_hint(
                "a link for this card was made in the last minute: reuse it, or ask again after Retry-After seconds",
            ),
            E::Carrier(c) => {
                let meaning = c.info.map_or(c.message.as_str(), |i| i.en);
                let status = if c.retryable() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                let mut err = Self::new(
                    status,
                    c.code.as_str(),
                    format!("carrier answered {}: {meaning} ({})", c.code, c.message),
                );
                err.hint = c.hint().map(str::to_owned);
                err
            }
            E::Input(m) => Self::bad_request(m.clone()),
            E::Timeout { .. } => Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                "carrier_timeout",
                "the carrier did not answer in time",
            ),
            other => {
                tracing::warn!(error = %other, "carrier call failed");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    "carrier_unreachable",
                    "the carrier could not be reached or answered something unreadable",
                )
            }
        }
    }
}

/// 23A12 answers 12012 for a second link of the same card and urlType within a minute.
pub const ONE_LINK_PER_MINUTE_SECS: u64 = 60;

#[derive(Serialize)]
struct Body<'a> {
    error: &'a ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(Body { error: &self })).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        r
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let (code, hint) = match &r {
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(_) => ("bad_json", "the body is not valid JSON"),
            JsonRejection::JsonDataError(_) => (
                "bad_request",
                "check field names and types against /openapi.json",
            ),
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                ("too_large", "the body is larger than limits.max_body_bytes")
            }
            _ => ("bad_request", "send a JSON body"),
        };
        Self::new(status, code, r.body_text()).with_hint(hint)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(r.body_text())
            .with_hint("check the query parameters against /openapi.json")
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

/// `Query` whose rejections are [`ApiError`]s (JSON) instead of axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(v))
    }
}

/// `Path` whose rejections are [`ApiError`]s (JSON).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(v))
    }
}

/// `Json` whose rejections are [`ApiError`]s (clear code, message and hint) instead of axum's
/// plain-text answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(v))
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
