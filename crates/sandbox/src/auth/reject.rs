//! Rejections: the code answered and why (for the journal), the carrier's text of a code, and
//! the body checks every endpoint starts with (JSON object 130032, required fields 130010).

use cmcc_proto::Platform;

pub use crate::core::Refusal;

/// The carrier's Chinese text of a code.
pub fn desc(code: &str) -> String {
    crate::core::code_text(code, Platform::Passport).to_owned()
}

/// Parse a JSON object body (130032 otherwise).
pub(super) fn parse_object(body: &[u8]) -> Result<serde_json::Value, Refusal> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(Refusal::new("130032", "the body is JSON but not an object")),
        Err(e) => Err(Refusal::new(
            "130032",
            format!("the body is not standard JSON: {e}"),
        )),
    }
}

pub(super) fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, Refusal> {
    typed_owned(v.clone())
}

pub(super) fn typed_owned<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<T, Refusal> {
    serde_json::from_value(v)
        .map_err(|e| Refusal::new("130032", format!("a field has the wrong type: {e}")))
}

/// Names of required fields that are empty.
fn empty_fields(fields: &[(&'static str, &str)]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(n, _)| *n)
        .collect()
}

pub(super) fn require(fields: &[(&'static str, &str)]) -> Result<(), Refusal> {
    let empty = empty_fields(fields);
    if empty.is_empty() {
        Ok(())
    } else {
        Err(
            Refusal::new("130010", format!("empty: {}", empty.join(", ")))
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
