//! `OneLinkClient` against the in-process sandbox: every method and rejection, the retry rules,
//! the 12021 recovery, token single-flight under 1,000 concurrent calls, transid uniqueness,
//! and a real push decoded (by `cmcc_proto`) and acknowledged end to end.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cmcc_client::onelink::{CachedToken, RequestStyle};
use cmcc_client::{Error, OneLinkClient, TokenStore};
use cmcc_proto::format::parse_transid;
use cmcc_proto::wire::onelink::{
    decode_push, PushAnswer, UrlType, IDENTITY_INFO_PATH, REAL_NAME_REG_PATH,
    REAL_NAME_STATUS_PATH, TOKEN_PATH,
};
use cmcc_proto::{CardId, Phone, Secret};
use cmcc_sandbox::onelink::config::OldTokenPolicy;
use cmcc_testkit::magic::{BLOCKED, FAILS, FRESH, IOV, OTHERS, REGISTERED};
use cmcc_testkit::{
    spawn_sandbox, spawn_sandbox_with, within, SandboxConfig, DEADLINE, DEMO_ENTERPRISE,
};

use crate::support::*;

#[tokio::test]
async fn registration_links_for_urltype_6_3_and_2() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let link = c
        .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap();
    assert!(!link.busi_seq.is_empty());
    assert!(
        link.url
            .starts_with(&format!("{}/onelink/h5/reg/", sb.base_url)),
        "{}",
        link.url
    );
    assert!(link.mini_param.is_none());

    let iccid = CardId::from_fields(None, Some("89860424000000000001"), None).unwrap();
    let phone = Phone::parse(PHONE).unwrap();
    let link = c
        .registration_link(&iccid, UrlType::MiniProgram, Some(&phone))
        .await
        .unwrap();
    let mini = link.mini_param.unwrap();
    assert!(!mini.transaction_id.is_empty());
    assert_ne!(link.busi_seq, "");

    let imsi = CardId::from_fields(None, None, Some("460044000000001")).unwrap();
    let link = c
        .registration_link(&imsi, UrlType::MiniProgramH5, None)
        .await
        .unwrap();
    assert!(link.url.contains("/onelink/h5/reg/"), "2 answers like 6");
    assert_eq!(c.token_fetches(), 1, "one token for every call");
    assert_eq!(journal_count(&sb, TOKEN_PATH), 1);
}

#[tokio::test]
async fn registration_link_rejections() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let h5 = UrlType::H5JumpMiniProgram;
    for (card, code) in [
        (REGISTERED, "12013"),
        (IOV, "12013"),
        (BLOCKED, "12014"),
        (OTHERS, "12011"),
        ("1449999999999", "12011"),
    ] {
        let e = c
            .registration_link(&msisdn(card), h5, None)
            .await
            .unwrap_err();
        assert_onelink(&e, code);
    }
    // One request per card and urlType per minute.
    c.registration_link(&msisdn(FAILS), h5, None).await.unwrap();
    let e = c
        .registration_link(&msisdn(FAILS), h5, None)
        .await
        .unwrap_err();
    assert_onelink(&e, "12012");
    // Withdrawn and unknown urlTypes never leave the process.
    let before = journal_count(&sb, REAL_NAME_REG_PATH);
    for ut in [UrlType::StandardH5, UrlType::XuancaiH5, UrlType::Other(5)] {
        assert!(matches!(
            c.registration_link(&msisdn(FRESH), ut, None)
                .await
                .unwrap_err(),
            Error::Input(_)
        ));
    }
    assert_eq!(journal_count(&sb, REAL_NAME_REG_PATH), before);
}

