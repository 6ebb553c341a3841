//! Small wire formats: OneLink `transid`, `expandParams`, the H5 preSign, and the urlType-3
//! `url` ⇄ `miniParam` conversion.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};

use crate::time::{china, format_compact_seconds, Timestamp17};

/// Why one of these small formats did not parse. Quoted input is cut at 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The transid (quoted) is not this appid + 14-digit China time + 8 digits.
    #[error("transid {0:?} is not appid + yyyyMMddHHmmss + 8 digits")]
    Transid(String),
    /// An `expandParams` item (quoted) without `=` or with an empty name.
    #[error("expandParams item {0:?} is not name=value")]
    ExpandParams(String),
    /// The urlType-3 `url` lacks this field, or it is empty.
    #[error("miniParam url lacks {0}")]
    MiniParamMissing(&'static str),
    /// The preSign does not have cmcc's shape; what is wrong with it.
    #[error("preSign is malformed: {0}")]
    PreSign(&'static str),
}

// ---------------------------------------------------------------- transid

/// Makes OneLink `transid`s: `appid + yyyyMMddHHmmss (China time) + 8-digit sequence`.
///
/// One generator per appid per process; the sequence is an atomic counter, so concurrent
/// callers never get the same value within a second unless 10^8 ids are taken in that second.
/// Start it at a random offset (the caller's randomness) so two processes started in the same
/// second are unlikely to collide.
#[derive(Debug)]
pub struct TransidGenerator {
    appid: String,
    seq: AtomicU64,
}

impl TransidGenerator {
    /// A generator for `appid` whose sequence starts at `start` modulo 10^8.
    pub fn new(appid: impl Into<String>, start: u64) -> Self {
        Self {
            appid: appid.into(),
            seq: AtomicU64::new(start % 100_000_000),
        }
    }

    /// The appid every transid starts with.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// The next transid, stamped with `now` in China time; the sequence wraps after 99999999.
    pub fn next(&self, now: DateTime<Utc>) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) % 100_000_000;
        format!("{}{}{:08}", self.appid, format_compact_seconds(now), n)
    }
}

/// A parsed transid: when it claims to be from and its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transid {
    /// The 14 digits after the appid, read as China time.
    pub time: DateTime<Utc>,
    /// The last 8 digits.
    pub seq: u32,
}

/// Strict check of a transid for `appid`.
///
/// # Errors
///
/// [`FormatError::Transid`] when it does not start with `appid`, the rest is not 22 digits, or
/// the 14 time digits are not a valid China time (leap seconds included).
pub fn parse_transid(transid: &str, appid: &str) -> Result<Transid, FormatError> {
    let bad = || FormatError::Transid(transid.chars().take(64).collect());
    let rest = transid.strip_prefix(appid).ok_or_else(bad)?;
    if rest.len() != 22 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (ts, seq) = rest.split_at(14);
    let naive = chrono::NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S").map_err(|_| bad())?;
    if crate::time::is_leap_second(&naive) {
        return Err(bad());
    }
    let time = china()
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(bad)?
        .with_timezone(&Utc);
    Ok(Transid {
        time,
        seq: seq.parse().map_err(|_| bad())?,
    })
}

// ---------------------------------------------------------------- expandParams

/// Characters escaped inside a name or value: the separators, `%`, and anything non-visible.
const EXPAND_ESCAPE: &AsciiSet = &CONTROLS
    .add(b'%')
    .add(b'|')
    .add(b'=')
    .add(b'&')
    .add(b' ')
    .add(b'+');

/// `expandParams`: `name1=value1|name2=value2`, names and values url-encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpandParams(pub BTreeMap<String, String>);

impl ExpandParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }
    /// These parameters with `k` set to `v` (replacing an earlier value of `k`).
    pub fn with(mut self, k: &str, v: &str) -> Self {
        self.0.insert(k.to_owned(), v.to_owned());
        self
    }
    /// The decoded value of `k`.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The wire form: items in name order, names and values percent-encoded one by one, joined
    /// by `|`.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, EXPAND_ESCAPE),
                    utf8_percent_encode(v, EXPAND_ESCAPE)
                )
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    /// Decode either form seen in practice: items encoded one by one (what [`encode`] writes,
    /// and what Java's `URLEncoder` gives per value), or the whole string url-encoded once
    /// more (`phoneNum%3D139…`). As in form encoding, `+` is a space (cmcc writes a literal `+`
    /// as `%2B`). An empty string is empty.
    ///
    /// [`encode`]: ExpandParams::encode
    ///
    /// # Errors
    ///
    /// [`FormatError::ExpandParams`] for an item without `=` or with an empty name.
    pub fn decode(s: &str) -> Result<Self, FormatError> {
        fn form_decode(s: &str) -> String {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        }
        fn pct_decode(s: &str) -> String {
            percent_decode_str(s).decode_utf8_lossy().into_owned()
        }
        let s = s.trim();
        // Whole-string form: undo the outer encoding (where `+` is a space); what remains are
        // items in which a `+` is a literal plus that was sent as %2B.
        let (s, item_decode): (String, fn(&str) -> String) = if !s.contains('=') && s.contains('%')
        {
            (form_decode(s), pct_decode)
        } else {
            (s.to_owned(), form_decode)
        };
        let mut map = BTreeMap::new();
        for item in s.split('|').filter(|i| !i.is_empty()) {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| FormatError::ExpandParams(item.chars().take(64).collect()))?;
            let k = item_decode(k);
            if k.is_empty() {
                return Err(FormatError::ExpandParams(item.chars().take(64).collect()));
            }
            map.insert(k, item_decode(v));
        }
        Ok(Self(map))
    }
}

