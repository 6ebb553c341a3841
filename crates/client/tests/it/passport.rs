//! `PassportClient` against the in-process sandbox: every method and every rejection the
//! sandbox can produce for it, surfaced as typed carrier errors with meaning and hint.

use std::time::Duration;

use chrono::Utc;
use cmcc_client::passport::{PassportClient, PassportConfig, TokenGrant, Verification};
use cmcc_client::Error;
use cmcc_proto::format::ExpandParams;
use cmcc_proto::wire::passport as wire;
use cmcc_proto::{Phone, PrivateKey, Secret, Timestamp17};
use cmcc_sandbox::auth::tenant::{AppConfig, Product, DEMO_APP_ID};
use cmcc_testkit::{spawn_sandbox, Sandbox, DEVICE_HEADER};

use crate::support::*;

#[derive(Debug, Clone, Copy)]
enum Fetch {
    H5,
    Mini,
    Uaid,
}

const FETCHES: [Fetch; 3] = [Fetch::H5, Fetch::Mini, Fetch::Uaid];

impl Fetch {
    async fn run(self, c: &PassportClient, expand: &ExpandParams) -> Result<TokenGrant, Error> {
        match self {
            Fetch::H5 => c.h5_get_token(expand, "fp-test").await,
            Fetch::Mini => c.mini_get_token_info(expand).await,
            Fetch::Uaid => c.uaid_get_token(expand).await,
        }
    }
    fn path(self) -> &'static str {
        match self {
            Fetch::H5 => wire::H5_GET_TOKEN_PATH,
            Fetch::Mini => wire::MINI_GET_TOKEN_INFO_PATH,
            Fetch::Uaid => wire::UAID_GET_MOBILE_PATH,
        }
    }
}

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

async fn h5_grant(c: &PassportClient) -> (String, String) {
    let g = c
        .h5_get_token(&ExpandParams::new(), "fp-test")
        .await
        .unwrap();
    (g.token, g.user_information.unwrap())
}

#[tokio::test]
async fn verify_number_match_and_no_match_from_h5_and_mini_tokens() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let (token, ui) = h5_grant(&c).await;
    let out = c.verify_number(&phone(PHONE), &token, &ui).await.unwrap();
    assert_eq!(out.result, Verification::Match);
    assert_eq!(out.code, "000");
    assert_eq!(out.msg_id.len(), 32);

    let g = c.mini_get_token_info(&ExpandParams::new()).await.unwrap();
    let out = c
        .verify_number(
            &phone(OTHER_PHONE),
            &g.token,
            g.user_information.as_deref().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.result, Verification::NoMatch);
    assert_eq!(out.code, "001");
    // The grant's Debug never shows the token.
    assert!(!format!("{g:?}").contains(&g.token));
}

/// What makes a token unusable for a verify, each answered 120020.
#[derive(Debug, Clone, Copy)]
enum BadToken {
    Unknown,
    /// The first verify spends it.
    Used,
    /// userInformation differs from the one bound at getToken.
    OtherFingerprint,
    /// 60 s.
    Expired,
    /// A UAID token is not a verification token.
    UaidToken,
    /// Empty userInformation never reaches the token.
    EmptyFingerprint,
}

#[tokio::test]
async fn verify_number_token_rejections_120020() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    for case in [
        BadToken::Unknown,
        BadToken::Used,
        BadToken::OtherFingerprint,
        BadToken::Expired,
        BadToken::UaidToken,
        BadToken::EmptyFingerprint,
    ] {
        let (token, ui) = match case {
            BadToken::Unknown => ("no-such-token".to_owned(), "fp".to_owned()),
            BadToken::Used => {
                let (token, ui) = h5_grant(&c).await;
                c.verify_number(&phone(PHONE), &token, &ui).await.unwrap();
                (token, ui)
            }
            BadToken::OtherFingerprint => (h5_grant(&c).await.0, "another-fingerprint".into()),
            BadToken::Expired => {
                let grant = h5_grant(&c).await;
                advance(&sb, 61);
                grant
            }
            BadToken::UaidToken => {
                let g = c.uaid_get_token(&ExpandParams::new()).await.unwrap();
                (g.token, "fp".to_owned())
            }
            BadToken::EmptyFingerprint => (h5_grant(&c).await.0, String::new()),
        };
        let e = c
            .verify_number(&phone(PHONE), &token, &ui)
            .await
            .unwrap_err();
        assert_passport_case(&format!("{case:?}"), &e, "120020");
    }
}

