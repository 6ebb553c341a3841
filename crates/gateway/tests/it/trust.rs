//! A push is a claim, not a fact: against the sandbox (a real OneLink emulation over HTTP) and a
//! real SQLite file, every forged push leaves the card state alone and lands in the quarantine;
//! a genuine push counts only once 23A23 agrees, a contradicted one ends `disputed`; undefined
//! regStatus values are settled by 23A23; `refresh=true` corrects both ways; 12012 and a lost
//! 23A12 answer read as what they are.


use cmcc_gateway::{Config, Running};
use crate::support::*;
use serde_json::{json, Value};

const CARD: &str = "1440000000001";

async fn start(sys: &Sys, dir: &tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> Running {
    let mut cfg = sys.gateway_config(sqlite_url(dir));
    tune(&mut cfg);
    Running::start(cfg).await.unwrap()
}

async fn link(sys: &Sys, gw: &Running, card: Value) -> String {
    let (s, v) = post(&sys.http, format!("{}/v1/registrations", gw.base_url), card).await;
    assert_eq!(s, 200, "{v}");
    v["busiSeq"].as_str().unwrap().to_owned()
}

async fn card_state(sys: &Sys, gw: &Running, card: &str) -> Value {
    get(&sys.http, format!("{}/v1/cards/msisdn/{card}", gw.base_url))
        .await
        .1
}

async fn state_of(gw: &Running, busi: &str) -> String {
    gw.state()
        .unwrap()
        .store
        .registration(busi)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn wait_state(gw: &Running, busi: &str, want: &str) {
    eventually(&format!("{busi} to become {want}"), || async {
        state_of(gw, busi).await == want
    })
    .await;
}

/// A gateway on PostgreSQL + Redis (a fresh schema and key prefix), or `None` (skip) outside CI.
async fn start_pg(sys: &Sys) -> Option<Running> {
    crate::support::redis().await?;
    let store = crate::support::postgres().await?;
    store.close().await;
    let schema = crate::support::unique("cmcc_trust");
    let admin = sqlx::PgPool::connect(&crate::support::postgres_url())
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let mut cfg = sys.gateway_config(format!(
        "{}?options=-c%20search_path%3D{schema}",
        crate::support::postgres_url()
    ));
    cfg.redis_url = Some(crate::support::redis_url());
    cfg.redis_prefix = format!("{schema}:");
    Some(Running::start(cfg).await.unwrap())
}

#[tokio::test]
async fn forged_pushes_change_no_card_state_and_are_quarantined() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = start(&sys, &dir, |_| {}).await;
    forged_pushes(&sys, gw).await;
}

#[tokio::test]
async fn forged_pushes_on_postgres_and_redis() {
    let sys = Sys::start().await;
    let Some(gw) = start_pg(&sys).await else {
        return;
    };
    forged_pushes(&sys, gw).await;
}

async fn forged_pushes(sys: &Sys, gw: Running) {
    let push_url = format!("{}/onelink/push", gw.base_url);
    sys.set_callback(&push_url).await;
    let busi = link(sys, &gw, json!({"msisdn": CARD})).await;

    let forged = [
        // A busiSeq this gateway never issued, for a real card.
        (
            json!({"regStatus": "1", "busiSeq": "FORGED0001", "msisdn": CARD}),
            "not_issued",
        ),
        // The issued busiSeq with another card.
        (
            json!({"regStatus": "1", "busiSeq": busi, "msisdn": "1440000000009"}),
            "card_mismatch",
        ),
        // The same card named by another field than the one issued.
        (
            json!({"regStatus": "1", "busiSeq": busi, "iccid": "89860424000000000001"}),
            "card_mismatch",
        ),
        // No usable card id: none, two, malformed.
        (json!({"regStatus": "1", "busiSeq": busi}), "no_card"),
        (
            json!({"regStatus": "1", "busiSeq": busi, "msisdn": CARD, "iccid": "89860424000000000001"}),
            "no_card",
        ),
        (
            json!({"regStatus": "1", "busiSeq": busi, "msisdn": "abc"}),
            "no_card",
        ),
    ];
    for (record, _) in &forged {
        let (s, a) = push(&sys.http, &push_url, &push_of(json!([record]))).await;
        assert_eq!(
            (s, a["status"].as_str()),
            (200, Some("0")),
            "acknowledged: {record}"
        );
    }
    let st = card_state(sys, &gw, CARD).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("pending")),
        "{st}"
    );
    assert!(gw
        .state()
        .unwrap()
        .store
        .registration("FORGED0001")
        .await
        .unwrap()
        .is_none());
    let (_, q) = get(&sys.http, format!("{}/v1/pushes/quarantine", gw.base_url)).await;
    let mut got: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = forged.iter().map(|(_, r)| *r).collect();
    got.sort_unstable();
    want.sort_unstable();
    // The three card-less records are one claim (same busiSeq, status and no card): kept once.
    want.dedup_by(|a, b| *a == "no_card" && *b == "no_card");
    assert_eq!(got, want, "{q}");
    let metrics = sys
        .http
        .get(format!("{}/metrics", gw.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("cmcc_pushes_quarantined_total"),
        "{metrics}"
    );
    // OneLink agrees: not registered.
    let live = get(
        &sys.http,
        format!("{}/v1/cards/msisdn/{CARD}?refresh=true", gw.base_url),
    )
    .await
    .1;
    assert_eq!(live["registered"], false, "{live}");

    // An attacker who knows both the busiSeq and the card: a claim, checked, disputed.
    let (s, _) = push(
        &sys.http,
        &push_url,
        &push_of(json!([{"regStatus": "1", "regMsg": "ok", "busiSeq": busi, "msisdn": CARD}])),
    )
    .await;
    assert_eq!(s, 200);
    wait_state(&gw, &busi, "disputed").await;
    let st = card_state(sys, &gw, CARD).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["confirmation"].as_str()
        ),
        (Some(false), Some("contradicted")),
        "{st}"
    );

    // The genuine push comes later (identical to the forged copy): confirmed, registered.
    sys.complete(&busi, "pass").await;
    wait_state(&gw, &busi, "registered").await;
    let st = card_state(sys, &gw, CARD).await;
    assert_eq!(st["registration"]["confirmation"], "confirmed", "{st}");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_genuine_push_counts_only_after_23a23_agrees() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = start(&sys, &dir, |_| {}).await;
    genuine_push(&sys, gw).await;
}

