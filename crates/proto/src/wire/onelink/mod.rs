//! OneLink (seed 000): the endpoint definitions, the answer envelope, then the wire types of
//! each family (`token`, `card`, `registration`, `push`), all re-exported here.

mod card;
mod fleet;
mod push;
mod registration;
mod token;

pub use card::*;
pub use fleet::*;
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
/// `status` of an unknown or expired token (seed 000 §2.1): get a new token and call again.
pub const TOKEN_EXPIRED_STATUS: &str = "12021";
/// `status` of success (seed 000 §2.1: "0-成功").
pub const OK_STATUS: &str = "0";
/// `message` of success in seed 000's examples.
pub const OK_MESSAGE: &str = "正确";

/// The answer envelope of every OneLink API, and the body of the result push.
///
/// `status` is read from a string or a number and written as a string; `result` is read from
/// an array, a single object (seed 000's urlType-3 example) or null, and written as an array.
/// Unknown top-level fields (the example's `"success": true`) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// `status`: [`OK_STATUS`] on success, otherwise the result code (see [`crate::codes`]).
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub status: String,
    /// `message`: the platform's text for the status.
    #[serde(default)]
    pub message: String,
    /// `result`: the records on success; on failure empty or hint data (seed 000 §2.1).
    #[serde(
        default = "Vec::new",
        deserialize_with = "crate::wire::one_or_many",
        bound(deserialize = "T: serde::de::DeserializeOwned")
    )]
    pub result: Vec<T>,
}