#[tokio::test]
async fn registration_link_is_never_retried_on_transient_failures() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    c.token().await.unwrap();
    for code in ["13000", "999999"] {
        fault(&sb, REAL_NAME_REG_PATH, Some(code), 0, 1);
        let before = journal_count(&sb, REAL_NAME_REG_PATH);
        let e = c
            .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
            .await
            .unwrap_err();
        assert_onelink(&e, code);
        assert!(e.is_transient());
        assert_eq!(
            journal_count(&sb, REAL_NAME_REG_PATH),
            before + 1,
            "{code}: sent once"
        );
    }
    fault(&sb, REAL_NAME_REG_PATH, Some("http503"), 0, 1);
    let before = journal_count(&sb, REAL_NAME_REG_PATH);
    let e = c
        .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 503, .. }), "{e:?}");
    assert_eq!(journal_count(&sb, REAL_NAME_REG_PATH), before + 1);
    // A slow answer: timed out, not retried (a retry would have been answered at once).
    let slow = onelink_impatient(&sb, Duration::from_millis(300)).await;
    fault(&sb, REAL_NAME_REG_PATH, None, 1_500, 1);
    let e = slow
        .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    // Nothing was registered by all that: the card still gets a link.
    c.registration_link(&msisdn(FRESH), UrlType::MiniProgram, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn identity_info_and_real_name_status_of_the_magic_cards() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let fresh = c.identity_info(&msisdn(FRESH)).await.unwrap();
    assert_eq!(fresh.status, "0");
    assert_eq!(fresh.archive_time, None);
    let reg = c.identity_info(&msisdn(REGISTERED)).await.unwrap();
    assert_eq!(reg.status, "1");
    assert_eq!(reg.registration_type.as_deref(), Some("01"));
    assert_eq!(reg.archive_time.as_deref(), Some("2024-10-21 09:30:00"));
    let iov = c
        .identity_info(&CardId::from_fields(None, Some("89860424000000000006"), None).unwrap())
        .await
        .unwrap();
    assert_eq!(iov.registration_type.as_deref(), Some("04"));
    assert_eq!(
        c.real_name_status(&msisdn(FRESH))
            .await
            .unwrap()
            .real_name_status,
        "0"
    );
    assert_eq!(
        c.real_name_status(&CardId::from_fields(None, None, Some("460044000000002")).unwrap())
            .await
            .unwrap()
            .real_name_status,
        "1"
    );
    for card in [OTHERS, "1449999999999"] {
        assert_onelink(&c.identity_info(&msisdn(card)).await.unwrap_err(), "12011");
        assert_onelink(
            &c.real_name_status(&msisdn(card)).await.unwrap_err(),
            "12011",
        );
    }
    assert_eq!(c.token_fetches(), 1);
}

