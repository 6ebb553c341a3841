//! The gateway against the sandbox, both real HTTP servers in this process: verification with
//! the daily cap and audits, UAID, registration links through the registration page's push to
//! stored state, reconciliation, and two instances sharing PostgreSQL + Redis. (Push trust is
//! in `trust.rs`, webhooks in `webhooks.rs`.)

use cmcc_proto::wire::onelink::TOKEN_PATH;
use cmcc_proto::wire::passport::VERIFY_VM_MOBILE_PATH;
use cmcc_testkit::{backends, eventually_true, within, DEADLINE};
use serde_json::json;

use crate::support::{link, redis, Sys};

#[tokio::test]
async fn verification_match_mismatch_errors_cap_and_audit() {
    let sys = Sys::start().await;
    let gw = sys.gateway(|c| c.limits.daily_cap_per_number = 3).await;

    let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["verified"].as_bool(), v["code"].as_str()),
        (200, Some(true), Some("000")),
        "{v}"
    );

    let (s, v, (token, ui)) = sys.verify(&gw, "13800138000", "13900139000").await;
    assert_eq!(
        (s, v["verified"].as_bool(), v["code"].as_str()),
        (200, Some(false), Some("001")),
        "{v}"
    );

    // A spent token: the carrier's code with its meaning, not counted toward the cap.
    let (s, v) = gw
        .post(
            "/v1/verify",
            &json!({"phone": "13800138000", "token": token, "userInformation": ui}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("120020")),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("120020"));

    // Cap 3 per number (the typed one): 13800138000 has one billed result so far, two more
    // pass, the next is stopped before the carrier is called.
    for _ in 0..2 {
        let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
        assert_eq!(s, 200, "{v}");
    }
    let before = sys.journal_count(VERIFY_VM_MOBILE_PATH);
    let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("daily_cap")),
        "{v}"
    );
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("other login"),
        "{v}"
    );
    assert_eq!(
        sys.journal_count(VERIFY_VM_MOBILE_PATH),
        before,
        "the carrier was not called"
    );

    // Every verification is audited, with the number masked.
    let audits = gw.run.state().unwrap().store.audits(100).await.unwrap();
    let codes: Vec<&str> = audits.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(audits.len(), 6, "{codes:?}");
    for code in ["000", "001", "120020", "daily_cap"] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    for a in &audits {
        let m = a.phone_masked.as_deref().unwrap();
        assert!(m.contains("****") && !m.contains("13800138000"), "{m}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn uaid_is_validated_through_the_gateway() {
    let sys = Sys::start().await;
    let gw = sys.gateway(|_| {}).await;
    let token = sys.uaid_token("13800138000").await;
    let (s, v) = gw.post("/v1/uaid", &json!({"token": token})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["uaid"].as_str().unwrap().len(), 64);
    // Single use: the carrier's 120009 comes back with its code.
    let (s, v) = gw.post("/v1/uaid", &json!({"token": token})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("120009")),
        "{v}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn registration_link_page_push_and_stored_state() {
    let sys = Sys::start().await;
    let gw = sys.gateway(|_| {}).await;
    sys.push_to(&gw).await;

    let (s, issued) = gw
        .post(
            "/v1/registrations",
            &json!({"msisdn": "1440000000001", "urlType": 6}),
        )
        .await;
    assert_eq!(s, 200, "{issued}");
    let busi = issued["busiSeq"].as_str().unwrap().to_owned();
    assert!(issued["url"]
        .as_str()
        .unwrap()
        .starts_with(&sys.sbx.base_url));
    let card = "/v1/cards/msisdn/1440000000001";
    let (_, st) = gw.get(card).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("pending")),
        "{st}"
    );

    // urlType 3 (same card, other urlType) gives the mini-program parameters.
    let (s, mini) = gw
        .post(
            "/v1/registrations",
            &json!({"imsi": "460044000000001", "urlType": 3}),
        )
        .await;
    assert_eq!(s, 200, "{mini}");
    assert!(
        mini["miniParam"]["signature"]
            .as_str()
            .is_some_and(|x| !x.is_empty()),
        "{mini}"
    );

    sys.complete(&busi, "pass").await;
    eventually_true("the push to settle the registration", DEADLINE, || async {
        gw.get(card).await.1["registered"] == true
    })
    .await;
    let (_, st) = gw.get(card).await;
    assert_eq!(
        (
            st["registration"]["settledBy"].as_str(),
            st["registration"]["confirmation"].as_str()
        ),
        (Some("confirm"), Some("confirmed")),
        "the push's claim was confirmed with 23A23: {st}"
    );
    let (_, live) = gw.get(&format!("{card}?refresh=true")).await;
    assert_eq!(
        (live["registered"].as_bool(), live["source"].as_str()),
        (Some(true), Some("onelink")),
        "{live}"
    );
    assert_eq!(live["registrationType"], "01");

    // A registration that fails at the carrier ends "failed".
    let failing = link(&gw, &json!({"iccid": "89860424000000000003", "urlType": 6})).await;
    sys.complete(&failing, "pass").await;
    eventually_true("the failure push", DEADLINE, || async {
        gw.get("/v1/registrations?state=failed").await.1["items"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
    })
    .await;

    // OneLink's rejections keep their code and hint; a withdrawn urlType never leaves us.
    for (body, want) in [
        (
            json!({"msisdn": "1440000000005", "urlType": 6}),
            (422, Some("12011")),
        ),
        (
            json!({"msisdn": "1440000000002", "urlType": 6}),
            (422, Some("12013")),
        ),
        (
            json!({"msisdn": "1440000000001", "urlType": 4}),
            (400, Some("bad_request")),
        ),
    ] {
        let (s, v) = gw.post("/v1/registrations", &body).await;
        assert_eq!((s, v["error"]["code"].as_str()), want, "{body}: {v}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_registration_without_push_is_reconciled_by_23a23() {
    let sys = Sys::start().await;
    let gw = sys
        .gateway(|c| assert_eq!(c.reconcile_after_secs, 900, "the default"))
        .await;
    // No callback: the push never arrives.
    let busi = link(&gw, &json!({"msisdn": "1440000000001"})).await;
    sys.complete(&busi, "pass").await;
    let st = gw.run.state().unwrap();
    // Fifteen minutes pass on the gateway's clock, not on the test's.
    st.clock.advance(chrono::Duration::seconds(901));
    eventually_true("reconciliation", DEADLINE, || async {
        st.store
            .registration(&busi)
            .await
            .unwrap()
            .is_some_and(|r| {
                r.state == "registered" && r.settled_by.as_deref() == Some("reconcile")
            })
    })
    .await;
    gw.stop().await;
}

#[tokio::test]
async fn the_daily_cap_resets_with_the_china_day_on_the_gateway_clock() {
    let sys = Sys::start().await;
    let gw = sys.gateway(|c| c.limits.daily_cap_per_number = 1).await;
    let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
    assert_eq!(s, 200, "{v}");
    let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("daily_cap")),
        "{v}"
    );
    gw.run
        .state()
        .unwrap()
        .clock
        .advance(chrono::Duration::hours(24));
    let (s, v, _) = sys.verify(&gw, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (200, Some("000")),
        "a new China day: {v}"
    );
    gw.stop().await;
}

