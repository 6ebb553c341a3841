//! `cmcc-client`: typed async clients for every carrier API.
//!
//! | module | what |
//! |---|---|
//! | [`passport`] | [`PassportClient`]: verify a number, validate a UAID token, getToken calls, preSign and MD5 helpers |
//! | [`onelink`] | [`OneLinkClient`]: token cache with single-flight refresh and 12021 recovery, registration links, status queries, fleet APIs and the batch status-change helper (push decoding is in `cmcc_proto::wire::onelink`) |
//! | [`error`] | one error type carrying the carrier's code, its meaning and the fix hint |
//! | [`transport`] | timeouts and the retry policy (only idempotent queries, only transient failures) |
//! | [`base`] | base URLs of production, the carrier's test environment and the sandbox |
//!
//! Secrets (appKey, private keys, the OneLink password and tokens) are never logged; card ids
//! and phone numbers are logged masked.

#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc)]

pub mod base;
pub mod error;
pub mod onelink;
pub mod passport;
pub mod transport;

pub use base::{OneLinkBase, PassportBase};
pub use error::{CarrierError, Error};
pub use onelink::{MemoryTokenStore, OneLinkClient, OneLinkConfig, TokenStore};
pub use passport::{PassportClient, PassportConfig, Verification};
