//! The auth platform (cmpassport): getToken family, verifyVmMobileApi, imeiTokenValidate.

use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, PrivateKey, PublicKey};
use crate::sign::{self, Md5SignInput, SignString};

/// Real path of number verification (seed 004 §3.1).
pub const VERIFY_VM_MOBILE_PATH: &str = "/NumberAbility/h5/verifyVmMobileApi.htm";
/// Real path of UAID token validation (seed 002 §3.2.1).
pub const IMEI_TOKEN_VALIDATE_PATH: &str = "/NumberAbility/h5/imeiTokenValidate.htm";
/// Real path of UAID getToken (seed 002 §3.1.1).
pub const UAID_GET_MOBILE_PATH: &str = "/h5/getMobile";
/// Where the mini-program JSSDK is published (seed 001 §3.1).
pub const MINI_JSSDK_PATH: &str = "/NumberAbility/jssdkVlm_MiniProg/jssdk_v1.0.0.min.js";

/// H5 JSSDK getToken ([`H5GetTokenRequest`]). The carrier does not publish this path; this is
/// cmcc's choice, served by the sandbox.
pub const H5_GET_TOKEN_PATH: &str = "/NumberAbility/h5/getToken.htm";
/// Mini-program `getTokenInfo` ([`GetTokenRequest`], businessType 5). Not published by the
/// carrier; cmcc's choice.
pub const MINI_GET_TOKEN_INFO_PATH: &str = "/NumberAbility/jssdkVlm_MiniProg/getTokenInfo.htm";
/// Where cmcc publishes the H5 JSSDK (global `YDRZ`: getConnection, getSign, getTokenInfo).
pub const H5_JSSDK_PATH: &str = "/NumberAbility/h5/js/jssdk_auth.min.js";

/// The network type behind the JSSDK's `getConnection` ([`GetConnectionRequest`]). The carrier
/// does not publish one; cmcc's choice, served by the sandbox.
pub const GET_CONNECTION_PATH: &str = "/NumberAbility/h5/getConnection.htm";

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

/// businessType of UAID getMobile.
pub const BUSINESS_TYPE_UAID: &str = "3";
/// businessType of the mini-program getTokenInfo.
pub const BUSINESS_TYPE_MINI: &str = "5";

/// Production hosts and the test environment the seeds name.
pub mod hosts {
    pub const WWW: &str = "https://www.cmpassport.com";
    pub const VERIFY: &str = "https://verify.cmpassport.com";
    /// Seed 004 §3.1 test-environment address (plain HTTP).
    pub const TEST: &str = "http://120.197.235.102";
}

// ------------------------------------------------------------------ getToken family

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
        deserialize_with = "super::string_or_number"
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

/// The carrier H5 JSSDK's image request (public integrations): `GET` of this path with
/// [`H5ImageQuery`] in the query string, answered with an image. On the real network the mobile
/// gateway adds the device's number to this plain-HTTP request.
pub const H5_IMAGE_PATH: &str = "/NumberAbility/h5/getMobile.htm";

/// Query of the image request ([`H5_IMAGE_PATH`]).
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

/// Header of the carrier JSSDK's getToken POST ([`H5_GET_TOKEN_PATH`], after the image).
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

// ------------------------------------------------------------------ verifyVmMobileApi

/// Request header of verifyVmMobileApi and imeiTokenValidate.
///
/// Seed 004's example writes the names with a trailing space (`"version "`); those are read
/// too, the clean names are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestHeader {
    #[serde(alias = "version ", default)]
    pub version: String,
    #[serde(rename = "msgId", alias = "msgId ", default)]
    pub msg_id: String,
    #[serde(alias = "timestamp ", default)]
    pub timestamp: String,
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyBody {
    #[serde(rename = "expandParams", alias = "expandParams ", default)]
    pub expand_params: String,
    #[serde(rename = "phoneNum", alias = "phoneNum ", default)]
    pub phone_num: String,
    #[serde(alias = "token ", default)]
    pub token: String,
    #[serde(alias = "sign ", default)]
    pub sign: String,
    #[serde(rename = "userInformation", alias = "userInformation ", default)]
    pub user_information: String,
}

