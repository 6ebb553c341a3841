//! The gateway against the sandbox, both real HTTP servers in this process: verification with
//! the daily cap and audits, UAID, registration links through the registration page's push to
//! stored state, reconciliation, and two instances sharing PostgreSQL + Redis. (Push trust is
//! in `trust.rs`, webhooks in `webhooks.rs`.)

use cmcc_gateway::Running;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn verification_match_mismatch_errors_cap_and_audit() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sys.gateway_config(sqlite_url(&dir));
    cfg.limits.daily_cap_per_number = 3;
    let gw = Running::start(cfg).await.unwrap();
    let url = format!("{}/v1/verify", gw.base_url);

    let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["verified"].as_bool(), v["code"].as_str()),
        (200, Some(true), Some("000")),
        "{v}"
    );

    let (s, v, (token, ui)) = sys.verify(&gw.base_url, "13800138000", "13900139000").await;
    assert_eq!(
        (s, v["verified"].as_bool(), v["code"].as_str()),
        (200, Some(false), Some("001")),
        "{v}"
    );

    // A spent token: the carrier's code with its meaning, not counted toward the cap.
    let (s, v) = post(
        &sys.http,
        url.clone(),
        json!({"phone": "13800138000", "token": token, "userInformation": ui}),
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
        let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
        assert_eq!(s, 200, "{v}");
    }
    let before = sys.journal_count("/NumberAbility/h5/verifyVmMobileApi.htm");
    let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
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
        sys.journal_count("/NumberAbility/h5/verifyVmMobileApi.htm"),
        before,
        "the carrier was not called"
    );

    // Every verification is audited, with the number masked.
    let audits = gw.state().unwrap().store.audits(100).await.unwrap();
    let codes: Vec<&str> = audits.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(audits.len(), 6, "{codes:?}");
    for code in ["000", "001", "120020", "daily_cap"] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    for a in &audits {
        let m = a.phone_masked.as_deref().unwrap();
        assert!(m.contains("****") && !m.contains("13800138000"), "{m}");
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn uaid_is_validated_through_the_gateway() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = Running::start(sys.gateway_config(sqlite_url(&dir)))
        .await
        .unwrap();
    let token = sys.uaid_token("13800138000").await;
    let (s, v) = post(
        &sys.http,
        format!("{}/v1/uaid", gw.base_url),
        json!({"token": token}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["uaid"].as_str().unwrap().len(), 64);
    // Single use: the carrier's 120009 comes back with its code.
    let (s, v) = post(
        &sys.http,
        format!("{}/v1/uaid", gw.base_url),
        json!({"token": token}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("120009")),
        "{v}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn registration_link_page_push_and_stored_state() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = Running::start(sys.gateway_config(sqlite_url(&dir)))
        .await
        .unwrap();
    sys.set_callback(&format!("{}/onelink/push", gw.base_url))
        .await;
    let regs = format!("{}/v1/registrations", gw.base_url);

    let (s, link) = post(
        &sys.http,
        regs.clone(),
        json!({"msisdn": "1440000000001", "urlType": 6}),
    )
    .await;
    assert_eq!(s, 200, "{link}");
    let busi = link["busiSeq"].as_str().unwrap().to_owned();
    assert!(link["url"].as_str().unwrap().starts_with(&sys.sbx.base_url));
    let card = format!("{}/v1/cards/msisdn/1440000000001", gw.base_url);
    let (_, st) = get(&sys.http, card.clone()).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("pending")),
        "{st}"
    );

    // urlType 3 (same card, other urlType) gives the mini-program parameters.
    let (s, mini) = post(
        &sys.http,
        regs.clone(),
        json!({"imsi": "460044000000001", "urlType": 3}),
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
    eventually("the push to settle the registration", || async {
        get(&sys.http, card.clone()).await.1["registered"] == true
    })
    .await;
    let (_, st) = get(&sys.http, card.clone()).await;
    assert_eq!(
        (
            st["registration"]["settledBy"].as_str(),
            st["registration"]["confirmation"].as_str()
        ),
        (Some("confirm"), Some("confirmed")),
        "the push's claim was confirmed with 23A23: {st}"
    );
    let (_, live) = get(&sys.http, format!("{card}?refresh=true")).await;
    assert_eq!(
        (live["registered"].as_bool(), live["source"].as_str()),
        (Some(true), Some("onelink")),
        "{live}"
    );
    assert_eq!(live["registrationType"], "01");

    // A registration that fails at the carrier ends "failed".
    let (_, link) = post(
        &sys.http,
        regs.clone(),
        json!({"iccid": "89860424000000000003", "urlType": 6}),
    )
    .await;
    sys.complete(link["busiSeq"].as_str().unwrap(), "pass")
        .await;
    eventually("the failure push", || async {
        get(
            &sys.http,
            format!("{}/v1/registrations?state=failed", gw.base_url),
        )
        .await
        .1["items"]
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
        let (s, v) = post(&sys.http, regs.clone(), body).await;
        assert_eq!((s, v["error"]["code"].as_str()), want, "{v}");
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn a_registration_without_push_is_reconciled_by_23a23() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = sys.gateway_config(sqlite_url(&dir));
    assert_eq!(cfg.reconcile_after_secs, 900, "the default");
    let gw = Running::start(cfg).await.unwrap();
    // No callback: the push never arrives.
    let (_, link) = post(
        &sys.http,
        format!("{}/v1/registrations", gw.base_url),
        json!({"msisdn": "1440000000001"}),
    )
    .await;
    let busi = link["busiSeq"].as_str().unwrap().to_owned();
    sys.complete(&busi, "pass").await;
    let st = gw.state().unwrap();
    let store = st.store.clone();
    // Fifteen minutes pass on the gateway's clock, not on the test's.
    st.clock.advance(chrono::Duration::seconds(901));
    eventually("reconciliation", || {
        let store = store.clone();
        let busi = busi.clone();
        async move {
            store.registration(&busi).await.unwrap().is_some_and(|r| {
                r.state == "registered" && r.settled_by.as_deref() == Some("reconcile")
            })
        }
    })
    .await;
    drop(store);
    gw.shutdown().await;
}

#[tokio::test]
async fn the_daily_cap_resets_with_the_china_day_on_the_gateway_clock() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sys.gateway_config(sqlite_url(&dir));
    cfg.limits.daily_cap_per_number = 1;
    let gw = Running::start(cfg).await.unwrap();
    let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
    assert_eq!(s, 200, "{v}");
    let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("daily_cap")),
        "{v}"
    );
    gw.state()
        .unwrap()
        .clock
        .advance(chrono::Duration::hours(24));
    let (s, v, _) = sys.verify(&gw.base_url, "13800138000", "13800138000").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (200, Some("000")),
        "a new China day: {v}"
    );
    gw.shutdown().await;
}

