//! Property tests: every codec round-trips, and no outside input makes anything panic.
//!
//! RSA properties share one key made once ([`key`]) and run few cases, so the suite stays fast
//! in debug builds. Typed-error tests at the end pin which `CryptoError` each misuse gives.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cmcc_proto::crypto::{decode_base64_lenient, encode_base64, CryptoError, MAX_PLAINTEXT};
use cmcc_proto::format::{
    parse_transid, ExpandParams, FormatError, MiniParam, PreSign, TransidGenerator,
};
use cmcc_proto::ids::{mask_number, CardId, Iccid, IdError, Imsi, Msisdn, Phone, ResidentId};
use cmcc_proto::sign;
use cmcc_proto::time::{china, Timestamp17};
use cmcc_proto::wire::{onelink, passport};
use cmcc_proto::{PrivateKey, PublicKey, SignAlg};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::Value;

/// The configuration of every `proptest!` block here: proptest's defaults, with the
/// regressions file beside this source file (`proptests.proptest-regressions`). The default
/// would look for the folder of `main.rs` and use `tests/proptest-regressions/` instead.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// [`config`] with `cases` cases.
fn with_cases(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..config() }
}

// ------------------------------------------------------------------ shared pieces

/// The one RSA-1024 key of this test binary.
fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(1024).expect("generate RSA-1024"))
}

fn public() -> &'static PublicKey {
    static PUBLIC: OnceLock<PublicKey> = OnceLock::new();
    PUBLIC.get_or_init(|| key().public_key().expect("public half"))
}

/// DER (PKCS#8) of [`key`], for mutation.
fn key_der() -> Vec<u8> {
    decode_base64_lenient(&key().to_base64().expect("PKCS#8")).expect("base64")
}

fn alg() -> impl Strategy<Value = SignAlg> {
    prop_oneof![Just(SignAlg::Md5WithRsa), Just(SignAlg::Sha256WithRsa)]
}

/// Instants whose China-time year has four digits (1000..=9999), millisecond precision.
fn instant_ms() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = china()
        .with_ymd_and_hms(1000, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let hi = china()
        .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .unwrap()
        .timestamp_millis()
        + 999;
    (lo..=hi).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
}

fn timestamp17() -> impl Strategy<Value = Timestamp17> {
    instant_ms().prop_map(Timestamp17::from_utc)
}

/// Any string, with an emphasis on short ones and on the characters the formats care about.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9=|&%?+/ _.:-]{0,60}",
        "(%[0-9a-fA-F]{0,2}|[=|&]|\\PC){0,20}",
        "[0-9]{0,45}",
    ]
}

// ------------------------------------------------------------------ expandParams

fn expand_params() -> impl Strategy<Value = ExpandParams> {
    prop::collection::btree_map("(?s).{1,12}", "(?s).{0,16}", 0..6).prop_map(ExpandParams)
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn expand_params_round_trip(p in expand_params()) {
        let encoded = p.encode();
        prop_assert_eq!(ExpandParams::decode(&encoded).unwrap(), p.clone());
        // One `|` per separator: names and values never leak one.
        if !p.is_empty() {
            prop_assert_eq!(encoded.split('|').count(), p.0.len());
            prop_assert!(!encoded.contains(char::is_whitespace));
        }
    }

    #[test]
    fn expand_params_whole_string_encoded_form(p in expand_params()) {
        // The other form seen in practice: the whole `k=v|k=v` string url-encoded once more.
        prop_assume!(!p.is_empty());
        let whole = utf8_percent_encode(&p.encode(), NON_ALPHANUMERIC).to_string();
        prop_assert_eq!(ExpandParams::decode(&whole).unwrap(), p);
    }
}

// ------------------------------------------------------------------ miniParam

fn mini_param() -> impl Strategy<Value = MiniParam> {
    (
        "[0-9]{1,4}",
        "[0-9]{10,30}",
        "[0-9a-f]{1,200}",
        prop::collection::vec(any::<u8>(), 1..300),
    )
        .prop_map(|(request_source, transaction_id, param, sig)| MiniParam {
            param,
            signature: encode_base64(&sig),
            request_source,
            transaction_id,
        })
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn mini_param_url_round_trip(m in mini_param()) {
        let url = m.to_url();
        prop_assert_eq!(&MiniParam::from_url(&url).unwrap(), &m);
        // Behind a page address, and with the base64 characters percent-encoded.
        prop_assert_eq!(&MiniParam::from_url(&format!("https://example.invalid/reg/index.html?{url}")).unwrap(), &m);
        let escaped = url.replace('+', "%2B").replace('/', "%2F").replace("==", "%3D%3D");
        prop_assert_eq!(&MiniParam::from_url(&escaped).unwrap(), &m);
        // Field order does not matter.
        let mut items: Vec<&str> = url.split('&').collect();
        items.reverse();
        prop_assert_eq!(&MiniParam::from_url(&items.join("&")).unwrap(), &m);
        // The signed string covers everything but the signature.
        prop_assert_eq!(m.signed_string(), format!("{}{}{}", m.request_source, m.transaction_id, m.param));
    }
}

