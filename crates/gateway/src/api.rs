//! The gateway's JSON API types (v1). They are what integrators code against, and what
//! `/openapi.json` documents.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/presign/sign`: the page's preSign from `YDRZ.getSign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreSignRequest {
    /// `appId + msgId + timestamp + uuid + version`, as made by the JSSDK; must be for our appId
    /// and fresh.
    #[serde(rename = "preSign")]
    pub pre_sign: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignResponse {
    /// MD5withRSA over the preSign, base64.
    pub sign: String,
}

/// `POST /v1/token-sign`: the MD5 `sign` of getToken (H5) / getTokenInfo (mini-program) /
/// UAID getMobile, computed here so the appKey never reaches the page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenSignRequest {
    /// `"3"` UAID, `"5"` mini-program, or the H5 businessType.
    #[serde(rename = "businessType")]
    pub business_type: String,
    /// 32 hex characters, fresh per call (also the msgId).
    #[serde(rename = "traceId")]
    pub trace_id: String,
    /// 17 digits, China time, fresh.
    pub timestamp: String,
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    "1.0".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenSignResponse {
    #[serde(rename = "appId")]
    pub app_id: String,
    pub sign: String,
}

/// `POST /v1/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The number the user typed (11 digits).
    pub phone: String,
    /// From the page's getToken.
    pub token: String,
    /// From the page's getToken.
    #[serde(rename = "userInformation")]
    pub user_information: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// `true` for the carrier's `000`, `false` for `001`.
    pub verified: bool,
    /// The carrier's result code.
    pub code: String,
    #[serde(rename = "taskId")]
    pub task_id: String,
}

/// `POST /v1/uaid`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UaidRequest {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UaidResponse {
    pub uaid: String,
}

/// `POST /v1/registrations`: a real-name registration link for one card.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// Exactly one of msisdn, iccid, imsi.
    #[serde(default)]
    pub msisdn: Option<String>,
    #[serde(default)]
    pub iccid: Option<String>,
    #[serde(default)]
    pub imsi: Option<String>,
    /// 6 (H5 that opens the mini-program, default) or 3 (from inside a WeChat mini-program).
    #[serde(rename = "urlType", default = "default_url_type")]
    pub url_type: u32,
    /// The card user's phone, when known.
    #[serde(rename = "userPhone", default)]
    pub user_phone: Option<String>,
}

fn default_url_type() -> u32 {
    6
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationLinkResponse {
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    pub url: String,
    /// urlType 3: the `extraData` of `wx.navigateToMiniProgram`.
    #[serde(rename = "miniParam", skip_serializing_if = "Option::is_none")]
    pub mini_param: Option<serde_json::Value>,
}

/// A registration as the gateway knows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    #[serde(rename = "cardField")]
    pub card_field: String,
    /// Masked.
    #[serde(rename = "card")]
    pub card_masked: String,
    #[serde(rename = "urlType")]
    pub url_type: i64,
    /// `pending`, `unconfirmed` (a push claimed success; 23A23 not yet asked), `registered`,
    /// `failed`, `disputed` (23A23 contradicted a success claim), `unknown` (a regStatus the
    /// carrier document does not define; 23A23 settles it) or `lost` (23A12's answer was lost).
    pub state: String,
    #[serde(rename = "regStatus", skip_serializing_if = "Option::is_none")]
    pub reg_status: Option<String>,
    #[serde(rename = "regMsg", skip_serializing_if = "Option::is_none")]
    pub reg_msg: Option<String>,
    /// Unix milliseconds.
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    #[serde(rename = "updatedAt")]
    pub updated_at: i64,
    /// `push`, `confirm` (push + 23A23), `reconcile` or `refresh`.
    #[serde(rename = "settledBy", skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    /// `confirmed`, `contradicted`, `not_checked` (confirm_pushes off) or `not_needed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
}

impl From<crate::store::Registration> for RegistrationView {
    fn from(r: crate::store::Registration) -> Self {
        Self {
            card_masked: cmcc_proto::ids::mask_number(&r.card_value),
            busi_seq: r.busi_seq,
            card_field: r.card_field,
            url_type: r.url_type,
            state: r.state,
            reg_status: r.reg_status,
            reg_msg: r.reg_msg,
            created_at: r.created_at,
            updated_at: r.updated_at,
            settled_by: r.settled_by,
            confirmation: r.confirmation,
        }
    }
}