/// Two instances on one PostgreSQL + Redis: the daily cap stays exact under concurrent load
/// across both, and the OneLink token is fetched once for the fleet.
#[tokio::test]
async fn two_instances_share_the_cap_and_the_onelink_token() {
    let Some(_) = crate::support::redis().await else {
        return;
    };
    let Some(_) = crate::support::postgres().await else {
        return;
    };
    let sys = Sys::start().await;
    sys.set_sandbox_daily_cap(1_000);
    // One fresh schema for both instances.
    let schema = crate::support::unique("cmcc_gw2");
    let admin = sqlx::PgPool::connect(&crate::support::postgres_url())
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let pg = format!(
        "{}?options=-c%20search_path%3D{schema}",
        crate::support::postgres_url()
    );
    let prefix = format!("{}:", crate::support::unique("cmcc_gw2"));
    let mut gws = Vec::new();
    for _ in 0..2 {
        let mut cfg = sys.gateway_config(pg.clone());
        cfg.redis_url = Some(crate::support::redis_url());
        cfg.redis_prefix = prefix.clone();
        cfg.limits.daily_cap_per_number = 5;
        cfg.limits.per_ip_per_minute = 10_000;
        gws.push(Running::start(cfg).await.unwrap());
    }

    // 16 verifications of one number, at once, alternating between the instances.
    let mut tokens = Vec::new();
    for _ in 0..16 {
        tokens.push(sys.token("13800138000").await);
    }
    let mut tasks = Vec::new();
    for (i, (token, ui)) in tokens.into_iter().enumerate() {
        let url = format!("{}/v1/verify", gws[i % 2].base_url);
        let http = sys.http.clone();
        tasks.push(tokio::spawn(async move {
            post(
                &http,
                url,
                json!({"phone": "13800138000", "token": token, "userInformation": ui}),
            )
            .await
        }));
    }
    let mut passed = 0;
    let mut capped = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, v) if v["verified"] == true => passed += 1,
            (429, v) if v["error"]["code"] == "daily_cap" => capped += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((passed, capped), (5, 11));

    // 20 registration links at once across both instances: one token fetch in all.
    let r = sys
        .http
        .post(format!(
            "{}/_sandbox/onelink/cards/generate",
            sys.sbx.base_url
        ))
        .json(&json!({"appid": ENTERPRISE, "count": 20}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let fetches_before = sys.journal_count("/v5/ec/get/token");
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        let url = format!("{}/v1/registrations", gws[(i % 2) as usize].base_url);
        let http = sys.http.clone();
        let msisdn = format!("1440{:09}", 1000 + i);
        tasks.push(tokio::spawn(async move {
            post(&http, url, json!({"msisdn": msisdn})).await
        }));
    }
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, 200, "{v}");
    }
    assert_eq!(
        sys.journal_count("/v5/ec/get/token") - fetches_before,
        1,
        "one token fetch for the fleet"
    );
    let (_, list) = get(
        &sys.http,
        format!("{}/v1/registrations?limit=1000", gws[0].base_url),
    )
    .await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        20,
        "both instances wrote to the shared store"
    );
    for g in gws {
        g.shutdown().await;
    }
}