// ------------------------------------------------------------------ timestamps

proptest! {
    #![proptest_config(config())]
    #[test]
    fn timestamp17_round_trip(t in instant_ms(), sub_ms_nanos in 0u32..1_000_000) {
        let ts = Timestamp17::from_utc(t);
        let s = ts.to_string();
        prop_assert_eq!(s.len(), 17);
        prop_assert!(s.bytes().all(|b| b.is_ascii_digit()), "{}", s);
        let parsed = Timestamp17::parse(&s).unwrap();
        prop_assert_eq!(parsed, ts);
        prop_assert_eq!(parsed.instant(), t);
        // Below a millisecond is dropped, never rounded up.
        let finer = t + Duration::nanoseconds(i64::from(sub_ms_nanos));
        prop_assert_eq!(Timestamp17::from_utc(finer), ts);
    }

    #[test]
    fn timestamp17_text_round_trip(
        date in (0i64..3_287_181).prop_map(|d| NaiveDate::from_ymd_opt(1000, 1, 1).unwrap() + Duration::days(d)),
        h in 0u32..24, m in 0u32..60, s in 0u32..60, ms in 0u32..1000,
    ) {
        let text = format!("{}{h:02}{m:02}{s:02}{ms:03}", date.format("%Y%m%d"));
        prop_assert_eq!(Timestamp17::parse(&text).unwrap().to_string(), text);
    }

    #[test]
    fn timestamp17_any_digits_parse_only_to_themselves(s in "[0-9]{17}") {
        if let Ok(t) = Timestamp17::parse(&s) {
            prop_assert_eq!(t.to_string(), s);
        }
    }
}

// ------------------------------------------------------------------ preSign

fn pre_sign() -> impl Strategy<Value = PreSign> {
    (
        "(?s).{0,20}",
        "[0-9a-f]{32}",
        timestamp17(),
        "[0-9a-f]{32}",
        "[0-9.]{1,8}",
    )
        .prop_map(|(app_id, msg_id, timestamp, uuid, version)| PreSign {
            app_id,
            msg_id,
            timestamp,
            uuid,
            version,
        })
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn pre_sign_round_trip(p in pre_sign()) {
        let s = p.to_string();
        prop_assert_eq!(&s, &format!("{}{}{}{}{}", p.app_id, p.msg_id, p.timestamp, p.uuid, p.version));
        prop_assert_eq!(PreSign::parse(&s, &p.app_id).unwrap(), p.clone());
        let other_app = format!("{}x", p.app_id);
        prop_assert!(PreSign::parse(&s, &other_app).is_err());
    }
}

// ------------------------------------------------------------------ transid

proptest! {
    #![proptest_config(config())]
    #[test]
    fn transid_generator_output_parses(appid in "[0-9]{1,20}", start in any::<u64>(), t in instant_ms(), n in 1usize..5) {
        let g = TransidGenerator::new(appid.clone(), start);
        prop_assert_eq!(g.appid(), appid.as_str());
        let second = Utc.timestamp_opt(t.timestamp(), 0).unwrap();
        for i in 0..n {
            let id = g.next(t);
            prop_assert_eq!(id.len(), appid.len() + 22, "{}", id);
            let parsed = parse_transid(&id, &appid).unwrap();
            prop_assert_eq!(parsed.time, second);
            prop_assert_eq!(u64::from(parsed.seq), (start % 100_000_000 + i as u64) % 100_000_000);
            // Another appid that is not a prefix never accepts it.
            let longer = format!("{appid}9");
            let rejected = parse_transid(&id, &longer).is_err();
            prop_assert!(rejected || id[appid.len()..].starts_with('9'));
        }
    }
}

// ------------------------------------------------------------------ base64

