//! One way in for the three request styles real clients use (GET query, POST JSON, POST form),
//! and one way out: the envelope, always HTTP 200, errors as a non-zero `status`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cmcc_proto::codes::Platform;
use cmcc_proto::wire::onelink::Envelope;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A OneLink request as it arrived: the query and the body, read by [`collect`] in any style.
#[derive(Debug)]
pub struct RawCall {
    pub uri: axum::http::Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawCall {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let body = Bytes::from_request(
            axum::extract::Request::from_parts(parts.clone(), body),
            state,
        )
        .await
        .map_err(IntoResponse::into_response)?;
        Ok(Self {
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }
}

impl RawCall {
    /// The parameters, whatever the style.
    ///
    /// # Errors
    ///
    /// As [`collect`].
    pub fn params(&self) -> Result<Params, String> {
        collect(self.uri.query(), &self.headers, &self.body)
    }
}

/// Request parameters as strings, whatever the style. Body fields win over query fields.
///
/// # Errors
///
/// The reason in words when the body is not UTF-8, or is JSON that is malformed or not an
/// object.
pub fn collect(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Params, String> {
    let mut map = BTreeMap::new();
    if let Some(q) = query {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            map.insert(k.into_owned(), v.into_owned());
        }
    }
    let body_text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    if body_text.trim().is_empty() {
        return Ok(Params(map));
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let looks_json = body_text.trim_start().starts_with('{');
    if ctype.contains("json") || (!ctype.contains("form") && looks_json) {
        let v: serde_json::Value = serde_json::from_str(body_text)
            .map_err(|e| format!("the JSON body is malformed: {e}"))?;
        let serde_json::Value::Object(obj) = v else {
            return Err("the JSON body must be an object".into());
        };
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            map.insert(k, s);
        }
    } else {
        for (k, v) in form_urlencoded::parse(body_text.as_bytes()) {
            map.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(Params(map))
}

#[derive(Debug, Default)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// Read into a wire type of `cmcc-proto`.
    ///
    /// # Errors
    ///
    /// The decoder's message when the parameters do not make a `T` (a required field missing).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let obj: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| e.to_string())
    }
}

/// A successful envelope.
pub fn ok<T: Serialize>(result: Vec<T>) -> Response {
    axum::Json(Envelope::ok(result)).into_response()
}

/// The carrier's message for a code of the OneLink table.
pub fn message_for(code: &str) -> &'static str {
    crate::core::code_text(code, Platform::OneLink)
}

/// An error envelope: HTTP 200, `status` = code, `result` = [].
pub fn error(code: &str) -> Response {
    axum::Json(Envelope::<serde_json::Value>::error(
        code,
        message_for(code),
    ))
    .into_response()
}

/// A fault's code: `httpNNN` answers that HTTP status with an empty body (platform down),
/// anything else is an envelope error.
pub fn fault_answer(code: &str) -> Response {
    if let Some(n) = code
        .strip_prefix("http")
        .and_then(|n| n.parse::<u16>().ok())
    {
        if let Ok(status) = StatusCode::from_u16(n) {
            return status.into_response();
        }
    }
    error(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_styles_agree() {
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            "application/json;charset=UTF-8".parse().expect("header"),
        );
        let a = collect(
            None,
            &json,
            &Bytes::from(r#"{"msisdn":"1","urlType":6,"x":null}"#),
        )
        .expect("json");
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().expect("header"),
        );
        let b = collect(None, &form, &Bytes::from("msisdn=1&urlType=6")).expect("form");
        let c = collect(Some("msisdn=1&urlType=6"), &HeaderMap::new(), &Bytes::new()).expect("q");
        assert_eq!(a.0, b.0);
        assert_eq!(b.0, c.0);
        assert!(collect(None, &json, &Bytes::from("[1]")).is_err());
        assert!(collect(None, &json, &Bytes::from("{")).is_err());
    }
}
