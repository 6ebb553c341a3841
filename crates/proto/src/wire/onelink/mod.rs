//! OneLink (seed 000): the endpoint definitions, the answer envelope, then the wire types of
//! each family (`token`, `card`, `registration`, `push`), all re-exported here.

mod card;
mod push;
mod registration;
mod token;

pub use card::*;
pub use push::*;
pub use registration::*;
pub use token::*;

use serde::{Deserialize, Serialize};

use crate::codes::Platform;
use crate::endpoint::{Endpoint, Host, Metadata, Method, Signature};

/// Production host.
pub const HOST: &str = "https://api.iot.10086.cn";

/// The carrier's message for an unknown or expired token (status 12021), exact.
pub const TOKEN_EXPIRED_MESSAGE: &str = "TOKEN不存在或已过期，请重新获取";
pub const TOKEN_EXPIRED_STATUS: &str = "12021";
pub const OK_STATUS: &str = "0";
pub const OK_MESSAGE: &str = "正确";

/// The answer envelope of every OneLink API, and the body of the result push.
///
/// `status` is read from a string or a number and written as a string; `result` is read from
/// an array, a single object (seed 000's urlType-3 example) or null, and written as an array.
/// Unknown top-level fields (the example's `"success": true`) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(
        default = "Vec::new",
        deserialize_with = "crate::wire::one_or_many",
        bound(deserialize = "T: serde::de::DeserializeOwned")
    )]
    pub result: Vec<T>,
}

impl<T> Envelope<T> {
    pub fn ok(result: Vec<T>) -> Self {
        Self {
            status: OK_STATUS.into(),
            message: OK_MESSAGE.into(),
            result,
        }
    }
    pub fn error(status: &str, message: &str) -> Self {
        Self {
            status: status.into(),
            message: message.into(),
            result: Vec::new(),
        }
    }
    pub fn is_ok(&self) -> bool {
        self.status == OK_STATUS
    }
}

// ------------------------------------------------------------------ endpoint definitions

/// OneLink takes every API as a GET with the parameters in the query string, or as a POST with
/// them in a JSON or form body; every answer is HTTP 200 with an [`Envelope`].
const GET_OR_POST: &[Method] = &[Method::Post, Method::Get];

/// A OneLink API definition: the platform, host, methods and signature every one shares.
const fn onelink(
    name: &'static str,
    summary: &'static str,
    source: &'static str,
    path: &'static str,
    retry_safe: bool,
) -> Metadata {
    Metadata {
        name,
        summary,
        source,
        platform: Platform::OneLink,
        host: Host::OneLink,
        methods: GET_OR_POST,
        path,
        signature: Signature::None,
        retry_safe,
    }
}

/// A request that carries the token and a transid (every OneLink API but the token's own).
/// The SDK sets both on each attempt; the sandbox reads them to authenticate.
pub trait Authenticated {
    /// Set the token and the transid of this attempt.
    fn authenticate(&mut self, token: String, transid: String);
    /// The token and transid as received.
    fn credentials(&self) -> (&str, &str);
}

macro_rules! authenticated {
    ($($t:ty),* $(,)?) => {$(
        impl Authenticated for $t {
            fn authenticate(&mut self, token: String, transid: String) {
                self.token = token;
                self.transid = transid;
            }
            fn credentials(&self) -> (&str, &str) {
                (&self.token, &self.transid)
            }
        }
    )*};
}
authenticated!(RealNameRegRequest, CardQueryRequest);

/// A OneLink API whose request is one card (plus token and transid), answered with records of
/// `Self::Record`: the status queries, and every card API of the fleet operations.
pub trait CardQuery:
    Endpoint<Request = CardQueryRequest, Response = Envelope<Self::Record>>
{
    type Record: Serialize + serde::de::DeserializeOwned;
}

/// `/v5/ec/get/token`: a token for the enterprise (valid `ttl` seconds).
#[derive(Debug, Clone, Copy)]
pub struct GetToken;
impl Endpoint for GetToken {
    const METADATA: Metadata = onelink(
        "get/token",
        "a token for the enterprise's appid and password",
        "seed 000 §1.2.2; refresh: public integrations",
        "/v5/ec/get/token",
        true,
    );
    type Request = TokenRequest;
    type Response = Envelope<TokenResult>;
}

/// CMIOT_API23A12: a real-name registration link for a card. Never retried blindly: the
/// platform allows one call per card per urlType per minute.
#[derive(Debug, Clone, Copy)]
pub struct IssueRegistrationLink;
impl Endpoint for IssueRegistrationLink {
    const METADATA: Metadata = onelink(
        "CMIOT_API23A12",
        "a real-name registration link for a card (urlType 3 or 6)",
        "seed 000 §2.1",
        "/v5/ec/secure/sim-real-name-reg",
        false,
    );
    type Request = RealNameRegRequest;
    type Response = Envelope<RealNameRegResult>;
}

/// CMIOT_API23A23: the card user's real-name registration state.
#[derive(Debug, Clone, Copy)]
pub struct QueryIdentityInfo;
impl Endpoint for QueryIdentityInfo {
    const METADATA: Metadata = onelink(
        "CMIOT_API23A23",
        "the card's real-name registration state, type and archive time",
        "seed 000 §2.3",
        "/v5/ec/query/sim-identity-registration-info",
        true,
    );
    type Request = CardQueryRequest;
    type Response = Envelope<IdentityRegistrationInfo>;
}
impl CardQuery for QueryIdentityInfo {
    type Record = IdentityRegistrationInfo;
}

/// CMIOT_API23A10: the older real-name status query.
#[derive(Debug, Clone, Copy)]
pub struct QueryRealNameStatus;
impl Endpoint for QueryRealNameStatus {
    const METADATA: Metadata = onelink(
        "CMIOT_API23A10",
        "the card's real-name status (the older query)",
        "seed 000 table of contents; public integrations",
        "/v5/ec/query/sim-real-name-status",
        true,
    );
    type Request = CardQueryRequest;
    type Response = Envelope<RealNameStatus>;
}
impl CardQuery for QueryRealNameStatus {
    type Record = RealNameStatus;
}

/// Path of [`GetToken`].
pub const TOKEN_PATH: &str = GetToken::METADATA.path;
/// Path of [`IssueRegistrationLink`].
pub const REAL_NAME_REG_PATH: &str = IssueRegistrationLink::METADATA.path;
/// Path of [`QueryIdentityInfo`].
pub const IDENTITY_INFO_PATH: &str = QueryIdentityInfo::METADATA.path;
/// Path of [`QueryRealNameStatus`].
pub const REAL_NAME_STATUS_PATH: &str = QueryRealNameStatus::METADATA.path;
