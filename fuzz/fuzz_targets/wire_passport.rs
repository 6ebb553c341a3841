//! Every request and answer of the auth platform (cmpassport) as JSON: the SDK reads the
//! answers, the sandbox reads the requests. Each type that accepts the input must round-trip
//! (parse, write, parse gives an equal value; writing is a fixed point), and the strings the
//! platform derives from a request (sign strings, the MD5 pre-image) are built without panics.
#![no_main]

use cmcc_fuzz::{json_round_trip, round_trip_all};
use cmcc_proto::wire::passport::{
    GetConnectionRequest, GetConnectionResponse, GetTokenRequest, GetTokenResponse,
    H5GetTokenRequest, H5ImageQuery, H5TokenAnswer, H5TokenEnvelope, ImeiValidateRequest,
    ImeiValidateResponse, VerifyRequest, VerifyResponse,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    round_trip_all!(data;
        GetConnectionRequest, GetConnectionResponse, GetTokenResponse, H5ImageQuery,
        H5TokenAnswer, ImeiValidateResponse, VerifyResponse,
    );
    if let Some(req) = json_round_trip::<GetTokenRequest>(data) {
        let input = req.md5_input("app-key");
        assert!(
            !input.redacted().contains("app-key"),
            "the appKey is printed"
        );
        assert_eq!(input.sign().len(), 32);
    }
    if let Some(req) = json_round_trip::<H5GetTokenRequest>(data) {
        let _ = req.pre_sign();
    }
    if let Some(env) = json_round_trip::<H5TokenEnvelope>(data) {
        let flat = env.flatten(Some("fingerprint".into()));
        let json = serde_json::to_vec(&flat).expect("serialises");
        json_round_trip::<H5GetTokenRequest>(&json).expect("the flat form parses");
        assert_eq!(flat.pre_sign().as_str(), {
            let h = &env.header;
            format!(
                "{}{}{}{}{}",
                h.app_id, h.msg_id, h.timestamp, env.body.uuid, h.version
            )
        });
    }
    if let Some(req) = json_round_trip::<VerifyRequest>(data) {
        let _ = req.sign_string();
    }
    if let Some(req) = json_round_trip::<ImeiValidateRequest>(data) {
        let _ = req.sign_string();
    }
});
