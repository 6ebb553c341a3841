//! The card id every card API takes, and the real-name status queries 23A23 and 23A10.

use serde::{Deserialize, Serialize};

use crate::ids::{CardId, IdError};

/// Common request fields plus the card id: 23A12, 23A23 and 23A10 all take exactly one of
/// msisdn, iccid, imsi.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFields {
    /// `msisdn`: the card's number, up to 13 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msisdn: Option<String>,
    /// `iccid`: the SIM's 20-character id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// `imsi`: the subscriber id, up to 15 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
}

impl CardFields {
    /// The one card these fields name, validated.
    ///
    /// # Errors
    ///
    /// As [`CardId::from_fields`]: not exactly one field, or a malformed value.
    pub fn card_id(&self) -> Result<CardId, IdError> {
        CardId::from_fields(
            self.msisdn.as_deref(),
            self.iccid.as_deref(),
            self.imsi.as_deref(),
        )
    }
}

impl From<&CardId> for CardFields {
    fn from(c: &CardId) -> Self {
        let (msisdn, iccid, imsi) = c.fields();
        Self {
            msisdn,
            iccid,
            imsi,
        }
    }
}

/// Request of 23A23 and 23A10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardQueryRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller
    /// ([`TransidGenerator`](crate::format::TransidGenerator)).
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The card: exactly one of `msisdn`, `iccid`, `imsi`.
    #[serde(flatten)]
    pub card: CardFields,
}

/// 23A23 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRegistrationInfo {
    /// `"1"` registered, `"0"` not yet.
    #[serde(
        rename = "identityRegistrationStatus",
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub status: String,
    /// `"01"` user self-registration, `"02"` 11-digit number, `"03"` scenario-four, `"04"` IoV.
    #[serde(
        rename = "identityRegistrationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registration_type: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`, only when registered.
    #[serde(
        rename = "archiveTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub archive_time: Option<String>,
}

/// 23A10 result (the older status query).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameStatus {
    /// `realNameStatus`: `"1"` registered, `"0"` not (not published; docs/PROTOCOL-NOTES.md).
    #[serde(
        rename = "realNameStatus",
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub real_name_status: String,
}
