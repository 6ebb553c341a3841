//! The card APIs fleet platforms call beyond registration: status, basic info, IMEI, usage,
//! margin, sessions, function status, status changes (single and batch, with the batch's job),
//! data on/off, GPRS reset and batch card info. Seed 000 points to OneLink's general reference
//! for these; their shapes come from public integrations (docs/PROTOCOL-NOTES.md, "fleet").
//!
//! Amounts are KB as strings, and the platform writes `" "` for "no usage" or "no plan": the
//! types keep the strings as sent; [`kb`] reads one.

use serde::{Deserialize, Serialize};

use super::CardFields;

/// A KB amount as OneLink writes it: `None` for `" "`, `""` or anything that is not a number.
pub fn kb(amount: &str) -> Option<f64> {
    amount.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

// ------------------------------------------------------------------ card status

/// `cardStatus` of 25S04. Unknown values are kept ([`CardState::Other`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CardState {
    /// 1 待激活
    Pending,
    /// 2 已激活
    Active,
    /// 4 停机
    Stopped,
    /// 6 可测试
    Testing,
    /// 7 库存
    Stock,
    /// 8 预销户
    PreCancelled,
    /// Any other value the platform sends.
    Other(u8),
}

impl CardState {
    /// Every state the integrations name, in code order.
    pub const KNOWN: [CardState; 6] = [
        Self::Pending,
        Self::Active,
        Self::Stopped,
        Self::Testing,
        Self::Stock,
        Self::PreCancelled,
    ];

    /// The `cardStatus` number.
    pub fn code(self) -> u8 {
        match self {
            Self::Pending => 1,
            Self::Active => 2,
            Self::Stopped => 4,
            Self::Testing => 6,
            Self::Stock => 7,
            Self::PreCancelled => 8,
            Self::Other(n) => n,
        }
    }

    /// The state of a `cardStatus` number ([`CardState::Other`] for one not named above).
    pub fn from_code(n: u8) -> Self {
        match n {
            1 => Self::Pending,
            2 => Self::Active,
            4 => Self::Stopped,
            6 => Self::Testing,
            7 => Self::Stock,
            8 => Self::PreCancelled,
            n => Self::Other(n),
        }
    }

    /// Read `cardStatus` as sent (`"2"`, `2`, `" 2"`); `None` when it is not a number.
    pub fn parse(s: &str) -> Option<Self> {
        s.trim().parse::<u8>().ok().map(Self::from_code)
    }

    /// The platform's name of the state.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Pending => "待激活",
            Self::Active => "已激活",
            Self::Stopped => "停机",
            Self::Testing => "可测试",
            Self::Stock => "库存",
            Self::PreCancelled => "预销户",
            Self::Other(_) => "未知",
        }
    }

    /// A short English name (CSV columns, reports).
    pub fn en(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Stopped => "stopped",
            Self::Testing => "testing",
            Self::Stock => "stock",
            Self::PreCancelled => "pre-cancelled",
            Self::Other(_) => "unknown",
        }
    }
}

impl std::fmt::Display for CardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.zh())
    }
}

/// 25S04 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardStatus {
    /// `cardStatus`: the state's number as sent (a number is read as a string); see
    /// [`CardState`].
    #[serde(
        rename = "cardStatus",
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub card_status: String,
    /// `lastChangeDate`: when the status last changed, as the platform writes it.
    #[serde(rename = "lastChangeDate", default)]
    pub last_change_date: String,
}

impl CardStatus {
    /// `cardStatus` read as a [`CardState`]; `None` when it is not a number.
    pub fn state(&self) -> Option<CardState> {
        CardState::parse(&self.card_status)
    }
}

// ------------------------------------------------------------------ status changes

/// A status change of 23S03 (`operType`), with the state it starts from and the one it leads
/// to. Public integrations number them 0-9 (7 is not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusChange {
    /// 0: active → stopped
    Stop,
    /// 1: stopped → active
    Resume,
    /// 2: stock → active
    StockToActive,
    /// 3: testing → stock
    TestingToStock,
    /// 4: testing → pending
    TestingToPending,
    /// 5: testing → active
    TestingToActive,
    /// 6: pending → active
    PendingToActive,
    /// 8: pending → stock
    PendingToStock,
    /// 9: stock → pending
    StockToPending,
}

