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
    #[serde(rename = "traceId", alias = "traceid", default)]
    pub trace_id: String,
    #[serde(rename = "appId", default)]
    pub app_id: String,
    #[serde(default)]
    pub sign: String,
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    #[serde(
        rename = "expandParams",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expand_params: Option<String>,
    #[serde(
        rename = "businessType",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub business_type: String,
    #[serde(default)]
    pub version: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHeader {
    #[serde(rename = "msgId")]
    pub msg_id: String,
    pub timestamp: String,
    #[serde(rename = "appId")]
    pub app_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBody {
    #[serde(rename = "resultCode")]
    pub result_code: String,
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
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
    pub header: TokenHeader,
    pub body: TokenBody,
}
