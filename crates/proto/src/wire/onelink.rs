//! OneLink (seed 000): token, real-name registration (23A12), the result push and its answer,
//! status queries 23A23 and 23A10.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::format::MiniParam;
use crate::ids::{CardId, IdError};

pub const TOKEN_PATH: &str = "/v5/ec/get/token";
pub const REAL_NAME_REG_PATH: &str = "/v5/ec/secure/sim-real-name-reg";
pub const IDENTITY_INFO_PATH: &str = "/v5/ec/query/sim-identity-registration-info";
pub const REAL_NAME_STATUS_PATH: &str = "/v5/ec/query/sim-real-name-status";
/// Production host.
pub const HOST: &str = "https://api.iot.10086.cn";

/// The carrier's message for an unknown or expired token (status 12021), exact.
pub const TOKEN_EXPIRED_MESSAGE: &str = "TOKEN不存在或已过期，请重新获取";
pub const TOKEN_EXPIRED_STATUS: &str = "12021";
pub const OK_STATUS: &str = "0";
pub const OK_MESSAGE: &str = "正确";

/// The answer envelope of every OneLink API, and the body of the result push.
///
/// `status` is read from a string or a number and written as a string; `result` is read from
/// an array, a single object (seed 000's urlType-3 example) or null, and written as an array.
/// Unknown top-level fields (the example's `"success": true`) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(deserialize_with = "super::string_or_number")]
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(
        default = "Vec::new",
        deserialize_with = "super::one_or_many",
        bound(deserialize = "T: serde::de::DeserializeOwned")
    )]
    pub result: Vec<T>,
}

impl<T> Envelope<T> {
    pub fn ok(result: Vec<T>) -> Self {
        Self {
            status: OK_STATUS.into(),
            message: OK_MESSAGE.into(),
            result,
        }
    }
    pub fn error(status: &str, message: &str) -> Self {
        Self {
            status: status.into(),
            message: message.into(),
            result: Vec::new(),
        }
    }
    pub fn is_ok(&self) -> bool {
        self.status == OK_STATUS
    }
}

/// `/v5/ec/get/token` request. `refresh` = `"0"` returns the current valid token (public integrations, docs/PROTOCOL-NOTES.md).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub transid: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::opt_string_or_number"
    )]
    pub refresh: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("appid", &self.appid)
            .field("password", &"***")
            .field("transid", &self.transid)
            .field("refresh", &self.refresh)
            .finish()
    }
}

/// A token and its lifetime in seconds; `ttl` arrives as a number or a string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResult {
    pub token: String,
    #[serde(deserialize_with = "ttl_de")]
    pub ttl: u64,
}

impl std::fmt::Debug for TokenResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenResult {{ token: ***, ttl: {} }}", self.ttl)
    }
}

fn ttl_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = super::string_or_number(d)?;
    s.trim().parse::<u64>().map_err(|_| {
        serde::de::Error::custom(format!("ttl {s:?} is not a whole number of seconds"))
    })
}

/// Common request fields plus the card id: 23A12, 23A23 and 23A10 all take exactly one of
/// msisdn, iccid, imsi.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msisdn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
}

impl CardFields {
    pub fn card_id(&self) -> Result<CardId, IdError> {
        CardId::from_fields(
            self.msisdn.as_deref(),
            self.iccid.as_deref(),
            self.imsi.as_deref(),
        )
    }
}

impl From<&CardId> for CardFields {
    fn from(c: &CardId) -> Self {
        let (msisdn, iccid, imsi) = c.fields();
        Self {
            msisdn,
            iccid,
            imsi,
        }
    }
}

/// urlType of 23A12. 1, 2 and 4 were withdrawn in October 2024; 2 now answers like 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlType {
    /// 1: standard video H5 (withdrawn).
    StandardH5,
    /// 2: WeChat mini-program video, H5 (withdrawn; answers like 6).
    MiniProgramH5,
    /// 3: mini-program to mini-program: `url` query string and `miniParam`.
    MiniProgram,
    /// 4: 炫彩 H5 (withdrawn).
    XuancaiH5,
    /// 6: H5 page that opens the mini-program.
    H5JumpMiniProgram,
    Other(u32),
}