/// Java's MIME encoder: 76-column lines, CRLF.
fn mime_wrap(s: &str) -> String {
    s.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn base64_lenient_reads_every_damaged_form(bytes in prop::collection::vec(any::<u8>(), 1..400)) {
        let std = encode_base64(&bytes);
        prop_assert_eq!(decode_base64_lenient(&std).unwrap(), bytes.clone());
        let forms = [
            std.replace('+', " "),
            std.trim_end_matches('=').to_owned(),
            mime_wrap(&std),
            format!("{}\r\n", mime_wrap(&std)),
            std.replace('+', "-").replace('/', "_"),
            mime_wrap(&std.replace('+', " ").trim_end_matches('=').replace('/', "_")),
        ];
        for form in forms {
            prop_assert_eq!(decode_base64_lenient(&form).unwrap(), bytes.clone(), "{:?}", form);
        }
    }
}

#[test]
fn base64_lenient_rejects_empty_and_garbage() {
    for s in ["", "=", "==", "\r\n", "a", "abcde", "ab!c", "é"] {
        assert!(
            matches!(decode_base64_lenient(s), Err(CryptoError::Base64(_))),
            "{s:?}"
        );
    }
}

// ------------------------------------------------------------------ RSA

proptest! {
    #![proptest_config(with_cases(32))]

    #[test]
    fn rsa_encrypt_decrypt_round_trip(plain in prop::collection::vec(any::<u8>(), 0..=1000)) {
        let ct = public().encrypt_raw(&plain).unwrap();
        prop_assert_eq!(ct.len(), plain.len().div_ceil(117).max(1) * 128);
        prop_assert_eq!(key().decrypt_raw(&ct).unwrap(), plain);
    }

    #[test]
    fn rsa_encrypt_decrypt_base64_text(text in "(?s).{0,300}") {
        let ct = public().encrypt_base64(&text).unwrap();
        prop_assert_eq!(key().decrypt_base64(&ct).unwrap(), text.clone());
        // The usual transport damage does not matter.
        prop_assert_eq!(key().decrypt_base64(&mime_wrap(&ct.replace('+', " "))).unwrap(), text);
    }

    #[test]
    fn rsa_sign_verify(msg in prop::collection::vec(any::<u8>(), 0..500), a in alg()) {
        let sig = key().sign(a, &msg).unwrap();
        prop_assert_eq!(key().sign(a, &msg).unwrap(), sig.clone(), "deterministic");
        prop_assert_eq!(public().verify(a, &msg, &sig), Ok(true));
        let rec = public().recover_digest(&decode_base64_lenient(&sig).unwrap()).unwrap();
        prop_assert_eq!(rec.alg, Some(a));
        prop_assert!(rec.matches(&msg));
        let mut other = msg.clone();
        other.push(0);
        prop_assert_eq!(public().verify(a, &other, &sig), Ok(false));
    }

    #[test]
    fn phone_plaintext_survives_encryption(phone in "1[0-9]{10}", app_key in "[0-9A-F]{32}", ts in timestamp17()) {
        let ts = ts.to_string();
        let plain = sign::phone_plaintext(&phone, &app_key, &ts);
        let back = key().decrypt_base64(&public().encrypt_base64(&plain).unwrap()).unwrap();
        prop_assert_eq!(sign::split_phone_plaintext(&back, &app_key), Some((phone.as_str(), ts.as_str())));
    }
}

// ------------------------------------------------------------------ ids

