//! One definition per carrier endpoint: where it lives, how it is called, what it carries and
//! which fields its signature covers.
//!
//! Every endpoint of both platforms is a unit type implementing [`Endpoint`]; the SDK builds its
//! calls from the definition (URL, method, whether a retry is safe) and the sandbox builds its
//! routes from it (path, methods), so the two sides share not only the wire types but the
//! endpoint itself. [`ALL`] lists every definition, for tests and documentation.
//!
//! ```
//! use cmcc_proto::endpoint::{Endpoint, Host, Signature};
//! use cmcc_proto::wire::onelink::QueryIdentityInfo;
//! use cmcc_proto::wire::passport::VerifyVmMobile;
//!
//! assert_eq!(QueryIdentityInfo::METADATA.path, "/v5/ec/query/sim-identity-registration-info");
//! assert_eq!(VerifyVmMobile::METADATA.host, Host::PassportWww);
//! assert!(matches!(VerifyVmMobile::METADATA.signature, Signature::Rsa(f) if f[2] == "phoneNum"));
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codes::Platform;
use crate::sign::SignString;

/// Which of the carriers' hosts serves an endpoint. The SDK maps each to a base URL (the real
/// host, the test host or a sandbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// `www.cmpassport.com`: H5 and mini-program getToken, verification, UAID validation.
    PassportWww,
    /// `verify.cmpassport.com`: UAID's getToken (`/h5/getMobile`).
    PassportVerify,
    /// `api.iot.10086.cn`: OneLink.
    OneLink,
}

/// HTTP method (the carriers use these two only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: parameters in the query string.
    Get,
    /// `POST`: parameters in the body (JSON, or a form for some OneLink callers).
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// What a request's `sign` covers. Field names are the wire names, listed in the order their
/// values are concatenated (the carrier's `TreeMap` order: byte order of the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signature {
    /// Not signed (OneLink authenticates with a token; the JSSDK's own calls carry none).
    None,
    /// Lowercase hex MD5 of the fields' values followed by the appKey (the getToken family).
    Md5WithAppKey(&'static [&'static str]),
    /// Base64 MD5withRSA by the customer's private key over the fields' values.
    Rsa(&'static [&'static str]),
}

impl Signature {
    /// The signed field names, in order (empty when not signed).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::None => &[],
            Self::Md5WithAppKey(f) | Self::Rsa(f) => f,
        }
    }
}

/// Everything about an endpoint except its types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// The carrier's name of the interface (`verifyVmMobileApi`, `CMIOT_API23A23`, …).
    pub name: &'static str,
    /// What it does, in a line.
    pub summary: &'static str,
    /// Where the facts come from: a seed section, or public integrations (docs/PROTOCOL-NOTES.md).
    pub source: &'static str,
    /// The platform that serves it.
    pub platform: Platform,
    /// The host that serves it; the SDK maps it to a base URL.
    pub host: Host,
    /// Methods the platform accepts; the first is the one the SDK uses.
    pub methods: &'static [Method],
    /// The URL path on that host, from the leading `/`.
    pub path: &'static str,
    /// What the request's `sign` covers.
    pub signature: Signature,
    /// Whether a call may be repeated after a transient failure without changing the outcome
    /// (queries); `false` for calls that consume a token or are rate-limited per card.
    pub retry_safe: bool,
}

/// A carrier endpoint: its [`Metadata`] and the types of its request and of its whole answer
/// body (for OneLink, the [`Envelope`](crate::wire::onelink::Envelope) of its records).
pub trait Endpoint {
    /// Where the endpoint lives and how it is called.
    const METADATA: Metadata;
    /// The request as sent (JSON body or query parameters).
    type Request: Serialize + DeserializeOwned;
    /// The whole answer body.
    type Response: Serialize + DeserializeOwned;
}

/// Field access by wire name, for building the sign string of a signed request from its
/// endpoint's [`Signature`]. `None` for a name the request does not have.
pub trait SignedFields {
    /// The value of the field named `wire_name`, as it is sent.
    fn signed_field(&self, wire_name: &str) -> Option<&str>;
}

/// The values of `E`'s signed fields of `req`, concatenated in the definition's order (the MD5
/// appKey suffix is not included: see [`crate::sign::Md5SignInput`]).
///
/// # Panics
/// Never for the definitions of this crate: a test checks that every signed field name of every
/// definition resolves on its request type. A missing name contributes nothing.
pub fn sign_string<E: Endpoint>(req: &E::Request) -> SignString
where
    E::Request: SignedFields,
{
    SignString::from_ordered(
        E::METADATA
            .signature
            .fields()
            .iter()
            .map(|f| req.signed_field(f).unwrap_or_default()),
    )
}

/// Every endpoint defined in this crate.
pub const ALL: &[Metadata] = &[
    crate::wire::passport::H5Image::METADATA,
    crate::wire::passport::H5GetToken::METADATA,
    crate::wire::passport::GetConnection::METADATA,
    crate::wire::passport::MiniGetTokenInfo::METADATA,
    crate::wire::passport::UaidGetMobile::METADATA,
    crate::wire::passport::VerifyVmMobile::METADATA,
    crate::wire::passport::ImeiTokenValidate::METADATA,
    crate::wire::onelink::GetToken::METADATA,
    crate::wire::onelink::IssueRegistrationLink::METADATA,
    crate::wire::onelink::QueryIdentityInfo::METADATA,
    crate::wire::onelink::QueryRealNameStatus::METADATA,
    crate::wire::onelink::QueryCardStatus::METADATA,
    crate::wire::onelink::QueryBasicInfo::METADATA,
    crate::wire::onelink::QueryImei::METADATA,
    crate::wire::onelink::QueryDataUsage::METADATA,
    crate::wire::onelink::QueryDataMargin::METADATA,
    crate::wire::onelink::QuerySessions::METADATA,
    crate::wire::onelink::QueryFunctionStatus::METADATA,
    crate::wire::onelink::ResetGprs::METADATA,
    crate::wire::onelink::ChangeStatus::METADATA,
    crate::wire::onelink::BatchChangeStatus::METADATA,
    crate::wire::onelink::QueryBatchJob::METADATA,
    crate::wire::onelink::SwitchApn::METADATA,
    crate::wire::onelink::QueryBatchCardInfo::METADATA,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_defined_once_per_host() {
        let mut seen = std::collections::HashSet::new();
        for m in ALL {
            assert!(m.path.starts_with('/'), "{}: {}", m.name, m.path);
            assert!(!m.methods.is_empty(), "{}", m.name);
            assert!(seen.insert((m.host, m.path)), "{} defined twice", m.path);
        }
    }

    #[test]
    fn signed_fields_are_in_tree_map_order() {
        for m in ALL {
            let f = m.signature.fields();
            let mut sorted = f.to_vec();
            sorted.sort_unstable();
            assert_eq!(f, sorted.as_slice(), "{}", m.name);
        }
    }

    #[test]
    fn the_host_matches_the_platform() {
        for m in ALL {
            let onelink = m.host == Host::OneLink;
            assert_eq!(onelink, m.platform == Platform::OneLink, "{}", m.name);
        }
    }
}
