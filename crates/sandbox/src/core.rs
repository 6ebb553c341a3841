//! What both emulated platforms share: the virtual clock, the request journal, fault injection.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use cmcc_proto::codes::Code;
use cmcc_proto::endpoint::{Endpoint, Method};
use cmcc_proto::Platform;
use parking_lot::Mutex;
use serde::Serialize;

/// Shared by every part of a running sandbox. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Core {
    pub base_url: Arc<str>,
    pub clock: Clock,
    pub journal: Journal,
    pub faults: Faults,
}

impl Core {
    /// Apply the first fault queued for `path`: wait its delay, and return the code it says to
    /// answer instead, if any. Both platforms' endpoints start with this.
    pub async fn fault(&self, path: &str) -> Option<String> {
        let f = self.faults.take(path)?;
        if !f.delay.is_zero() {
            tokio::time::sleep(f.delay).await;
        }
        f.code
    }

    /// Write one line of the journal, at the sandbox's (virtual) time.
    pub fn record(
        &self,
        platform: &'static str,
        path: &str,
        code: &str,
        reason: &str,
        detail: serde_json::Value,
    ) -> u64 {
        self.journal
            .record(self.clock.now(), platform, path, code, reason, detail)
    }

    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').into(),
            clock: Clock::default(),
            journal: Journal::new(10_000),
            faults: Faults::default(),
        }
    }
}

/// The sandbox's virtual clock: real time plus an offset a tester can move forward
/// (e.g. to expire tokens or cross the China-time day boundary of daily caps).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<Mutex<i64>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(*self.offset_ms.lock())
    }

    /// Move the clock forward (or back) by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset_ms.lock() += by.num_milliseconds();
    }

    /// Current offset from real time.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(*self.offset_ms.lock())
    }

    pub fn reset(&self) {
        *self.offset_ms.lock() = 0;
    }
}

/// One request the sandbox answered, and, when it was rejected, why.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    pub id: u64,
    pub at: DateTime<Utc>,
    /// `auth` or `onelink`.
    pub platform: &'static str,
    pub path: String,
    /// The carrier result code answered.
    pub code: String,
    /// Human explanation of a rejection (empty when accepted).
    pub reason: String,
    /// Structured diagnostics, e.g. the expected and the received sign string for 130018.
    pub detail: serde_json::Value,
}

/// Bounded in-memory journal of requests (newest kept).
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Mutex<JournalInner>>,
}

#[derive(Debug)]
struct JournalInner {
    cap: usize,
    next_id: u64,
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    pub fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(JournalInner {
                cap: cap.max(1),
                next_id: 1,
                entries: VecDeque::new(),
            })),
        }
    }

    /// Record an entry; returns its id.
    pub fn record(
        &self,
        at: DateTime<Utc>,
        platform: &'static str,
        path: &str,
        code: &str,
        reason: &str,
        detail: serde_json::Value,
    ) -> u64 {
        let mut g = self.inner.lock();
        let id = g.next_id;
        g.next_id += 1;
        if g.entries.len() == g.cap {
            g.entries.pop_front();
        }
        g.entries.push_back(JournalEntry {
            id,
            at,
            platform,
            path: path.to_owned(),
            code: code.to_owned(),
            reason: reason.to_owned(),
            detail,
        });
        id
    }

    /// Newest first, at most `limit`, optionally only one platform.
    pub fn recent(&self, limit: usize, platform: Option<&str>) -> Vec<JournalEntry> {
        let g = self.inner.lock();
        g.entries
            .iter()
            .rev()
            .filter(|e| platform.is_none_or(|p| p == e.platform))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.inner.lock().entries.clear();
    }
}

/// A fault queued for an endpoint: the next `remaining` calls answer `code` (when set) after
/// waiting `delay_ms` (when non-zero).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fault {
    /// Endpoint key, e.g. the request path `/v5/ec/get/token`.
    pub endpoint: String,
    /// Result code to answer instead of the real outcome; `None` only delays.
    #[serde(default)]
    pub code: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// How many calls it applies to.
    #[serde(default = "one")]
    pub remaining: u32,
}

fn one() -> u32 {
    1
}

/// A refused request, on either platform: the carrier code answered, its text when the code's
/// usual text does not fit, why (for the journal) and what the journal shows of the request.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: String,
    pub desc: Option<&'static str>,
    pub reason: String,
    pub detail: serde_json::Value,
}