proptest! {
    #![proptest_config(config())]
    #[test]
    fn card_ids_round_trip(m in "[0-9]{1,13}", c in "[0-9A-Za-z]{19,20}", i in "[0-9]{6,15}") {
        let msisdn = Msisdn::parse(&m).unwrap();
        prop_assert_eq!(msisdn.as_str(), m.as_str());
        let iccid = Iccid::parse(&c).unwrap();
        prop_assert_eq!(iccid.as_str(), c.to_ascii_uppercase());
        prop_assert_eq!(Iccid::parse(&c.to_ascii_lowercase()).unwrap(), iccid.clone());
        let imsi = Imsi::parse(&format!(" {i}\t")).unwrap();
        prop_assert_eq!(imsi.as_str(), i.as_str());

        prop_assert_eq!(serde_json::from_str::<Msisdn>(&serde_json::to_string(&msisdn).unwrap()).unwrap(), msisdn.clone());
        prop_assert_eq!(serde_json::from_str::<Iccid>(&serde_json::to_string(&iccid).unwrap()).unwrap(), iccid.clone());
        prop_assert_eq!(serde_json::from_str::<Imsi>(&serde_json::to_string(&imsi).unwrap()).unwrap(), imsi.clone());

        for (id, field, value) in [
            (CardId::from_fields(Some(&m), None, None).unwrap(), "msisdn", m.clone()),
            (CardId::from_fields(Some(""), Some(&c), None).unwrap(), "iccid", c.to_ascii_uppercase()),
            (CardId::from_fields(None, Some("  "), Some(&i)).unwrap(), "imsi", i.clone()),
        ] {
            prop_assert_eq!(id.field(), field);
            prop_assert_eq!(id.value(), value.as_str());
            let (a, b, c2) = id.fields();
            prop_assert_eq!(CardId::from_fields(a.as_deref(), b.as_deref(), c2.as_deref()).unwrap(), id.clone());
            prop_assert_eq!(id.to_string(), format!("{field}={}", mask_number(&value)));
            let fields = onelink::CardFields::from(&id);
            prop_assert_eq!(fields.card_id().unwrap(), id.clone());
        }
        prop_assert_eq!(CardId::from_fields(Some(&m), Some(&c), Some(&i)), Err(IdError::CardCount(3)));
    }

    #[test]
    fn card_ids_reject_out_of_range(m in "[0-9]{14,20}", c in "[0-9A-Z]{21,25}", i in "[0-9]{16,20}") {
        prop_assert_eq!(Msisdn::parse(&m), Err(IdError::Msisdn));
        prop_assert_eq!(Iccid::parse(&c), Err(IdError::Iccid));
        prop_assert_eq!(Imsi::parse(&i), Err(IdError::Imsi));
    }

    #[test]
    fn phone_masking_never_reveals_the_middle(p in "1[0-9]{10}") {
        let phone = Phone::parse(&p).unwrap();
        prop_assert_eq!(phone.as_str(), p.as_str());
        let masked = format!("{}****{}", &p[..3], &p[7..]);
        prop_assert_eq!(phone.to_string(), masked.clone());
        prop_assert_eq!(phone.masked(), masked.clone());
        prop_assert_eq!(format!("{phone:?}"), format!("Phone({masked})"));
        prop_assert_eq!(format!("{phone:#?}"), format!("Phone({masked})"));
        // JSON carries the full number (it is wire data) and reads back.
        let json = serde_json::to_string(&phone).unwrap();
        prop_assert_eq!(&json, &format!("\"{p}\""));
        prop_assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), phone);
    }

    #[test]
    fn mask_number_hides_all_but_head_and_tail(s in "\\PC{0,30}") {
        let chars: Vec<char> = s.chars().collect();
        let masked: Vec<char> = mask_number(&s).chars().collect();
        prop_assert_eq!(masked.len(), chars.len());
        if chars.len() <= 7 {
            prop_assert!(masked.iter().all(|c| *c == '*'));
        } else {
            prop_assert_eq!(&masked[..3], &chars[..3]);
            prop_assert_eq!(&masked[masked.len() - 4..], &chars[chars.len() - 4..]);
            prop_assert!(masked[3..masked.len() - 4].iter().all(|c| *c == '*'));
        }
    }

    #[test]
    fn resident_id_check_character(
        area in "[1-6][0-9]{5}",
        birth in (0i64..73_049).prop_map(|d| NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Duration::days(d)),
        seq in "[0-9]{3}",
        wrong in 0usize..10,
    ) {
        let body = format!("{area}{}{seq}", birth.format("%Y%m%d"));
        let check = ResidentId::check_char(&body).unwrap();
        let id = format!("{body}{check}");
        let parsed = ResidentId::parse(&id).unwrap();
        prop_assert_eq!(parsed.as_str(), id.as_str());
        prop_assert!(ResidentId::parse(&id.to_ascii_lowercase()).is_ok());
        let debug = format!("{parsed:?}");
        prop_assert!(!debug.contains(&body[2..16]), "{}", debug);
        let bad = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'].into_iter().filter(|c| *c != check).nth(wrong).unwrap();
        prop_assert_eq!(ResidentId::parse(&format!("{body}{bad}")), Err(IdError::ResidentIdCheck { found: bad, expected: check }));
    }
}

// ------------------------------------------------------------------ wire types round-trip