impl StatusChange {
    /// Every change, in `operType` order.
    pub const ALL: [StatusChange; 9] = [
        Self::Stop,
        Self::Resume,
        Self::StockToActive,
        Self::TestingToStock,
        Self::TestingToPending,
        Self::TestingToActive,
        Self::PendingToActive,
        Self::PendingToStock,
        Self::StockToPending,
    ];

    /// 23S03's `operType`.
    pub fn oper_type(self) -> u8 {
        match self {
            Self::Stop => 0,
            Self::Resume => 1,
            Self::StockToActive => 2,
            Self::TestingToStock => 3,
            Self::TestingToPending => 4,
            Self::TestingToActive => 5,
            Self::PendingToActive => 6,
            Self::PendingToStock => 8,
            Self::StockToPending => 9,
        }
    }

    /// The change of a 23S03 `operType` as sent (`"0"`, `" 6"`); `None` for a number that
    /// names none (7 among them) or text.
    pub fn from_oper_type(s: &str) -> Option<Self> {
        let n = s.trim().parse::<u8>().ok()?;
        Self::ALL.into_iter().find(|c| c.oper_type() == n)
    }

    /// 23S06's `operType`: the batch has its own numbering, 1-11 in public integrations, whose
    /// mapping nobody publishes. cmcc's choice: the 23S03 change `n` is batch type `n + 1`.
    pub fn batch_oper_type(self) -> u8 {
        self.oper_type() + 1
    }

    /// The change of a 23S06 `operType` under cmcc's numbering ([`Self::batch_oper_type`]).
    pub fn from_batch_oper_type(s: &str) -> Option<Self> {
        let n = s.trim().parse::<u8>().ok()?.checked_sub(1)?;
        Self::ALL.into_iter().find(|c| c.oper_type() == n)
    }

    /// (from, to).
    pub fn transition(self) -> (CardState, CardState) {
        use CardState as S;
        match self {
            Self::Stop => (S::Active, S::Stopped),
            Self::Resume => (S::Stopped, S::Active),
            Self::StockToActive => (S::Stock, S::Active),
            Self::TestingToStock => (S::Testing, S::Stock),
            Self::TestingToPending => (S::Testing, S::Pending),
            Self::TestingToActive => (S::Testing, S::Active),
            Self::PendingToActive => (S::Pending, S::Active),
            Self::PendingToStock => (S::Pending, S::Stock),
            Self::StockToPending => (S::Stock, S::Pending),
        }
    }
}

/// 23S03 request: one card, `operType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The card: exactly one of `msisdn`, `iccid`, `imsi`.
    #[serde(flatten)]
    pub card: CardFields,
    /// `operType`: the change's number ([`StatusChange::oper_type`]); a number is read too.
    #[serde(
        rename = "operType",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub oper_type: String,
}

/// 23S03 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResult {
    /// `orderNum`: the platform's order number of the change.
    #[serde(rename = "orderNum", default)]
    pub order_num: String,
    /// `msisdn`: the card's number (23S03 answers it; for 23M07 integrations show only
    /// `orderNum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msisdn: Option<String>,
}

/// The cards of a batch call: one of `msisdns`, `iccids`, `imsis`, at most 100 ids joined by `_`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCards {
    /// `msisdns`: card numbers joined by `_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msisdns: Option<String>,
    /// `iccids`: ICCIDs joined by `_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccids: Option<String>,
    /// `imsis`: IMSIs joined by `_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsis: Option<String>,
}

/// The most cards one batch call takes.
pub const BATCH_MAX: usize = 100;
/// What joins the ids of a batch.
pub const BATCH_SEPARATOR: char = '_';

/// Why a batch's cards cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// None, or more than one, of `msisdns`, `iccids`, `imsis` is given (blank counts as none).
    #[error("exactly one of msisdns, iccids, imsis is required")]
    Fields,
    /// An id between separators (or at either end) is empty.
    #[error("a batch is empty or has an empty id")]
    Empty,
    /// More than [`BATCH_MAX`] ids; how many.
    #[error("a batch takes at most {BATCH_MAX} cards, this one has {0}")]
    TooMany(usize),
}