/// `GET /v1/cards/{field}/{value}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardStateResponse {
    /// Whether the card is real-name registered, per the latest knowledge.
    pub registered: bool,
    /// `store` or `onelink` (asked live with `?refresh=true`).
    pub source: String,
    /// The latest registration this gateway issued or learned of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<RegistrationView>,
    /// 23A23 answer when refreshed: registration type and time.
    #[serde(rename = "registrationType", skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
    #[serde(rename = "registrationTime", skip_serializing_if = "Option::is_none")]
    pub registration_time: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationList {
    pub items: Vec<RegistrationView>,
}

/// The error body of every non-2xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The carrier's result code when the carrier answered, else a cmcc code such as
    /// `bad_request`, `daily_cap`, `rate_limited`, `unauthorized`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A webhook event and its deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The `webhook-id`, the same on every delivery.
    pub id: String,
    /// `registration.registered`, `registration.failed`, `registration.disputed`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    /// `pending` (waiting or being sent), `delivered` or `failed` (given up after the schedule).
    pub status: String,
    pub attempts: i64,
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    #[serde(rename = "nextAttemptAt", skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    #[serde(rename = "lastError", skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The body as delivered (only for a single event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub attempt: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// The receiver's HTTP status; absent when it could not be reached.
    #[serde(rename = "httpStatus", skip_serializing_if = "Option::is_none")]
    pub http_status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first 200 characters of the receiver's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(rename = "latencyMs")]
    pub latency_ms: i64,
}

impl From<crate::store::Delivery> for DeliveryView {
    fn from(d: crate::store::Delivery) -> Self {
        Self {
            attempt: d.attempt,
            at: d.at,
            http_status: d.http_status,
            error: d.error,
            answer: d.answer,
            latency_ms: d.latency_ms,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<EventView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RedeliverResponse {
    pub id: String,
    /// Always `true`: the event is due now and goes out within a second.
    pub queued: bool,
}

/// A push that matched no registration issued here (or named another card): acknowledged to
/// OneLink, kept aside, never a card state.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedView {
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    #[serde(rename = "regStatus")]
    pub reg_status: String,
    /// Empty when the push had no usable card id.
    #[serde(rename = "cardField")]
    pub card_field: String,
    /// Masked.
    pub card: String,
    /// `not_issued`, `card_mismatch`, `no_card` or `contradicts_registered`.
    pub reason: String,
    #[serde(rename = "receivedAt")]
    pub received_at: i64,
}

impl From<crate::store::QuarantinedPush> for QuarantinedView {
    fn from(q: crate::store::QuarantinedPush) -> Self {
        Self {
            card: cmcc_proto::ids::mask_number(&q.card_value),
            busi_seq: q.busi_seq,
            reg_status: q.reg_status,
            card_field: q.card_field,
            reason: q.reason.unwrap_or_default(),
            received_at: q.received_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineList {
    pub items: Vec<QuarantinedView>,
}

/// OneLink's result push (carrier document 000 §2.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct PushBody {
    /// `"0"`.
    pub status: String,
    /// `"正确"`.
    pub message: String,
    pub result: Vec<PushRecordSchema>,
}

/// One record of the push: the documented fields, the card id of the request (exactly one of
/// msisdn, iccid, imsi) and any custom parameters of the link.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushRecordSchema {
    /// `"1"` success, `"0"` failure; anything else is stored as `unknown` and settled by 23A23.
    #[serde(rename = "regStatus")]
    pub reg_status: String,
    #[serde(rename = "regMsg")]
    pub reg_msg: Option<String>,
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    pub msisdn: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
}

/// The receiver's answer: `{"status":"0","message":"ok"}` once stored; anything else makes
/// OneLink resend.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushAnswerBody {
    pub status: String,
    pub message: String,
}

/// `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyResponse {
    pub store: ReadyPart,
    pub shared: ReadyPart,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyPart {
    /// `sqlite`/`postgres`, `memory`/`redis`.
    pub backend: String,
    pub ok: bool,
}