#[tokio::test]
async fn a_genuine_push_on_postgres_and_redis() {
    let sys = Sys::start().await;
    let Some(gw) = start_pg(&sys).await else {
        return;
    };
    genuine_push(&sys, gw).await;
}

async fn genuine_push(sys: &Sys, gw: Running) {
    sys.set_callback(&format!("{}/onelink/push", gw.base_url))
        .await;
    let busi = link(sys, &gw, json!({"msisdn": CARD})).await;
    // 23A23 is down for one call (three attempts): the claim waits, unconfirmed.
    sys.fault(IDENTITY_INFO, "http503", 3).await;
    sys.complete(&busi, "pass").await;
    eventually("the push", || async {
        gw.state().unwrap().store.has_push(&busi).await.unwrap()
    })
    .await;
    let st = card_state(sys, &gw, CARD).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("unconfirmed")),
        "{st}"
    );
    // The queue retries with backoff; 23A23 then agrees.
    wait_state(&gw, &busi, "registered").await;
    let st = card_state(sys, &gw, CARD).await;
    assert_eq!(st["registered"], true, "{st}");
    gw.shutdown().await;
}

#[tokio::test]
async fn undefined_reg_status_is_settled_by_23a23_never_failed() {
    let sys = Sys::start().await;
    let r = sys
        .http
        .post(format!(
            "{}/_sandbox/onelink/cards/generate",
            sys.sbx.base_url
        ))
        .json(&json!({"appid": ENTERPRISE, "count": 5}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let dir = tempfile::tempdir().unwrap();
    let gw = start(&sys, &dir, |_| {}).await;
    let push_url = format!("{}/onelink/push", gw.base_url);
    for (i, status) in ["2", "", " 1", "01", "成功"].into_iter().enumerate() {
        let card = format!("1440{:09}", 1000 + i);
        let busi = link(&sys, &gw, json!({"msisdn": card})).await;
        let (s, a) = push(
            &sys.http,
            &push_url,
            &push_of(json!([{"regStatus": status, "busiSeq": busi, "msisdn": card}])),
        )
        .await;
        assert_eq!((s, a["status"].as_str()), (200, Some("0")), "{status:?}");
        let now = state_of(&gw, &busi).await;
        assert!(now == "unknown" || now == "pending", "{status:?}: {now}");
        // 23A23 says not registered: back to pending (the user may still finish), never failed.
        wait_state(&gw, &busi, "pending").await;
        let st = card_state(&sys, &gw, &card).await;
        assert_eq!(
            st["registration"]["confirmation"], "contradicted",
            "{status:?}: {st}"
        );
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn refresh_corrects_the_stored_state_in_both_directions() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Confirmation off: a forged success for an issued registration is believed …
    let gw = start(&sys, &dir, |c| c.confirm_pushes = false).await;
    let push_url = format!("{}/onelink/push", gw.base_url);
    let busi = link(&sys, &gw, json!({"msisdn": CARD})).await;
    push(
        &sys.http,
        &push_url,
        &push_of(json!([{"regStatus": "1", "busiSeq": busi, "msisdn": CARD}])),
    )
    .await;
    assert_eq!(card_state(&sys, &gw, CARD).await["registered"], true);
    // … until refresh asks OneLink, which says no: the stored state is taken back.
    let live = get(
        &sys.http,
        format!("{}/v1/cards/msisdn/{CARD}?refresh=true", gw.base_url),
    )
    .await
    .1;
    assert_eq!(
        (
            live["registered"].as_bool(),
            live["registration"]["state"].as_str()
        ),
        (Some(false), Some("disputed")),
        "{live}"
    );
    assert_eq!(card_state(&sys, &gw, CARD).await["registered"], false);
    // The other way: registered at OneLink, nothing pushed here yet.
    sys.complete(&busi, "pass").await;
    let live = get(
        &sys.http,
        format!("{}/v1/cards/msisdn/{CARD}?refresh=true", gw.base_url),
    )
    .await
    .1;
    assert_eq!(
        (
            live["registered"].as_bool(),
            live["registration"]["state"].as_str()
        ),
        (Some(true), Some("registered")),
        "{live}"
    );
    assert_eq!(live["registration"]["settledBy"], "refresh");
    gw.shutdown().await;
}

#[tokio::test]
async fn onelink_refusals_read_as_what_they_are() {
    let sys = Sys::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = start(&sys, &dir, |_| {}).await;
    let regs = format!("{}/v1/registrations", gw.base_url);
    link(&sys, &gw, json!({"msisdn": CARD})).await;
    // 12012: a second link for the same card and urlType within a minute.
    let r = sys
        .http
        .post(&regs)
        .bearer_auth(API_KEY)
        .json(&json!({"msisdn": CARD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("60")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "12012", "{v}");
    assert!(
        v["error"]["hint"].as_str().unwrap().contains("Retry-After"),
        "{v}"
    );

    // 23A12 sent, answer lost: 502 that says the link may exist and when to ask again.
    sys.fault("/v5/ec/secure/sim-real-name-reg", "http502", 1)
        .await;
    let r = sys
        .http
        .post(&regs)
        .bearer_auth(API_KEY)
        .json(&json!({"iccid": "89860424000000000003"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.headers().get("retry-after").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "link_answer_lost", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may exist"),
        "{v}"
    );
    assert!(
        v["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("ask again after 60 s"),
        "{v}"
    );
    // Reconciled: the card's push (for the busiSeq we never saw) takes the lost link over.
    let (s, _) = push(
        &sys.http,
        &format!("{}/onelink/push", gw.base_url),
        &push_of(json!([{"regStatus": "0", "regMsg": "实名信息核验不通过", "busiSeq": "LOSTLINK01", "iccid": "89860424000000000003"}])),
    )
    .await;
    assert_eq!(s, 200);
    let r = gw
        .state()
        .unwrap()
        .store
        .registration("LOSTLINK01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.state.as_str(), r.card_field.as_str()),
        ("failed", "iccid")
    );
    let (_, q) = get(&sys.http, format!("{}/v1/pushes/quarantine", gw.base_url)).await;
    assert_eq!(q["items"].as_array().unwrap().len(), 0, "{q}");
    gw.shutdown().await;
}
