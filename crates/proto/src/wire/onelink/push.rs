//! The real-name result push (seed 000 §2.2): its records, decoding, and the answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CardFields, Envelope};

/// `regStatus` of a push: not published; cmcc's choice is `"1"` success, `"0"` failure.
pub const REG_STATUS_SUCCESS: &str = "1";
/// `regStatus` of a failed registration (cmcc's choice, as [`REG_STATUS_SUCCESS`]).
pub const REG_STATUS_FAILURE: &str = "0";

/// One record of the real-name result push (seed 000 §2.2). Besides the documented fields the
/// card id used in the request comes back, and any other field (custom parameters) is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    /// `regStatus`: the outcome, exactly as sent (a number is read as a string); see
    /// [`PushRecord::claim`].
    #[serde(
        rename = "regStatus",
        deserialize_with = "crate::wire::string_or_number"
    )]
    pub reg_status: String,
    /// `regMsg`: the platform's text about the outcome.
    #[serde(rename = "regMsg", default)]
    pub reg_msg: String,
    /// `busiSeq`: the serial number 23A12 answered with for this registration.
    #[serde(rename = "busiSeq")]
    pub busi_seq: String,
    /// The card id the 23A12 request used.
    #[serde(flatten)]
    pub card: CardFields,
    /// Every other field of the record, kept as sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl PushRecord {
    /// Whether `regStatus` is exactly [`REG_STATUS_SUCCESS`].
    pub fn succeeded(&self) -> bool {
        self.reg_status == REG_STATUS_SUCCESS
    }
}

/// The whole push body.
pub type Push = Envelope<PushRecord>;

/// What the enterprise answers to a push; anything but status `"0"` makes the platform resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAnswer {
    /// `status`: `"0"` received, anything else failed (the platform resends).
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub status: String,
    /// `message`: `"ok"` on success (seed 000 §2.2); free text otherwise.
    #[serde(default)]
    pub message: String,
}

impl PushAnswer {
    /// The acknowledgement: status `"0"`, message `"ok"`.
    pub fn ok() -> Self {
        Self {
            status: "0".into(),
            message: "ok".into(),
        }
    }
    /// Whether `status` is `"0"`, the only answer the platform takes as received.
    pub fn is_ok(&self) -> bool {
        self.status == "0"
    }
}

// --- Receiving the result push (seed 000 §2.2): decoding and answering ----------------------

/// What a push record claims, read strictly from `regStatus`: the seed defines no other values,
/// so anything else (`"2"`, `""`, `" 1"`, `"01"`, `"成功"`) is [`PushClaim::Unknown`] and must be
/// settled by asking OneLink, never read as a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushClaim {
    /// `regStatus` is exactly [`REG_STATUS_SUCCESS`].
    Success,
    /// `regStatus` is exactly [`REG_STATUS_FAILURE`].
    Failure,
    /// Any other value.
    Unknown,
}

impl PushRecord {
    /// What the record claims, from `regStatus` alone.
    pub fn claim(&self) -> PushClaim {
        match self.reg_status.as_str() {
            REG_STATUS_SUCCESS => PushClaim::Success,
            REG_STATUS_FAILURE => PushClaim::Failure,
            _ => PushClaim::Unknown,
        }
    }
}

/// Why a push body could not be read. The message never quotes the body: it carries card
/// numbers, and decoders' messages echo the offending values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushDecodeError {
    /// The body is not JSON of the push's shape.
    #[error("not a OneLink push ({kind} error at line {line}, column {column})")]
    Json {
        /// `read`, `syntax`, `field` (a field missing or of the wrong type) or `truncated body`.
        kind: &'static str,
        /// Line of the error in the body, from 1.
        line: usize,
        /// Column of the error in the line, from 1.
        column: usize,
    },
    /// The push's `result` is empty or null.
    #[error("the push has no result record")]
    Empty,
}

/// Decode a result push body into its records. An error means the body must be answered with
/// [`PushAnswer::retry`], so the platform sends it again.
///
/// # Errors
///
/// [`PushDecodeError::Json`] when the body is not a push envelope of records with `regStatus`
/// and `busiSeq`; [`PushDecodeError::Empty`] when it has no record.
pub fn decode_push(body: &[u8]) -> Result<Vec<PushRecord>, PushDecodeError> {
    let push: Push = serde_json::from_slice(body).map_err(|e| PushDecodeError::Json {
        kind: match e.classify() {
            serde_json::error::Category::Io => "read",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "field",
            serde_json::error::Category::Eof => "truncated body",
        },
        line: e.line(),
        column: e.column(),
    })?;
    if push.result.is_empty() {
        return Err(PushDecodeError::Empty);
    }
    Ok(push.result)
}

impl PushAnswer {
    /// An answer that makes the platform resend: any status but `"0"`.
    pub fn retry(message: &str) -> Self {
        Self {
            status: "1".into(),
            message: message.into(),
        }
    }

    /// The answer as the JSON body to send.
    pub fn to_json(&self) -> String {
        serde_json::json!({"status": self.status, "message": self.message}).to_string()
    }
}

#[cfg(test)]
mod push_tests {
    use super::*;

    #[test]
    fn decodes_records_and_reads_claims_strictly() {
        let body = r#"{"status":"0","message":"正确","result":[{"regStatus":"1","regMsg":"成功","busiSeq":"B1","msisdn":"1440000000001","para1":"p1"},{"regStatus":" 1","busiSeq":"B2"},{"regStatus":0,"busiSeq":"B3"}]}"#;
        let r = decode_push(body.as_bytes()).expect("push");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].claim(), PushClaim::Success);
        assert_eq!(r[0].card.msisdn.as_deref(), Some("1440000000001"));
        assert_eq!(r[0].extra["para1"], "p1");
        assert_eq!(r[1].claim(), PushClaim::Unknown);
        assert_eq!(r[2].claim(), PushClaim::Failure);
        for s in ["2", "", "01", "成功"] {
            let rec: PushRecord =
                serde_json::from_value(serde_json::json!({"regStatus": s, "busiSeq": "B"}))
                    .expect("record");
            assert_eq!(rec.claim(), PushClaim::Unknown, "{s:?}");
        }
    }

    #[test]
    fn errors_never_quote_the_body() {
        let bad =
            br#"{"status":"0","result":[{"regStatus":{},"busiSeq":"B","msisdn":"1440000001001"}]}"#;
        let e = decode_push(bad).expect_err("bad");
        assert!(!e.to_string().contains("1440000001001"), "{e}");
        for bad in [
            &b"not json"[..],
            br#"{"status":"0","message":"","result":[]}"#,
            b"",
        ] {
            assert!(decode_push(bad).is_err());
        }
        let ok: serde_json::Value = serde_json::from_str(&PushAnswer::ok().to_json()).expect("ok");
        assert_eq!(
            (ok["status"].as_str(), ok["message"].as_str()),
            (Some("0"), Some("ok"))
        );
        let retry = PushAnswer::retry("busy");
        assert!(!retry.is_ok());
        assert_eq!(retry.message, "busy");
    }
}