#[tokio::test]
async fn verify_number_app_rejections() {
    let sb = spawn_sandbox().await;
    let any = |app: &str| passport_for(&sb, app, Some(PHONE));
    let p = phone(PHONE);

    // Unknown appId: 110022 (keys of the demo app, appId nobody registered).
    let unknown = passport_edited(&sb, |cfg| cfg.app_id = "300099999999".into());
    assert_passport(
        &unknown.verify_number(&p, "t", "fp").await.unwrap_err(),
        "110022",
    );

    let cases: Vec<(&str, String)> = vec![
        (
            "110004",
            variant(&sb, |a| a.server_ips = vec!["10.9.8.7".into()]),
        ),
        (
            "110023",
            variant(&sb, |a| a.entitlements = vec![Product::Uaid]),
        ),
        (
            "110025",
            variant(&sb, |a| {
                a.valid_until = Some(Utc::now() - chrono::Duration::days(1));
            }),
        ),
        (
            "110027",
            variant(&sb, |a| {
                a.valid_from = Some(Utc::now() + chrono::Duration::days(1));
            }),
        ),
        ("110027", variant(&sb, |a| a.available = false)),
        ("111075", variant(&sb, |a| a.usage_limit = Some(0))),
        ("103605", variant(&sb, |a| a.customer_public_key.clear())),
    ];
    for (code, app) in cases {
        let e = any(&app).verify_number(&p, "t", "fp").await.unwrap_err();
        assert_passport_case(&app, &e, code);
    }
    assert!(journal_count(&sb, wire::VERIFY_VM_MOBILE_PATH) >= 8);
}

#[tokio::test]
async fn verify_number_crypto_and_timestamp_rejections() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let p = phone(PHONE);
    let (token, ui) = h5_grant(&c).await;

    struct Case {
        name: &'static str,
        edit: fn(&mut PassportConfig),
        code: &'static str,
        /// Also check that the error says how to fix it.
        hinted: bool,
    }
    for case in [
        Case {
            // phoneNum does not decrypt.
            name: "phoneNum encrypted with a key that is not the platform's",
            edit: |cfg| {
                cfg.platform_key = PrivateKey::generate(1024).unwrap().public_key().unwrap()
            },
            code: "999999",
            hinted: false,
        },
        Case {
            name: "signed with a key that is not the registered customer key",
            edit: |cfg| cfg.customer_key = PrivateKey::generate(1024).unwrap(),
            code: "130018",
            hinted: true,
        },
        Case {
            name: "encrypted with the wrong appKey inside the plaintext",
            edit: |cfg| cfg.app_key = Secret::new("0000000000000000000000000000000F"),
            code: "130016",
            hinted: false,
        },
    ] {
        let e = passport_edited(&sb, case.edit)
            .verify_number(&p, &token, &ui)
            .await
            .unwrap_err();
        let ce = assert_passport_case(case.name, &e, case.code);
        if case.hinted {
            assert!(
                ce.hint().is_some(),
                "{}: a signature failure says how to fix it",
                case.name
            );
        }
    }
    // The token survived all of that (no request reached the token check).
    assert_eq!(
        c.verify_number(&p, &token, &ui).await.unwrap().result,
        Verification::Match
    );
    // The platform's clock is 11 minutes ahead: our timestamp is stale.
    advance(&sb, 660);
    assert_passport(&c.verify_number(&p, "t", "fp").await.unwrap_err(), "105112");
}

#[tokio::test]
async fn verify_number_daily_cap_121011() {
    let sb = spawn_sandbox().await;
    let app = variant(&sb, |a| a.daily_cap = 1);
    let c = passport_for(&sb, &app, Some(PHONE));
    let (token, ui) = h5_grant(&c).await;
    c.verify_number(&phone(PHONE), &token, &ui).await.unwrap();
    let (token, ui) = h5_grant(&c).await;
    assert_passport(
        &c.verify_number(&phone(PHONE), &token, &ui)
            .await
            .unwrap_err(),
        "121011",
    );
}

