//! verifyVmMobileApi (seed 004 §3.2): number verification.

use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, PrivateKey, PublicKey};
use crate::sign::{self, SignString};

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
        crate::endpoint::sign_string::<super::VerifyVmMobile>(self)
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
