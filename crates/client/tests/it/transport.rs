//! What the clients do when the other side is not the carrier: nothing listening, an HTTP error
//! page, a body that is not the carrier's JSON. A plain axum server stands in for a broken proxy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{StatusCode, Uri};
use cmcc_client::onelink::RequestStyle;
use cmcc_client::{
    Error, MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig, PassportBase,
    PassportClient, PassportConfig,
};
use cmcc_proto::format::ExpandParams;
use cmcc_proto::wire::onelink::{
    UrlType, IDENTITY_INFO_PATH, REAL_NAME_REG_PATH, REAL_NAME_STATUS_PATH, TOKEN_PATH,
};
use cmcc_proto::wire::passport as wire;
use cmcc_proto::{Phone, PrivateKey, Secret};
use cmcc_testkit::magic::FRESH;
use cmcc_testkit::DEMO_ENTERPRISE;

use crate::support::*;

type Hits = Arc<Mutex<BTreeMap<String, usize>>>;

/// A server answering every path with a fixed, broken answer; counts hits per path.
async fn broken_server() -> (String, Hits) {
    let hits: Hits = Arc::default();
    let h = hits.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let h = h.clone();
        async move {
            let path = uri.path().to_owned();
            *h.lock().unwrap().entry(path.clone()).or_default() += 1;
            let ok_token =
                r#"{"status":"0","message":"正确","result":[{"token":"tok-plain","ttl":3600}]}"#;
            let (status, body): (StatusCode, String) = match path.as_str() {
                p if p.starts_with("/empty/") => (
                    StatusCode::OK,
                    r#"{"status":"0","message":"正确","result":[]}"#.into(),
                ),
                TOKEN_PATH => (StatusCode::OK, ok_token.into()),
                IDENTITY_INFO_PATH | REAL_NAME_REG_PATH => (
                    StatusCode::BAD_GATEWAY,
                    "<html>502 Bad Gateway</html>".into(),
                ),
                REAL_NAME_STATUS_PATH => (StatusCode::OK, "<html>please log in</html>".into()),
                wire::VERIFY_VM_MOBILE_PATH => (StatusCode::OK, "{}".into()),
                wire::IMEI_TOKEN_VALIDATE_PATH => (StatusCode::NOT_FOUND, "not found".into()),
                wire::H5_GET_TOKEN_PATH => (StatusCode::OK, "[1,2]".into()),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(500)),
            };
            (status, body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

fn hits(h: &Hits, path: &str) -> usize {
    h.lock().unwrap().get(path).copied().unwrap_or(0)
}

fn onelink_at(base: &str) -> OneLinkClient {
    let mut cfg = OneLinkConfig::new(
        OneLinkBase::sandbox(base),
        DEMO_ENTERPRISE,
        Secret::new("pw"),
    );
    cfg.retry.base_delay = Duration::from_millis(5);
    cfg.timeout = Duration::from_secs(2);
    OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new())).unwrap()
}

fn passport_at(base: &str) -> PassportClient {
    let key = PrivateKey::generate(1024).unwrap();
    let platform = key.public_key().unwrap();
    let mut cfg = PassportConfig::new(
        PassportBase::single(base),
        "300011800001",
        Secret::new("5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D"),
        key,
        platform,
    );
    cfg.timeout = Duration::from_secs(2);
    PassportClient::new(cfg).unwrap()
}

#[tokio::test]
async fn http_errors_are_retried_only_for_queries() {
    let (base, h) = broken_server().await;
    let c = onelink_at(&base);
    let e = c.identity_info(&msisdn(FRESH)).await.unwrap_err();
    assert!(
        matches!(&e, Error::Http { status: 502, snippet, .. } if snippet.contains("Bad Gateway")),
        "{e:?}"
    );
    assert!(e.is_transient());
    assert_eq!(hits(&h, IDENTITY_INFO_PATH), 3, "three attempts");
    let e = c
        .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
    assert_eq!(
        hits(&h, REAL_NAME_REG_PATH),
        1,
        "a registration is sent once"
    );
    // Not JSON: a definite (if wrong) answer, not retried.
    let e = c.real_name_status(&msisdn(FRESH)).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { snippet, .. } if snippet.contains("log in")),
        "{e:?}"
    );
    assert!(!e.is_transient());
    assert_eq!(hits(&h, REAL_NAME_STATUS_PATH), 1);
    assert_eq!(c.token_fetches(), 1);
    // status 0 with no token / no record.
    let empty = onelink_at(&format!("{base}/empty"));
    let e = empty.token().await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { detail, .. } if detail.contains("no token")),
        "{e:?}"
    );
}

#[tokio::test]
async fn passport_answers_that_are_not_the_carrier_envelope() {
    let (base, h) = broken_server().await;
    let c = passport_at(&base);
    let p = Phone::parse(PHONE).unwrap();
    let e = c.verify_number(&p, "t", "fp").await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let e = c.validate_uaid("t").await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 404, .. }), "{e:?}");
    assert!(!e.is_transient());
    let e = c
        .h5_get_token(&ExpandParams::new(), "fp")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let e = c.uaid_get_token(&ExpandParams::new()).await.unwrap_err();
    let Error::Http {
        status: 500,
        snippet,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(snippet.chars().count() <= 201, "snippets are bounded");
    let e = c
        .mini_get_token_info(&ExpandParams::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 500, .. }), "{e:?}");
    // Passport calls are never retried, even on HTTP 5xx.
    assert_eq!(hits(&h, wire::UAID_GET_MOBILE_PATH), 1);
    assert_eq!(hits(&h, wire::VERIFY_VM_MOBILE_PATH), 1);
}

#[tokio::test]
async fn nothing_listening_is_a_network_error() {
    let dead = dead_address().await;
    let c = passport_at(&dead);
    let e = c
        .verify_number(&Phone::parse(PHONE).unwrap(), "t", "fp")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Network { url, .. } if url.starts_with(&dead)),
        "{e:?}"
    );
    assert!(e.is_transient());
    for style in [RequestStyle::PostJson, RequestStyle::GetQuery] {
        let mut cfg = OneLinkConfig::new(
            OneLinkBase::sandbox(&dead),
            DEMO_ENTERPRISE,
            Secret::new("secret-pw"),
        );
        cfg.style = style;
        cfg.retry.base_delay = Duration::from_millis(5);
        let c = OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new())).unwrap();
        let e = c.identity_info(&msisdn(FRESH)).await.unwrap_err();
        assert!(matches!(e, Error::Network { .. }), "{e:?}");
        assert_eq!(c.token_fetches(), 3, "token fetch retried");
        // A GET request carries the password in its query: the error never shows it.
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("secret-pw"), "{shown}");
    }
}

#[test]
fn base_urls() {
    assert_eq!(
        PassportBase::single("http://127.0.0.1:8700/"),
        PassportBase {
            www: "http://127.0.0.1:8700".into(),
            verify: "http://127.0.0.1:8700".into()
        }
    );
    let prod = PassportBase::production();
    assert!(prod.www.starts_with("https://") && prod.verify.starts_with("https://"));
    assert_ne!(prod.www, prod.verify);
    assert!(PassportBase::test_environment().www.starts_with("http://"));
    assert!(OneLinkBase::production().0.starts_with("https://"));
    assert_eq!(
        OneLinkBase::sandbox("http://x/").0,
        "http://x",
        "no double slash"
    );
}