/// Which id a batch names its cards by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchField {
    /// Card numbers (`msisdns`).
    Msisdn,
    /// ICCIDs (`iccids`).
    Iccid,
    /// IMSIs (`imsis`).
    Imsi,
}

impl BatchCards {
    /// A batch of `ids` of one kind (not checked against [`BATCH_MAX`]: see [`Self::ids`]).
    pub fn new(field: BatchField, ids: &[&str]) -> Self {
        let joined = Some(ids.join(&BATCH_SEPARATOR.to_string()));
        match field {
            BatchField::Msisdn => Self {
                msisdns: joined,
                ..Self::default()
            },
            BatchField::Iccid => Self {
                iccids: joined,
                ..Self::default()
            },
            BatchField::Imsi => Self {
                imsis: joined,
                ..Self::default()
            },
        }
    }

    /// The field and the ids, checked: one field, 1 to 100 non-empty ids.
    ///
    /// # Errors
    ///
    /// [`BatchError::Fields`] unless exactly one field is non-blank; [`BatchError::Empty`] for
    /// an empty id; [`BatchError::TooMany`] over [`BATCH_MAX`] ids. The ids' format is not
    /// checked here.
    pub fn ids(&self) -> Result<(BatchField, Vec<&str>), BatchError> {
        let present: Vec<(BatchField, &str)> = [
            (BatchField::Msisdn, self.msisdns.as_deref()),
            (BatchField::Iccid, self.iccids.as_deref()),
            (BatchField::Imsi, self.imsis.as_deref()),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (f, v)))
        .collect();
        let [(field, joined)] = present.as_slice() else {
            return Err(BatchError::Fields);
        };
        let ids: Vec<&str> = joined.split(BATCH_SEPARATOR).map(str::trim).collect();
        if ids.iter().any(|i| i.is_empty()) {
            return Err(BatchError::Empty);
        }
        if ids.len() > BATCH_MAX {
            return Err(BatchError::TooMany(ids.len()));
        }
        Ok((*field, ids))
    }
}

/// 23S06 request: up to 100 cards, the batch `operType`, and a `reason` some types need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchStatusChangeRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The cards: one of `msisdns`, `iccids`, `imsis`.
    #[serde(flatten)]
    pub cards: BatchCards,
    /// `operType`: the batch numbering ([`StatusChange::batch_oper_type`]); a number is read
    /// too.
    #[serde(
        rename = "operType",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub oper_type: String,
    /// `reason`: free text some batch types need (which ones is not published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// 23S06 result: the asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTicket {
    /// `jobId`: what [`QueryBatchJob`](super::QueryBatchJob) asks about (a number is read as a
    /// string).
    #[serde(rename = "jobId", deserialize_with = "crate::wire::string_or_number")]
    pub job_id: String,
}

/// 23M10 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJobRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// `jobId`: the job 23S06 answered with.
    #[serde(
        rename = "jobId",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub job_id: String,
}

/// 23M10 result: `jobStatus` 0/1 running, 2/3/4 finished; one entry per card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJobResult {
    /// `jobStatus`: `0`/`1` running; `2` all changed, `3` some, `4` none (the split of 2/3/4
    /// is the sandbox's choice).
    #[serde(
        rename = "jobStatus",
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub job_status: String,
    /// `resultList`: one entry per card once the job has finished.
    #[serde(rename = "resultList", default)]
    pub result_list: Vec<BatchJobItem>,
}

impl BatchJobResult {
    /// Whether the job has finished (2, 3 or 4).
    pub fn finished(&self) -> bool {
        matches!(self.job_status.trim(), "2" | "3" | "4")
    }
}

/// One card of a finished job: `resultId` is the card's id as sent, `status` `"0"` when it was
/// changed, otherwise the code of why not; `message` (cmcc's addition) says it in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJobItem {
    /// `resultId`: the card's id as the batch named it.
    #[serde(rename = "resultId", default)]
    pub result_id: String,
    /// `status`: `"0"` changed, otherwise a result code.
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub status: String,
    /// `message`: the status in words (cmcc's sandbox adds it; absent from integrations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

