//! Rejections: the code answered and why (for the journal), the carrier's text of a code, and
//! the body checks every endpoint starts with (JSON object 130032, required fields 130010).

use cmcc_proto::codes::Code;
use cmcc_proto::Platform;

/// A rejected request: the code answered and why (for the journal).
#[derive(Debug, Clone)]
pub struct Reject {
    pub code: String,
    pub desc: Option<&'static str>,
    pub reason: String,
    pub detail: serde_json::Value,
}

impl Reject {
    pub fn new(code: &str, reason: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            desc: None,
            reason: reason.into(),
            detail: serde_json::Value::Null,
        }
    }
    #[must_use]
    pub fn desc(mut self, d: &'static str) -> Self {
        self.desc = Some(d);
        self
    }
    #[must_use]
    pub fn detail(mut self, v: serde_json::Value) -> Self {
        self.detail = v;
        self
    }
    pub fn text(&self) -> String {
        self.desc.map_or_else(|| desc(&self.code), str::to_owned)
    }
}

/// The carrier's Chinese text of a code.
pub fn desc(code: &str) -> String {
    Code::from(code)
        .info(Platform::Passport)
        .map_or_else(|| "系统异常".to_owned(), |i| i.zh.to_owned())
}

/// Parse a JSON object body (130032 otherwise).
pub(super) fn parse_object(body: &[u8]) -> Result<serde_json::Value, Reject> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(Reject::new("130032", "the body is JSON but not an object")),
        Err(e) => Err(Reject::new(
            "130032",
            format!("the body is not standard JSON: {e}"),
        )),
    }
}

pub(super) fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, Reject> {
    typed_owned(v.clone())
}

pub(super) fn typed_owned<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<T, Reject> {
    serde_json::from_value(v)
        .map_err(|e| Reject::new("130032", format!("a field has the wrong type: {e}")))
}

/// Names of required fields that are empty.
fn empty_fields(fields: &[(&'static str, &str)]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(n, _)| *n)
        .collect()
}

pub(super) fn require(fields: &[(&'static str, &str)]) -> Result<(), Reject> {
    let empty = empty_fields(fields);
    if empty.is_empty() {
        Ok(())
    } else {
        Err(
            Reject::new("130010", format!("empty: {}", empty.join(", ")))
                .desc(empty_desc(empty[0]))
                .detail(serde_json::json!({ "empty": empty })),
        )
    }
}

/// `参数为空-xxx is empty` texts of seed 002 for the fields it names.
fn empty_desc(field: &str) -> &'static str {
    match field {
        "appId" => "参数为空-appId is empty",
        "msgId" => "参数为空-msgId is empty",
        "timestamp" => "参数为空-timestamp is empty",
        _ => "参数为空",
    }
}
