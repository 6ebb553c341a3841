//! Rows of the store.

use serde::Serialize;

use cmcc_proto::wire::onelink::PushClaim;

/// Where a registration stands.
///
/// `unconfirmed`: a push claimed success and 23A23 has not agreed yet; `disputed`: 23A23
/// contradicted a success claim; `unknown`: the push's regStatus is not one the carrier
/// document defines, so 23A23 settles it. Only `registered` counts as registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RegState {
    Pending,
    Unconfirmed,
    Registered,
    Failed,
    Disputed,
    Unknown,
    /// 23A12's answer was lost after the request was sent: a link may exist at OneLink. A push
    /// for the same card takes this registration over; reconciliation asks 23A23.
    Lost,
}

impl RegState {
    pub const ALL: [RegState; 7] = [
        RegState::Pending,
        RegState::Unconfirmed,
        RegState::Registered,
        RegState::Failed,
        RegState::Disputed,
        RegState::Unknown,
        RegState::Lost,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RegState::Pending => "pending",
            RegState::Unconfirmed => "unconfirmed",
            RegState::Registered => "registered",
            RegState::Failed => "failed",
            RegState::Disputed => "disputed",
            RegState::Unknown => "unknown",
            RegState::Lost => "lost",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// How a registration's state was checked against 23A23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// 23A23 agreed.
    Confirmed,
    /// 23A23 said otherwise.
    Contradicted,
    /// Taken from the push as is (`confirm_pushes = false`).
    NotChecked,
    /// A failure: nothing to confirm.
    NotNeeded,
}

impl Confirmation {
    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::Confirmed => "confirmed",
            Confirmation::Contradicted => "contradicted",
            Confirmation::NotChecked => "not_checked",
            Confirmation::NotNeeded => "not_needed",
        }
    }
}

/// What the push writer does with pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushPolicy {
    /// Queue webhook events.
    pub forward: bool,
    /// Success claims wait for 23A23.
    pub confirm: bool,
    /// Pushes for registrations not issued here become registrations (unconfirmed).
    pub adopt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration {
    pub busi_seq: String,
    pub card_field: String,
    pub card_value: String,
    pub url_type: u32,
    pub url: String,
    pub created_at: i64,
    /// `pending`, or `lost` when 23A12's answer did not arrive.
    pub state: RegState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Registration {
    pub busi_seq: String,
    pub card_field: String,
    pub card_value: String,
    pub url_type: i64,
    pub url: String,
    pub state: String,
    pub reg_status: Option<String>,
    pub reg_msg: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub settled_at: Option<i64>,
    pub settled_by: Option<String>,
    pub confirmation: Option<String>,
}

/// A push record as received, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushIn {
    pub busi_seq: String,
    pub reg_status: String,
    pub claim: PushClaim,
    pub reg_msg: String,
    /// Empty when the record has no usable card id (none, several, malformed).
    pub card_field: String,
    pub card_value: String,
    /// The record as JSON, forwarded as is.
    pub body: String,
    pub received_at: i64,
}

impl PushIn {
    /// The identity of a push: resends are the same, a copy with another card is not.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.busi_seq, self.reg_status, self.card_field, self.card_value
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Settled (or moved toward settling) a registration this gateway issued.
    Applied,
    /// Became a registration of its own (`adopt_unknown_pushes`).
    Adopted,
    /// Acknowledged and kept aside; no card state changed.
    Quarantined(&'static str),
    /// Seen before: nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub busi_seq: String,
    pub payload: String,
    pub attempts: i64,
    pub event_id: String,
}

/// A quarantined push, for the server route (card masked there).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuarantinedPush {
    pub busi_seq: String,
    pub reg_status: String,
    pub card_field: String,
    pub card_value: String,
    pub received_at: i64,
    pub reason: Option<String>,
}

/// A queued 23A23 confirmation, leased to this instance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConfirmItem {
    pub id: i64,
    pub busi_seq: String,
    pub claim: String,
    pub attempts: i64,
}

/// A webhook event with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub busi_seq: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// One delivery attempt of an event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub outbox_id: i64,
    pub attempt: i64,
    pub at: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub answer: Option<String>,
    pub latency_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Audit {
    pub at: i64,
    pub kind: String,
    pub app_id: String,
    pub phone_masked: Option<String>,
    pub client_ip: Option<String>,
    pub code: String,
    pub latency_ms: i64,
}
