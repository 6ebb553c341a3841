//! The urlType-3 `url` query string of a 23A12 answer: `MiniParam::from_url`. A parsed value has
//! all four fields non-empty; its `to_url` form (values verbatim) parses back to the same value
//! whenever the values carry no query syntax of their own (`&`, `?`, `%`: the carrier's values
//! are digits, hex and base64, which never do); and its JSON form round-trips.
#![no_main]

use cmcc_proto::format::MiniParam;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = MiniParam::from_url(text) else {
        return;
    };
    let values = [&m.request_source, &m.transaction_id, &m.param, &m.signature];
    assert!(
        values.iter().all(|v| !v.is_empty()),
        "an empty field: {m:?}"
    );
    let url = m.to_url();
    assert!(url.starts_with("requestSource="));
    assert_eq!(
        m.signed_string(),
        format!("{}{}{}", m.request_source, m.transaction_id, m.param)
    );
    if values.iter().all(|v| !v.contains(['&', '?', '%'])) {
        let back = MiniParam::from_url(&url)
            .unwrap_or_else(|e| panic!("{m:?} writes {url:?}, which does not parse: {e}"));
        assert_eq!(back, m, "round trip through {url:?}");
        assert_eq!(back.to_url(), url);
    }
    let json = serde_json::to_vec(&m).expect("serialises");
    cmcc_fuzz::json_round_trip::<MiniParam>(&json).expect("its own JSON parses");
});
