//! A card's life beyond registration: its status with the allowed changes, activation and
//! open dates, the device's IMEI, data used this month (growing with the virtual clock while the
//! card is active and its data is on), its data session and its communication functions.
//!
//! Everything a query answers is derived from a few stored fields and the time of the query,
//! so a million cards cost little and nothing has to tick. The rules are public integrations'
//! (docs/PROTOCOL-NOTES.md, fleet); where they say nothing, the choice is cmcc's and said here.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use cmcc_proto::time::{china, format_archive_time};
use cmcc_proto::wire::onelink::{
    BasicInfo, CardState, CardStatus, DataMargin, DataUsage, FunctionStatus, Imei, Margin,
    ServiceStatus, Session, Sessions, StatusChange,
};
use serde::{Deserialize, Serialize};

/// The one APN every sandbox card has.
pub const APN: &str = "CMIOT";
/// The plan every sandbox card has: 1 GiB a month, in KB.
pub const PLAN_KB: f64 = 1_048_576.0;
const PLAN_ID: &str = "I00010100001";
const PLAN_NAME: &str = "物联网卡1GB月套餐";

/// What is stored of a card's life (a few words per card; the rest is derived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Life {
    /// `cardStatus` code.
    pub state: u8,
    /// When the status last changed (ms since the epoch, virtual clock).
    pub changed_ms: i64,
    /// First activation; `None` while never active.
    pub activated_ms: Option<i64>,
    /// When the card was opened (issued to the enterprise).
    pub opened_ms: i64,
    /// Data (the one APN) switched on.
    pub data_on: bool,
    /// When data last changed, for the change window.
    pub data_changed_ms: i64,
    /// When the current data session began.
    pub session_ms: i64,
    /// KB used in `usage_month` up to `accrued_ms`.
    pub usage_kb: f64,
    /// China-time `yyyyMM` of `usage_kb`.
    pub usage_month: u32,
    pub accrued_ms: i64,
    /// KB per minute while active with data on (derived from the serial: cards differ).
    pub kb_per_min: f32,
    /// Magic: every change of this card is refused with 12015.
    pub changes_refused: bool,
}

impl Default for Life {
    fn default() -> Self {
        Self::new(0, 0)
    }
}

/// Why a change was refused: the code and the reason for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub reason: String,
}

fn refused(code: &'static str, reason: impl Into<String>) -> Refused {
    Refused {
        code,
        reason: reason.into(),
    }
}

/// China-time `yyyyMM` of `ms`.
fn month_of(ms: i64) -> u32 {
    let t = china().timestamp_millis_opt(ms).single();
    t.map_or(0, |t| t.year() as u32 * 100 + t.month())
}

/// The first millisecond of `ms`'s China-time month.
fn month_start(ms: i64) -> i64 {
    let Some(t) = china().timestamp_millis_opt(ms).single() else {
        return ms;
    };
    china()
        .with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
        .single()
        .map_or(ms, |s| s.timestamp_millis())
}

fn date(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| " ".to_owned(), format_archive_time)
}

impl Life {
    /// An active card with data on, opened and activated at `opened_ms`, using
    /// `10 + serial % 90` KB a minute.
    pub fn new(serial: u64, opened_ms: i64) -> Self {
        Self {
            state: CardState::Active.code(),
            changed_ms: opened_ms,
            activated_ms: Some(opened_ms),
            opened_ms,
            data_on: true,
            data_changed_ms: opened_ms,
            session_ms: opened_ms,
            usage_kb: 0.0,
            usage_month: month_of(opened_ms),
            accrued_ms: opened_ms,
            kb_per_min: 10.0 + (serial % 90) as f32,
            changes_refused: false,
        }
    }

    /// A card that starts in `state` (never activated unless it is active or stopped).
    #[must_use]
    pub fn in_state(mut self, state: CardState) -> Self {
        self.state = state.code();
        if !matches!(state, CardState::Active | CardState::Stopped) {
            self.activated_ms = None;
        }
        self
    }

    pub fn state(&self) -> CardState {
        CardState::from_code(self.state)
    }

    fn counting(&self) -> bool {
        self.state() == CardState::Active && self.data_on
    }

    /// KB used this month as of `now_ms`.
    pub fn usage_at(&self, now_ms: i64) -> f64 {
        let month = month_of(now_ms);
        let mut kb = if self.usage_month == month {
            self.usage_kb
        } else {
            0.0
        };
        if self.counting() {
            let from = self.accrued_ms.max(month_start(now_ms));
            if now_ms > from {
                kb += f64::from(self.kb_per_min) * (now_ms - from) as f64 / 60_000.0;
            }
        }
        kb
    }

