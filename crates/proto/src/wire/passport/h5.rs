//! The H5 JSSDK's wire: the image request, the `{header, body}` getToken POST and its answer, the
//! flat getToken form, and getConnection.

use serde::{Deserialize, Serialize};

use crate::sign::{self, SignString};

/// The H5 JSSDK's getToken (seed 004 steps 10-11). The path and shape are not published; this
/// is cmcc's: the preSign fields plus `sign`, the business server's MD5withRSA signature of the
/// preSign, so the platform can check it with the registered public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5GetTokenRequest {
    /// `appId`: the business's app on the auth platform.
    #[serde(rename = "appId", default)]
    pub app_id: String,
    /// `msgId`: the preSign's message id (32 lowercase hex digits from cmcc's JSSDK).
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    /// `timestamp`: the preSign's time, 17 digits, China time.
    #[serde(default)]
    pub timestamp: String,
    /// `uuid`: the preSign's attempt id (32 lowercase hex digits from cmcc's JSSDK).
    #[serde(default)]
    pub uuid: String,
    /// `version`: the preSign's version (`1.0` from cmcc's JSSDK).
    #[serde(default)]
    pub version: String,
    /// `sign`: base64 MD5withRSA of the preSign by the business's private key.
    #[serde(default)]
    pub sign: String,
    /// `expandParams`: optional `name=value|…` extension parameters (in the test environment
    /// `phoneNum=<number>`).
    #[serde(
        rename = "expandParams",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expand_params: Option<String>,
    /// The fingerprint the JSSDK made, bound to the token.
    #[serde(
        rename = "userInformation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_information: Option<String>,
}

/// Query of the image request ([`H5Image`](super::H5Image)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct H5ImageQuery {
    /// `version`: the JSSDK's interface version, as in the preSign.
    pub version: String,
    /// `appId`: the business's app on the auth platform.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// `openType`: the fetch type the script passes (取号类型; its values are not published).
    #[serde(rename = "openType")]
    pub open_type: String,
    /// `expandParams`: `name=value|…` extension parameters, url-encoded; may be empty.
    #[serde(rename = "expandParams")]
    pub expand_params: String,
    /// `msgId`: the preSign's message id; the getToken that follows carries the same.
    #[serde(rename = "msgId")]
    pub msg_id: String,
    /// `timestamp`: the preSign's time, 17 digits, China time.
    pub timestamp: String,
    /// `uuid`: the preSign's attempt id.
    pub uuid: String,
    /// The browser fingerprint the script made; bound to the token.
    #[serde(rename = "userInformation")]
    pub user_information: String,
}

/// Header of the carrier JSSDK's getToken POST ([`H5GetToken`](super::H5GetToken), after the image).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct H5TokenHeader {
    /// `version`: the preSign's version.
    pub version: String,
    /// `msgId`: the preSign's message id, the same as the image request's.
    #[serde(rename = "msgId")]
    pub msg_id: String,
    /// `timestamp`: the preSign's time, 17 digits, China time.
    pub timestamp: String,
    /// `appId`: the business's app on the auth platform.
    #[serde(rename = "appId")]
    pub app_id: String,
}

/// Body of the carrier JSSDK's getToken POST.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct H5TokenBody {
    /// `expandParams`: `name=value|…` extension parameters, url-encoded; may be empty.
    #[serde(rename = "expandParams")]
    pub expand_params: String,
    /// The business server's signature of the preSign.
    pub sign: String,
    /// `uuid`: the preSign's attempt id.
    pub uuid: String,
}

/// The carrier JSSDK's getToken POST: `{header, body}`. The sandbox also takes the flat
/// [`H5GetTokenRequest`] at the same path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenEnvelope {
    /// The preSign's ids, time and version.
    pub header: H5TokenHeader,
    /// The signature, the uuid and the extension parameters.
    pub body: H5TokenBody,
}

impl H5TokenEnvelope {
    /// The same request in the flat form, with the fingerprint the image request carried.
    pub fn flatten(&self, user_information: Option<String>) -> H5GetTokenRequest {
        H5GetTokenRequest {
            app_id: self.header.app_id.clone(),
            msg_id: self.header.msg_id.clone(),
            timestamp: self.header.timestamp.clone(),
            uuid: self.body.uuid.clone(),
            version: self.header.version.clone(),
            sign: self.body.sign.clone(),
            expand_params: Some(self.body.expand_params.clone()).filter(|e| !e.is_empty()),
            user_information,
        }
    }
}

/// `header` of [`H5TokenAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswerHeader {
    /// `resultCode`: `103000` when a token was issued (see [`crate::codes`]).
    #[serde(rename = "resultCode")]
    pub result_code: String,
}

/// `body` of [`H5TokenAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswerBody {
    /// `token`: on success the token to verify on the server; empty otherwise.
    #[serde(default)]
    pub token: String,
    /// `resultDesc`: the platform's text for the code.
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
}

/// Answer to [`H5TokenEnvelope`]: `{header:{resultCode}, body:{token, resultDesc}}`, `103000`
/// with a token on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswer {
    /// The result code.
    pub header: H5TokenAnswerHeader,
    /// The token and the code's text.
    pub body: H5TokenAnswerBody,
}

impl H5GetTokenRequest {
    /// The preSign these fields make: `appId + msgId + timestamp + uuid + version`, what
    /// `sign` must cover.
    pub fn pre_sign(&self) -> SignString {
        sign::pre_sign(
            &self.app_id,
            &self.msg_id,
            &self.timestamp,
            &self.uuid,
            &self.version,
        )
    }
}

/// getConnection request: a flat JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetConnectionRequest {
    /// `appId` (also read with a trailing space in the key): the business's app.
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
    /// Test environment only: the number the test device has.
    #[serde(rename = "phoneNum", default, skip_serializing_if = "Option::is_none")]
    pub phone_num: Option<String>,
}

/// getConnection answer: `103000` and the device's network type (`4G`, `5G`, `WIFI`, `UNKNOWN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetConnectionResponse {
    /// `resultCode`: `103000`, or `130010` without an appId.
    #[serde(rename = "resultCode")]
    pub result_code: String,
    /// `resultDesc`: the text for the code.
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
    /// `netType`: `4G`, `5G`, `WIFI` or `UNKNOWN`.
    #[serde(rename = "netType", default)]
    pub net_type: String,
    /// `isCellular`: whether the device is on cellular data (not WiFi); `false` when unknown.
    #[serde(rename = "isCellular", default)]
    pub is_cellular: bool,
}