#[tokio::test]
async fn verify_number_is_never_retried_and_checks_input() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let (token, ui) = h5_grant(&c).await;
    for code in ["999999", "13000"] {
        fault(&sb, wire::VERIFY_VM_MOBILE_PATH, Some(code), 0, 1);
        let before = journal_count(&sb, wire::VERIFY_VM_MOBILE_PATH);
        let e = c
            .verify_number(&phone(PHONE), &token, &ui)
            .await
            .unwrap_err();
        assert_eq!(e.carrier_code(), Some(code));
        assert_eq!(
            journal_count(&sb, wire::VERIFY_VM_MOBILE_PATH),
            before + 1,
            "{code}: a verify spends a single-use token, so it is sent once"
        );
    }
    // The faulted calls never reached the token check: the token is still good.
    assert_eq!(
        c.verify_number(&phone(PHONE), &token, &ui)
            .await
            .unwrap()
            .result,
        Verification::Match
    );
    // Empty token: refused before anything is sent.
    let before = journal_count(&sb, wire::VERIFY_VM_MOBILE_PATH);
    assert!(matches!(
        c.verify_number(&phone(PHONE), " ", &ui).await.unwrap_err(),
        Error::Input(_)
    ));
    assert_eq!(journal_count(&sb, wire::VERIFY_VM_MOBILE_PATH), before);
}

#[tokio::test]
async fn verify_number_times_out() {
    let sb = spawn_sandbox().await;
    let c = passport_edited(&sb, |cfg| cfg.timeout = Duration::from_millis(300));
    fault(&sb, wire::VERIFY_VM_MOBILE_PATH, None, 2_000, 1);
    let t0 = std::time::Instant::now();
    let e = c.verify_number(&phone(PHONE), "t", "fp").await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(e.is_transient());
    assert!(t0.elapsed() < Duration::from_millis(1_500));
    assert!(e.to_string().contains("0.3 s"), "{e}");
}

#[tokio::test]
async fn validate_uaid_and_its_rejections() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let g = c.uaid_get_token(&ExpandParams::new()).await.unwrap();
    let uaid = c.validate_uaid(&g.token).await.unwrap();
    assert_eq!(uaid.len(), 64);
    assert!(uaid.bytes().all(|b| b.is_ascii_hexdigit()));
    // Used and unknown tokens.
    assert_passport(&c.validate_uaid(&g.token).await.unwrap_err(), "120009");
    assert_passport(&c.validate_uaid("nope").await.unwrap_err(), "120009");
    // An H5 token is not a UAID token.
    let (h5, _) = h5_grant(&c).await;
    assert_passport(&c.validate_uaid(&h5).await.unwrap_err(), "120009");
    // Expired (300 s).
    let g = c.uaid_get_token(&ExpandParams::new()).await.unwrap();
    advance(&sb, 301);
    assert_passport(&c.validate_uaid(&g.token).await.unwrap_err(), "120009");
    // getMobile saw no referer/origin: 120010.
    let bare = passport_edited(&sb, |cfg| cfg.headers.retain(|(k, _)| k == DEVICE_HEADER));
    let g = bare.uaid_get_token(&ExpandParams::new()).await.unwrap();
    assert_passport(&bare.validate_uaid(&g.token).await.unwrap_err(), "120010");
    // App-level checks and the signature come before the token.
    let app = |edit: fn(&mut AppConfig)| passport_for(&sb, &variant(&sb, edit), Some(PHONE));
    for (case, client, code) in [
        (
            "unknown appId",
            passport_edited(&sb, |cfg| cfg.app_id = "300099999998".into()),
            "110022",
        ),
        (
            "a server IP not registered",
            app(|a| a.server_ips = vec!["10.9.8.7".into()]),
            "110004",
        ),
        (
            "not entitled to UAID",
            app(|a| a.entitlements = vec![Product::H5]),
            "110023",
        ),
        (
            "entitlement expired",
            app(|a| a.valid_until = Some(Utc::now() - chrono::Duration::days(1))),
            "110022",
        ),
        (
            "signed with another key",
            passport_edited(&sb, |cfg| {
                cfg.customer_key = PrivateKey::generate(1024).unwrap()
            }),
            "130018",
        ),
    ] {
        let e = client.validate_uaid("t").await.unwrap_err();
        assert_passport_case(case, &e, code);
    }
    // Faults: not retried.
    fault(&sb, wire::IMEI_TOKEN_VALIDATE_PATH, Some("999999"), 0, 1);
    let before = journal_count(&sb, wire::IMEI_TOKEN_VALIDATE_PATH);
    assert_passport(&c.validate_uaid("t").await.unwrap_err(), "999999");
    assert_eq!(
        journal_count(&sb, wire::IMEI_TOKEN_VALIDATE_PATH),
        before + 1
    );
    assert!(matches!(
        c.validate_uaid("").await.unwrap_err(),
        Error::Input(_)
    ));
    // Stale timestamp.
    advance(&sb, 700);
    assert_passport(&c.validate_uaid("t").await.unwrap_err(), "105112");
}

