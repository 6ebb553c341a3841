//! `/v5/ec/get/token`: the token every other OneLink call carries.

use serde::{Deserialize, Serialize};

/// `/v5/ec/get/token` request. `refresh` = `"0"` returns the current valid token (public integrations, docs/PROTOCOL-NOTES.md).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// `appid`: the enterprise's application id on the OneLink platform.
    #[serde(default)]
    pub appid: String,
    /// `password`: the application's API password (a secret; `Debug` hides it).
    #[serde(default)]
    pub password: String,
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `refresh`: `"0"` asks for the current valid token instead of a new one; any other
    /// value, or none, asks for a new one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::opt_string_or_number"
    )]
    pub refresh: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("appid", &self.appid)
            .field("password", &"***")
            .field("transid", &self.transid)
            .field("refresh", &self.refresh)
            .finish()
    }
}

/// A token and its lifetime in seconds; `ttl` arrives as a number or a string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResult {
    /// `token`: what every other call carries (a secret; `Debug` hides it).
    pub token: String,
    /// `ttl`: seconds the token stays valid from the answer.
    #[serde(deserialize_with = "ttl_de")]
    pub ttl: u64,
}

impl std::fmt::Debug for TokenResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenResult {{ token: ***, ttl: {} }}", self.ttl)
    }
}

fn ttl_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = crate::wire::string_or_number(d)?;
    s.trim().parse::<u64>().map_err(|_| {
        serde::de::Error::custom(format!("ttl {s:?} is not a whole number of seconds"))
    })
}
