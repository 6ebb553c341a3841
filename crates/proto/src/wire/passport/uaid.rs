//! imeiTokenValidate (seed 002 §3.2): a UAID token exchanged for the UAID.

use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, PrivateKey};
use crate::sign::{self, SignString};

use super::RequestHeader;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateBody {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub sign: String,
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
}

/// imeiTokenValidate request (seed 002 §3.2.2); header version `2.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateRequest {
    pub header: RequestHeader,
    pub body: ImeiValidateBody,
}

impl ImeiValidateRequest {
    pub fn build(
        app_id: &str,
        msg_id: &str,
        timestamp: &str,
        token: &str,
        customer_key: &PrivateKey,
    ) -> Result<Self, CryptoError> {
        let version = "2.0";
        let sign = sign::imei_token_validate(app_id, msg_id, timestamp, token, version)
            .sign(customer_key)?;
        Ok(Self {
            header: RequestHeader {
                version: version.into(),
                msg_id: msg_id.into(),
                timestamp: timestamp.into(),
                app_id: app_id.into(),
            },
            body: ImeiValidateBody {
                token: token.into(),
                sign,
                expand_params: String::new(),
            },
        })
    }

    pub fn sign_string(&self) -> SignString {
        crate::endpoint::sign_string::<super::ImeiTokenValidate>(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponseHeader {
    #[serde(default)]
    pub version: String,
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    #[serde(default)]
    pub timestamp: String,
    #[serde(rename = "appId", default)]
    pub app_id: String,
}

/// Seed 002's example misspells `resultCode` as `resultCoode`; both are read, `resultCode` is
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponseBody {
    #[serde(rename = "resultCode", alias = "resultCoode")]
    pub result_code: String,
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
    #[serde(rename = "UAID", default, skip_serializing_if = "Option::is_none")]
    pub uaid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponse {
    pub header: ImeiValidateResponseHeader,
    pub body: ImeiValidateResponseBody,
}
