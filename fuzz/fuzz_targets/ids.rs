//! Identifiers as they arrive in requests and pushes: phone numbers, msisdn / iccid / imsi, the
//! "exactly one card id" rule, resident ids, and the decrypted `phoneNum` plaintext split.
//! Whatever is accepted parses again to itself, round-trips through serde, and prints masked.
//!
//! Input: the whole text is tried as each identifier; its first three lines are the msisdn,
//! iccid and imsi fields of `CardId::from_fields`; the first line is also the appKey that
//! `split_phone_plaintext` checks against the rest.
#![no_main]

use cmcc_proto::ids::{mask_number, CardId, Iccid, Imsi, Msisdn, Phone, ResidentId};
use cmcc_proto::sign::split_phone_plaintext;
use libfuzzer_sys::fuzz_target;

/// Parse is idempotent on its own output, serde agrees with parse, and the printed form hides
/// the middle of the value.
macro_rules! check_id {
    ($t:ty, $text:expr) => {
        if let Ok(v) = <$t>::parse($text) {
            assert_eq!(
                <$t>::parse(v.as_str()).as_ref(),
                Ok(&v),
                "parse is idempotent"
            );
            let json = serde_json::to_string(&v).expect("serialises");
            assert_eq!(serde_json::from_str::<$t>(&json).ok().as_ref(), Some(&v));
            let shown = format!("{v} {v:?}");
            if v.as_str().len() > 7 {
                assert!(!shown.contains(v.as_str()), "{shown} shows the whole value");
            }
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let masked = mask_number(text);
    assert_eq!(masked.chars().count(), text.chars().count());

    check_id!(Phone, text);
    if let Ok(p) = Phone::parse(text) {
        assert_eq!(p.as_str().len(), 11);
        assert_eq!(p.masked(), format!("{p}"));
    }
    check_id!(Msisdn, text);
    check_id!(Iccid, text);
    check_id!(Imsi, text);
    if let Ok(r) = ResidentId::parse(text) {
        assert_eq!(ResidentId::parse(r.as_str()).ok().as_ref(), Some(&r));
        assert_eq!(
            ResidentId::check_char(&r.as_str()[..17]),
            r.as_str().chars().last()
        );
        let shown = format!("{r:?}");
        assert!(!shown.contains(&r.as_str()[2..16]), "{shown}");
    }

    let mut lines = text.splitn(4, '\n');
    let (m, i, s) = (lines.next(), lines.next(), lines.next());
    if let Ok(id) = CardId::from_fields(m, i, s) {
        let (m2, i2, s2) = id.fields();
        let again = CardId::from_fields(m2.as_deref(), i2.as_deref(), s2.as_deref());
        assert_eq!(again.as_ref(), Ok(&id), "fields() feeds from_fields");
        assert!(id.to_string().starts_with(id.field()));
    }

    if let Some((key, plain)) = text.split_once('\n') {
        if let Some((phone, ts)) = split_phone_plaintext(plain, key) {
            assert_eq!(format!("{phone}{key}{ts}"), plain);
            assert_eq!((phone.len(), ts.len()), (11, 17));
        }
    }
});
