//! Keys as text, the way they arrive in config files and CLI arguments: bare base64 of DER
//! (damaged base64 included: URL-safe, no padding, line breaks, spaces for `+`) or PEM
//! (`PRIVATE KEY`, `RSA PRIVATE KEY`, `PUBLIC KEY`, `RSA PUBLIC KEY`).
#![no_main]

use cmcc_proto::crypto::{decode_base64_lenient, encode_base64, PrivateKey, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bytes) = decode_base64_lenient(text) {
        assert!(!bytes.is_empty(), "empty base64 must be an error");
        let canonical = encode_base64(&bytes);
        assert_eq!(
            decode_base64_lenient(&canonical).as_deref(),
            Ok(bytes.as_slice()),
            "standard base64 of the decoded bytes reads back"
        );
    }
    if let Ok(key) = PrivateKey::parse(text) {
        cmcc_fuzz::check_private(&key);
    }
    if let Ok(key) = PublicKey::parse(text) {
        cmcc_fuzz::check_public(&key);
    }
});
