//! `expandParams` as it arrives in getToken and verify requests: `ExpandParams::decode` of
//! either form (items encoded one by one, or the whole string encoded once more). What decodes
//! encodes to a string that decodes to the same map, and encoding is a fixed point.
#![no_main]

use cmcc_proto::format::ExpandParams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(params) = ExpandParams::decode(text) else {
        return;
    };
    assert!(
        params.0.keys().all(|k| !k.is_empty()),
        "an empty name was accepted: {params:?}"
    );
    let encoded = params.encode();
    let back = ExpandParams::decode(&encoded).unwrap_or_else(|e| {
        panic!("{params:?} encodes to {encoded:?}, which does not decode: {e}")
    });
    assert_eq!(back, params, "round trip through {encoded:?}");
    assert_eq!(back.encode(), encoded, "encoding is not a fixed point");
    let json = serde_json::to_vec(&params).expect("serialises");
    cmcc_fuzz::json_round_trip::<ExpandParams>(&json).expect("its own JSON parses");
});