/// Two instances on one PostgreSQL + Redis: the daily cap stays exact under concurrent load
/// across both, and the OneLink token is fetched once for the fleet.
#[tokio::test]
async fn two_instances_share_the_cap_and_the_onelink_token() {
    let Some(_) = redis().await else {
        return;
    };
    // One fresh schema for both instances.
    let Some((_, pg)) = crate::support::postgres_schema("cmcc_gw2").await else {
        return;
    };
    let sys = Sys::start().await;
    sys.set_sandbox_daily_cap(1_000);
    let prefix = format!("{}:", backends::unique("cmcc_gw2"));
    let mut gws = Vec::new();
    for _ in 0..2 {
        gws.push(
            sys.gateway(|cfg| {
                cfg.database_url = pg.clone();
                cfg.redis_url = Some(backends::redis_url());
                cfg.redis_prefix = prefix.clone();
                cfg.limits.daily_cap_per_number = 5;
                cfg.limits.per_ip_per_minute = 10_000;
            })
            .await,
        );
    }

    // 16 verifications of one number, at once, alternating between the instances.
    let mut tokens = Vec::new();
    for _ in 0..16 {
        tokens.push(sys.token("13800138000").await);
    }
    let mut tasks = Vec::new();
    for (i, (token, ui)) in tokens.into_iter().enumerate() {
        let (http, url) = (gws[i % 2].http.clone(), gws[i % 2].url("/v1/verify"));
        tasks.push(tokio::spawn(async move {
            let body = json!({"phone": "13800138000", "token": token, "userInformation": ui});
            send(http.post(url).json(&body)).await
        }));
    }
    let mut passed = 0;
    let mut capped = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match within(&format!("verification {i}"), DEADLINE, t)
            .await
            .unwrap()
        {
            (200, v) if v["verified"] == true => passed += 1,
            (429, v) if v["error"]["code"] == "daily_cap" => capped += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((passed, capped), (5, 11));

    // 20 registration links at once across both instances: one token fetch in all.
    sys.generate_cards(20).await;
    let fetches_before = sys.journal_count(TOKEN_PATH);
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        let gw = &gws[(i % 2) as usize];
        let (http, url) = (gw.http.clone(), gw.url("/v1/registrations"));
        let msisdn = format!("1440{:09}", 1000 + i);
        tasks.push(tokio::spawn(async move {
            send(http.post(url).json(&json!({"msisdn": msisdn}))).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let (s, v) = within(&format!("registration link {i}"), DEADLINE, t)
            .await
            .unwrap();
        assert_eq!(s, 200, "{v}");
    }
    assert_eq!(
        sys.journal_count(TOKEN_PATH) - fetches_before,
        1,
        "one token fetch for the fleet"
    );
    let (_, list) = gws[0].get("/v1/registrations?limit=1000").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        20,
        "both instances wrote to the shared store"
    );
    for g in gws {
        g.stop().await;
    }
}

/// A request with the API key (from a spawned task, which cannot borrow the gateway): status
/// and JSON answer.
async fn send(rb: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let r = rb.bearer_auth(cmcc_testkit::API_KEY).send().await.unwrap();
    (
        r.status().as_u16(),
        r.json().await.unwrap_or(serde_json::Value::Null),
    )
}