proptest! {
    #![proptest_config(config())]
    #[test]
    fn verify_request_round_trip(f in prop::collection::vec(any::<String>(), 9)) {
        let req = passport::VerifyRequest {
            header: passport::RequestHeader { version: f[0].clone(), msg_id: f[1].clone(), timestamp: f[2].clone(), app_id: f[3].clone() },
            body: passport::VerifyBody {
                expand_params: f[4].clone(),
                phone_num: f[5].clone(),
                token: f[6].clone(),
                sign: f[7].clone(),
                user_information: f[8].clone(),
            },
        };
        let back: passport::VerifyRequest = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        prop_assert_eq!(&back, &req);
        let expected = format!("{}{}{}{}{}{}", f[3], f[1], f[5], f[2], f[6], f[0]);
        prop_assert_eq!(req.sign_string().into_string(), expected);
    }

    #[test]
    fn push_record_round_trip(
        status in "[0-9]{1,3}",
        (card, number) in prop_oneof![
            Just(("msisdn", "1440292201313")),
            Just(("iccid", "898604293620C0000970")),
            Just(("imsi", "460044922001084")),
        ],
        extra in prop::collection::btree_map("[a-z]{1,8}x", any::<String>(), 0..4),
    ) {
        let mut record = serde_json::json!({"regStatus": status, "regMsg": "ok", "busiSeq": "55120240920144848065420", card: number});
        for (k, v) in &extra {
            record[k] = Value::String(v.clone());
        }
        let push: onelink::Push = serde_json::from_value(serde_json::json!({"status": 0, "message": "", "result": record})).unwrap();
        let r = &push.result[0];
        prop_assert_eq!(&r.reg_status, &status);
        prop_assert_eq!(r.extra.len(), extra.len());
        prop_assert_eq!(r.card.card_id().unwrap().field(), card);
        let back: onelink::Push = serde_json::from_str(&serde_json::to_string(&push).unwrap()).unwrap();
        prop_assert_eq!(back, push);
    }
}

// ------------------------------------------------------------------ bad input never panics

proptest! {
    #![proptest_config(config())]
    #[test]
    fn key_parsers_never_panic(s in nasty_string()) {
        let _ = PrivateKey::parse(&s);
        let _ = PublicKey::parse(&s);
        let _ = PrivateKey::parse(&format!("-----BEGIN PRIVATE KEY-----\n{s}\n-----END PRIVATE KEY-----\n"));
        let _ = PublicKey::parse(&format!("-----BEGIN RSA PUBLIC KEY-----\n{s}\n-----END RSA PUBLIC KEY-----\n"));
    }

    #[test]
    fn key_parsers_never_panic_on_der(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let b64 = encode_base64(&bytes);
        let _ = PrivateKey::parse(&b64);
        let _ = PublicKey::parse(&b64);
        let _ = PrivateKey::from_der(&bytes);
        let _ = PublicKey::from_der(&bytes);
    }

    #[test]
    fn key_parsers_never_panic_on_damaged_keys(cut in 0usize..700, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut der = key_der();
        for (at, x) in flips {
            let i = at.index(der.len());
            der[i] ^= x;
        }
        der.truncate(cut);
        if let Ok(k) = PrivateKey::from_der(&der) {
            // Whatever parsed must still be usable without panicking.
            let _ = k.sign(SignAlg::Md5WithRsa, b"x");
            let _ = k.decrypt_raw(&[0u8; 128]);
        }
        let _ = PublicKey::from_der(&der);
    }

    #[test]
    fn decrypt_never_panics(s in nasty_string(), block in prop::collection::vec(any::<u8>(), 128..=128)) {
        let _ = key().decrypt_base64(&s);
        let _ = key().decrypt_raw(&block);
        let _ = key().decrypt_base64(&encode_base64(&block));
        let _ = key().decrypt_base64(&encode_base64(&[block.clone(), block.clone()].concat()));
    }

    #[test]
    fn verify_never_panics(s in nasty_string(), data in any::<Vec<u8>>(), raw in prop::collection::vec(any::<u8>(), 0..260), a in alg()) {
        let _ = public().verify(a, &data, &s);
        prop_assert_eq!(public().verify_raw(a, &data, &raw), Ok(false));
        let _ = public().recover_digest(&raw);
        let _ = sign::SignString::from_fields(&[("k", &s)]).verify(public(), &s);
    }

    #[test]
    fn format_parsers_never_panic(s in nasty_string(), prefix in nasty_string()) {
        let _ = Timestamp17::parse(&s);
        let _ = cmcc_proto::time::parse_archive_time(&s);
        let _ = parse_transid(&s, &prefix);
        let _ = parse_transid(&format!("{prefix}{s}"), &prefix);
        let _ = ExpandParams::decode(&s);
        let _ = MiniParam::from_url(&s);
        let _ = PreSign::parse(&s, &prefix);
        let _ = PreSign::parse(&format!("{prefix}{s}"), &prefix);
        let _ = sign::split_phone_plaintext(&s, &prefix);
    }

    #[test]
    fn digit_strings_never_panic(d in "[0-9]{17}", t in "[0-9]{22}", appid in "[0-9]{0,20}") {
        let _ = Timestamp17::parse(&d);
        let _ = parse_transid(&format!("{appid}{t}"), &appid);
        let ascii_tail = format!("{d}{t}{d}{t}{t}");
        let _ = PreSign::parse(&format!("{appid}{ascii_tail}"), &appid);
    }

    #[test]
    fn id_parsers_never_panic(s in nasty_string(), r in "[0-9Xx ]{16,20}") {
        let _ = ResidentId::parse(&s);
        if let Ok(id) = ResidentId::parse(&r) {
            let _ = format!("{id:?}");
        }
        let _ = Phone::parse(&s);
        let _ = Msisdn::parse(&s);
        let _ = Iccid::parse(&s);
        let _ = Imsi::parse(&s);
        let _ = CardId::from_fields(Some(&s), None, None);
        let _ = CardId::from_fields(None, Some(&s), None);
        let _ = CardId::from_fields(None, None, Some(&s));
        let _ = mask_number(&s);
    }
}

