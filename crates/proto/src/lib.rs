//! `cmcc-proto`: the protocols of China Mobile's identity capabilities, without I/O.
//!
//! Both sides of the wire use this crate — the SDK and gateway on the business side, the sandbox
//! on the carrier side — so they cannot drift apart. Nothing here opens a socket or reads the
//! clock: time and randomness are arguments.
//!
//! | module | what |
//! |---|---|
//! | [`crypto`] | `RsaUtils`-compatible RSA keys, MD5withRSA, RSA/ECB/PKCS1Padding, tolerant base64, MD5/SHA-256 hex |
//! | [`endpoint`] | one definition per carrier endpoint: platform, host, methods, path, types, signed fields |
//! | [`diagnose`] | why an MD5withRSA sign fails: other key, SHA-256, which string was signed |
//! | [`sign`] | sign strings in the carrier's field order and the MD5 sign of getToken |
//! | [`codes`] | result codes of both platforms with explanations and fix hints |
//! | [`wire`] | request/response types of every endpoint ([`wire::passport`], [`wire::onelink`]) |
//! | [`ids`] | phone, msisdn/iccid/imsi, card id, resident id, secrets — validated, masked |
//! | [`format`](mod@format) | OneLink transid, expandParams, H5 preSign, urlType-3 url ⇄ miniParam |
//! | [`time`] | 17-digit China-time timestamps and the China day |

#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc)]

pub mod codes;
pub mod crypto;
pub mod diagnose;
pub mod endpoint;
pub mod format;
pub mod ids;
pub mod sign;
pub mod time;
pub mod wire;

pub use codes::{Code, CodeInfo, Platform};
pub use crypto::{CryptoError, PrivateKey, PublicKey, RecoveredDigest, SignAlg};
pub use ids::{CardId, Phone, ResidentId, Secret};
pub use time::Timestamp17;
