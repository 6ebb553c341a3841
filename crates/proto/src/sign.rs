//! Sign strings, built from an explicit field order.
//!
//! The carrier's Java code puts the parameters into a `TreeMap` and concatenates the values in
//! natural order of the names. [`SignString::from_fields`] does exactly that (byte order of the
//! names, which is Java's `String.compareTo` for ASCII names), so there is one place where order
//! is decided; the per-message helpers name their fields.

use crate::crypto::{md5_hex, CryptoError, PrivateKey, PublicKey, SignAlg};
use crate::endpoint::{Endpoint, Signature};
use crate::wire::passport::{H5GetToken, ImeiTokenValidate, MiniGetTokenInfo, VerifyVmMobile};

/// The exact bytes that get signed. `Display` shows them, because when a signature fails the
/// first question is "what string did each side sign?" (`cmcc verify` prints it). None of the
/// signed strings contains a secret except the MD5 pre-image, which is kept in [`Md5SignInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignString(String);

impl SignString {
    /// Concatenate the values ordered by field name, like Java's `TreeMap`.
    pub fn from_fields(fields: &[(&str, &str)]) -> Self {
        let mut sorted: Vec<&(&str, &str)> = fields.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        Self(sorted.iter().map(|(_, v)| *v).collect())
    }
    /// Concatenate values already in signing order.
    pub fn from_ordered<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        Self(values.into_iter().collect())
    }

    /// The values of `sig`'s fields in its order, looked up by wire name in `values` (a name
    /// missing from `values` contributes nothing; tests keep the two in step).
    pub fn for_signature(sig: Signature, values: &[(&str, &str)]) -> Self {
        Self::from_ordered(
            sig.fields()
                .iter()
                .map(|f| values.iter().find(|(n, _)| n == f).map_or("", |(_, v)| *v)),
        )
    }

    /// The string that is signed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The string that is signed, by value.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Base64 MD5withRSA of this string with `key` (the customer's private key): the `sign`
    /// field.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Openssl`] when OpenSSL fails to sign.
    pub fn sign(&self, key: &PrivateKey) -> Result<String, CryptoError> {
        key.sign(SignAlg::Md5WithRsa, self.0.as_bytes())
    }

    /// Check `sign` (base64 MD5withRSA) against this string.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Base64`] when `sign` is not base64; [`CryptoError::Openssl`] when OpenSSL
    /// fails to hash. A wrong signature is `Ok(false)`.
    pub fn verify(&self, key: &PublicKey, sign: &str) -> Result<bool, CryptoError> {
        key.verify(SignAlg::Md5WithRsa, self.0.as_bytes(), sign)
    }
}

impl std::fmt::Display for SignString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// verifyVmMobileApi: `appId + msgId + phoneNum + timestamp + token + version`, where
/// `phoneNum` is the ciphertext as sent and `version` is the header's.
pub fn verify_vm_mobile(
    app_id: &str,
    msg_id: &str,
    phone_num: &str,
    timestamp: &str,
    token: &str,
    version: &str,
) -> SignString {
    SignString::for_signature(
        VerifyVmMobile::METADATA.signature,
        &[
            ("appId", app_id),
            ("msgId", msg_id),
            ("phoneNum", phone_num),
            ("timestamp", timestamp),
            ("token", token),
            ("version", version),
        ],
    )
}

/// imeiTokenValidate (UAID): `appId + msgId + timestamp + token + version`.
pub fn imei_token_validate(
    app_id: &str,
    msg_id: &str,
    timestamp: &str,
    token: &str,
    version: &str,
) -> SignString {
    SignString::for_signature(
        ImeiTokenValidate::METADATA.signature,
        &[
            ("appId", app_id),
            ("msgId", msg_id),
            ("timestamp", timestamp),
            ("token", token),
            ("version", version),
        ],
    )
}

/// The H5 preSign the JSSDK hands the page: `appId + msgId + timestamp + uuid + version`.
pub fn pre_sign(
    app_id: &str,
    msg_id: &str,
    timestamp: &str,
    uuid: &str,
    version: &str,
) -> SignString {
    SignString::for_signature(
        H5GetToken::METADATA.signature,
        &[
            ("appId", app_id),
            ("msgId", msg_id),
            ("timestamp", timestamp),
            ("uuid", uuid),
            ("version", version),
        ],
    )
}

