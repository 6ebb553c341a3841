//! 23A12: a real-name registration link for a card.

use serde::{Deserialize, Serialize};

use crate::format::MiniParam;

use super::CardFields;

/// urlType of 23A12. 1, 2 and 4 were withdrawn in October 2024; 2 now answers like 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlType {
    /// 1: standard video H5 (withdrawn).
    StandardH5,
    /// 2: WeChat mini-program video, H5 (withdrawn; answers like 6).
    MiniProgramH5,
    /// 3: mini-program to mini-program: `url` query string and `miniParam`.
    MiniProgram,
    /// 4: 炫彩 H5 (withdrawn).
    XuancaiH5,
    /// 6: H5 page that opens the mini-program.
    H5JumpMiniProgram,
    /// Any other number: not in seed 000.
    Other(u32),
}

impl UrlType {
    /// The `urlType` number on the wire.
    pub fn code(self) -> u32 {
        match self {
            UrlType::StandardH5 => 1,
            UrlType::MiniProgramH5 => 2,
            UrlType::MiniProgram => 3,
            UrlType::XuancaiH5 => 4,
            UrlType::H5JumpMiniProgram => 6,
            UrlType::Other(n) => n,
        }
    }
    /// The type of a `urlType` number ([`UrlType::Other`] for one seed 000 does not name).
    pub fn from_code(n: u32) -> Self {
        match n {
            1 => UrlType::StandardH5,
            2 => UrlType::MiniProgramH5,
            3 => UrlType::MiniProgram,
            4 => UrlType::XuancaiH5,
            6 => UrlType::H5JumpMiniProgram,
            n => UrlType::Other(n),
        }
    }
    /// Whether the platform still serves this type.
    pub fn is_withdrawn(self) -> bool {
        matches!(self, UrlType::StandardH5 | UrlType::XuancaiH5)
    }
}

/// 23A12 request. `urlType` defaults to 1 on the platform (withdrawn); always send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRegRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The card: exactly one of `msisdn`, `iccid`, `imsi`.
    #[serde(flatten)]
    pub card: CardFields,
    /// `userPhone`: the registering user's mobile number (optional; seed 000 says it is
    /// planned to become required).
    #[serde(rename = "userPhone", default, skip_serializing_if = "Option::is_none")]
    pub user_phone: Option<String>,
    /// `urlType`: the link type's number as a string (a number is read too); see [`UrlType`].
    #[serde(
        rename = "urlType",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::opt_string_or_number"
    )]
    pub url_type: Option<String>,
}

impl RealNameRegRequest {
    /// The urlType asked for (1 when absent, the platform default); `None` if not a number.
    pub fn url_type(&self) -> Option<UrlType> {
        match self.url_type.as_deref().map(str::trim) {
            None | Some("") => Some(UrlType::StandardH5),
            Some(s) => s.parse().ok().map(UrlType::from_code),
        }
    }
}

/// 23A12 result: `busiSeq`, `url` (page URL, or the urlType-3 query string), `miniParam`
/// (urlType 3 only; null otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRegResult {
    /// `busiSeq`: the registration's serial number; the result push carries it.
    #[serde(rename = "busiSeq", default)]
    pub busi_seq: String,
    /// `url`: the registration page's address, or for urlType 3 the mini-program parameters
    /// as a query string.
    #[serde(default)]
    pub url: String,
    /// `miniParam`: urlType 3 only, the `extraData` for `wx.navigateToMiniProgram`.
    #[serde(rename = "miniParam", default)]
    pub mini_param: Option<MiniParam>,
}