// ---------------------------------------------------------------- preSign

/// The H5 preSign (seed 004 steps 3-4): `appId + msgId + timestamp + uuid + version`.
///
/// The seed does not fix the lengths of msgId and uuid; cmcc's JSSDK (and the sandbox) use 32
/// lowercase hex digits for both, which makes the string parseable so a business server can
/// refuse to sign anything that is not a fresh preSign for its own appId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreSign {
    /// The business's appId on the auth platform.
    pub app_id: String,
    /// The JSSDK's message id: 32 lowercase hex digits.
    pub msg_id: String,
    /// When the JSSDK made it (17 digits, China time).
    pub timestamp: Timestamp17,
    /// The JSSDK's uuid of the attempt: 32 lowercase hex digits.
    pub uuid: String,
    /// The JSSDK version string (digits and dots, at most 8 characters, e.g. `1.0`).
    pub version: String,
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl PreSign {
    /// Parse a preSign that must belong to `app_id`.
    ///
    /// # Errors
    ///
    /// [`FormatError::PreSign`] when it does not start with `app_id`, is too short or not
    /// ASCII, msgId or uuid is not 32 lowercase hex digits, the version is not like `1.0`, or
    /// the timestamp is not a valid 17-digit time.
    pub fn parse(s: &str, app_id: &str) -> Result<Self, FormatError> {
        let rest = s
            .strip_prefix(app_id)
            .ok_or(FormatError::PreSign("does not start with our appId"))?;
        if rest.len() < 32 + 17 + 32 + 1 || !rest.is_ascii() {
            return Err(FormatError::PreSign("too short"));
        }
        let (msg_id, rest) = rest.split_at(32);
        let (ts, rest) = rest.split_at(17);
        let (uuid, version) = rest.split_at(32);
        if !is_hex32(msg_id) || !is_hex32(uuid) {
            return Err(FormatError::PreSign(
                "msgId and uuid must be 32 lowercase hex digits",
            ));
        }
        if version.len() > 8 || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(FormatError::PreSign("version must be like 1.0"));
        }
        let timestamp = Timestamp17::parse(ts)
            .map_err(|_| FormatError::PreSign("timestamp is not 17 digits"))?;
        Ok(Self {
            app_id: app_id.to_owned(),
            msg_id: msg_id.to_owned(),
            timestamp,
            uuid: uuid.to_owned(),
            version: version.to_owned(),
        })
    }
}

impl std::fmt::Display for PreSign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ts = self.timestamp.to_string();
        f.write_str(
            crate::sign::pre_sign(&self.app_id, &self.msg_id, &ts, &self.uuid, &self.version)
                .as_str(),
        )
    }
}

// ---------------------------------------------------------------- miniParam

/// The urlType-3 business parameters passed as `extraData` to `wx.navigateToMiniProgram`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniParam {
    /// `param`: the platform's opaque business parameter (hex in seed 000 §2.1.1's example),
    /// passed on unchanged.
    pub param: String,
    /// `signature`: the platform's base64 signature over the other fields (its scheme is not
    /// published; see [`MiniParam::signed_string`]).
    pub signature: String,
    /// `requestSource`: a source code the platform sets (`550` in seed 000's example; its
    /// meaning is not published).
    #[serde(rename = "requestSource")]
    pub request_source: String,
    /// `transactionID`: the platform's transaction id for this link (24 digits in seed 000's
    /// example).
    #[serde(rename = "transactionID")]
    pub transaction_id: String,
}