/// The fields of the MD5 sign of getToken / getTokenInfo / UAID getMobile:
/// `MD5(appId + businessType + msgId + timestamp + traceId + version + appKey)`.
#[derive(Clone, Copy)]
pub struct Md5SignInput<'a> {
    /// `appId`: the business's app on the auth platform.
    pub app_id: &'a str,
    /// `businessType` as sent (`5` for mini-program getTokenInfo, `3` for UAID getMobile).
    pub business_type: &'a str,
    /// `msgId` as sent (the getToken family sends it equal to `traceId`).
    pub msg_id: &'a str,
    /// `timestamp` as sent: 17 digits, China time.
    pub timestamp: &'a str,
    /// `traceId` (or `traceid`) as sent.
    pub trace_id: &'a str,
    /// `version` as sent.
    pub version: &'a str,
    /// The app's appKey: the secret suffix of the pre-image, never sent itself.
    pub app_key: &'a str,
}

impl std::fmt::Debug for Md5SignInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Md5SignInput<'_> {
    /// The pre-image without the appKey: the signed fields' values in the definition's order.
    fn fields_part(&self) -> String {
        SignString::for_signature(
            MiniGetTokenInfo::METADATA.signature,
            &[
                ("appId", self.app_id),
                ("businessType", self.business_type),
                ("msgId", self.msg_id),
                ("timestamp", self.timestamp),
                ("traceId", self.trace_id),
                ("version", self.version),
            ],
        )
        .into_string()
    }

    /// Lowercase hex MD5.
    pub fn sign(&self) -> String {
        md5_hex(&(self.fields_part() + self.app_key))
    }

    /// The pre-image with the appKey replaced by `<appKey>`, safe to print or log.
    pub fn redacted(&self) -> String {
        self.fields_part() + "<appKey>"
    }

    /// Compare with a received sign, case-insensitively (the platform accepts either case).
    pub fn matches(&self, received: &str) -> bool {
        self.sign().eq_ignore_ascii_case(received.trim())
    }
}

/// The plaintext of `phoneNum`: `phone + appKey + timestamp` (the header timestamp).
pub fn phone_plaintext(phone: &str, app_key: &str, timestamp: &str) -> String {
    format!("{phone}{app_key}{timestamp}")
}

/// Legacy (keyType 0) `phoneNum`: uppercase hex SHA-256 of `phone + appKey + timestamp`, the
/// scheme of seed 004's example value.
pub fn legacy_phone_num(phone: &str, app_key: &str, timestamp: &str) -> String {
    crate::crypto::sha256_hex_upper(&phone_plaintext(phone, app_key, timestamp))
}

/// Split a decrypted `phoneNum` plaintext back into `(phone, timestamp)` after checking that
/// the middle is this app's appKey. The phone is the first 11 characters, the timestamp the
/// last 17.
pub fn split_phone_plaintext<'a>(plain: &'a str, app_key: &str) -> Option<(&'a str, &'a str)> {
    if plain.len() != 11 + app_key.len() + 17
        || !plain.is_char_boundary(11)
        || !plain.is_char_boundary(plain.len() - 17)
    {
        return None;
    }
    let (phone, rest) = plain.split_at(11);
    let (key, ts) = rest.split_at(app_key.len());
    (key == app_key).then_some((phone, ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_map_order() {
        let s = SignString::from_fields(&[
            ("version", "v"),
            ("appId", "a"),
            ("token", "t"),
            ("timestamp", "s"),
        ]);
        assert_eq!(s.as_str(), "astv");
    }

    #[test]
    fn verify_string_order() {
        let s = verify_vm_mobile("A", "M", "P", "T", "K", "V");
        assert_eq!(s.as_str(), "AMPTKV");
    }

    #[test]
    fn md5_sign_matches_manual() {
        let i = Md5SignInput {
            app_id: "300011580392",
            business_type: "3",
            msg_id: "x",
            timestamp: "20201125101540980",
            trace_id: "x",
            version: "1.0",
            app_key: "KEY",
        };
        assert_eq!(i.sign(), md5_hex("3000115803923x20201125101540980x1.0KEY"));
        assert!(i.matches(&i.sign().to_uppercase()));
        assert!(!format!("{i:?}").contains("KEY"));
    }

    #[test]
    fn seed_004_phone_num_is_legacy_sha256() {
        // The example phoneNum of seed 004 §3.2.1.1.
        assert_eq!(
            legacy_phone_num(
                "13999994444",
                "AA03E6C60D0B0D14320B9A3F0B5AAD99",
                "20121227180001165"
            ),
            "4526285940B6FA7FEF49E1DCB04EE944F41A8745444015DAF2771BFB7AD7C800"
        );
    }

    #[test]
    fn split_plaintext() {
        let p = phone_plaintext("13999994444", "KEY", "20121227180001165");
        assert_eq!(
            split_phone_plaintext(&p, "KEY"),
            Some(("13999994444", "20121227180001165"))
        );
        assert_eq!(split_phone_plaintext(&p, "KEZ"), None);
        assert_eq!(split_phone_plaintext("short", "KEY"), None);
    }
}
