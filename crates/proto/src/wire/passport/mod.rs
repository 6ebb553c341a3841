//! The auth platform (cmpassport): the endpoint definitions, then the wire types of each family
//! (`get_token`, `h5`, `verify`, `uaid`), all re-exported here.

mod get_token;
mod h5;
mod uaid;
mod verify;

pub use get_token::*;
pub use h5::*;
pub use uaid::*;
pub use verify::*;

use crate::codes::Platform;
use crate::endpoint::{Endpoint, Host, Metadata, Method, Signature, SignedFields};

/// Production hosts and the test environment the seeds name.
pub mod hosts {
    /// Production host of H5/mini-program getToken, verification and UAID validation
    /// ([`Host::PassportWww`](crate::endpoint::Host::PassportWww)).
    pub const WWW: &str = "https://www.cmpassport.com";
    /// Production host of UAID's getToken, `/h5/getMobile` (seed 002 §3.1.1).
    pub const VERIFY: &str = "https://verify.cmpassport.com";
    /// Seed 004 §3.1 test-environment address (plain HTTP).
    pub const TEST: &str = "http://120.197.235.102";
}

// ------------------------------------------------------------------ endpoint definitions

const POST: &[Method] = &[Method::Post];

/// The carrier H5 JSSDK's image request: `GET` with [`H5ImageQuery`] in the query string,
/// answered with an image (no JSON body). On the real network the mobile gateway adds the
/// device's number to this plain-HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct H5Image;
impl Endpoint for H5Image {
    const METADATA: Metadata = Metadata {
        name: "getMobile.htm",
        summary: "H5 JSSDK: the image request that lets the network see the number",
        source: "public integrations",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: &[Method::Get],
        path: "/NumberAbility/h5/getMobile.htm",
        signature: Signature::None,
        retry_safe: false,
    };
    type Request = H5ImageQuery;
    type Response = ();
}

/// The carrier H5 JSSDK's getToken POST (after the image), `{header, body}`; `sign` is the
/// business server's MD5withRSA signature of the preSign. The sandbox also takes the flat
/// [`H5GetTokenRequest`] at the same path.
#[derive(Debug, Clone, Copy)]
pub struct H5GetToken;
impl Endpoint for H5GetToken {
    const METADATA: Metadata = Metadata {
        name: "getToken.htm",
        summary: "H5 JSSDK: a token for the number the network saw",
        source: "public integrations; seed 004 steps 10-11",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: POST,
        path: "/NumberAbility/h5/getToken.htm",
        signature: Signature::Rsa(&["appId", "msgId", "timestamp", "uuid", "version"]),
        retry_safe: false,
    };
    type Request = H5TokenEnvelope;
    type Response = H5TokenAnswer;
}

/// The JSSDK's `getConnection`: the device's network type. The carrier publishes no path; this
/// one is cmcc's, served by the sandbox.
#[derive(Debug, Clone, Copy)]
pub struct GetConnection;
impl Endpoint for GetConnection {
    const METADATA: Metadata = Metadata {
        name: "getConnection",
        summary: "JSSDK: the device's network type",
        source: "cmcc's choice",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: POST,
        path: "/NumberAbility/h5/getConnection.htm",
        signature: Signature::None,
        retry_safe: true,
    };
    type Request = GetConnectionRequest;
    type Response = GetConnectionResponse;
}

/// The mini-program JSSDK's `getTokenInfo` (businessType 5). The path is not published; this one
/// is cmcc's.
#[derive(Debug, Clone, Copy)]
pub struct MiniGetTokenInfo;
impl Endpoint for MiniGetTokenInfo {
    const METADATA: Metadata = Metadata {
        name: "getTokenInfo",
        summary: "mini-program: a token for the device's number",
        source: "seed 001 §3.2.3; path: cmcc's choice",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: POST,
        path: "/NumberAbility/jssdkVlm_MiniProg/getTokenInfo.htm",
        signature: Signature::Md5WithAppKey(GET_TOKEN_SIGNED),
        retry_safe: false,
    };
    type Request = GetTokenRequest;
    type Response = GetTokenResponse;
}

/// UAID's getToken (businessType 3).
#[derive(Debug, Clone, Copy)]
pub struct UaidGetMobile;
impl Endpoint for UaidGetMobile {
    const METADATA: Metadata = Metadata {
        name: "getMobile",
        summary: "UAID: a token for the device",
        source: "seed 002 §3.1",
        platform: Platform::Passport,
        host: Host::PassportVerify,
        methods: POST,
        path: "/h5/getMobile",
        signature: Signature::Md5WithAppKey(GET_TOKEN_SIGNED),
        retry_safe: false,
    };
    type Request = GetTokenRequest;
    type Response = GetTokenResponse;
}

/// The fields of the getToken family's MD5 sign (then the appKey).
const GET_TOKEN_SIGNED: &[&str] = &[
    "appId",
    "businessType",
    "msgId",
    "timestamp",
    "traceId",
    "version",
];

/// Number verification: is the token's number this phone number?
#[derive(Debug, Clone, Copy)]
pub struct VerifyVmMobile;
impl Endpoint for VerifyVmMobile {
    const METADATA: Metadata = Metadata {
        name: "verifyVmMobileApi",
        summary: "number verification: does the token's number equal this one",
        source: "seed 004 §3.1-3.2",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: POST,
        path: "/NumberAbility/h5/verifyVmMobileApi.htm",
        signature: Signature::Rsa(&[
            "appId",
            "msgId",
            "phoneNum",
            "timestamp",
            "token",
            "version",
        ]),
        retry_safe: false,
    };
    type Request = VerifyRequest;
    type Response = VerifyResponse;
}