// ------------------------------------------------------------------ data and GPRS

/// 23M07 request: `operType` 0 on / 1 off, for `apnName`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnSwitchRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The card: exactly one of `msisdn`, `iccid`, `imsi`.
    #[serde(flatten)]
    pub card: CardFields,
    /// `operType`: `"0"` switch data on, `"1"` off; a number is read too.
    #[serde(
        rename = "operType",
        default,
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub oper_type: String,
    /// `apnName`: the APN to switch (one the card has; 25U04 lists them).
    #[serde(rename = "apnName", default)]
    pub apn_name: String,
}

/// The answer of a call that returns nothing but success (25M03): records, if any, are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {}

// ------------------------------------------------------------------ queries

/// 23S00 result. The dates are `yyyy-MM-dd HH:mm:ss`, or `" "` before the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicInfo {
    /// `msisdn`: the card's number.
    #[serde(default)]
    pub msisdn: String,
    /// `imsi`: the card's IMSI.
    #[serde(default)]
    pub imsi: String,
    /// `iccid`: the card's ICCID.
    #[serde(default)]
    pub iccid: String,
    /// `activeDate`: when the card was activated, or `" "` before it was.
    #[serde(rename = "activeDate", default)]
    pub active_date: String,
    /// `openDate`: when the card was opened (issued), or `" "`.
    #[serde(rename = "openDate", default)]
    pub open_date: String,
    /// `remark`: the platform's remark on the card, when it sends one (content not published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// 23S04 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imei {
    /// `imei`: the IMEI of the device the card is in, as sent.
    #[serde(default)]
    pub imei: String,
}

/// 25U04 result: this month's data in KB, in total and per APN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUsage {
    /// `dataAmount`: KB used this month over all APNs, as a string; `" "` for none ([`kb`]).
    #[serde(rename = "dataAmount", default)]
    pub data_amount: String,
    /// `apnUseAmountList`: the same per APN.
    #[serde(rename = "apnUseAmountList", default)]
    pub apn_use_amount_list: Vec<ApnUse>,
}

/// One APN's usage this month (25U04).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnUse {
    /// `apnName`: the APN.
    #[serde(rename = "apnName", default)]
    pub apn_name: String,
    /// `apnUseAmount`: KB used on it this month, as a string; `" "` for none.
    #[serde(rename = "apnUseAmount", default)]
    pub apn_use_amount: String,
}

/// 23U07 result: what is left of each plan (KB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataMargin {
    /// `accmMarginList`: one entry per plan and APN.
    #[serde(rename = "accmMarginList", default)]
    pub accm_margin_list: Vec<Margin>,
}

/// One plan's data this month (23U07); amounts are KB as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Margin {
    /// `offeringId`: the plan's id.
    #[serde(rename = "offeringId", default)]
    pub offering_id: String,
    /// `offeringName`: the plan's name.
    #[serde(rename = "offeringName", default)]
    pub offering_name: String,
    /// `apnName`: the APN the plan applies to.
    #[serde(rename = "apnName", default)]
    pub apn_name: String,
    /// `totalAmount`: KB the plan includes.
    #[serde(rename = "totalAmount", default)]
    pub total_amount: String,
    /// `useAmount`: KB used of it.
    #[serde(rename = "useAmount", default)]
    pub use_amount: String,
    /// `remainAmount`: KB left.
    #[serde(rename = "remainAmount", default)]
    pub remain_amount: String,
}

/// 25M01 result: the card's data sessions (empty when offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    /// `simSessionList`: one entry per session.
    #[serde(rename = "simSessionList", default)]
    pub sim_session_list: Vec<Session>,
}

/// One data session of a card (25M01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `apnId`: the APN of the session.
    #[serde(rename = "apnId", default)]
    pub apn_id: String,
    /// `"00"` offline, `"01"` online (integrations).
    #[serde(default)]
    pub status: String,
    /// `ip`: the address the card has in the session.
    #[serde(default)]
    pub ip: String,
    /// `createDate`: when the session started, as the platform writes it.
    #[serde(rename = "createDate", default)]
    pub create_date: String,
    /// Radio access type: `"1"` 3G, `"2"` 2G, `"6"` 4G, `"8"` NB-IoT (integrations).
    #[serde(default)]
    pub rat: String,
}

