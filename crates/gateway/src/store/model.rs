//! Rows of the store.

use serde::Serialize;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegState {
    Pending,
    Registered,
    Failed,
}

impl RegState {
    pub fn as_str(self) -> &'static str {
        match self {
            RegState::Pending => "pending",
            RegState::Registered => "registered",
            RegState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RegState::Pending),
            "registered" => Some(RegState::Registered),
            "failed" => Some(RegState::Failed),
            _ => None,
        }
    }
    /// A push's `regStatus`: "1" is success (cmcc's documented reading), anything else failure.
    pub fn from_reg_status(s: &str) -> Self {
        if s == cmcc_proto::wire::onelink::REG_STATUS_SUCCESS {
            RegState::Registered
        } else {
            RegState::Failed
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration {
    pub busi_seq: String,
    pub card_field: String,
    pub card_value: String,
    pub url_type: u32,
    pub url: String,
    pub created_at: i64,
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
}

/// A push record as received, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushIn {
    pub busi_seq: String,
    pub reg_status: String,
    pub reg_msg: String,
    pub card_field: String,
    pub card_value: String,
    /// The record as JSON, forwarded as is.
    pub body: String,
    pub received_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Stored,
    /// Seen before: nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub busi_seq: String,
    pub payload: String,
    pub attempts: i64,
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