/// Field names of every wire type, so generated JSON reaches past the first unknown key.
const FIELDS: &[&str] = &[
    "header",
    "body",
    "version",
    "version ",
    "msgId",
    "msgId ",
    "timestamp",
    "appId",
    "appId ",
    "traceId",
    "traceid",
    "sign",
    "expandParams",
    "businessType",
    "openType",
    "isTest",
    "uuid",
    "userInformation",
    "resultCode",
    "resultCoode",
    "resultDesc",
    "token",
    "phoneNum",
    "taskId",
    "UAID",
    "status",
    "message",
    "result",
    "ttl",
    "appid",
    "password",
    "transid",
    "refresh",
    "msisdn",
    "iccid",
    "imsi",
    "userPhone",
    "urlType",
    "busiSeq",
    "url",
    "miniParam",
    "param",
    "signature",
    "requestSource",
    "transactionID",
    "regStatus",
    "regMsg",
    "identityRegistrationStatus",
    "identityRegistrationType",
    "archiveTime",
    "realNameStatus",
    "success",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[0-9]{1,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let name = prop_oneof![4 => prop::sample::select(FIELDS).prop_map(str::to_owned), 1 => any::<String>()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(name, inner, 0..8).prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Parse `v` (as a value and as text) into `T`; whatever parses must round-trip.
fn wire_case<T>(v: &Value) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = v.to_string();
    let from_text = serde_json::from_str::<T>(&text);
    let from_value = serde_json::from_value::<T>(v.clone());
    prop_assert_eq!(from_text.is_ok(), from_value.is_ok(), "{}", text);
    if let Ok(t) = from_text {
        let again = serde_json::from_str::<T>(&serde_json::to_string(&t).expect("serializes"));
        prop_assert_eq!(again.as_ref().ok(), Some(&t), "round trip of {}", text);
    }
    Ok(())
}

fn all_wire_types(v: &Value) -> Result<(), TestCaseError> {
    wire_case::<passport::GetTokenRequest>(v)?;
    wire_case::<passport::H5GetTokenRequest>(v)?;
    wire_case::<passport::GetTokenResponse>(v)?;
    wire_case::<passport::VerifyRequest>(v)?;
    wire_case::<passport::VerifyResponse>(v)?;
    wire_case::<passport::ImeiValidateRequest>(v)?;
    wire_case::<passport::ImeiValidateResponse>(v)?;
    wire_case::<onelink::TokenRequest>(v)?;
    wire_case::<onelink::Envelope<onelink::TokenResult>>(v)?;
    wire_case::<onelink::RealNameRegRequest>(v)?;
    wire_case::<onelink::Envelope<onelink::RealNameRegResult>>(v)?;
    wire_case::<onelink::Push>(v)?;
    wire_case::<onelink::PushAnswer>(v)?;
    wire_case::<onelink::CardQueryRequest>(v)?;
    wire_case::<onelink::Envelope<onelink::IdentityRegistrationInfo>>(v)?;
    wire_case::<onelink::Envelope<onelink::RealNameStatus>>(v)?;
    wire_case::<MiniParam>(v)?;
    wire_case::<ExpandParams>(v)?;
    wire_case::<Phone>(v)?;
    wire_case::<Msisdn>(v)?;
    wire_case::<Iccid>(v)?;
    wire_case::<Imsi>(v)?;
    Ok(())
}

proptest! {
    #![proptest_config(with_cases(512))]

    #[test]
    fn wire_types_never_panic_on_any_json(v in json_value()) {
        all_wire_types(&v)?;
        // Also one level down, as a body inside an envelope or header.
        all_wire_types(&serde_json::json!({"header": v.clone(), "body": v.clone(), "status": "0", "result": v}))?;
    }

    #[test]
    fn wire_types_never_panic_on_any_text(s in nasty_string()) {
        let _ = serde_json::from_str::<passport::VerifyRequest>(&s);
        let _ = serde_json::from_str::<passport::ImeiValidateResponse>(&s);
        let _ = serde_json::from_str::<onelink::Push>(&s);
        let _ = serde_json::from_str::<onelink::Envelope<onelink::RealNameRegResult>>(&s);
        let _ = serde_json::from_str::<onelink::Envelope<onelink::TokenResult>>(&s);
    }
}

// ------------------------------------------------------------------ typed errors

fn is_key_error(r: Result<impl std::fmt::Debug, CryptoError>, kind: &str) -> bool {
    matches!(r, Err(CryptoError::Key { kind: k, .. }) if k == kind)
}

#[test]
fn truncated_keys_are_key_errors() {
    let pub_b64 = public().to_base64().unwrap();
    let priv_b64 = key().to_base64().unwrap();
    // Cut on a 4-character boundary: valid base64, broken DER.
    assert!(is_key_error(PublicKey::parse(&pub_b64[..100]), "public"));
    assert!(is_key_error(PrivateKey::parse(&priv_b64[..400]), "private"));
    // Cut elsewhere: not even base64.
    assert!(matches!(
        PublicKey::parse(&pub_b64[..101]),
        Err(CryptoError::Base64(_))
    ));
    assert!(matches!(
        PrivateKey::parse(&priv_b64[..401]),
        Err(CryptoError::Base64(_))
    ));
    assert!(matches!(PublicKey::parse(""), Err(CryptoError::Base64(_))));
    // A PEM with its body cut.
    let pem = public().to_pem().unwrap();
    let cut = format!("{}\n-----END PUBLIC KEY-----\n", &pem[..pem.len() / 2]);
    assert!(is_key_error(PublicKey::parse(&cut), "public"));
}

#[test]
fn the_wrong_half_of_a_key_pair_is_a_key_error() {
    let pub_b64 = public().to_base64().unwrap();
    let priv_b64 = key().to_base64().unwrap();
    assert!(is_key_error(PrivateKey::parse(&pub_b64), "private"));
    assert!(is_key_error(PublicKey::parse(&priv_b64), "public"));
    assert!(is_key_error(
        PrivateKey::parse(&public().to_pem().unwrap()),
        "private"
    ));
    assert!(is_key_error(
        PublicKey::parse(&key().to_pem().unwrap()),
        "public"
    ));
    let detail = match PrivateKey::parse(&pub_b64) {
        Err(CryptoError::Key { detail, .. }) => detail,
        other => panic!("{other:?}"),
    };
    assert!(
        detail.contains("public key given"),
        "the message names the likely mistake: {detail}"
    );
}

#[test]
fn key_sizes_outside_the_accepted_range_are_refused() {
    // Any multiple of 8 from 512 to 4096 is accepted (1000 too); nothing else is.
    for bits in [256, 511, 1001, 4104, 8192] {
        assert_eq!(
            PrivateKey::generate(bits).unwrap_err(),
            CryptoError::KeySize(bits)
        );
    }
}

#[test]
fn oversized_plaintext_is_refused() {
    let too_long = vec![b'x'; MAX_PLAINTEXT + 1];
    assert_eq!(
        public().encrypt_raw(&too_long),
        Err(CryptoError::PlaintextTooLong {
            len: MAX_PLAINTEXT + 1,
            max: MAX_PLAINTEXT
        })
    );
    let text = "x".repeat(MAX_PLAINTEXT + 1);
    assert!(matches!(
        public().encrypt_base64(&text),
        Err(CryptoError::PlaintextTooLong { .. })
    ));
    // The limit itself is fine.
    let at_limit = vec![b'y'; MAX_PLAINTEXT];
    assert_eq!(
        key()
            .decrypt_raw(&public().encrypt_raw(&at_limit).unwrap())
            .unwrap(),
        at_limit
    );
}

#[test]
fn ciphertext_of_wrong_length_is_refused() {
    for len in [0, 1, 100, 127, 129, 255] {
        assert_eq!(
            key().decrypt_raw(&vec![7u8; len]),
            Err(CryptoError::CiphertextLength { len, block: 128 }),
            "{len}"
        );
    }
    assert_eq!(
        key().decrypt_base64(&encode_base64(&[1u8; 100])),
        Err(CryptoError::CiphertextLength {
            len: 100,
            block: 128
        })
    );
    assert_eq!(
        public().recover_digest(&[0u8; 127]),
        Err(CryptoError::CiphertextLength {
            len: 127,
            block: 128
        })
    );
    // An empty phoneNum (what the JDK chunk loop makes of an empty plaintext) is not base64 here.
    assert!(matches!(
        key().decrypt_base64(""),
        Err(CryptoError::Base64(_))
    ));
}

#[test]
fn ciphertext_for_another_key_does_not_decrypt() {
    let other = PrivateKey::generate(1024).unwrap();
    let ct = other
        .public_key()
        .unwrap()
        .encrypt_raw(b"13999994444")
        .unwrap();
    let r = key().decrypt_raw(&ct);
    assert_ne!(r.as_deref(), Ok(&b"13999994444"[..]));
    // OpenSSL 3.2+ answers a bad PKCS#1 v1.5 block with a pseudo-random plaintext ("implicit
    // rejection") instead of an error; before that, the error is `Decrypt`.
    if openssl::version::number() < 0x3020_0000 {
        assert_eq!(r, Err(CryptoError::Decrypt));
        assert_eq!(
            key().decrypt_base64(&encode_base64(&ct)),
            Err(CryptoError::Decrypt)
        );
    }
}

#[test]
fn non_utf8_plaintext_is_a_utf8_error() {
    let ct = public().encrypt_raw(&[0xff, 0xfe, 0x80]).unwrap();
    assert_eq!(
        key().decrypt_base64(&encode_base64(&ct)),
        Err(CryptoError::Utf8)
    );
}

#[test]
fn malformed_json_is_a_serde_error() {
    let e = serde_json::from_str::<passport::VerifyRequest>(r#"{"header":"#).unwrap_err();
    assert!(e.is_eof(), "{e}");
    let e = serde_json::from_str::<passport::VerifyRequest>("{header: 1}").unwrap_err();
    assert!(e.is_syntax(), "{e}");
    let e = serde_json::from_str::<passport::VerifyRequest>(r#"{"body":{}}"#).unwrap_err();
    assert!(e.is_data() && e.to_string().contains("header"), "{e}");
    let e =
        serde_json::from_str::<passport::VerifyResponse>(r#"{"header":{},"body":{}}"#).unwrap_err();
    assert!(e.is_data() && e.to_string().contains("resultCode"), "{e}");
    let e = serde_json::from_str::<onelink::Envelope<onelink::TokenResult>>(
        r#"{"status":"0","result":[{"token":"t","ttl":"soon"}]}"#,
    )
    .unwrap_err();
    // A data error, though not one that names `ttl`: `result` is read through an untagged
    // one-or-many enum, which replaces the inner message with "did not match any variant".
    assert!(e.is_data(), "{e}");
    let e = serde_json::from_str::<onelink::Push>(r#"{"status":"0","result":[{"regStatus":"1"}]}"#)
        .unwrap_err();
    assert!(e.is_data(), "{e}");
    let e = serde_json::from_str::<onelink::Envelope<onelink::RealNameRegResult>>(
        r#"{"message":"x","result":[]}"#,
    )
    .unwrap_err();
    assert!(e.is_data() && e.to_string().contains("status"), "{e}");
    let e = serde_json::from_str::<Phone>(r#""23999994444""#).unwrap_err();
    assert!(e.is_data(), "{e}");
    // Accepted variants, for contrast: numbers where strings are expected, result as one object.
    let ok: onelink::Envelope<onelink::TokenResult> =
        serde_json::from_str(r#"{"status":0,"result":{"token":"t","ttl":"3600"}}"#).unwrap();
    assert_eq!((ok.status.as_str(), ok.result[0].ttl), ("0", 3600));
}

#[test]
fn format_errors_are_typed() {
    assert!(matches!(
        ExpandParams::decode("novalue"),
        Err(FormatError::ExpandParams(_))
    ));
    assert!(matches!(
        ExpandParams::decode("=v"),
        Err(FormatError::ExpandParams(_))
    ));
    assert_eq!(
        MiniParam::from_url("requestSource=1&transactionID=2&param=3"),
        Err(FormatError::MiniParamMissing("signature"))
    );
    assert_eq!(
        MiniParam::from_url("requestSource=1&transactionID=&param=3&signature=s"),
        Err(FormatError::MiniParamMissing("transactionID"))
    );
    assert!(matches!(
        parse_transid("x", "x"),
        Err(FormatError::Transid(_))
    ));
    assert!(matches!(
        PreSign::parse("abc", "abc"),
        Err(FormatError::PreSign(_))
    ));
}

/// chrono reads second `60` as a leap second at any minute; such an instant would not survive
/// `Timestamp17::from_utc`, and no carrier sends second 60, so the parsers reject it.
#[test]
fn second_60_is_rejected() {
    assert!(Timestamp17::parse("20240101123460000").is_err());
    assert!(parse_transid("123452024010112346000000001", "12345").is_err());
    assert!(cmcc_proto::time::parse_archive_time("2024-01-01 12:34:60").is_err());
}
