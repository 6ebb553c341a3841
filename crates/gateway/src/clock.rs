//! The gateway's clock: real time by default, moved forward by tests (and nothing else), so
//! reconciliation, the daily cap and lease expiries are tested by moving time instead of
//! sleeping. Moving it wakes the background loops waiting in [`crate::background::pause`].

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

/// Real time plus an offset that only grows.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<watch::Sender<i64>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            offset_ms: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl Clock {
    /// Now, on this gateway's clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(*self.offset_ms.borrow())
    }

    /// Now in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Move the clock forward by `by` (a negative duration is ignored: time does not go back).
    pub fn advance(&self, by: Duration) {
        let ms = by.num_milliseconds().max(0);
        self.offset_ms.send_modify(|o| *o = o.saturating_add(ms));
    }

    /// Wakes when the clock is moved.
    pub(crate) fn moved(&self) -> watch::Receiver<i64> {
        self.offset_ms.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn advancing_moves_now_and_wakes_waiters() {
        let c = Clock::default();
        let mut moved = c.moved();
        let before = c.now();
        c.advance(Duration::hours(25));
        assert!(c.now() - before >= Duration::hours(25));
        tokio::time::timeout(std::time::Duration::from_secs(1), moved.changed())
            .await
            .expect("woken")
            .expect("sender alive");
        c.advance(Duration::hours(-5));
        assert!(c.now() - before >= Duration::hours(25));
    }
}