#[tokio::test]
async fn token_fetches_answer_the_device_table() {
    let sb = spawn_sandbox().await;
    // (device header, code); None = no device at all.
    let table: [(Option<&str>, &str); 9] = [
        (None, "103111"),
        (Some("13800138000; wifi"), "111002"),
        (Some("1380013800"), "111002"),
        (Some("18612345678"), "111002"),
        (Some("1440123456789"), "103609"),
        (Some("19800000001"), "111002"),
        (Some("19800001001"), "105002"),
        (Some("19800002001"), "103211"),
        (Some("19800003001"), "999999"),
    ];
    for f in FETCHES {
        for (device, code) in table {
            let c = passport_for(&sb, DEMO_APP_ID, device);
            let e = f.run(&c, &ExpandParams::new()).await.unwrap_err();
            let ce = assert_passport(&e, code);
            assert!(!ce.message.is_empty(), "{f:?} {device:?}");
        }
        // A China Mobile 5G number gets a token; so does expandParams phoneNum in test mode.
        let c = passport_for(&sb, DEMO_APP_ID, Some("phone=19812345678, net=5g"));
        let g = f.run(&c, &ExpandParams::new()).await.unwrap();
        assert!(!g.token.is_empty());
        let c = passport_for(&sb, DEMO_APP_ID, None);
        let g = f
            .run(&c, &ExpandParams::new().with("phoneNum", PHONE))
            .await
            .unwrap();
        assert!(!g.token.is_empty(), "{f:?}");
    }
}

#[tokio::test]
async fn token_fetches_answer_app_sign_and_referer_rejections() {
    let sb = spawn_sandbox().await;
    for f in FETCHES {
        let other = match f {
            Fetch::Uaid => Product::H5,
            _ => Product::Uaid,
        };
        for (case, client, code) in [
            (
                "unknown appId",
                passport_edited(&sb, |cfg| cfg.app_id = "300099999997".into()),
                "110022",
            ),
            (
                "not entitled to the product",
                passport_for(
                    &sb,
                    &variant(&sb, |a| a.entitlements = vec![other]),
                    Some(PHONE),
                ),
                "110023",
            ),
            (
                "entitlement expired",
                passport_for(
                    &sb,
                    &variant(&sb, |a| {
                        a.valid_until = Some(Utc::now() - chrono::Duration::days(1));
                    }),
                    Some(PHONE),
                ),
                "110025",
            ),
            (
                // H5 signs with the customer key, the others with appKey.
                "signed with the wrong secret",
                passport_edited(&sb, |cfg| {
                    cfg.app_key = Secret::new("0000000000000000000000000000000F");
                    cfg.customer_key = PrivateKey::generate(1024).unwrap();
                }),
                "103101",
            ),
        ] {
            let e = f.run(&client, &ExpandParams::new()).await.unwrap_err();
            assert_passport_case(&format!("{f:?}, {case}"), &e, code);
        }

        // Per-minute limit.
        let app = variant(&sb, |a| a.rate_limit_per_minute = 1);
        let c = passport_for(&sb, &app, Some(PHONE));
        f.run(&c, &ExpandParams::new()).await.unwrap();
        let e = f.run(&c, &ExpandParams::new()).await.unwrap_err();
        assert_passport(&e, "140005");
        assert!(e.is_transient(), "140005 clears after the minute");

        // A fault is answered in the endpoint's envelope and not retried.
        let c = passport(&sb);
        fault(&sb, f.path(), Some("999999"), 0, 1);
        let before = journal_count(&sb, f.path());
        assert_passport(
            &f.run(&c, &ExpandParams::new()).await.unwrap_err(),
            "999999",
        );
        assert!(journal_count(&sb, f.path()) <= before + 1, "{f:?}");
    }
    // The H5 referer must be registered.
    let e = passport_edited(&sb, |cfg| {
        cfg.headers.retain(|(k, _)| k == DEVICE_HEADER);
        cfg.headers
            .push(("referer".into(), "http://evil.example/login.html".into()));
        cfg.headers
            .push(("origin".into(), "http://evil.example".into()));
    })
    .h5_get_token(&ExpandParams::new(), "fp")
    .await
    .unwrap_err();
    assert_passport(&e, "170001");
    // Platform clock 11 minutes ahead.
    advance(&sb, 660);
    for f in FETCHES {
        let e = f
            .run(&passport(&sb), &ExpandParams::new())
            .await
            .unwrap_err();
        assert_passport(&e, "105112");
    }
}

