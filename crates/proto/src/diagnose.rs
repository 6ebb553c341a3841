//! Why an MD5withRSA `sign` fails (130018 / 103101): read the digest back out of the signature
//! with the public key, then find what was really signed — another key pair, SHA256withRSA
//! instead of MD5withRSA, a field left out, another field order, `name=value&…`, another version.
//! The sandbox's journal and `cmcc verify` both explain a bad sign with this.

use serde_json::json;

use crate::crypto::{decode_base64_lenient, CryptoError, PublicKey, RecoveredDigest, SignAlg};

/// What the client may have signed: the signed fields by name in the expected order, unsigned
/// fields it may have added, and other strings the caller knows of (label, string).
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// The signed fields as (wire name, value), in the order the carrier concatenates them.
    pub fields: Vec<(&'static str, String)>,
    /// Fields of the request that are not signed, as (wire name, value); each is tried appended
    /// to the signed ones.
    pub extra: Vec<(&'static str, String)>,
    /// Other strings to try as they are, as (label printed when it matches, string).
    pub other: Vec<(String, String)>,
}

/// What the signature turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// Not base64 at all.
    NotBase64(String),
    /// Base64, but not one RSA block of this key's size.
    Length {
        /// Decoded length in bytes.
        len: usize,
        /// The key's block size in bytes.
        block: usize,
    },
    /// It does not open with this public key.
    OtherKey,
    /// It opens, but holds no MD5/SHA-256 DigestInfo.
    NoDigestInfo,
    /// SHA256withRSA; `right_string`: of the expected string.
    Sha256 {
        /// Whether the SHA-256 digest is of the expected string (only the hash is wrong).
        right_string: bool,
    },
    /// MD5withRSA of another string, found among the candidates.
    Signed {
        /// Which mistake it is (`without msgId`, `fields as name=value&…`, a field order, a
        /// caller's label).
        label: String,
        /// The string that was signed.
        string: String,
    },
    /// MD5withRSA of a string that is none of the candidates.
    Unknown,
}

/// A diagnosed signature.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The sign string the signature should have covered.
    pub expected: String,
    /// What the signature turned out to be.
    pub finding: Finding,
    /// The algorithm and digest read back from the signature; `None` when it did not open.
    pub recovered: Option<RecoveredDigest>,
}

/// Diagnose `sign_b64`, which does not verify as MD5withRSA of `expected` with `public`.
pub fn diagnose(public: &PublicKey, expected: &str, sign_b64: &str, c: &Candidates) -> Diagnosis {
    let done = |finding, recovered| Diagnosis {
        expected: expected.to_owned(),
        finding,
        recovered,
    };
    let raw = match decode_base64_lenient(sign_b64) {
        Ok(r) => r,
        Err(e) => return done(Finding::NotBase64(e.to_string()), None),
    };
    let rec = match public.recover_digest(&raw) {
        Ok(r) => r,
        Err(CryptoError::CiphertextLength { len, block }) => {
            return done(Finding::Length { len, block }, None)
        }
        Err(_) => return done(Finding::OtherKey, None),
    };
    let finding = match rec.alg {
        None => Finding::NoDigestInfo,
        Some(SignAlg::Sha256WithRsa) => Finding::Sha256 {
            right_string: rec.matches(expected.as_bytes()),
        },
        Some(SignAlg::Md5WithRsa) => find(&rec, c).map_or(Finding::Unknown, |(label, string)| {
            Finding::Signed { label, string }
        }),
    };
    done(finding, Some(rec))
}

