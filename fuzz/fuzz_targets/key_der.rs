//! Keys as DER bytes: PKCS#8 or PKCS#1 private keys, X.509 SubjectPublicKeyInfo or PKCS#1
//! public keys (`PrivateKey::from_der`, `PublicKey::from_der`).
#![no_main]

use cmcc_proto::crypto::{PrivateKey, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PrivateKey::from_der(data) {
        cmcc_fuzz::check_private(&key);
    }
    if let Ok(key) = PublicKey::from_der(data) {
        cmcc_fuzz::check_public(&key);
    }
});