impl UrlType {
    pub fn code(self) -> u32 {
        match self {
            UrlType::StandardH5 => 1,
            UrlType::MiniProgramH5 => 2,
            UrlType::MiniProgram => 3,
            UrlType::XuancaiH5 => 4,
            UrlType::H5JumpMiniProgram => 6,
            UrlType::Other(n) => n,
        }
    }
    pub fn from_code(n: u32) -> Self {
        match n {
            1 => UrlType::StandardH5,
            2 => UrlType::MiniProgramH5,
            3 => UrlType::MiniProgram,
            4 => UrlType::XuancaiH5,
            6 => UrlType::H5JumpMiniProgram,
            n => UrlType::Other(n),
        }
    }
    /// Whether the platform still serves this type.
    pub fn is_withdrawn(self) -> bool {
        matches!(self, UrlType::StandardH5 | UrlType::XuancaiH5)
    }
}

/// 23A12 request. `urlType` defaults to 1 on the platform (withdrawn); always send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRegRequest {
    #[serde(default)]
    pub transid: String,
    #[serde(default)]
    pub token: String,
    #[serde(flatten)]
    pub card: CardFields,
    #[serde(rename = "userPhone", default, skip_serializing_if = "Option::is_none")]
    pub user_phone: Option<String>,
    #[serde(
        rename = "urlType",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::opt_string_or_number"
    )]
    pub url_type: Option<String>,
}

impl RealNameRegRequest {
    /// The urlType asked for (1 when absent, the platform default); `None` if not a number.
    pub fn url_type(&self) -> Option<UrlType> {
        match self.url_type.as_deref().map(str::trim) {
            None | Some("") => Some(UrlType::StandardH5),
            Some(s) => s.parse().ok().map(UrlType::from_code),
        }
    }
}

/// 23A12 result: `busiSeq`, `url` (page URL, or the urlType-3 query string), `miniParam`
/// (urlType 3 only; null otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRegResult {
    #[serde(rename = "busiSeq", default)]
    pub busi_seq: String,
    #[serde(default)]
    pub url: String,
    #[serde(rename = "miniParam", default)]
    pub mini_param: Option<MiniParam>,
}

/// `regStatus` of a push: not published; cmcc's choice is `"1"` success, `"0"` failure.
pub const REG_STATUS_SUCCESS: &str = "1";
pub const REG_STATUS_FAILURE: &str = "0";

/// One record of the real-name result push (seed 000 §2.2). Besides the documented fields the
/// card id used in the request comes back, and any other field (custom parameters) is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    #[serde(rename = "regStatus", deserialize_with = "super::string_or_number")]
    pub reg_status: String,
    #[serde(rename = "regMsg", default)]
    pub reg_msg: String,
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    #[serde(flatten)]
    pub card: CardFields,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl PushRecord {
    pub fn succeeded(&self) -> bool {
        self.reg_status == REG_STATUS_SUCCESS
    }
}

/// The whole push body.
pub type Push = Envelope<PushRecord>;

/// What the enterprise answers to a push; anything but status `"0"` makes the platform resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswer {
    #[serde(deserialize_with = "super::string_or_number")]
    pub status: String,
    #[serde(default)]
    pub message: String,
}

impl PushAnswer {
    pub fn ok() -> Self {
        Self {
            status: "0".into(),
            message: "ok".into(),
        }
    }
    pub fn is_ok(&self) -> bool {
        self.status == "0"
    }
}

/// Request of 23A23 and 23A10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardQueryRequest {
    #[serde(default)]
    pub transid: String,
    #[serde(default)]
    pub token: String,
    #[serde(flatten)]
    pub card: CardFields,
}

/// 23A23 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRegistrationInfo {
    /// `"1"` registered, `"0"` not yet.
    #[serde(
        rename = "identityRegistrationStatus",
        deserialize_with = "super::string_or_number"
    )]
    pub status: String,
    /// `"01"` user self-registration, `"02"` 11-digit number, `"03"` scenario-four, `"04"` IoV.
    #[serde(
        rename = "identityRegistrationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registration_type: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`, only when registered.
    #[serde(
        rename = "archiveTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub archive_time: Option<String>,
}

