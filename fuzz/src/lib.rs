//! What the fuzz targets share: the JSON round-trip check every wire type must pass.
//!
//! A target fails (panics) only on a broken property, never on input that is merely invalid:
//! bad input must come back as an `Err`, and a value that was accepted must survive being
//! written and read again unchanged.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parse `data` as `T`; if it parses, check the round trip: the value serialises, the compact
/// and the pretty form read back as an equal value, and serialising is a fixed point (what is
/// written once is written the same way again). Returns the parsed value.
pub fn json_round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let first: T = serde_json::from_slice(data).ok()?;
    let text = serde_json::to_string(&first)
        .unwrap_or_else(|e| panic!("{first:?} parsed but does not serialise: {e}"));
    let second: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{first:?} serialises to {text}, which does not parse: {e}"));
    assert_eq!(first, second, "round trip through {text}");
    let again = serde_json::to_string(&second).expect("an equal value serialises");
    assert_eq!(text, again, "serialising is not a fixed point");
    let pretty = serde_json::to_string_pretty(&first).expect("pretty form");
    let third: T = serde_json::from_str(&pretty)
        .unwrap_or_else(|e| panic!("the pretty form {pretty} does not parse: {e}"));
    assert_eq!(first, third, "round trip through the pretty form {pretty}");
    Some(first)
}

/// Feed `data` to [`json_round_trip`] once per listed type.
#[macro_export]
macro_rules! round_trip_all {
    ($data:expr; $($t:ty),+ $(,)?) => {{
        $( let _ = $crate::json_round_trip::<$t>($data); )+
    }};
}

use cmcc_proto::crypto::{PrivateKey, PublicKey};

/// Sizes [`PrivateKey`] and [`PublicKey`] accept.
fn check_bits(bits: u32) {
    assert!(
        (512..=4096).contains(&bits) && bits % 8 == 0,
        "a {bits}-bit key was accepted"
    );
}

/// An accepted private key: its size is one the crate allows, it re-exports as base64 PKCS#8
/// and as PEM, both read back as the same key, and its public half passes [`check_public`].
pub fn check_private(key: &PrivateKey) {
    check_bits(key.bits());
    let Ok(b64) = key.to_base64() else { return };
    let again = PrivateKey::parse(&b64)
        .unwrap_or_else(|e| panic!("the key's own base64 PKCS#8 does not parse: {e}"));
    assert_eq!(again.bits(), key.bits());
    assert_eq!(
        again.to_base64().ok().as_deref(),
        Some(b64.as_str()),
        "export is not a fixed point"
    );
    if let Ok(pem) = key.to_pem() {
        let from_pem = PrivateKey::parse(&pem)
            .unwrap_or_else(|e| panic!("the key's own PEM does not parse: {e}"));
        assert_eq!(from_pem.to_base64().ok().as_deref(), Some(b64.as_str()));
    }
    if let Ok(public) = key.public_key() {
        assert_eq!(public.bits(), key.bits());
        check_public(&public);
    }
}

/// An accepted public key: allowed size, base64 SPKI and PEM exports read back as an equal key,
/// and encrypting and verifying with it return instead of panicking.
pub fn check_public(key: &PublicKey) {
    check_bits(key.bits());
    assert_eq!(key.max_block_plaintext() as u32, key.bits() / 8 - 11);
    if let Ok(b64) = key.to_base64() {
        let again = PublicKey::parse(&b64)
            .unwrap_or_else(|e| panic!("the key's own base64 SPKI does not parse: {e}"));
        assert_eq!(&again, key, "round trip through base64 SPKI");
    }
    if let Ok(pem) = key.to_pem() {
        let again = PublicKey::parse(&pem)
            .unwrap_or_else(|e| panic!("the key's own PEM does not parse: {e}"));
        assert_eq!(&again, key, "round trip through PEM");
    }
    if let Ok(c) = key.encrypt_raw(b"1399999444412345678901234567890120121227180001165") {
        assert_eq!(c.len() as u32, key.bits() / 8, "one block");
    }
    let sig = vec![0x5a; (key.bits() / 8) as usize];
    let _ = key.verify_raw(cmcc_proto::SignAlg::Md5WithRsa, b"x", &sig);
}