/// The usual mistakes first (a field left out, `name=value&…`, another version, the caller's
/// own), then every order of the fields, with each unsigned field added.
fn find(rec: &RecoveredDigest, c: &Candidates) -> Option<(String, String)> {
    let concat = |set: &[(&'static str, String)]| -> String {
        set.iter().map(|(_, v)| v.as_str()).collect()
    };
    let mut named: Vec<(String, String)> = Vec::new();
    for (i, (name, _)) in c.fields.iter().enumerate() {
        let mut s = c.fields.clone();
        s.remove(i);
        named.push((format!("without {name}"), concat(&s)));
    }
    if !c.fields.is_empty() {
        let pairs: Vec<String> = c.fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
        named.push(("fields as name=value&…".into(), pairs.join("&")));
    }
    for v in ["1.0", "2.0"] {
        if c.fields.iter().any(|(n, x)| *n == "version" && x != v) {
            let s: Vec<_> = c
                .fields
                .iter()
                .map(|(n, x)| {
                    (
                        *n,
                        if *n == "version" {
                            v.to_owned()
                        } else {
                            x.clone()
                        },
                    )
                })
                .collect();
            named.push((format!("version {v} instead of the header's"), concat(&s)));
        }
    }
    named.extend(c.other.iter().cloned());
    if let Some(hit) = named.into_iter().find(|(_, s)| rec.matches(s.as_bytes())) {
        return Some(hit);
    }
    let mut sets = vec![c.fields.clone()];
    for e in &c.extra {
        let mut s = c.fields.clone();
        s.push(e.clone());
        sets.push(s);
    }
    for set in sets.iter().filter(|s| !s.is_empty() && s.len() <= 8) {
        let mut idx: Vec<usize> = (0..set.len()).collect();
        loop {
            let s: String = idx.iter().map(|&i| set[i].1.as_str()).collect();
            if rec.matches(s.as_bytes()) {
                let order = idx
                    .iter()
                    .map(|&i| format!("{}({})", set[i].0, abbreviate(&set[i].1)))
                    .collect::<Vec<_>>()
                    .join(" + ");
                return Some((format!("the fields in this order: {order}"), s));
            }
            if !next_permutation(&mut idx) {
                break;
            }
        }
    }
    None
}

impl Diagnosis {
    /// One sentence.
    pub fn verdict(&self) -> String {
        match &self.finding {
            Finding::NotBase64(e) => format!("the sign is not base64 ({e}); send the standard base64 of the signature bytes"),
            Finding::Length { len, block } => format!(
                "the sign decodes to {len} bytes, but an RSA-{} signature is {block} bytes: it was truncated, double-encoded, or made with a key of another size",
                block * 8
            ),
            Finding::OtherKey => "the signature does not open with the registered public key: it was made with another private key (the registered public key and the signing private key are not a pair), or is not a signature".into(),
            Finding::NoDigestInfo => "the signature holds no MD5/SHA-256 DigestInfo: it was made with raw RSA or another hash".into(),
            Finding::Sha256 { right_string: true } => "the right string was signed with SHA256withRSA; the platform expects MD5withRSA".into(),
            Finding::Sha256 { right_string: false } => "signed with SHA256withRSA; the platform expects MD5withRSA".into(),
            Finding::Signed { label, .. } => format!("right key, wrong string: the client signed {label}"),
            Finding::Unknown => "right key, but the signed string is none of the common mistakes (not any order or subset of the request's fields): sign the values you send, unmodified (no url-encoding, no trimming), and compare with expected_sign_string".into(),
        }
    }

    /// The explanation as lines; those starting `fix:` say what to change.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.recovered.is_some() {
            out.push("the key pair is right: the signature opens with this public key".to_owned());
        }
        out.push(self.verdict());
        match &self.finding {
            Finding::OtherKey => out.push("fix: run `cmcc verify --private-key <your key> --pubkey <registered key> …` to confirm, then register the right public key".into()),
            Finding::Signed { label, .. } => {
                out.push(format!("the signed string was {label}"));
                out.push("fix: concatenate the values in name order (Java TreeMap: appId, msgId, phoneNum, timestamp, token, version), using the header's version and the phoneNum ciphertext exactly as sent".into());
            }
            Finding::Sha256 { .. } => out.push("fix: sign with MD5withRSA".into()),
            _ => {}
        }
        out
    }

    /// The journal's detail: expected and reconstructed strings, the digest read back, verdict.
    pub fn to_json(&self) -> serde_json::Value {
        let reconstructed = match &self.finding {
            Finding::Signed { string, .. } => Some(string.as_str()),
            Finding::Sha256 { right_string: true } => Some(self.expected.as_str()),
            _ => None,
        };
        json!({
            "expected_sign_string": self.expected,
            "reconstructed_sign_string": reconstructed,
            "signed_digest_alg": self.recovered.as_ref().and_then(|r| r.alg).map(SignAlg::jca_name),
            "signed_digest_hex": self.recovered.as_ref().map(|r| hex::encode(&r.digest)),
            "verdict": self.verdict(),
        })
    }
}

fn abbreviate(s: &str) -> String {
    if s.chars().count() > 16 {
        format!("{}…", s.chars().take(12).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn next_permutation(v: &mut [usize]) -> bool {
    let Some(i) = v.windows(2).rposition(|w| w[0] < w[1]) else {
        return false;
    };
    let Some(j) = v.iter().rposition(|&x| x > v[i]) else {
        return false;
    };
    v.swap(i, j);
    v[i + 1..].reverse();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;

    fn fields() -> Vec<(&'static str, String)> {
        ["appId", "msgId", "timestamp", "token", "version"]
            .iter()
            .zip(["300011", "m1", "20240101000000000", "tok", "2.0"])
            .map(|(n, v)| (*n, v.to_owned()))
            .collect()
    }

    #[test]
    fn finds_the_mistake() {
        let key = PrivateKey::generate(1024).expect("key");
        let public = key.public_key().expect("public");
        let c = Candidates {
            fields: fields(),
            ..Default::default()
        };
        let expected: String = c.fields.iter().map(|(_, v)| v.as_str()).collect();
        let d = |signed: &str, alg| {
            let sig = key.sign(alg, signed.as_bytes()).expect("sign");
            diagnose(&public, &expected, &sig, &c)
        };
        let missing = d("300011m120240101000000000tok", SignAlg::Md5WithRsa);
        assert!(missing.verdict().contains("without version"), "{missing:?}");
        let order = d("tok300011m1200240101000000000", SignAlg::Md5WithRsa);
        assert_eq!(order.finding, Finding::Unknown);
        let order = d("tok300011m1202401010000000002.0", SignAlg::Md5WithRsa);
        assert!(
            order.verdict().contains("in this order: token"),
            "{order:?}"
        );
        let sha = d(&expected, SignAlg::Sha256WithRsa);
        assert_eq!(sha.finding, Finding::Sha256 { right_string: true });
        assert_eq!(sha.to_json()["reconstructed_sign_string"], expected);
        let other = PrivateKey::generate(1024).expect("key");
        let sig = other
            .sign(SignAlg::Md5WithRsa, expected.as_bytes())
            .expect("sign");
        let d = diagnose(&public, &expected, &sig, &c);
        assert_eq!(d.finding, Finding::OtherKey);
        assert!(d.lines().iter().any(|l| l.starts_with("fix:")));
        let d = diagnose(&public, &expected, "%%%", &c);
        assert!(matches!(d.finding, Finding::NotBase64(_)));
    }
}