/// verifyVmMobileApi request (seed 004 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    pub header: RequestHeader,
    pub body: VerifyBody,
}

/// Everything needed to build a verify request, sans IO.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    pub app_id: &'a str,
    pub app_key: &'a crate::ids::Secret,
    pub msg_id: &'a str,
    pub timestamp: &'a str,
    pub version: &'a str,
    pub phone: &'a crate::ids::Phone,
    pub token: &'a str,
    pub user_information: &'a str,
}

impl VerifyRequest {
    /// Encrypt `phone + appKey + timestamp` with the platform key and sign with the customer key.
    pub fn build(
        input: VerifyInput<'_>,
        platform_key: &PublicKey,
        customer_key: &PrivateKey,
    ) -> Result<Self, CryptoError> {
        let plain = sign::phone_plaintext(
            input.phone.as_str(),
            input.app_key.expose(),
            input.timestamp,
        );
        let phone_num = platform_key.encrypt_base64(&plain)?;
        let ss = sign::verify_vm_mobile(
            input.app_id,
            input.msg_id,
            &phone_num,
            input.timestamp,
            input.token,
            input.version,
        );
        Ok(Self {
            header: RequestHeader {
                version: input.version.to_owned(),
                msg_id: input.msg_id.to_owned(),
                timestamp: input.timestamp.to_owned(),
                app_id: input.app_id.to_owned(),
            },
            body: VerifyBody {
                expand_params: String::new(),
                sign: ss.sign(customer_key)?,
                phone_num,
                token: input.token.to_owned(),
                user_information: input.user_information.to_owned(),
            },
        })
    }

    /// The string the `sign` must cover, as the platform reconstructs it from this request.
    pub fn sign_string(&self) -> SignString {
        sign::verify_vm_mobile(
            &self.header.app_id,
            &self.header.msg_id,
            &self.body.phone_num,
            &self.header.timestamp,
            &self.body.token,
            &self.header.version,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponseHeader {
    #[serde(rename = "msgId", alias = "msgId ", default)]
    pub msg_id: String,
    #[serde(alias = "timestamp ", default)]
    pub timestamp: String,
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
    /// `000` is the number, `001` is not; anything else is an error code.
    #[serde(rename = "resultCode", alias = "resultCode ")]
    pub result_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponseBody {
    #[serde(rename = "taskId", alias = "taskId ", default)]
    pub task_id: String,
    #[serde(rename = "resultDesc", alias = "resultDesc ", default)]
    pub result_desc: String,
    #[serde(rename = "expandParams", alias = "expandParams ", default)]
    pub expand_params: String,
}

/// verifyVmMobileApi response (seed 004 §3.2.2): the result code is in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    pub header: VerifyResponseHeader,
    pub body: VerifyResponseBody,
}

// ------------------------------------------------------------------ imeiTokenValidate

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
        sign::imei_token_validate(
            &self.header.app_id,
            &self.header.msg_id,
            &self.header.timestamp,
            &self.body.token,
            &self.header.version,
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_distinct_and_absolute() {
        let paths = [
            VERIFY_VM_MOBILE_PATH,
            IMEI_TOKEN_VALIDATE_PATH,
            UAID_GET_MOBILE_PATH,
            MINI_JSSDK_PATH,
            H5_GET_TOKEN_PATH,
            MINI_GET_TOKEN_INFO_PATH,
            H5_JSSDK_PATH,
        ];
        for (i, p) in paths.iter().enumerate() {
            assert!(p.starts_with('/'), "{p}");
            assert!(!paths[i + 1..].contains(p), "{p} twice");
        }
    }
}
