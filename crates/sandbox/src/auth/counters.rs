//! The auth platform's counters: the per-app usage count (111075), the per-number daily cap
//! (121011) and the per-minute getToken rate (140005).
//!
//! A verification holds its units from the moment it passes a limit: [`Counters::hold_usage`]
//! and [`Hold::daily`] check and count in one step under one lock, so simultaneous requests
//! cannot both take the last unit. A [`Hold`] that is not [`Hold::bill`]ed gives its units back
//! when dropped: only `000` and `001` are billed (seed 004).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use cmcc_proto::time::china_day;
use parking_lot::Mutex;

#[derive(Debug, Default)]
struct Inner {
    /// Billable verifications used (or held) per appId.
    usage: BTreeMap<String, u64>,
    /// getToken calls per appId in the current minute.
    rate: BTreeMap<String, (i64, u32)>,
    /// Verifications per (app, number) on the day.
    daily: BTreeMap<(u32, u64), u32>,
    day: Option<NaiveDate>,
}

impl Inner {
    fn roll_day(&mut self, day: NaiveDate) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.daily.clear();
        }
    }
}

/// All counters behind one lock.
#[derive(Debug, Default)]
pub struct Counters {
    inner: Mutex<Inner>,
}

impl Counters {
    /// Forget every count.
    pub fn clear(&self) {
        *self.inner.lock() = Inner::default();
    }

    /// Billable verifications used (or held by requests in flight) by this app.
    pub fn usage(&self, app_id: &str) -> u64 {
        self.inner.lock().usage.get(app_id).copied().unwrap_or(0)
    }

    /// Forget an app's usage (its configuration was replaced).
    pub fn reset_usage(&self, app_id: &str) {
        self.inner.lock().usage.remove(app_id);
    }

    /// One more getToken for this app in the current minute; false when over `limit`.
    pub fn rate_ok(&self, app_id: &str, limit: u32, now: DateTime<Utc>) -> bool {
        let minute = now.timestamp().div_euclid(60);
        let mut c = self.inner.lock();
        let e = c.rate.entry(app_id.to_owned()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= limit
    }

    /// Take one unit of the app's usage count; [`UsageExhausted`] when `limit` units are already used.
    ///
    /// # Errors
    ///
    /// [`UsageExhausted`] when `limit` units are already used (nothing is taken).
    pub fn hold_usage(
        &self,
        app_id: &str,
        app_idx: u32,
        limit: Option<u64>,
    ) -> Result<Hold<'_>, UsageExhausted> {
        let mut c = self.inner.lock();
        let used = c.usage.entry(app_id.to_owned()).or_insert(0);
        if limit.is_some_and(|l| *used >= l) {
            return Err(UsageExhausted);
        }
        *used += 1;
        Ok(Hold {
            counters: self,
            app_id: app_id.to_owned(),
            app_idx,
            daily: None,
            billed: false,
        })
    }
}

/// The app's usage count is used up (111075).
#[derive(Debug, Clone, Copy)]
pub struct UsageExhausted;

/// Units held by one verification in flight; given back on drop unless billed.
#[derive(Debug)]
pub struct Hold<'a> {
    counters: &'a Counters,
    app_id: String,
    app_idx: u32,
    /// The day and number whose daily count this hold took.
    daily: Option<(NaiveDate, u64)>,
    billed: bool,
}

impl Hold<'_> {
    /// Take one of `number`'s verifications on the China day of `now`; `Err(count)` when the
    /// number already had `cap` today.
    ///
    /// # Errors
    ///
    /// The number's count today when it has already reached `cap` (nothing is taken).
    pub fn daily(&mut self, number: u64, cap: u32, now: DateTime<Utc>) -> Result<(), u32> {
        if self.daily.is_some() {
            return Ok(());
        }
        let day = china_day(now);
        let mut c = self.counters.inner.lock();
        c.roll_day(day);
        let n = c.daily.entry((self.app_idx, number)).or_insert(0);
        if *n >= cap {
            return Err(*n);
        }
        *n += 1;
        self.daily = Some((day, number));
        Ok(())
    }

    /// The answer is billable (000 / 001): keep the units.
    pub fn bill(mut self) {
        self.billed = true;
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if self.billed {
            return;
        }
        let mut c = self.counters.inner.lock();
        if let Some(u) = c.usage.get_mut(&self.app_id) {
            *u = u.saturating_sub(1);
        }
        if let Some((day, number)) = self.daily {
            if c.day == Some(day) {
                if let Some(n) = c.daily.get_mut(&(self.app_idx, number)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }
}
