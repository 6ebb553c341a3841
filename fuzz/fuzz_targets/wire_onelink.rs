//! Every OneLink request and answer as JSON (the envelope of each API, the requests the sandbox
//! reads, the push answer). Each type that accepts the input must round-trip: parse, write,
//! parse gives an equal value, and writing is a fixed point.
#![no_main]

use cmcc_fuzz::{json_round_trip, round_trip_all};
use cmcc_proto::format::MiniParam;
use cmcc_proto::wire::onelink::{
    CardQueryRequest, Envelope, IdentityRegistrationInfo, Push, PushAnswer, RealNameRegRequest,
    RealNameRegResult, RealNameStatus, TokenRequest, TokenResult, UrlType,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    round_trip_all!(data;
        Envelope<TokenResult>, Envelope<IdentityRegistrationInfo>, Envelope<RealNameStatus>,
        Push, PushAnswer, TokenRequest, MiniParam,
    );
    if let Some(env) = json_round_trip::<Envelope<RealNameRegResult>>(data) {
        assert_eq!(env.is_ok(), env.status == "0");
        for r in &env.result {
            // The urlType-3 url and its miniParam are read independently; neither may panic.
            let _ = MiniParam::from_url(&r.url);
        }
    }
    if let Some(req) = json_round_trip::<RealNameRegRequest>(data) {
        let _ = req.card.card_id();
        if let Some(t) = req.url_type() {
            assert_eq!(UrlType::from_code(t.code()), t);
        }
    }
    if let Some(req) = json_round_trip::<CardQueryRequest>(data) {
        if let Ok(id) = req.card.card_id() {
            assert_eq!(
                cmcc_proto::wire::onelink::CardFields::from(&id).card_id(),
                Ok(id)
            );
        }
    }
});
