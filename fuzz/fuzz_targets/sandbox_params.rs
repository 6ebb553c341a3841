//! The sandbox's OneLink request reading (`onelink::params::collect`): a GET query, a JSON body
//! or a form body, whatever the content type claims, and then the request types of each API.
//! What is collected survives being sent again as a form, as a query and as JSON.
//!
//! Input: `content-type\nquery\nbody`; an empty second line is no query.
#![no_main]

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use cmcc_proto::wire::onelink::{CardQueryRequest, RealNameRegRequest, TokenRequest};
use cmcc_sandbox::onelink::params::collect;
use libfuzzer_sys::fuzz_target;

fn headers(content_type: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h
}

fn form(map: &BTreeMap<String, String>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.extend_pairs(map);
    s.finish()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let (Some(ctype), Some(query), body) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let (Ok(ctype), Ok(query)) = (std::str::from_utf8(ctype), std::str::from_utf8(query)) else {
        return;
    };
    let query = Some(query).filter(|q| !q.is_empty());
    let body = Bytes::copy_from_slice(body.unwrap_or_default());
    let Ok(params) = collect(query, &headers(ctype), &body) else {
        return;
    };

    let as_form = form(&params.0);
    let resent = collect(
        None,
        &headers("application/x-www-form-urlencoded"),
        &as_form.clone().into(),
    )
    .expect("a form body");
    assert_eq!(resent.0, params.0, "as the form {as_form:?}");
    let resent = collect(Some(&as_form), &HeaderMap::new(), &Bytes::new()).expect("a query");
    assert_eq!(resent.0, params.0, "as the query {as_form:?}");
    let as_json = serde_json::to_vec(&params.0).expect("serialises");
    let resent = collect(None, &headers("application/json"), &as_json.into()).expect("JSON");
    assert_eq!(resent.0, params.0, "as JSON");

    if let Ok(req) = params.parse::<TokenRequest>() {
        assert_eq!(Some(req.appid.as_str()), params.get("appid").or(Some("")));
    }
    if let Ok(req) = params.parse::<RealNameRegRequest>() {
        let _ = (req.card.card_id(), req.url_type());
    }
    if let Ok(req) = params.parse::<CardQueryRequest>() {
        let _ = req.card.card_id();
    }
});