#[tokio::test]
async fn every_request_style_works() {
    let sb = spawn_sandbox_with(SandboxConfig {
        onelink: cmcc_sandbox::onelink::OneLinkConfig {
            strict_transid: true,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    for style in STYLES {
        let (c, _) = onelink_styled(&sb, style);
        let name = style_name(style);
        assert_eq!(
            c.identity_info(&msisdn(REGISTERED)).await.unwrap().status,
            "1",
            "{name}"
        );
        c.real_name_status(&msisdn(FRESH)).await.unwrap();
        let card = match style {
            RequestStyle::PostJson => UrlType::H5JumpMiniProgram,
            RequestStyle::PostForm => UrlType::MiniProgram,
            RequestStyle::GetQuery => UrlType::MiniProgramH5,
            _ => UrlType::H5JumpMiniProgram,
        };
        c.registration_link(&msisdn(FRESH), card, None)
            .await
            .unwrap();
    }
    // Strict transid checking accepted every transid the client made.
    assert_eq!(journal_codes(&sb, TOKEN_PATH, "12003"), 0);
    assert_eq!(journal_codes(&sb, IDENTITY_INFO_PATH, "12003"), 0);
}

#[tokio::test]
async fn token_fetch_errors_and_retries() {
    let sb = spawn_sandbox().await;
    // Wrong password: 12002, not transient, asked once.
    let mut cfg = onelink_config(&sb);
    cfg.password = Secret::new("wrong-password");
    let (bad, _) = onelink_with(cfg);
    let e = bad.identity_info(&msisdn(FRESH)).await.unwrap_err();
    assert_onelink(&e, "12002");
    assert_eq!(journal_count(&sb, TOKEN_PATH), 1);
    assert_eq!(
        journal_count(&sb, IDENTITY_INFO_PATH),
        0,
        "no call without a token"
    );
    // Busy once: the token fetch (idempotent) is retried.
    let (c, _) = onelink(&sb);
    fault(&sb, TOKEN_PATH, Some("13000"), 0, 1);
    c.identity_info(&msisdn(FRESH)).await.unwrap();
    assert_eq!(c.token_fetches(), 2);
    assert_eq!(journal_count(&sb, TOKEN_PATH), 3);
    // Busy for good: three attempts, then the error.
    let (c, _) = onelink(&sb);
    fault(&sb, TOKEN_PATH, Some("999999"), 0, 10);
    let e = c.real_name_status(&msisdn(FRESH)).await.unwrap_err();
    assert_onelink(&e, "999999");
    assert_eq!(c.token_fetches(), 3);
    assert_eq!(journal_count(&sb, TOKEN_PATH), 6);
    sb.sandbox.core.faults.clear();
    // Endpoint down (bare HTTP 503) once.
    let (c, _) = onelink(&sb);
    fault(&sb, TOKEN_PATH, Some("http503"), 0, 1);
    c.token().await.unwrap();
    assert_eq!(c.token_fetches(), 2);
}

#[tokio::test]
async fn queries_retry_only_transient_failures() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    c.token().await.unwrap();
    for (path, code) in [
        (IDENTITY_INFO_PATH, "13000"),
        (IDENTITY_INFO_PATH, "999999"),
        (IDENTITY_INFO_PATH, "http503"),
        (REAL_NAME_STATUS_PATH, "13000"),
        (REAL_NAME_STATUS_PATH, "http502"),
    ] {
        fault(&sb, path, Some(code), 0, 1);
        let before = journal_count(&sb, path);
        if path == IDENTITY_INFO_PATH {
            c.identity_info(&msisdn(FRESH)).await.unwrap();
        } else {
            c.real_name_status(&msisdn(FRESH)).await.unwrap();
        }
        assert_eq!(journal_count(&sb, path), before + 2, "{path} {code}");
    }
    // Never more than the policy's 3 attempts.
    fault(&sb, IDENTITY_INFO_PATH, Some("13000"), 0, 10);
    let before = journal_count(&sb, IDENTITY_INFO_PATH);
    let e = c.identity_info(&msisdn(FRESH)).await.unwrap_err();
    assert_onelink(&e, "13000");
    assert_eq!(journal_count(&sb, IDENTITY_INFO_PATH), before + 3);
    sb.sandbox.core.faults.clear();
    // A definite answer is not retried.
    let before = journal_count(&sb, IDENTITY_INFO_PATH);
    c.identity_info(&msisdn(OTHERS)).await.unwrap_err();
    assert_eq!(journal_count(&sb, IDENTITY_INFO_PATH), before + 1);
    // Slow once: the timed-out query is sent again and succeeds.
    let slow = onelink_impatient(&sb, Duration::from_millis(300)).await;
    fault(&sb, IDENTITY_INFO_PATH, None, 1_500, 1);
    let t0 = std::time::Instant::now();
    slow.identity_info(&msisdn(FRESH)).await.unwrap();
    assert!(t0.elapsed() < Duration::from_millis(1_400));
    assert_eq!(c.token_fetches(), 1);
}

#[tokio::test]
async fn expired_token_is_refetched_once_and_the_call_retried_once() {
    let sb = spawn_sandbox().await;
    let (c, store) = onelink(&sb);
    c.identity_info(&msisdn(FRESH)).await.unwrap();
    let first = store.get(DEMO_ENTERPRISE).await.unwrap().token;
    // The platform's clock passes the token's hour; the client still believes in it.
    advance(&sb, 3_601);
    c.identity_info(&msisdn(FRESH)).await.unwrap();
    assert_eq!(c.token_fetches(), 2);
    assert_eq!(journal_count(&sb, TOKEN_PATH), 2);
    assert_eq!(journal_codes(&sb, IDENTITY_INFO_PATH, "12021"), 1);
    assert_ne!(store.get(DEMO_ENTERPRISE).await.unwrap().token, first);
    // The same for a registration (rejected before its per-minute window counts).
    advance(&sb, 3_601);
    c.registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap();
    assert_eq!(c.token_fetches(), 3);
    assert_eq!(journal_codes(&sb, REAL_NAME_REG_PATH, "12021"), 1);
    assert_eq!(journal_codes(&sb, REAL_NAME_REG_PATH, "0"), 1);
    // Every token revoked on the platform side.
    let r = cmcc_testkit::http()
        .delete(format!("{}/_sandbox/onelink/tokens", sb.base_url))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    c.real_name_status(&msisdn(FRESH)).await.unwrap();
    assert_eq!(c.token_fetches(), 4);
    assert_eq!(journal_codes(&sb, REAL_NAME_STATUS_PATH, "12021"), 1);
}

#[tokio::test]
async fn a_second_12021_is_returned_never_looped() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    c.token().await.unwrap();
    fault(&sb, IDENTITY_INFO_PATH, Some("12021"), 0, 100);
    let e = c.identity_info(&msisdn(FRESH)).await.unwrap_err();
    let ce = assert_onelink(&e, "12021");
    assert_eq!(ce.message, "TOKEN不存在或已过期，请重新获取");
    assert_eq!(
        journal_count(&sb, IDENTITY_INFO_PATH),
        2,
        "the call and one retry"
    );
    assert_eq!(c.token_fetches(), 2, "one refetch");
    fault(&sb, REAL_NAME_REG_PATH, Some("12021"), 0, 100);
    let e = c
        .registration_link(&msisdn(FRESH), UrlType::H5JumpMiniProgram, None)
        .await
        .unwrap_err();
    assert_onelink(&e, "12021");
    assert_eq!(journal_count(&sb, REAL_NAME_REG_PATH), 2);
    assert_eq!(c.token_fetches(), 3);
    sb.sandbox.core.faults.clear();
    // Under the revoke policy another instance's fetch revokes ours: recovered the same way.
    let sb = spawn_sandbox_with(SandboxConfig {
        onelink: cmcc_sandbox::onelink::OneLinkConfig {
            old_token_policy: OldTokenPolicy::Revoke,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (a, _) = onelink(&sb);
    let (b, _) = onelink_styled(&sb, RequestStyle::PostForm);
    a.token().await.unwrap();
    advance(&sb, 3_601); // `b`'s refresh=0 then gets a new token, revoking `a`'s.
    b.identity_info(&msisdn(FRESH)).await.unwrap();
    a.identity_info(&msisdn(FRESH)).await.unwrap();
    assert_eq!(a.token_fetches(), 2);
}

async fn thousand(c: &Arc<OneLinkClient>) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1_000 {
        let c = c.clone();
        tasks.spawn(async move {
            if i % 2 == 0 {
                c.identity_info(&msisdn(FRESH)).await.map(|_| ())
            } else {
                c.real_name_status(&msisdn(REGISTERED)).await.map(|_| ())
            }
        });
    }
    within("1,000 concurrent calls", Duration::from_secs(60), async {
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_calls_with_a_token_the_platform_expired_fetch_once() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    c.token().await.unwrap();
    assert_eq!(journal_count(&sb, TOKEN_PATH), 1);
    advance(&sb, 3_601);
    thousand(&c).await;
    assert_eq!(
        c.token_fetches(),
        2,
        "exactly one fetch for the 1,000 calls"
    );
    assert_eq!(journal_count(&sb, TOKEN_PATH), 2);
    let rejected = journal_codes(&sb, IDENTITY_INFO_PATH, "12021")
        + journal_codes(&sb, REAL_NAME_STATUS_PATH, "12021");
    let answered = journal_codes(&sb, IDENTITY_INFO_PATH, "0")
        + journal_codes(&sb, REAL_NAME_STATUS_PATH, "0");
    assert_eq!(answered, 1_000);
    assert!((1..=1_000).contains(&rejected), "{rejected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_calls_with_an_expired_cached_token_fetch_once() {
    let sb = spawn_sandbox().await;
    let (c, store) = onelink(&sb);
    store
        .put(
            DEMO_ENTERPRISE,
            CachedToken {
                token: Secret::new("expired-long-ago"),
                expires_at: Utc::now() - chrono::Duration::seconds(1),
            },
        )
        .await;
    thousand(&c).await;
    assert_eq!(c.token_fetches(), 1);
    assert_eq!(journal_count(&sb, TOKEN_PATH), 1);
    assert_eq!(journal_codes(&sb, IDENTITY_INFO_PATH, "12021"), 0);
    // And with an empty cache (a cold start).
    let (cold, _) = onelink(&sb);
    thousand(&cold).await;
    assert_eq!(cold.token_fetches(), 1);
    assert_eq!(journal_count(&sb, TOKEN_PATH), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_ahead_is_done_by_one_caller_and_survives_a_failed_refresh() {
    let sb = spawn_sandbox().await;
    let (c, store) = onelink(&sb);
    let token = c.token().await.unwrap();
    let near = || CachedToken {
        token: Secret::new(token.clone()),
        expires_at: Utc::now() + chrono::Duration::seconds(60),
    };
    // 60 s left, refresh_ahead 300 s: one caller refreshes, the others use the current token.
    store.put(DEMO_ENTERPRISE, near()).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let c = c.clone();
        tasks.spawn(async move { c.identity_info(&msisdn(FRESH)).await });
    }
    within("200 concurrent calls", DEADLINE, async {
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
    })
    .await;
    assert_eq!(c.token_fetches(), 2);
    let cached = store.get(DEMO_ENTERPRISE).await.unwrap();
    assert!(cached.expires_at > Utc::now() + chrono::Duration::seconds(3_000));
    // refresh=0: the platform handed back the same, still valid token.
    assert_eq!(cached.token.expose(), token);
    // The early refresh fails (after its retries): the call still succeeds on the current token.
    store.put(DEMO_ENTERPRISE, near()).await;
    fault(&sb, TOKEN_PATH, Some("13000"), 0, 3);
    c.identity_info(&msisdn(FRESH)).await.unwrap();
    assert_eq!(c.token_fetches(), 5);
    assert_eq!(journal_codes(&sb, IDENTITY_INFO_PATH, "12021"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transids_are_unique_under_concurrency_and_well_formed() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let c = c.clone();
        tasks.spawn(async move { (0..1_000).map(|_| c.next_transid()).collect::<Vec<_>>() });
    }
    let mut all = BTreeSet::new();
    let mut n = 0;
    let made = within("16 tasks making transids", DEADLINE, tasks.join_all()).await;
    for t in made.into_iter().flatten() {
        parse_transid(&t, DEMO_ENTERPRISE).unwrap();
        assert!(t.starts_with(DEMO_ENTERPRISE));
        all.insert(t);
        n += 1;
    }
    assert_eq!(all.len(), n, "16,000 transids, no repeat");
    // Two clients of the same appid (two gateway instances) do not collide either.
    let (other, _) = onelink(&sb);
    let mine: BTreeSet<String> = (0..1_000).map(|_| c.next_transid()).collect();
    assert!((0..1_000).all(|_| !mine.contains(&other.next_transid())));
}

#[tokio::test]
async fn a_real_push_is_parsed_and_acknowledged() {
    use axum::routing::post;
    let sb = spawn_sandbox().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/push",
        post(move |body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                match decode_push(&body) {
                    Ok(records) => {
                        tx.send(records).unwrap();
                        PushAnswer::ok().to_json()
                    }
                    Err(e) => PushAnswer::retry(&e.to_string()).to_json(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = cmcc_testkit::http();
    let r = http
        .post(format!("{}/_sandbox/onelink/enterprises", sb.base_url))
        .json(
            &serde_json::json!({"appid": DEMO_ENTERPRISE, "callbackUrl": format!("http://{addr}/push")}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let (c, _) = onelink(&sb);
    for (card, liveness, ok) in [(FRESH, "pass", true), (FAILS, "pass", false)] {
        let link = c
            .registration_link(&msisdn(card), UrlType::H5JumpMiniProgram, None)
            .await
            .unwrap();
        let r = http
            .post(format!(
                "{}/_sandbox/onelink/registrations/{}/complete",
                sb.base_url, link.busi_seq
            ))
            .json(&serde_json::json!({"name": "测试", "residentId": "11010519491231002X", "liveness": liveness, "custom": "order=42"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let records = within(&format!("the push for {card}"), DEADLINE, rx.recv())
            .await
            .expect("the push receiver is gone");
        assert_eq!(records[0].busi_seq, link.busi_seq);
        assert_eq!(records[0].succeeded(), ok, "{card}");
        assert_eq!(records[0].extra["order"], "42");
    }
    assert_eq!(
        c.identity_info(&msisdn(FRESH)).await.unwrap().status,
        "1",
        "registered now"
    );
}
