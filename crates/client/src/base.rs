//! Where each platform lives. Pointing a client at the sandbox or at the carrier is only a
//! base-URL change.

use cmcc_proto::wire::{onelink, passport};

/// Base URLs of the auth platform. The carrier splits it over two hosts (getMobile is on
/// `verify.`); the sandbox and the test environment serve everything from one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportBase {
    /// verifyVmMobileApi, imeiTokenValidate, the JSSDK's endpoints.
    pub www: String,
    /// UAID getMobile.
    pub verify: String,
}

impl PassportBase {
    /// The carrier's production hosts, `www.cmpassport.com` and `verify.cmpassport.com`.
    pub fn production() -> Self {
        Self {
            www: passport::hosts::WWW.into(),
            verify: passport::hosts::VERIFY.into(),
        }
    }
    /// The carrier's test environment (seed 004 §3.1), plain HTTP.
    pub fn test_environment() -> Self {
        Self::single(passport::hosts::TEST)
    }
    /// One host for everything, e.g. `cmcc sandbox` at `http://127.0.0.1:8700`.
    pub fn single(url: &str) -> Self {
        let url = url.trim_end_matches('/').to_owned();
        Self {
            www: url.clone(),
            verify: url,
        }
    }
}

/// Base URL of OneLink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneLinkBase(pub String);

impl OneLinkBase {
    /// The carrier's production host, `api.iot.10086.cn`.
    pub fn production() -> Self {
        Self(onelink::HOST.into())
    }
    /// Any other base URL, e.g. `cmcc sandbox` at `http://127.0.0.1:8700`; a trailing `/` is
    /// dropped.
    pub fn sandbox(url: &str) -> Self {
        Self(url.trim_end_matches('/').to_owned())
    }
}
