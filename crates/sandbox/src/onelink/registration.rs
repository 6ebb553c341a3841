//! Registrations of 23A12: the link handed out, the card user's submission on the page, and the
//! outcome that updates the card and starts the push.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cmcc_proto::format::MiniParam;
use cmcc_proto::ids::mask_number;
use serde::{Deserialize, Serialize};

/// `requestSource` of seed 000's urlType-3 example.
pub const REQUEST_SOURCE: &str = "550";

/// Push fields a custom page parameter may not replace.
const RESERVED: &[&str] = &[
    "regStatus",
    "regMsg",
    "busiSeq",
    "msisdn",
    "iccid",
    "imsi",
    "status",
    "message",
    "result",
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub busi_seq: String,
    pub appid: String,
    #[serde(skip)]
    pub card: usize,
    /// The card id field the enterprise used (it comes back in the push).
    pub card_field: &'static str,
    pub card_value: String,
    pub url_type: u32,
    #[serde(skip)]
    pub ticket: String,
    pub url: String,
    pub mini_param: Option<MiniParam>,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub push_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub success: bool,
    pub reg_msg: String,
    pub at: DateTime<Utc>,
    /// Masked: the sandbox keeps no personal data.
    pub name: String,
    pub resident_id: String,
    /// Custom query parameters of the page, returned in the push.
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
pub struct Registrations {
    pub by_seq: BTreeMap<String, Registration>,
    by_ticket: BTreeMap<String, String>,
    by_txn: BTreeMap<String, String>,
    /// Last successful 23A12 call per (card, urlType).
    last_call: BTreeMap<(usize, u32), DateTime<Utc>>,
    seq: u64,
}

/// A registration as the state file keeps it (with what the views skip).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    pub busi_seq: String,
    pub appid: String,
    pub card: usize,
    pub card_field: String,
    pub card_value: String,
    pub url_type: u32,
    pub ticket: String,
    pub url: String,
    pub mini_param: Option<MiniParam>,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    pub push_id: Option<u64>,
}

/// Every registration and the counters, as the state file keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedRegistrations {
    pub registrations: Vec<Saved>,
    /// `(card, urlType, at)` of the last 23A12 call.
    pub last_call: Vec<(usize, u32, DateTime<Utc>)>,
    pub seq: u64,
}

impl Registrations {
    pub fn save(&self) -> SavedRegistrations {
        SavedRegistrations {
            registrations: self
                .by_seq
                .values()
                .map(|r| Saved {
                    busi_seq: r.busi_seq.clone(),
                    appid: r.appid.clone(),
                    card: r.card,
                    card_field: r.card_field.to_owned(),
                    card_value: r.card_value.clone(),
                    url_type: r.url_type,
                    ticket: r.ticket.clone(),
                    url: r.url.clone(),
                    mini_param: r.mini_param.clone(),
                    created: r.created,
                    expires: r.expires,
                    outcome: r.outcome.clone(),
                    push_id: r.push_id,
                })
                .collect(),
            last_call: self
                .last_call
                .iter()
                .map(|((c, u), t)| (*c, *u, *t))
                .collect(),
            seq: self.seq,
        }
    }

    pub fn restore(saved: SavedRegistrations) -> Self {
        let mut out = Self {
            seq: saved.seq,
            last_call: saved
                .last_call
                .into_iter()
                .map(|(c, u, t)| ((c, u), t))
                .collect(),
            ..Default::default()
        };
        for r in saved.registrations {
            out.insert(Registration {
                busi_seq: r.busi_seq,
                appid: r.appid,
                card: r.card,
                card_field: match r.card_field.as_str() {
                    "msisdn" => "msisdn",
                    "iccid" => "iccid",
                    _ => "imsi",
                },
                card_value: r.card_value,
                url_type: r.url_type,
                ticket: r.ticket,
                url: r.url,
                mini_param: r.mini_param,
                created: r.created,
                expires: r.expires,
                outcome: r.outcome,
                push_id: r.push_id,
            });
        }
        out
    }

    /// Whether the per-card-per-urlType limit lets this call through; records it if so.
    pub fn allow_call(
        &mut self,
        card: usize,
        url_type: u32,
        now: DateTime<Utc>,
        window_secs: u64,
    ) -> bool {
        let window = chrono::Duration::seconds(i64::try_from(window_secs).unwrap_or(60));
        match self.last_call.get(&(card, url_type)) {
            Some(t) if now < *t + window && now >= *t => false,
            _ => {
                self.last_call.insert((card, url_type), now);
                true
            }
        }
    }

    /// busiSeq and transactionID shaped like seed 000's examples.
    pub fn next_ids(&mut self, now: DateTime<Utc>) -> (String, String) {
        self.seq += 1;
        let ts = cmcc_proto::time::format_compact_seconds(now);
        let n = self.seq % 1_000_000;
        (format!("551{ts}{n:06}"), format!("1551{ts}{n:06}"))
    }