    /// Fold the usage up to `now_ms` into the stored count (before anything that stops or
    /// starts the counting).
    fn accrue(&mut self, now_ms: i64) {
        self.usage_kb = self.usage_at(now_ms);
        self.usage_month = month_of(now_ms);
        self.accrued_ms = now_ms;
    }

    /// 23S03: apply `change` at `now_ms`, or say why not. `window_ms`: the same card may not
    /// change its status again within it (12015).
    pub fn change(
        &mut self,
        change: StatusChange,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<(), Refused> {
        let (from, to) = change.transition();
        if self.changes_refused {
            return Err(refused(
                "12015",
                "this card's changes are always refused (magic card)",
            ));
        }
        if now_ms - self.changed_ms < window_ms {
            return Err(refused(
                "12015",
                format!(
                    "the card's status changed {} s ago; changes are allowed once per {} s",
                    (now_ms - self.changed_ms) / 1000,
                    window_ms / 1000
                ),
            ));
        }
        let state = self.state();
        if state == to {
            let code = if to == CardState::Active {
                "12047"
            } else {
                "12048"
            };
            return Err(refused(code, format!("the card is already {}", to.en())));
        }
        if state != from {
            return Err(refused(
                "12017",
                format!(
                    "operType {} changes a {} card; this one is {}",
                    change.oper_type(),
                    from.en(),
                    state.en()
                ),
            ));
        }
        self.accrue(now_ms);
        self.state = to.code();
        self.changed_ms = now_ms;
        if to == CardState::Active {
            self.activated_ms.get_or_insert(now_ms);
            self.session_ms = now_ms;
        }
        Ok(())
    }

    /// 23M07: data on or off.
    pub fn switch_data(&mut self, on: bool, now_ms: i64, window_ms: i64) -> Result<(), Refused> {
        if self.changes_refused {
            return Err(refused(
                "12015",
                "this card's changes are always refused (magic card)",
            ));
        }
        if self.data_on == on {
            let code = if on { "12047" } else { "12048" };
            return Err(refused(
                code,
                format!("data is already {}", if on { "on" } else { "off" }),
            ));
        }
        if now_ms - self.data_changed_ms < window_ms {
            return Err(refused(
                "12015",
                format!(
                    "the card's data was switched less than {} s ago",
                    window_ms / 1000
                ),
            ));
        }
        self.accrue(now_ms);
        self.data_on = on;
        self.data_changed_ms = now_ms;
        if on {
            self.session_ms = now_ms;
        }
        Ok(())
    }

    /// 25M03: a new data session (the device reconnects). Only an active card has one.
    pub fn reset_session(&mut self, now_ms: i64) -> Result<(), Refused> {
        if !self.counting() {
            return Err(refused(
                "12017",
                "the card has no data session to reset (not active, or data off)",
            ));
        }
        self.session_ms = now_ms;
        Ok(())
    }

    pub fn status(&self) -> CardStatus {
        CardStatus {
            card_status: self.state.to_string(),
            last_change_date: date(self.changed_ms),
        }
    }

    pub fn basic_info(&self, msisdn: &str, iccid: &str, imsi: &str) -> BasicInfo {
        BasicInfo {
            msisdn: msisdn.to_owned(),
            imsi: imsi.to_owned(),
            iccid: iccid.to_owned(),
            active_date: self.activated_ms.map_or_else(|| " ".to_owned(), date),
            open_date: date(self.opened_ms),
            remark: None,
        }
    }

    /// The IMEI of the device the card is in: 15 digits with a Luhn check digit, derived from
    /// the msisdn; empty for a card never activated (no device yet).
    pub fn imei(&self, msisdn: &str) -> Imei {
        if self.activated_ms.is_none() {
            return Imei {
                imei: String::new(),
            };
        }
        let digits: String = msisdn.chars().filter(char::is_ascii_digit).collect();
        let body = format!("86{:0>12}", &digits[digits.len().saturating_sub(12)..]);
        Imei {
            imei: format!("{body}{}", luhn(&body)),
        }
    }

    pub fn data_usage(&self, now_ms: i64) -> DataUsage {
        let kb = self.usage_at(now_ms);
        let text = if kb > 0.0 {
            format!("{kb:.2}")
        } else {
            " ".to_owned()
        };
        DataUsage {
            data_amount: text.clone(),
            apn_use_amount_list: vec![cmcc_proto::wire::onelink::ApnUse {
                apn_name: APN.into(),
                apn_use_amount: text,
            }],
        }
    }

    pub fn data_margin(&self, now_ms: i64) -> DataMargin {
        let used = self.usage_at(now_ms).min(PLAN_KB);
        DataMargin {
            accm_margin_list: vec![Margin {
                offering_id: PLAN_ID.into(),
                offering_name: PLAN_NAME.into(),
                apn_name: APN.into(),
                total_amount: format!("{PLAN_KB:.2}"),
                use_amount: format!("{used:.2}"),
                remain_amount: format!("{:.2}", PLAN_KB - used),
            }],
        }
    }

    /// One session while active with data on (IP and radio derived from the msisdn), none
    /// otherwise.
    pub fn sessions(&self, msisdn: &str) -> Sessions {
        if !self.counting() {
            return Sessions {
                sim_session_list: Vec::new(),
            };
        }
        let n: u64 = msisdn.chars().filter(char::is_ascii_digit).fold(0, |a, c| {
            a.wrapping_mul(10).wrapping_add(u64::from(c as u8 - b'0'))
        });
        Sessions {
            sim_session_list: vec![Session {
                apn_id: APN.into(),
                status: "01".into(),
                ip: format!("10.{}.{}.{}", (n >> 16) % 256, (n >> 8) % 256, n % 254 + 1),
                create_date: date(self.session_ms),
                rat: if n % 4 == 0 { "8" } else { "6" }.into(),
            }],
        }
    }

    /// Voice (01), SMS (08), data (11): `"0"` on, `"1"` off. A card that is not active has
    /// none of them.
    pub fn function_status(&self) -> FunctionStatus {
        let active = self.state() == CardState::Active;
        let flag = |on: bool| if on { "0" } else { "1" }.to_owned();
        FunctionStatus {
            service_type_list: vec![
                ServiceStatus {
                    service_type: "01".into(),
                    service_status: flag(active),
                },
                ServiceStatus {
                    service_type: "08".into(),
                    service_status: flag(active),
                },
                ServiceStatus {
                    service_type: "11".into(),
                    service_status: flag(active && self.data_on),
                },
            ],
        }
    }
}

/// The Luhn check digit of `digits`.
fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Milliseconds of a time on the virtual clock.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_730_000_000_000; // 2024-10-27, China time