impl MiniParam {
    /// Parse the urlType-3 `url` query string. Splits on `&`, then on the FIRST `=` only, and
    /// never turns `+` into a space: the base64 signature has `+`, `/` and `=` in it. Values that
    /// arrive percent-encoded (`%2B`) are decoded; base64 never contains `%`.
    ///
    /// # Errors
    ///
    /// [`FormatError::MiniParamMissing`] when one of the four fields is absent or empty.
    pub fn from_url(url: &str) -> Result<Self, FormatError> {
        let query = url.rsplit_once('?').map_or(url, |(_, q)| q);
        let mut map: BTreeMap<&str, String> = BTreeMap::new();
        for item in query.split('&').filter(|i| !i.is_empty()) {
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            let v = if v.contains('%') {
                percent_decode_str(v).decode_utf8_lossy().into_owned()
            } else {
                v.to_owned()
            };
            map.insert(k, v);
        }
        let mut take = |k: &'static str| {
            map.remove(k)
                .filter(|v| !v.is_empty())
                .ok_or(FormatError::MiniParamMissing(k))
        };
        Ok(Self {
            request_source: take("requestSource")?,
            transaction_id: take("transactionID")?,
            param: take("param")?,
            signature: take("signature")?,
        })
    }

    /// The `url` form, in the carrier's field order, values verbatim.
    pub fn to_url(&self) -> String {
        format!(
            "requestSource={}&transactionID={}&param={}&signature={}",
            self.request_source, self.transaction_id, self.param, self.signature
        )
    }

    /// The string the platform signs: `requestSource + transactionID + param` (the carrier's
    /// scheme is not published; this is the sandbox's).
    pub fn signed_string(&self) -> String {
        format!(
            "{}{}{}",
            self.request_source, self.transaction_id, self.param
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn transid_matches_seed_shape() {
        let now = Utc.with_ymd_and_hms(2014, 10, 16, 7, 30, 30).unwrap();
        let g = TransidGenerator::new("10005999927000000", 80_000_000 - 1);
        let a = g.next(now);
        assert_eq!(a, "100059999270000002014101615303079999999");
        let b = g.next(now);
        assert_eq!(b, "100059999270000002014101615303080000000");
        let p = parse_transid(&b, "10005999927000000").unwrap();
        assert_eq!(p.time, now);
        assert_eq!(p.seq, 80_000_000);
        assert!(parse_transid(&b, "999").is_err());
        assert!(
            parse_transid("1000599992700000020141016153030800000", "10005999927000000").is_err()
        );
    }

    #[test]
    fn seed_transid_example_parses() {
        // seed 000 §2.1 example: appid 10005999927000000, 2014-10-16 15:30:30, seq 80000001
        let p = parse_transid(
            "1000599992700000062014101615303080000001",
            "100059999270000006",
        )
        .unwrap();
        assert_eq!(p.seq, 80_000_001);
    }

    #[test]
    fn expand_params_forms() {
        let e = ExpandParams::decode("phoneNum=13999994444").unwrap();
        assert_eq!(e.get("phoneNum"), Some("13999994444"));
        let e = ExpandParams::decode("phoneNum%3D13999994444%7Ca%3Db").unwrap();
        assert_eq!(e.get("a"), Some("b"));
        assert!(ExpandParams::decode("").unwrap().is_empty());
        assert!(ExpandParams::decode("novalue").is_err());
        let e = ExpandParams::new()
            .with("x", "a=b|c%")
            .with("phoneNum", "1");
        assert_eq!(ExpandParams::decode(&e.encode()).unwrap(), e);
    }

    #[test]
    fn mini_param_from_seed_url() {
        let url = "requestSource=550&transactionID=155120240920144848221317&param=273f654f5d&signature=Vlr+8sw/pfz0==";
        let m = MiniParam::from_url(url).unwrap();
        assert_eq!(m.signature, "Vlr+8sw/pfz0==");
        assert_eq!(m.request_source, "550");
        assert_eq!(m.to_url(), url);
        let enc = url.replace('+', "%2B").replace('/', "%2F");
        assert_eq!(MiniParam::from_url(&enc).unwrap(), m);
        assert_eq!(
            MiniParam::from_url("param=x").unwrap_err(),
            FormatError::MiniParamMissing("requestSource")
        );
    }

    #[test]
    fn pre_sign_round_trip() {
        let ts = Timestamp17::parse("20240101120000123").unwrap();
        let p = PreSign {
            app_id: "300011580392".into(),
            msg_id: "0123456789abcdef0123456789abcdef".into(),
            timestamp: ts,
            uuid: "fedcba9876543210fedcba9876543210".into(),
            version: "1.0".into(),
        };
        let s = p.to_string();
        assert_eq!(PreSign::parse(&s, "300011580392").unwrap(), p);
        assert!(PreSign::parse(&s, "300011580393").is_err());
        assert!(PreSign::parse(&format!("{s}x"), "300011580392").is_err());
        assert!(PreSign::parse("300011580392hello", "300011580392").is_err());
    }
}
