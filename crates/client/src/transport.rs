//! HTTP under both clients: one `reqwest::Client`, a timeout per request, and the retry policy.
//!
//! Retries happen only where they are safe: for idempotent queries (token fetch, status
//! queries), only after transient failures (no answer, HTTP 5xx, carrier 13000 / 999999), with
//! exponential backoff and jitter, a bounded number of times. A registration request is never
//! retried here: the platform allows one per card per urlType per minute, so a retry after a
//! lost answer would be refused anyway.

use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use crate::error::{snippet, Error};

/// How a retried call backs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = never retry).
    pub attempts: u32,
    /// Delay before the first retry, before jitter (default 100 ms); doubled for each further
    /// one.
    pub base_delay: Duration,
    /// The longest delay, before jitter (default 2 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn never() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// Delay before attempt `n` (1-based count of failures so far): base·2^(n-1), capped, with
    /// 50-100 % jitter so many clients do not retry in lockstep.
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

/// How OneLink requests are encoded. Real clients use all three; the platform accepts all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RequestStyle {
    /// POST with a JSON body (`application/json;charset=UTF-8`).
    #[default]
    PostJson,
    /// POST with an `application/x-www-form-urlencoded` body.
    PostForm,
    /// GET with the parameters in the query string (the password or token is in the URL).
    GetQuery,
}

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    headers: Vec<(String, String)>,
}

impl Transport {
    pub(crate) fn new(
        timeout: Duration,
        retry: RetryPolicy,
        headers: Vec<(String, String)>,
    ) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("cmcc-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Input(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            timeout,
            retry,
            headers,
        })
    }

    /// Send once; `Ok` is the body of an HTTP 200 answer.
    pub(crate) async fn send<B: Serialize + ?Sized>(
        &self,
        url: &str,
        style: RequestStyle,
        body: &B,
    ) -> Result<Vec<u8>, Error> {
        let mut req = match style {
            RequestStyle::PostJson => {
                let bytes = serde_json::to_vec(body).map_err(|e| Error::Input(e.to_string()))?;
                self.http
                    .post(url)
                    .header("content-type", "application/json;charset=UTF-8")
                    .body(bytes)
            }
            RequestStyle::PostForm => self.http.post(url).form(body),
            RequestStyle::GetQuery => self.http.get(url).query(body),
        };
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.map_err(|e| self.classify(url, e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.classify(url, e))?;
        if !status.is_success() {
            return Err(Error::Http {
                url: url.to_owned(),
                status: status.as_u16(),
                snippet: snippet(&body),
            });
        }
        Ok(body.to_vec())
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> Error {
        // reqwest's message names the full request URL, query included: a GET-style OneLink
        // request carries the password or the token there. `url` (no query) is reported instead.
        let e = e.without_url();
        if e.is_timeout() {
            Error::Timeout {
                url: url.to_owned(),
                secs: self.timeout.as_secs_f64(),
            }
        } else {
            // Neither the body nor (after `without_url`) the query string appears here.
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                detail = format!("{detail}: {s}");
                src = s.source();
            }
            Error::Network {
                url: url.to_owned(),
                detail,
            }
        }
    }

    /// Run `op` and, when `idempotent`, run it again after transient failures per the policy.
    pub(crate) async fn retrying<T, F, Fut>(
        &self,
        idempotent: bool,
        what: &str,
        mut op: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let attempts = if idempotent {
            self.retry.attempts.max(1)
        } else {
            1
        };
        let mut failures = 0;
        loop {
            match op().await {
                Err(e) if e.is_transient() && failures + 1 < attempts => {
                    failures += 1;
                    let delay = self.retry.delay(failures);
                    tracing::warn!(call = what, attempt = failures, error = %e, delay_ms = delay.as_millis() as u64, "transient failure, retrying");
                    tokio::time::sleep(delay).await;
                }
                r => return r,
            }
        }
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Decode {
        url: url.to_owned(),
        detail: e.to_string(),
        snippet: snippet(body),
    })
}

/// 32 lowercase hex digits: msgId / traceId / uuid.
pub fn random_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        for _ in 0..50 {
            let d1 = p.delay(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.delay(3);
            assert!(
                d3 >= Duration::from_millis(150) && d3 <= Duration::from_millis(300),
                "{d3:?}"
            );
            assert!(p.delay(40) <= Duration::from_millis(300));
        }
    }

    #[test]
    fn ids_are_32_hex() {
        let a = random_id();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, random_id());
    }
}