/// 23M08 result: voice (01), SMS (08) and data (11) switched on (`"0"`) or off (`"1"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionStatus {
    /// `serviceTypeList`: one entry per function.
    #[serde(rename = "serviceTypeList", default)]
    pub service_type_list: Vec<ServiceStatus>,
}

/// One communication function of a card (23M08).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// `serviceType`: `"01"` voice, `"08"` SMS, `"11"` data.
    #[serde(rename = "serviceType", default)]
    pub service_type: String,
    /// `serviceStatus`: `"0"` on, `"1"` off (our choice: clients show both values without
    /// saying which is which).
    #[serde(rename = "serviceStatus", default)]
    pub service_status: String,
}

/// 25S05 request: up to 100 cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCardInfoRequest {
    /// `transid`: `appid + yyyyMMddHHmmss + 8 digits`, made by the caller.
    #[serde(default)]
    pub transid: String,
    /// `token`: from [`GetToken`](super::GetToken).
    #[serde(default)]
    pub token: String,
    /// The cards: one of `msisdns`, `iccids`, `imsis`.
    #[serde(flatten)]
    pub cards: BatchCards,
}

/// 25S05: one entry per card, each with its own `status` (`"0"` found) and `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCardInfo {
    /// `status`: `"0"` when the card was found, otherwise a result code.
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub status: String,
    /// `message`: the status in words.
    #[serde(default)]
    pub message: String,
    /// `msisdn`: the card's number.
    #[serde(default)]
    pub msisdn: String,
    /// `imsi`: the card's IMSI.
    #[serde(default)]
    pub imsi: String,
    /// `iccid`: the card's ICCID.
    #[serde(default)]
    pub iccid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_leaves_its_start_state_and_numbers_round_trip() {
        for c in StatusChange::ALL {
            let (from, to) = c.transition();
            assert_ne!(from, to, "{c:?}");
            assert_eq!(
                StatusChange::from_oper_type(&c.oper_type().to_string()),
                Some(c)
            );
            assert_eq!(
                StatusChange::from_batch_oper_type(&c.batch_oper_type().to_string()),
                Some(c)
            );
        }
        assert_eq!(StatusChange::from_oper_type("7"), None);
        assert_eq!(StatusChange::from_batch_oper_type("0"), None);
    }

    #[test]
    fn batches_take_one_field_and_at_most_100_ids() {
        let ids: Vec<String> = (0..101).map(|i| format!("14400000{i:05}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let ok = BatchCards::new(BatchField::Iccid, &refs[..100]);
        assert_eq!(
            ok.ids().map(|(f, v)| (f, v.len())),
            Ok((BatchField::Iccid, 100))
        );
        assert_eq!(
            BatchCards::new(BatchField::Msisdn, &refs).ids(),
            Err(BatchError::TooMany(101))
        );
        let two = BatchCards {
            msisdns: Some("1".into()),
            imsis: Some("2".into()),
            ..BatchCards::default()
        };
        assert_eq!(two.ids(), Err(BatchError::Fields));
        let hole = BatchCards {
            msisdns: Some("1__2".into()),
            ..BatchCards::default()
        };
        assert_eq!(hole.ids(), Err(BatchError::Empty));
    }

    #[test]
    fn amounts_and_states_read_as_sent() {
        assert_eq!(kb(" "), None);
        assert_eq!(kb("1024.5"), Some(1024.5));
        assert_eq!(CardState::parse(" 2"), Some(CardState::Active));
        assert_eq!(CardState::parse("3"), Some(CardState::Other(3)));
        assert_eq!(CardState::parse("x"), None);
        let s: CardStatus =
            serde_json::from_str(r#"{"cardStatus":4,"lastChangeDate":"2024-10-01 10:00:00"}"#)
                .expect("status");
        assert_eq!(s.state(), Some(CardState::Stopped));
    }
}