/// 23A10 result (the older status query).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameStatus {
    #[serde(
        rename = "realNameStatus",
        deserialize_with = "super::string_or_number"
    )]
    pub real_name_status: String,
}

// --- Receiving the result push (seed 000 §2.2): decoding and answering ----------------------

/// What a push record claims, read strictly from `regStatus`: the seed defines no other values,
/// so anything else (`"2"`, `""`, `" 1"`, `"01"`, `"成功"`) is [`PushClaim::Unknown`] and must be
/// settled by asking OneLink, never read as a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushClaim {
    Success,
    Failure,
    Unknown,
}

impl PushRecord {
    pub fn claim(&self) -> PushClaim {
        match self.reg_status.as_str() {
            REG_STATUS_SUCCESS => PushClaim::Success,
            REG_STATUS_FAILURE => PushClaim::Failure,
            _ => PushClaim::Unknown,
        }
    }
}

/// Why a push body could not be read. The message never quotes the body: it carries card
/// numbers, and decoders' messages echo the offending values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushDecodeError {
    #[error("not a OneLink push ({kind} error at line {line}, column {column})")]
    Json {
        kind: &'static str,
        line: usize,
        column: usize,
    },
    #[error("the push has no result record")]
    Empty,
}

/// Decode a result push body into its records. An error means the body must be answered with
/// [`PushAnswer::retry`], so the platform sends it again.
pub fn decode_push(body: &[u8]) -> Result<Vec<PushRecord>, PushDecodeError> {
    let push: Push = serde_json::from_slice(body).map_err(|e| PushDecodeError::Json {
        kind: match e.classify() {
            serde_json::error::Category::Io => "read",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "field",
            serde_json::error::Category::Eof => "truncated body",
        },
        line: e.line(),
        column: e.column(),
    })?;
    if push.result.is_empty() {
        return Err(PushDecodeError::Empty);
    }
    Ok(push.result)
}

impl PushAnswer {
    /// An answer that makes the platform resend: any status but `"0"`.
    pub fn retry(message: &str) -> Self {
        Self {
            status: "1".into(),
            message: message.into(),
        }
    }

    /// The answer as the JSON body to send.
    pub fn to_json(&self) -> String {
        serde_json::json!({"status": self.status, "message": self.message}).to_string()
    }
}

#[cfg(test)]
mod push_tests {
    use super::*;

    #[test]
    fn decodes_records_and_reads_claims_strictly() {
        let body = r#"{"status":"0","message":"正确","result":[{"regStatus":"1","regMsg":"成功","busiSeq":"B1","msisdn":"1440000000001","para1":"p1"},{"regStatus":" 1","busiSeq":"B2"},{"regStatus":0,"busiSeq":"B3"}]}"#;
        let r = decode_push(body.as_bytes()).expect("push");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].claim(), PushClaim::Success);
        assert_eq!(r[0].card.msisdn.as_deref(), Some("1440000000001"));
        assert_eq!(r[0].extra["para1"], "p1");
        assert_eq!(r[1].claim(), PushClaim::Unknown);
        assert_eq!(r[2].claim(), PushClaim::Failure);
        for s in ["2", "", "01", "成功"] {
            let rec: PushRecord =
                serde_json::from_value(serde_json::json!({"regStatus": s, "busiSeq": "B"}))
                    .expect("record");
            assert_eq!(rec.claim(), PushClaim::Unknown, "{s:?}");
        }
    }

    #[test]
    fn errors_never_quote_the_body() {
        let bad =
            br#"{"status":"0","result":[{"regStatus":{},"busiSeq":"B","msisdn":"1440000001001"}]}"#;
        let e = decode_push(bad).expect_err("bad");
        assert!(!e.to_string().contains("1440000001001"), "{e}");
        for bad in [
            &b"not json"[..],
            br#"{"status":"0","message":"","result":[]}"#,
            b"",
        ] {
            assert!(decode_push(bad).is_err());
        }
        let ok: serde_json::Value = serde_json::from_str(&PushAnswer::ok().to_json()).expect("ok");
        assert_eq!(
            (ok["status"].as_str(), ok["message"].as_str()),
            (Some("0"), Some("ok"))
        );
        let retry = PushAnswer::retry("busy");
        assert!(!retry.is_ok());
        assert_eq!(retry.message, "busy");
    }
}
