//! Errors of the clients. A carrier rejection carries the code, the carrier's message, and the
//! explanation and fix hint from `cmcc-proto`'s table, so the caller can show a person what to do.

use cmcc_proto::codes::{Code, CodeInfo, Platform};

/// The carrier answered, and the answer is a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CarrierError {
    /// The platform that answered.
    pub platform: Platform,
    /// The code it answered with (`resultCode` / `status`).
    pub code: Code,
    /// The carrier's own message (resultDesc / message).
    pub message: String,
    /// The table row for this code, when it is known.
    pub info: Option<&'static CodeInfo>,
}

impl CarrierError {
    /// The rejection `code` with the carrier's `message`; the table row is the one whose
    /// Chinese text the message contains, else the code's main meaning.
    pub fn new(platform: Platform, code: &str, message: &str) -> Self {
        let code = Code::new(code);
        let info = code.info_for_desc(platform, message);
        Self {
            platform,
            code,
            message: message.to_owned(),
            info,
        }
    }
    /// Whether the table says sending the same request again later can succeed (`false` for
    /// an unknown code).
    pub fn retryable(&self) -> bool {
        self.info.is_some_and(|i| i.retryable)
    }
    /// The table's fix hint, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        self.info.and_then(|i| i.hint)
    }
}

impl std::fmt::Display for CarrierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "carrier code {} ({})", self.code, self.message)?;
        if let Some(i) = self.info {
            write!(f, ": {}", i.en)?;
            if let Some(h) = i.hint {
                write!(f, " Fix: {h}")?;
            }
        }
        Ok(())
    }
}

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The carrier answered with a rejection code.
    #[error("{0}")]
    Carrier(CarrierError),
    /// No answer: connection refused, reset, DNS, TLS.
    #[error("could not reach {url}: {detail}")]
    Network {
        /// The URL called, without its query string.
        url: String,
        /// The HTTP stack's error and its causes (no URL query, no body).
        detail: String,
    },
    /// No answer within the configured timeout.
    #[error("{url} did not answer within {secs:.1} s")]
    Timeout {
        /// The URL called, without its query string.
        url: String,
        /// The timeout in seconds.
        secs: f64,
    },
    /// An answer that is not the carrier envelope (proxy error page, HTTP 5xx, …).
    #[error("{url} answered HTTP {status}: {snippet}")]
    Http {
        /// The URL called, without its query string.
        url: String,
        /// The HTTP status (not 2xx).
        status: u16,
        /// The first 200 characters of the body.
        snippet: String,
    },
    /// An HTTP 200 answer whose body is not the endpoint's JSON.
    #[error("{url} answered something that is not the expected JSON ({detail}): {snippet}")]
    Decode {
        /// The URL called, without its query string.
        url: String,
        /// The JSON decoder's message, or which part of the answer is missing.
        detail: String,
        /// The first 200 characters of the body.
        snippet: String,
    },
    /// A key could not be used (signing, `phoneNum` encryption); nothing was sent.
    #[error("crypto: {0}")]
    Crypto(#[from] cmcc_proto::CryptoError),
    /// The caller's input is wrong; nothing was sent.
    #[error("invalid input: {0}")]
    Input(String),
}

impl Error {
    /// The carrier's code, if the carrier answered with one.
    pub fn carrier_code(&self) -> Option<&str> {
        match self {
            Error::Carrier(c) => Some(c.code.as_str()),
            _ => None,
        }
    }
    /// Whether the same idempotent request may succeed if sent again.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Carrier(c) => {
                matches!(c.code.as_str(), "13000" | "999999")
                    || (c.platform == Platform::Passport && c.code.as_str() == "140005")
            }
            Error::Network { .. } | Error::Timeout { .. } => true,
            Error::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

pub(crate) fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}
