//! The getToken family's flat request (UAID `/h5/getMobile`, mini-program `getTokenInfo`) and
//! the `{header, body}` answer they share.

use serde::{Deserialize, Serialize};

use crate::sign::Md5SignInput;

/// businessType of UAID getMobile.
pub const BUSINESS_TYPE_UAID: &str = "3";
/// businessType of the mini-program getTokenInfo.
pub const BUSINESS_TYPE_MINI: &str = "5";

/// getToken request of UAID (`/h5/getMobile`, businessType 3, seed 002 §3.1.2) and of the
/// mini-program `getTokenInfo` (businessType 5, seed 001 §3.2.3): a flat JSON object.
///
/// The seeds spell the trace id both `traceid` and `traceId`: both are read, `traceId` is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetTokenRequest {
    /// `traceId`: the business's unique id of the request.
    #[serde(rename = "traceId", alias = "traceid", default)]
    pub trace_id: String,
    /// `appId`: the business's app on the auth platform.
    #[serde(rename = "appId", default)]
    pub app_id: String,
    /// `sign`: lowercase hex MD5 of the fields and the appKey (see [`Md5SignInput`]).
    #[serde(default)]
    pub sign: String,
    /// `msgId`: the seeds ask for the same value as `traceId`.
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    /// `expandParams`: optional `name=value|…` extension parameters, url-encoded
    /// ([`ExpandParams`](crate::format::ExpandParams)).
    #[serde(
        rename = "expandParams",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expand_params: Option<String>,
    /// `businessType`: [`BUSINESS_TYPE_UAID`] or [`BUSINESS_TYPE_MINI`] (a number is read too).
    #[serde(
        rename = "businessType",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub business_type: String,
    /// `version`: the interface version, `1.0` in the seeds.
    #[serde(default)]
    pub version: String,
    /// `timestamp`: when the request was sent, 17 digits `yyyyMMddHHmmssSSS`, China time.
    #[serde(default)]
    pub timestamp: String,
    /// Mini-program only: 取号类型.
    #[serde(rename = "openType", default, skip_serializing_if = "Option::is_none")]
    pub open_type: Option<String>,
    /// Mini-program only: `"0"` selects the test line.
    #[serde(rename = "isTest", default, skip_serializing_if = "Option::is_none")]
    pub is_test: Option<String>,
    /// Mini-program only: the fingerprint the JSSDK made, bound to the token (the platform
    /// makes one when it is absent).
    #[serde(
        rename = "userInformation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_information: Option<String>,
}

impl GetTokenRequest {
    /// The MD5 sign input of this request with the given appKey.
    pub fn md5_input<'a>(&'a self, app_key: &'a str) -> Md5SignInput<'a> {
        Md5SignInput {
            app_id: &self.app_id,
            business_type: &self.business_type,
            msg_id: &self.msg_id,
            timestamp: &self.timestamp,
            trace_id: &self.trace_id,
            version: &self.version,
            app_key,
        }
    }
}

/// `header` of a getToken-family answer (seed 002 §3.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHeader {
    /// `msgId`: the request's msgId, echoed.
    #[serde(rename = "msgId")]
    pub msg_id: String,
    /// `timestamp`: when the platform answered, 17 digits, China time.
    pub timestamp: String,
    /// `appId`: the request's appId.
    #[serde(rename = "appId")]
    pub app_id: String,
}

/// `body` of a getToken-family answer (seed 002 §3.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBody {
    /// `resultCode`: `103000` when a token was issued (see [`crate::codes`]).
    #[serde(rename = "resultCode")]
    pub result_code: String,
    /// `expandParams`: extension parameters, `name=value|…`, usually empty.
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
    /// `resultDesc`: the carrier's text for the code.
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
    /// `token`: on success the token to verify on the server; empty otherwise.
    #[serde(default)]
    pub token: String,
    /// The fingerprint to pass on to verification (H5 and mini-program).
    #[serde(
        rename = "userInformation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_information: Option<String>,
}

/// Response of the getToken family (seed 002 §3.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetTokenResponse {
    /// Echo of the request's ids and the answer's time.
    pub header: TokenHeader,
    /// The result and, on success, the token.
    pub body: TokenBody,
}