impl<T> Envelope<T> {
    /// A success answer ([`OK_STATUS`], [`OK_MESSAGE`]) with these records.
    pub fn ok(result: Vec<T>) -> Self {
        Self {
            status: OK_STATUS.into(),
            message: OK_MESSAGE.into(),
            result,
        }
    }
    /// A failure answer with this status and message and no records.
    pub fn error(status: &str, message: &str) -> Self {
        Self {
            status: status.into(),
            message: message.into(),
            result: Vec::new(),
        }
    }
    /// Whether `status` is [`OK_STATUS`].
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
authenticated!(
    RealNameRegRequest,
    CardQueryRequest,
    StatusChangeRequest,
    BatchStatusChangeRequest,
    BatchJobRequest,
    ApnSwitchRequest,
    BatchCardInfoRequest,
);

/// A OneLink API whose request is one card (plus token and transid), answered with records of
/// `Self::Record`: the status queries, and the single-card APIs of fleet operations.
pub trait CardQuery:
    Endpoint<Request = CardQueryRequest, Response = Envelope<Self::Record>>
{
    /// One entry of the answer's `result`.
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

/// One fleet definition: the single-card APIs (a [`CardQuery`]) and the others.
macro_rules! fleet {
    ($(#[$doc:meta])* $name:ident, $api:literal, $summary:literal, $path:literal, retry_safe: $safe:literal,
     $req:ty => card $rec:ty) => {
        fleet!($(#[$doc])* $name, $api, $summary, $path, retry_safe: $safe, $req => $rec);
        impl CardQuery for $name {
            type Record = $rec;
        }
    };
    ($(#[$doc:meta])* $name:ident, $api:literal, $summary:literal, $path:literal, retry_safe: $safe:literal,
     $req:ty => $rec:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Endpoint for $name {
            const METADATA: Metadata = onelink(
                $api,
                $summary,
                "public integrations (docs/PROTOCOL-NOTES.md, fleet)",
                concat!("/v5/ec/", $path),
                $safe,
            );
            type Request = $req;
            type Response = Envelope<$rec>;
        }
    };
}

fleet!(
    /// CMIOT_API25S04: the card's state (`cardStatus`) and when it last changed.
    QueryCardStatus, "CMIOT_API25S04", "the card's status", "query/sim-status",
    retry_safe: true, CardQueryRequest => card CardStatus
);
fleet!(
    /// CMIOT_API23S00: the card's numbers and its activation and open dates.
    QueryBasicInfo, "CMIOT_API23S00", "the card's basic information", "query/sim-basic-info",
    retry_safe: true, CardQueryRequest => card BasicInfo
);
fleet!(
    /// CMIOT_API23S04: the IMEI of the device the card is in.
    QueryImei, "CMIOT_API23S04", "the IMEI of the card's device", "query/sim-imei",
    retry_safe: true, CardQueryRequest => card Imei
);
fleet!(
    /// CMIOT_API25U04: data used this month, in total and per APN (KB).
    QueryDataUsage, "CMIOT_API25U04", "data used this month", "query/sim-data-usage",
    retry_safe: true, CardQueryRequest => card DataUsage
);
fleet!(
    /// CMIOT_API23U07: what is left of each plan this month (KB).
    QueryDataMargin, "CMIOT_API23U07", "in-plan data margin", "query/sim-data-margin",
    retry_safe: true, CardQueryRequest => card DataMargin
);
fleet!(
    /// CMIOT_API25M01: the card's data sessions.
    QuerySessions, "CMIOT_API25M01", "the card's online sessions", "query/sim-session",
    retry_safe: true, CardQueryRequest => card Sessions
);
fleet!(
    /// CMIOT_API23M08: voice, SMS and data switched on or off.
    QueryFunctionStatus, "CMIOT_API23M08", "the card's communication functions",
    "query/sim-communication-function-status",
    retry_safe: true, CardQueryRequest => card FunctionStatus
);
fleet!(
    /// CMIOT_API25M03: reset the card's GPRS session (the device reconnects). Not retried.
    ResetGprs, "CMIOT_API25M03", "reset the card's data session", "operate/sim-gprs-status-reset",
    retry_safe: false, CardQueryRequest => card Ack
);
fleet!(
    /// CMIOT_API23S03: change one card's status (`operType`, see [`StatusChange`]). Never
    /// retried blindly: a change that went through would be refused the second time.
    ChangeStatus, "CMIOT_API23S03", "change a card's status", "change/sim-status",
    retry_safe: false, StatusChangeRequest => OrderResult
);
fleet!(
    /// CMIOT_API23S06: change up to 100 cards' status; answered with a job ([`QueryBatchJob`]).
    BatchChangeStatus, "CMIOT_API23S06", "change up to 100 cards' status (a job)",
    "change/sim-status/batch",
    retry_safe: false, BatchStatusChangeRequest => JobTicket
);
fleet!(
    /// CMIOT_API23M10: a batch job's state and, once finished, each card's outcome.
    QueryBatchJob, "CMIOT_API23M10", "a batch job's result", "query/sim-batch-result",
    retry_safe: true, BatchJobRequest => BatchJobResult
);
fleet!(
    /// CMIOT_API23M07: switch a card's data (one APN) on or off; 12047/12048 say it already was.
    SwitchApn, "CMIOT_API23M07", "switch a card's data on or off", "operate/sim-apn-function",
    retry_safe: false, ApnSwitchRequest => OrderResult
);
fleet!(
    /// CMIOT_API25S05: the numbers of up to 100 cards, each with its own status.
    QueryBatchCardInfo, "CMIOT_API25S05", "numbers of up to 100 cards", "query/sim-card-info/batch",
    retry_safe: true, BatchCardInfoRequest => BatchCardInfo
);

/// Path of [`GetToken`].
pub const TOKEN_PATH: &str = GetToken::METADATA.path;
/// Path of [`IssueRegistrationLink`].
pub const REAL_NAME_REG_PATH: &str = IssueRegistrationLink::METADATA.path;
/// Path of [`QueryIdentityInfo`].
pub const IDENTITY_INFO_PATH: &str = QueryIdentityInfo::METADATA.path;
/// Path of [`QueryRealNameStatus`].
pub const REAL_NAME_STATUS_PATH: &str = QueryRealNameStatus::METADATA.path;
