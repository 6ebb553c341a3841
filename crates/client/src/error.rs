//! Errors of the clients. A carrier rejection carries the code, the carrier's message, and the
//! explanation and fix hint from `cmcc-proto`'s table, so the caller can show a person what to do.

use cmcc_proto::codes::{Code, CodeInfo, Platform};

/// The carrier answered, and the answer is a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierError {
    pub platform: Platform,
    pub code: Code,
    /// The carrier's own message (resultDesc / message).
    pub message: String,
    /// The table row for this code, when it is known.
    pub info: Option<&'static CodeInfo>,
}

impl CarrierError {
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
    pub fn retryable(&self) -> bool {
        self.info.is_some_and(|i| i.retryable)
    }
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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Carrier(CarrierError),
    /// No answer: connection refused, reset, DNS, TLS.
    #[error("could not reach {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url} did not answer within {secs:.1} s")]
    Timeout { url: String, secs: f64 },
    /// An answer that is not the carrier envelope (proxy error page, HTTP 5xx, …).
    #[error("{url} answered HTTP {status}: {snippet}")]
    Http {
        url: String,
        status: u16,
        snippet: String,
    },
    #[error("{url} answered something that is not the expected JSON ({detail}): {snippet}")]
    Decode {
        url: String,
        detail: String,
        snippet: String,
    },
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