/// UAID token validation: the token exchanged for the UAID.
#[derive(Debug, Clone, Copy)]
pub struct ImeiTokenValidate;
impl Endpoint for ImeiTokenValidate {
    const METADATA: Metadata = Metadata {
        name: "imeiTokenValidate",
        summary: "UAID: the token exchanged for the device's UAID",
        source: "seed 002 §3.2",
        platform: Platform::Passport,
        host: Host::PassportWww,
        methods: POST,
        path: "/NumberAbility/h5/imeiTokenValidate.htm",
        signature: Signature::Rsa(&["appId", "msgId", "timestamp", "token", "version"]),
        retry_safe: false,
    };
    type Request = ImeiValidateRequest;
    type Response = ImeiValidateResponse;
}

// ------------------------------------------------------------------ paths

/// Path of [`VerifyVmMobile`].
pub const VERIFY_VM_MOBILE_PATH: &str = VerifyVmMobile::METADATA.path;
/// Path of [`ImeiTokenValidate`].
pub const IMEI_TOKEN_VALIDATE_PATH: &str = ImeiTokenValidate::METADATA.path;
/// Path of [`UaidGetMobile`].
pub const UAID_GET_MOBILE_PATH: &str = UaidGetMobile::METADATA.path;
/// Path of [`H5GetToken`].
pub const H5_GET_TOKEN_PATH: &str = H5GetToken::METADATA.path;
/// Path of [`MiniGetTokenInfo`].
pub const MINI_GET_TOKEN_INFO_PATH: &str = MiniGetTokenInfo::METADATA.path;
/// Path of [`GetConnection`].
pub const GET_CONNECTION_PATH: &str = GetConnection::METADATA.path;
/// Path of [`H5Image`].
pub const H5_IMAGE_PATH: &str = H5Image::METADATA.path;
/// Where the mini-program JSSDK is published (seed 001 §3.1).
pub const MINI_JSSDK_PATH: &str = "/NumberAbility/jssdkVlm_MiniProg/jssdk_v1.0.0.min.js";
/// Where cmcc publishes the H5 JSSDK (global `YDRZ`: getConnection, getSign, getTokenInfo).
pub const H5_JSSDK_PATH: &str = "/NumberAbility/h5/js/jssdk_auth.min.js";

// ------------------------------------------------------------------ signed fields by name

impl SignedFields for GetTokenRequest {
    fn signed_field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "appId" => &self.app_id,
            "businessType" => &self.business_type,
            "msgId" => &self.msg_id,
            "timestamp" => &self.timestamp,
            "traceId" => &self.trace_id,
            "version" => &self.version,
            _ => return None,
        })
    }
}

impl SignedFields for H5TokenEnvelope {
    fn signed_field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "appId" => &self.header.app_id,
            "msgId" => &self.header.msg_id,
            "timestamp" => &self.header.timestamp,
            "uuid" => &self.body.uuid,
            "version" => &self.header.version,
            _ => return None,
        })
    }
}

impl SignedFields for VerifyRequest {
    fn signed_field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "appId" => &self.header.app_id,
            "msgId" => &self.header.msg_id,
            "phoneNum" => &self.body.phone_num,
            "timestamp" => &self.header.timestamp,
            "token" => &self.body.token,
            "version" => &self.header.version,
            _ => return None,
        })
    }
}

impl SignedFields for ImeiValidateRequest {
    fn signed_field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "appId" => &self.header.app_id,
            "msgId" => &self.header.msg_id,
            "timestamp" => &self.header.timestamp,
            "token" => &self.body.token,
            "version" => &self.header.version,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::sign_string;

    fn resolves<E: Endpoint>(req: &E::Request)
    where
        E::Request: SignedFields,
    {
        for f in E::METADATA.signature.fields() {
            assert!(
                req.signed_field(f).is_some(),
                "{}: {f} is signed but the request has no such field",
                E::METADATA.name
            );
        }
    }

    #[test]
    fn every_signed_field_resolves_on_its_request() {
        let gt: GetTokenRequest =
            serde_json::from_str(r#"{"appId":"a","businessType":"3"}"#).expect("getToken");
        resolves::<MiniGetTokenInfo>(&gt);
        resolves::<UaidGetMobile>(&gt);
        resolves::<H5GetToken>(&H5TokenEnvelope::default());
        let v: VerifyRequest = serde_json::from_str(
            r#"{"header":{"version":"1.0","msgId":"m","timestamp":"t","appId":"a"},
                "body":{"phoneNum":"p","token":"k","sign":"","userInformation":""}}"#,
        )
        .expect("verify");
        resolves::<VerifyVmMobile>(&v);
        assert_eq!(sign_string::<VerifyVmMobile>(&v).as_str(), "amptk1.0");
        let u: ImeiValidateRequest = serde_json::from_str(
            r#"{"header":{"version":"2.0","msgId":"m","timestamp":"t","appId":"a"},
                "body":{"token":"k","sign":""}}"#,
        )
        .expect("uaid");
        resolves::<ImeiTokenValidate>(&u);
        assert_eq!(sign_string::<ImeiTokenValidate>(&u).as_str(), "amtk2.0");
    }
}
