//! The body of OneLink's real-name result push, as the gateway's push receiver gets it:
//! `decode_push`. Accepted pushes have records whose claim follows `regStatus` strictly and
//! that survive being written and decoded again; refused ones get an error that never quotes
//! the body (it carries card numbers).
#![no_main]

use cmcc_proto::wire::onelink::{
    decode_push, Push, PushClaim, PushDecodeError, REG_STATUS_FAILURE, REG_STATUS_SUCCESS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_push(data) {
        Ok(records) => {
            assert!(!records.is_empty(), "a push without records was accepted");
            for r in &records {
                let want = match r.reg_status.as_str() {
                    REG_STATUS_SUCCESS => PushClaim::Success,
                    REG_STATUS_FAILURE => PushClaim::Failure,
                    _ => PushClaim::Unknown,
                };
                assert_eq!(r.claim(), want);
                assert_eq!(r.succeeded(), want == PushClaim::Success);
                let _ = r.card.card_id();
            }
            let again = serde_json::to_vec(&Push::ok(records.clone())).expect("serialises");
            assert_eq!(decode_push(&again).as_ref(), Ok(&records), "re-decoded");
        }
        Err(e) => {
            let message = e.to_string();
            let shape = message.replace(|c: char| c.is_ascii_digit(), "");
            let known = if let PushDecodeError::Json { kind, .. } = &e {
                ["read", "syntax", "field", "truncated body"].contains(kind)
                    && shape == format!("not a OneLink push ({kind} error at line , column )")
            } else {
                e == PushDecodeError::Empty && shape == "the push has no result record"
            };
            assert!(known, "the error says more than its template: {message}");
        }
    }
});