impl Refusal {
    pub fn new(code: &str, reason: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            desc: None,
            reason: reason.into(),
            detail: serde_json::Value::Null,
        }
    }

    /// Answer this text instead of the code's usual one.
    #[must_use]
    pub fn desc(mut self, d: &'static str) -> Self {
        self.desc = Some(d);
        self
    }

    /// What the journal shows of the refused request.
    #[must_use]
    pub fn detail(mut self, v: serde_json::Value) -> Self {
        self.detail = v;
        self
    }

    /// The answer text: its own, or the carrier's text of the code on `platform`.
    pub fn text(&self, platform: Platform) -> String {
        self.desc
            .map_or_else(|| code_text(&self.code, platform).to_owned(), str::to_owned)
    }
}

/// The carrier's Chinese text of a code (`系统异常`, "system error", for one it never wrote).
pub fn code_text(code: &str, platform: Platform) -> &'static str {
    Code::from(code).info(platform).map_or("系统异常", |i| i.zh)
}

/// What a fault tells the endpoint to do for this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultAction {
    pub code: Option<String>,
    pub delay: std::time::Duration,
}

/// Faults queued by testers through the admin API; consumed in order per endpoint.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Vec<Fault>>>,
}

impl Faults {
    pub fn push(&self, fault: Fault) {
        if fault.remaining > 0 {
            self.inner.lock().push(fault);
        }
    }

    /// Take one use of the first fault queued for `endpoint`, if any.
    pub fn take(&self, endpoint: &str) -> Option<FaultAction> {
        let mut g = self.inner.lock();
        let i = g.iter().position(|f| f.endpoint == endpoint)?;
        let f = &mut g[i];
        f.remaining -= 1;
        let action = FaultAction {
            code: f.code.clone(),
            delay: std::time::Duration::from_millis(f.delay_ms),
        };
        if f.remaining == 0 {
            g.remove(i);
        }
        Some(action)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.inner.lock().clone()
    }

    pub fn clear(&self) {
        self.inner.lock().clear();
    }
}

/// Routes built from the endpoint definitions of `cmcc-proto`: the path and every method the
/// definition accepts, so the sandbox serves an endpoint exactly where the SDK calls it.
pub trait EndpointRoutes<S> {
    /// Serve the endpoint `E` with `handler`.
    #[must_use]
    fn endpoint<E: Endpoint, H: Handler<T, S>, T: 'static>(self, handler: H) -> Self;
}

impl<S: Clone + Send + Sync + 'static> EndpointRoutes<S> for Router<S> {
    fn endpoint<E: Endpoint, H: Handler<T, S>, T: 'static>(self, handler: H) -> Self {
        let mut methods = MethodRouter::new();
        for m in E::METADATA.methods {
            let filter = match m {
                Method::Get => MethodFilter::GET,
                Method::Post => MethodFilter::POST,
            };
            methods = methods.on(filter, handler.clone());
        }
        self.route(E::METADATA.path, methods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_per_endpoint() {
        let f = Faults::default();
        f.push(Fault {
            endpoint: "/a".into(),
            code: Some("13000".into()),
            delay_ms: 0,
            remaining: 2,
        });
        f.push(Fault {
            endpoint: "/a".into(),
            code: None,
            delay_ms: 5,
            remaining: 1,
        });
        assert_eq!(f.take("/b"), None);
        assert_eq!(f.take("/a").and_then(|a| a.code).as_deref(), Some("13000"));
        assert_eq!(f.take("/a").and_then(|a| a.code).as_deref(), Some("13000"));
        let third = f.take("/a").expect("third fault");
        assert_eq!((third.code, third.delay.as_millis()), (None, 5));
        assert_eq!(f.take("/a"), None);
    }

    #[test]
    fn journal_keeps_the_newest_within_its_bound() {
        let j = Journal::new(2);
        let now = Utc::now();
        for code in ["1", "2", "3"] {
            j.record(now, "auth", "/p", code, "", serde_json::Value::Null);
        }
        let codes: Vec<_> = j.recent(10, None).into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["3", "2"]);
        assert!(j.recent(10, Some("onelink")).is_empty());
    }

    #[test]
    fn clock_advances() {
        let c = Clock::default();
        c.advance(Duration::hours(25));
        assert!(c.now() - Utc::now() > Duration::hours(24));
        c.reset();
        assert_eq!(c.offset(), Duration::zero());
    }
}
