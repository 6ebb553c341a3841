//! Time formats of the protocols, all in China time (UTC+8, no daylight saving). Nothing here
//! reads the clock: callers pass the instant.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// UTC+8, the zone every carrier timestamp is written in.
pub fn china() -> FixedOffset {
    // 8 hours is always a valid offset.
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The China-time calendar day of an instant: daily caps roll over at 00:00 Beijing time.
pub fn china_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// chrono reads second 60 as a leap second at any minute; no carrier clock sends one, and such
/// a value would not survive a format/parse round trip, so parsers reject it.
pub(crate) fn is_leap_second(t: &NaiveDateTime) -> bool {
    use chrono::Timelike;
    t.nanosecond() >= 1_000_000_000
}

/// A timestamp that does not parse in the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {value:?} is not {expected}")]
#[non_exhaustive]
pub struct TimeFormatError {
    /// The input, cut at 40 characters.
    pub value: String,
    /// The format that was expected, e.g. `17 digits yyyyMMddHHmmssSSS`.
    pub expected: &'static str,
}

/// `yyyyMMddHHmmssSSS` — 17 digits, China time, the `timestamp` of the auth platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp17(DateTime<Utc>);

impl Timestamp17 {
    /// The instant `t`, cut to whole milliseconds.
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        // Keep millisecond precision only, so parse(format(t)) == t.
        let ms = t.timestamp_millis();
        Self(Utc.timestamp_millis_opt(ms).single().unwrap_or(t))
    }

    /// The instant it stands for.
    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }

    /// Parse 17 digits `yyyyMMddHHmmssSSS` in China time.
    ///
    /// # Errors
    ///
    /// [`TimeFormatError`] when it is not 17 digits or not a valid time (second 60 included).
    pub fn parse(s: &str) -> Result<Self, TimeFormatError> {
        let bad = || TimeFormatError {
            value: s.chars().take(40).collect(),
            expected: "17 digits yyyyMMddHHmmssSSS",
        };
        if s.len() != 17 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let naive = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S%3f").map_err(|_| bad())?;
        if is_leap_second(&naive) {
            return Err(bad());
        }
        let local = china()
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(bad)?;
        Ok(Self(local.with_timezone(&Utc)))
    }
}

impl std::fmt::Display for Timestamp17 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            self.0.with_timezone(&china()).format("%Y%m%d%H%M%S%3f")
        )
    }
}

/// `yyyyMMddHHmmss` in China time (the date part of a OneLink `transid`).
pub fn format_compact_seconds(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%Y%m%d%H%M%S").to_string()
}

/// `yyyy-MM-dd HH:mm:ss` in China time (OneLink `archiveTime`).
pub fn format_archive_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Parse `yyyy-MM-dd HH:mm:ss` in China time (OneLink `archiveTime`).
///
/// # Errors
///
/// [`TimeFormatError`] when it is not that format or not a valid time (second 60 included).
pub fn parse_archive_time(s: &str) -> Result<DateTime<Utc>, TimeFormatError> {
    let bad = || TimeFormatError {
        value: s.chars().take(40).collect(),
        expected: "yyyy-MM-dd HH:mm:ss",
    };
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").map_err(|_| bad())?;
    if is_leap_second(&naive) {
        return Err(bad());
    }
    Ok(china()
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(bad)?
        .with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_timestamp_is_china_time() {
        let t = Timestamp17::parse("20121227180001165").unwrap();
        assert_eq!(t.instant().to_rfc3339(), "2012-12-27T10:00:01.165+00:00");
        assert_eq!(t.to_string(), "20121227180001165");
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2012122718000116",
            "201212271800011650",
            "2012122718000116x",
            "20121327180001165",
            "２０１",
        ] {
            assert!(Timestamp17::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn china_day_rolls_at_16_utc() {
        let before = Utc.with_ymd_and_hms(2026, 1, 1, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 1, 1, 16, 0, 0).unwrap();
        assert_eq!(china_day(before).to_string(), "2026-01-01");
        assert_eq!(china_day(after).to_string(), "2026-01-02");
    }

    #[test]
    fn archive_time_round_trip() {
        let t = parse_archive_time("2013-11-10 10:13:42").unwrap();
        assert_eq!(format_archive_time(t), "2013-11-10 10:13:42");
        assert!(parse_archive_time("2013-11-10T10:13:42").is_err());
    }
}
