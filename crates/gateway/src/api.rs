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
    /// `pending`, `registered` or `failed`.
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
    /// `push` or `reconcile` once settled.
    #[serde(rename = "settledBy", skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
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