    #[test]
    fn usage_grows_while_active_with_data_on_and_resets_with_the_month() {
        let mut l = Life::new(0, T0); // 10 KB/min
        assert!((l.usage_at(T0 + 10 * MIN) - 100.0).abs() < 1e-6);
        l.switch_data(false, T0 + 10 * MIN, 0).expect("off");
        assert!((l.usage_at(T0 + 60 * MIN) - 100.0).abs() < 1e-6);
        l.switch_data(true, T0 + 60 * MIN, 0).expect("on");
        assert!((l.usage_at(T0 + 70 * MIN) - 200.0).abs() < 1e-6);
        // 2024-11-01 00:00 China time = 2024-10-31 16:00 UTC.
        let nov = Utc
            .with_ymd_and_hms(2024, 10, 31, 16, 0, 0)
            .single()
            .expect("time")
            .timestamp_millis();
        assert!((l.usage_at(nov + 5 * MIN) - 50.0).abs() < 1e-6);
    }

    #[test]
    fn changes_follow_the_transitions_and_the_window() {
        let mut l = Life::new(0, T0);
        let w = 3 * MIN;
        assert_eq!(
            l.change(StatusChange::Resume, T0 + w, w)
                .map_err(|e| e.code),
            Err("12047")
        );
        l.change(StatusChange::Stop, T0 + w, w).expect("stop");
        assert_eq!(l.state(), CardState::Stopped);
        assert!(l.sessions("1440000000001").sim_session_list.is_empty());
        assert_eq!(
            l.change(StatusChange::Resume, T0 + w + MIN, w)
                .map_err(|e| e.code),
            Err("12015")
        );
        assert_eq!(
            l.change(StatusChange::Stop, T0 + 3 * w, w)
                .map_err(|e| e.code),
            Err("12048")
        );
        assert_eq!(
            l.change(StatusChange::StockToActive, T0 + 3 * w, w)
                .map_err(|e| e.code),
            Err("12017")
        );
        l.change(StatusChange::Resume, T0 + 3 * w, w)
            .expect("resume");
        assert_eq!(l.state(), CardState::Active);
    }

    #[test]
    fn a_card_never_activated_has_no_device_and_no_active_date() {
        let l = Life::new(0, T0).in_state(CardState::Stock);
        assert_eq!(l.imei("1440000000010").imei, "");
        assert_eq!(l.basic_info("m", "i", "s").active_date, " ");
        let a = Life::new(0, T0).imei("1440000000010").imei;
        assert_eq!(a.len(), 15);
        assert_eq!(luhn(&a[..14]), a[14..].parse::<u32>().expect("digit"));
        assert_eq!(luhn("7992739871"), 3);
    }
}
