//! imeiTokenValidate (seed 002 §3.2): a UAID token exchanged for the UAID.

use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, PrivateKey};
use crate::sign::{self, SignString};

use super::RequestHeader;

/// `body` of an imeiTokenValidate request (seed 002 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateBody {
    /// `token`: the UAID token the page got from getMobile.
    #[serde(default)]
    pub token: String,
    /// `sign`: base64 MD5withRSA by the customer's private key over
    /// `appId + msgId + timestamp + token + version`.
    #[serde(default)]
    pub sign: String,
    /// `expandParams`: optional `name=value|…` extension parameters, url-encoded; may be empty.
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
}

/// imeiTokenValidate request (seed 002 §3.2.2); header version `2.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateRequest {
    /// The app, message id, time and version (`2.0`).
    pub header: RequestHeader,
    /// The token and its signature.
    pub body: ImeiValidateBody,
}

impl ImeiValidateRequest {
    /// The request for `token`, signed with the customer's private key; header version `2.0`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Openssl`] when signing fails.
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

    /// The string the `sign` must cover, as the platform reconstructs it from this request.
    pub fn sign_string(&self) -> SignString {
        crate::endpoint::sign_string::<super::ImeiTokenValidate>(self)
    }
}

/// `header` of an imeiTokenValidate answer (seed 002 §3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponseHeader {
    /// `version`: the request's version.
    #[serde(default)]
    pub version: String,
    /// `msgId`: the request's msgId, echoed.
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    /// `timestamp`: when the platform answered, 17 digits, China time.
    #[serde(default)]
    pub timestamp: String,
    /// `appId`: the request's appId.
    #[serde(rename = "appId", default)]
    pub app_id: String,
}

/// Seed 002's example misspells `resultCode` as `resultCoode`; both are read, `resultCode` is
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponseBody {
    /// `resultCode`: `000000` on success (see [`crate::codes`]).
    #[serde(rename = "resultCode", alias = "resultCoode")]
    pub result_code: String,
    /// `resultDesc`: the carrier's text for the code.
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
    /// `expandParams`: extension parameters, `name=value|…`, usually empty.
    #[serde(rename = "expandParams", default)]
    pub expand_params: String,
    /// `UAID`: the device's anonymous id (64 hex digits in seed 002's example), on success.
    #[serde(rename = "UAID", default, skip_serializing_if = "Option::is_none")]
    pub uaid: Option<String>,
}

/// imeiTokenValidate answer (seed 002 §3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImeiValidateResponse {
    /// Echo of the request's ids and the answer's time.
    pub header: ImeiValidateResponseHeader,
    /// The result and, on success, the UAID.
    pub body: ImeiValidateResponseBody,
}
