//! The H5 JSSDK's wire: the image request, the `{header, body}` getToken POST and its answer, the
//! flat getToken form, and getConnection.

use serde::{Deserialize, Serialize};

use crate::sign::{self, SignString};

/// The H5 JSSDK's getToken (seed 004 steps 10-11). The path and shape are not published; this
/// is cmcc's: the preSign fields plus `sign`, the business server's MD5withRSA signature of the
/// preSign, so the platform can check it with the registered public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5GetTokenRequest {
    #[serde(rename = "appId", default)]
    pub app_id: String,
    #[serde(rename = "msgId", default)]
    pub msg_id: String,
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub sign: String,
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
    pub version: String,
    #[serde(rename = "appId")]
    pub app_id: String,
    #[serde(rename = "openType")]
    pub open_type: String,
    #[serde(rename = "expandParams")]
    pub expand_params: String,
    #[serde(rename = "msgId")]
    pub msg_id: String,
    pub timestamp: String,
    pub uuid: String,
    /// The browser fingerprint the script made; bound to the token.
    #[serde(rename = "userInformation")]
    pub user_information: String,
}

/// Header of the carrier JSSDK's getToken POST ([`H5GetToken`](super::H5GetToken), after the image).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct H5TokenHeader {
    pub version: String,
    #[serde(rename = "msgId")]
    pub msg_id: String,
    pub timestamp: String,
    #[serde(rename = "appId")]
    pub app_id: String,
}

/// Body of the carrier JSSDK's getToken POST.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct H5TokenBody {
    #[serde(rename = "expandParams")]
    pub expand_params: String,
    /// The business server's signature of the preSign.
    pub sign: String,
    pub uuid: String,
}

/// The carrier JSSDK's getToken POST: `{header, body}`. The sandbox also takes the flat
/// [`H5GetTokenRequest`] at the same path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenEnvelope {
    pub header: H5TokenHeader,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswerHeader {
    #[serde(rename = "resultCode")]
    pub result_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswerBody {
    #[serde(default)]
    pub token: String,
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
}

/// Answer to [`H5TokenEnvelope`]: `{header:{resultCode}, body:{token, resultDesc}}`, `103000`
/// with a token on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5TokenAnswer {
    pub header: H5TokenAnswerHeader,
    pub body: H5TokenAnswerBody,
}

impl H5GetTokenRequest {
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
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
    /// Test environment only: the number the test device has.
    #[serde(rename = "phoneNum", default, skip_serializing_if = "Option::is_none")]
    pub phone_num: Option<String>,
}

/// getConnection answer: `103000` and the device's network type (`4G`, `5G`, `WIFI`, `UNKNOWN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetConnectionResponse {
    #[serde(rename = "resultCode")]
    pub result_code: String,
    #[serde(rename = "resultDesc", default)]
    pub result_desc: String,
    #[serde(rename = "netType", default)]
    pub net_type: String,
    #[serde(rename = "isCellular", default)]
    pub is_cellular: bool,
}