/// `POST path` with `body` as the page on the device `13800138000` sends it: with the page's
/// referer and, when `origin`, its origin. The answer as JSON.
async fn from_the_page(
    sb: &Sandbox,
    path: &str,
    body: &impl serde::Serialize,
    origin: bool,
) -> serde_json::Value {
    let mut req = cmcc_testkit::http()
        .post(format!("{}{path}", sb.base_url))
        .header(DEVICE_HEADER, PHONE)
        .header("referer", format!("{}/login.html", sb.base_url));
    if origin {
        req = req.header("origin", sb.base_url.clone());
    }
    req.json(body).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn sign_pre_sign_signs_only_fresh_pre_signs_of_our_app() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let s = demo_secrets(&sb);
    let msg_id = cmcc_client::transport::random_id();
    let uuid = cmcc_client::transport::random_id();
    let ts = Timestamp17::from_utc(Utc::now()).to_string();
    let pre = cmcc_proto::sign::pre_sign(&s.app_id, &msg_id, &ts, &uuid, "1.0").into_string();
    let sign = c
        .sign_pre_sign(&pre, Utc::now(), Duration::from_secs(60))
        .unwrap();
    // The page sends the preSign's fields and the server's sign: the platform accepts it.
    let req = wire::H5GetTokenRequest {
        app_id: s.app_id.clone(),
        msg_id,
        timestamp: ts,
        uuid,
        version: "1.0".into(),
        sign,
        expand_params: None,
        user_information: Some("fp".into()),
    };
    let v = from_the_page(&sb, wire::H5_GET_TOKEN_PATH, &req, true).await;
    assert_eq!(v["body"]["resultCode"], "103000", "{v}");

    // Stale (or from the future), another app's, or not a preSign at all: refused.
    let late = Utc::now() + chrono::Duration::seconds(120);
    assert!(matches!(
        c.sign_pre_sign(&pre, late, Duration::from_secs(60)),
        Err(Error::Input(m)) if m.contains("stale")
    ));
    let early = Utc::now() - chrono::Duration::seconds(120);
    assert!(matches!(
        c.sign_pre_sign(&pre, early, Duration::from_secs(60)),
        Err(Error::Input(_))
    ));
    let foreign = pre.replacen(&s.app_id, "300099999999", 1);
    assert!(matches!(
        c.sign_pre_sign(&foreign, Utc::now(), Duration::from_secs(60)),
        Err(Error::Input(_))
    ));
    for junk in ["", "hello", &format!("{}{}", s.app_id, "x".repeat(90))] {
        assert!(matches!(
            c.sign_pre_sign(junk, Utc::now(), Duration::from_secs(60)),
            Err(Error::Input(_))
        ));
    }
}

#[tokio::test]
async fn md5_sign_is_what_the_platform_checks() {
    let sb = spawn_sandbox().await;
    let c = passport(&sb);
    let s = demo_secrets(&sb);
    for (bt, path) in [
        (wire::BUSINESS_TYPE_UAID, wire::UAID_GET_MOBILE_PATH),
        (wire::BUSINESS_TYPE_MINI, wire::MINI_GET_TOKEN_INFO_PATH),
    ] {
        let trace = cmcc_client::transport::random_id();
        let ts = Timestamp17::from_utc(Utc::now()).to_string();
        let sign = c.md5_sign(bt, &trace, &ts, "1.0");
        assert_eq!(sign.len(), 32);
        assert!(!sign.contains(&s.app_key));
        let req = wire::GetTokenRequest {
            trace_id: trace.clone(),
            app_id: s.app_id.clone(),
            sign,
            msg_id: trace,
            expand_params: None,
            business_type: bt.into(),
            version: "1.0".into(),
            timestamp: ts,
            open_type: (bt == wire::BUSINESS_TYPE_MINI).then(|| "1".into()),
            is_test: None,
            user_information: None,
        };
        let v = from_the_page(&sb, path, &req, false).await;
        assert_eq!(v["body"]["resultCode"], "103000", "{bt}: {v}");
    }
}
