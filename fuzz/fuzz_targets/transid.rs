//! Time-bearing strings from outside: OneLink `transid` (`parse_transid`), the H5 preSign
//! (`PreSign::parse`), the 17-digit auth-platform timestamp and OneLink's `archiveTime`. Each
//! accepted value is written back exactly as it came (transid, preSign, timestamp) or to a
//! canonical form that parses to the same instant (archiveTime).
//!
//! Input: `appid\nvalue`; the whole text is also tried as a timestamp and an archiveTime.
#![no_main]

use cmcc_proto::format::{parse_transid, PreSign, TransidGenerator};
use cmcc_proto::time::{format_archive_time, parse_archive_time, Timestamp17};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ts) = Timestamp17::parse(text) {
        assert_eq!(ts.to_string(), text, "a timestamp is written as it came");
        assert_eq!(Timestamp17::from_utc(ts.instant()), ts);
    }
    if let Ok(t) = parse_archive_time(text) {
        let canonical = format_archive_time(t);
        assert_eq!(parse_archive_time(&canonical), Ok(t), "via {canonical}");
    }
    let Some((appid, value)) = text.split_once('\n') else {
        return;
    };
    if let Ok(t) = parse_transid(value, appid) {
        let again = TransidGenerator::new(appid, u64::from(t.seq)).next(t.time);
        assert_eq!(again, value, "a transid is written as it came");
    }
    if let Ok(p) = PreSign::parse(value, appid) {
        assert_eq!(p.to_string(), value, "a preSign is written as it came");
        assert_eq!(PreSign::parse(&p.to_string(), appid).as_ref(), Ok(&p));
    }
});