    pub fn insert(&mut self, r: Registration) {
        self.by_ticket.insert(r.ticket.clone(), r.busi_seq.clone());
        if let Some(m) = &r.mini_param {
            self.by_txn
                .insert(m.transaction_id.clone(), r.busi_seq.clone());
        }
        self.by_seq.insert(r.busi_seq.clone(), r);
    }

    pub fn by_ticket(&self, ticket: &str) -> Option<&Registration> {
        self.by_seq.get(self.by_ticket.get(ticket)?)
    }

    pub fn by_transaction(&self, txn: &str) -> Option<&Registration> {
        self.by_seq.get(self.by_txn.get(txn)?)
    }

    pub fn get_mut(&mut self, busi_seq: &str) -> Option<&mut Registration> {
        self.by_seq.get_mut(busi_seq)
    }
}

/// Why a submission on the page was refused (shown on the page; nothing changes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error("链接无效")]
    UnknownLink,
    #[error("链接已过期，请重新获取实名登记链接")]
    Expired,
    #[error("该链接已完成实名登记")]
    Done,
    #[error("请填写姓名（1-30 个字符）")]
    Name,
    #[error("身份证号码有误：{0}")]
    ResidentId(String),
    #[error("活体检测结果缺失")]
    Liveness,
}

/// The user's entries on the form.
#[derive(Debug)]
pub struct Submission {
    pub name: String,
    pub resident_id: String,
    /// `pass` or `fail`.
    pub liveness: String,
    /// Raw query string of custom parameters.
    pub custom: String,
}

impl Submission {
    /// Validate; returns the masked name and id and whether liveness passed.
    ///
    /// # Errors
    ///
    /// [`SubmitError::Name`] for an empty, over-30-character or control-character name,
    /// [`SubmitError::ResidentId`] for an id number that does not check out,
    /// [`SubmitError::Liveness`] when the liveness result is neither `pass` nor `fail`.
    pub fn check(&self) -> Result<(String, String, bool), SubmitError> {
        let name = self.name.trim();
        let n = name.chars().count();
        if n == 0 || n > 30 || name.chars().any(char::is_control) {
            return Err(SubmitError::Name);
        }
        let id = cmcc_proto::ResidentId::parse(&self.resident_id)
            .map_err(|e| SubmitError::ResidentId(e.to_string()))?;
        let pass = match self.liveness.as_str() {
            "pass" => true,
            "fail" => false,
            _ => return Err(SubmitError::Liveness),
        };
        let first: String = name.chars().take(1).collect();
        let masked_name = format!("{first}{}", "*".repeat(n.saturating_sub(1)));
        Ok((masked_name, mask_number(id.as_str()), pass))
    }

    /// Custom parameters for the push, reserved names dropped.
    pub fn extra(&self) -> BTreeMap<String, String> {
        form_urlencoded::parse(self.custom.as_bytes())
            .filter(|(k, _)| !k.is_empty() && !RESERVED.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// Keep only custom parameters of a page's query string (drops the urlType-3 four).
pub fn custom_query(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return String::new();
    };
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        if !matches!(
            k.as_ref(),
            "requestSource" | "transactionID" | "param" | "signature"
        ) {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_call_per_card_per_type_per_window() {
        let mut r = Registrations::default();
        let t = Utc::now();
        assert!(r.allow_call(1, 6, t, 60));
        assert!(!r.allow_call(1, 6, t + chrono::Duration::seconds(59), 60));
        assert!(r.allow_call(1, 3, t, 60));
        assert!(r.allow_call(2, 6, t, 60));
        assert!(r.allow_call(1, 6, t + chrono::Duration::seconds(60), 60));
    }

    #[test]
    fn submission_rules() {
        let s = Submission {
            name: "张三".into(),
            resident_id: "11010519491231002X".into(),
            liveness: "pass".into(),
            custom: "para1=p1&regStatus=9".into(),
        };
        let (name, id, pass) = s.check().expect("valid");
        assert_eq!((name.as_str(), pass), ("张*", true));
        assert!(!id.contains("0519491231"));
        assert_eq!(
            s.extra().into_iter().collect::<Vec<_>>(),
            [("para1".to_owned(), "p1".to_owned())]
        );
        let bad = Submission {
            resident_id: "110105194912310021".into(),
            ..s
        };
        assert!(matches!(bad.check(), Err(SubmitError::ResidentId(_))));
    }

    #[test]
    fn custom_query_drops_mini_fields() {
        assert_eq!(
            custom_query(Some(
                "param=x&signature=a+b&para1=p1&transactionID=1&requestSource=550"
            )),
            "para1=p1"
        );
    }
}
