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
    /// `version`: the interface version (`1.0` for verify, `2.0` for imeiTokenValidate); signed.
    #[serde(alias = "version ", default)]
    pub version: String,
    /// `msgId`: the caller's unique id of the request; echoed in the answer.
    #[serde(rename = "msgId", alias = "msgId ", default)]
    pub msg_id: String,
    /// `timestamp`: when the request was sent, 17 digits `yyyyMMddHHmmssSSS`, China time.
    #[serde(alias = "timestamp ", default)]
    pub timestamp: String,
    /// `appId`: the business's app on the auth platform.
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
}

/// `body` of a verifyVmMobileApi request (seed 004 §3.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyBody {
    /// `expandParams`: optional `name=value|…` extension parameters, url-encoded; may be empty.
    #[serde(rename = "expandParams", alias = "expandParams ", default)]
    pub expand_params: String,
    /// `phoneNum`: base64 RSA/ECB/PKCS1Padding ciphertext of `phone + appKey + timestamp` with
    /// the platform's public key.
    #[serde(rename = "phoneNum", alias = "phoneNum ", default)]
    pub phone_num: String,
    /// `token`: the token the page got from getToken.
    #[serde(alias = "token ", default)]
    pub token: String,
    /// `sign`: base64 MD5withRSA by the customer's private key over
    /// `appId + msgId + phoneNum + timestamp + token + version`.
    #[serde(alias = "sign ", default)]
    pub sign: String,
    /// `userInformation`: the browser fingerprint the JSSDK collected, as it gave it.
    #[serde(rename = "userInformation", alias = "userInformation ", default)]
    pub user_information: String,
}

/// verifyVmMobileApi request (seed 004 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The app, message id, time and version.
    pub header: RequestHeader,
    /// The encrypted number, the token and the signature.
    pub body: VerifyBody,
}

/// Everything needed to build a verify request, sans IO.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The business's appId.
    pub app_id: &'a str,
    /// The app's appKey: part of the `phoneNum` plaintext, never sent itself.
    pub app_key: &'a crate::ids::Secret,
    /// The request's unique id.
    pub msg_id: &'a str,
    /// The request's time, 17 digits, China time; also part of the `phoneNum` plaintext.
    pub timestamp: &'a str,
    /// The header version (`1.0`).
    pub version: &'a str,
    /// The number to check.
    pub phone: &'a crate::ids::Phone,
    /// The token from the page's getToken.
    pub token: &'a str,
    /// The fingerprint the page's getToken answered with.
    pub user_information: &'a str,
}

impl VerifyRequest {
    /// Encrypt `phone + appKey + timestamp` with the platform key and sign with the customer key.
    ///
    /// # Errors
    ///
    /// [`CryptoError::PlaintextTooLong`] or [`CryptoError::Openssl`] when the encryption fails,
    /// [`CryptoError::Openssl`] when signing fails.
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

/// `header` of a verifyVmMobileApi answer (seed 004 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponseHeader {
    /// `msgId`: the request's msgId, echoed.
    #[serde(rename = "msgId", alias = "msgId ", default)]
    pub msg_id: String,
    /// `timestamp`: when the platform answered, 17 digits, China time.
    #[serde(alias = "timestamp ", default)]
    pub timestamp: String,
    /// `appId`: the request's appId.
    #[serde(rename = "appId", alias = "appId ", default)]
    pub app_id: String,
    /// `000` is the number, `001` is not; anything else is an error code.
    #[serde(rename = "resultCode", alias = "resultCode ")]
    pub result_code: String,
}

/// `body` of a verifyVmMobileApi answer (seed 004 §3.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponseBody {
    /// `taskId`: the platform's serial number of the check (服务端流水号).
    #[serde(rename = "taskId", alias = "taskId ", default)]
    pub task_id: String,
    /// `resultDesc`: the text for the header's code (`是本机号码` for `000`).
    #[serde(rename = "resultDesc", alias = "resultDesc ", default)]
    pub result_desc: String,
    /// `expandParams`: extension parameters, `name=value|…`, usually empty.
    #[serde(rename = "expandParams", alias = "expandParams ", default)]
    pub expand_params: String,
}

/// verifyVmMobileApi response (seed 004 §3.2.2): the result code is in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// Echo of the request's ids, the answer's time and the result code.
    pub header: VerifyResponseHeader,
    /// The serial number and the code's text.
    pub body: VerifyResponseBody,
}
