//! A push is a claim, not a fact: against the sandbox (a real OneLink emulation over HTTP) and a
//! real SQLite file, every forged push leaves the card state alone and lands in the quarantine;
//! a genuine push counts only once 23A23 agrees, a contradicted one ends `disputed`; undefined
//! regStatus values are settled by 23A23; `refresh=true` corrects both ways; 12012 and a lost
//! 23A12 answer read as what they are.

use cmcc_proto::wire::onelink::{IDENTITY_INFO_PATH, REAL_NAME_REG_PATH};
use cmcc_testkit::{backends, eventually_true, Gateway, API_KEY, DEADLINE};
use serde_json::{json, Value};

use crate::support::{eventually_advancing, link, metrics, push_of, redis, Sys, PUSH};

const CARD: &str = "1440000000001";

/// `card`'s state as the gateway has it (`GET /v1/cards/msisdn/{card}`), or as OneLink has
/// it with `?refresh=true`.
async fn card_state(gw: &Gateway, card: &str, refresh: bool) -> Value {
    let query = if refresh { "?refresh=true" } else { "" };
    gw.get(&format!("/v1/cards/msisdn/{card}{query}")).await.1
}

async fn state_of(gw: &Gateway, busi: &str) -> String {
    gw.run
        .state()
        .unwrap()
        .store
        .registration(busi)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn wait_state(gw: &Gateway, busi: &str, want: &str) {
    eventually_true(&format!("{busi} to become {want}"), DEADLINE, || async {
        state_of(gw, busi).await == want
    })
    .await;
}

/// Post a push as OneLink would (no API key) and check that it is acknowledged.
async fn push_acked(gw: &Gateway, record: &Value) {
    let (s, a) = gw.post_anonymous(PUSH, &push_of(json!([record]))).await;
    assert_eq!(
        (s, a["status"].as_str()),
        (200, Some("0")),
        "acknowledged: {record}: {a}"
    );
}

/// A gateway on PostgreSQL + Redis (a fresh schema and key prefix), or `None` (skip) outside CI.
async fn start_pg(sys: &Sys) -> Option<Gateway> {
    redis().await?;
    let (schema, url) = crate::support::postgres_schema("cmcc_trust").await?;
    let gw = sys
        .gateway(|cfg| {
            cfg.database_url = url;
            cfg.redis_url = Some(backends::redis_url());
            cfg.redis_prefix = format!("{schema}:");
        })
        .await;
    Some(gw)
}

/// Each scenario twice: on a SQLite file with the in-process shared state, and on PostgreSQL
/// + Redis (skipped outside CI where they are not running).
macro_rules! on_both_backends {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let sys = crate::support::Sys::start().await;
                    let gw = sys.gateway(|_| {}).await;
                    super::$name(&sys, gw).await;
                }
            )*
        }
        mod postgres_and_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let sys = crate::support::Sys::start().await;
                    let Some(gw) = super::start_pg(&sys).await else { return };
                    super::$name(&sys, gw).await;
                }
            )*
        }
    };
}

on_both_backends!(
    forged_pushes_change_no_card_state_and_are_quarantined,
    a_genuine_push_counts_only_after_23a23_agrees
);

async fn forged_pushes_change_no_card_state_and_are_quarantined(sys: &Sys, gw: Gateway) {
    sys.push_to(&gw).await;
    let busi = link(&gw, &json!({"msisdn": CARD})).await;

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
        push_acked(&gw, record).await;
    }
    let st = card_state(&gw, CARD, false).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("pending")),
        "{st}"
    );
    assert!(gw
        .run
        .state()
        .unwrap()
        .store
        .registration("FORGED0001")
        .await
        .unwrap()
        .is_none());
    let (_, q) = gw.get("/v1/pushes/quarantine").await;
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
    let text = metrics(&gw).await;
    assert!(text.contains("cmcc_pushes_quarantined_total"), "{text}");
    // OneLink agrees: not registered.
    let live = card_state(&gw, CARD, true).await;
    assert_eq!(live["registered"], false, "{live}");

    // An attacker who knows both the busiSeq and the card: a claim, checked, disputed.
    push_acked(
        &gw,
        &json!({"regStatus": "1", "regMsg": "ok", "busiSeq": busi, "msisdn": CARD}),
    )
    .await;
    wait_state(&gw, &busi, "disputed").await;
    let st = card_state(&gw, CARD, false).await;
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
    let st = card_state(&gw, CARD, false).await;
    assert_eq!(st["registration"]["confirmation"], "confirmed", "{st}");
    gw.stop().await;
}

async fn a_genuine_push_counts_only_after_23a23_agrees(sys: &Sys, gw: Gateway) {
    sys.push_to(&gw).await;
    let busi = link(&gw, &json!({"msisdn": CARD})).await;
    // 23A23 is down for one call (three attempts): the claim waits, unconfirmed.
    sys.fault(IDENTITY_INFO_PATH, "http503", 3).await;
    sys.complete(&busi, "pass").await;
    eventually_true("the push", DEADLINE, || async {
        gw.run.state().unwrap().store.has_push(&busi).await.unwrap()
    })
    .await;
    let st = card_state(&gw, CARD, false).await;
    assert_eq!(
        (
            st["registered"].as_bool(),
            st["registration"]["state"].as_str()
        ),
        (Some(false), Some("unconfirmed")),
        "{st}"
    );
    // The queue retries with backoff (2 s on the gateway's clock, moved here); 23A23 then
    // agrees.
    eventually_advancing(
        &gw,
        &format!("{busi} to become registered"),
        chrono::Duration::milliseconds(500),
        || async { state_of(&gw, &busi).await == "registered" },
    )
    .await;
    let st = card_state(&gw, CARD, false).await;
    assert_eq!(st["registered"], true, "{st}");
    gw.stop().await;
}

#[tokio::test]
async fn undefined_reg_status_is_settled_by_23a23_never_failed() {
    let sys = Sys::start().await;
    sys.generate_cards(5).await;
    let gw = sys.gateway(|_| {}).await;
    for (i, status) in ["2", "", " 1", "01", "成功"].into_iter().enumerate() {
        let card = format!("1440{:09}", 1000 + i);
        let busi = link(&gw, &json!({"msisdn": card})).await;
        push_acked(
            &gw,
            &json!({"regStatus": status, "busiSeq": busi, "msisdn": card}),
        )
        .await;
        let now = state_of(&gw, &busi).await;
        assert!(now == "unknown" || now == "pending", "{status:?}: {now}");
        // 23A23 says not registered: back to pending (the user may still finish), never failed.
        wait_state(&gw, &busi, "pending").await;
        let st = card_state(&gw, &card, false).await;
        assert_eq!(
            st["registration"]["confirmation"], "contradicted",
            "{status:?}: {st}"
        );
    }
    gw.stop().await;
}

#[tokio::test]
async fn refresh_corrects_the_stored_state_in_both_directions() {
    let sys = Sys::start().await;
    // Confirmation off: a forged success for an issued registration is believed …
    let gw = sys.gateway(|c| c.confirm_pushes = false).await;
    let busi = link(&gw, &json!({"msisdn": CARD})).await;
    push_acked(
        &gw,
        &json!({"regStatus": "1", "busiSeq": busi, "msisdn": CARD}),
    )
    .await;
    assert_eq!(card_state(&gw, CARD, false).await["registered"], true);
    // … until refresh asks OneLink, which says no: the stored state is taken back.
    let live = card_state(&gw, CARD, true).await;
    assert_eq!(
        (
            live["registered"].as_bool(),
            live["registration"]["state"].as_str()
        ),
        (Some(false), Some("disputed")),
        "{live}"
    );
    assert_eq!(card_state(&gw, CARD, false).await["registered"], false);
    // The other way: registered at OneLink, nothing pushed here yet.
    sys.complete(&busi, "pass").await;
    let live = card_state(&gw, CARD, true).await;
    assert_eq!(
        (
            live["registered"].as_bool(),
            live["registration"]["state"].as_str()
        ),
        (Some(true), Some("registered")),
        "{live}"
    );
    assert_eq!(live["registration"]["settledBy"], "refresh");
    gw.stop().await;
}

/// One refused link request: what the gateway must answer.
struct Refusal {
    name: &'static str,
    /// A fault the sandbox is given first: endpoint, code, how many times.
    fault: Option<(&'static str, &'static str, u32)>,
    card: Value,
    status: u16,
    retry_after: &'static str,
    code: &'static str,
    message_has: &'static str,
    hint_has: &'static str,
}

#[tokio::test]
async fn onelink_refusals_read_as_what_they_are() {
    let sys = Sys::start().await;
    let gw = sys.gateway(|_| {}).await;
    link(&gw, &json!({"msisdn": CARD})).await;
    let cases = [
        Refusal {
            name: "12012: a second link for the same card and urlType within a minute",
            fault: None,
            card: json!({"msisdn": CARD}),
            status: 429,
            retry_after: "60",
            code: "12012",
            message_has: "",
            hint_has: "Retry-After",
        },
        Refusal {
            name: "23A12 sent, answer lost: the link may exist, and when to ask again",
            fault: Some((REAL_NAME_REG_PATH, "http502", 1)),
            card: json!({"iccid": "89860424000000000003"}),
            status: 502,
            retry_after: "60",
            code: "link_answer_lost",
            message_has: "may exist",
            hint_has: "ask again after 60 s",
        },
    ];
    for c in cases {
        if let Some((endpoint, code, remaining)) = c.fault {
            sys.fault(endpoint, code, remaining).await;
        }
        let r = gw
            .http
            .post(gw.url("/v1/registrations"))
            .bearer_auth(API_KEY)
            .json(&c.card)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), c.status, "{}", c.name);
        assert_eq!(
            r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
            Some(c.retry_after),
            "{}",
            c.name
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], c.code, "{}: {v}", c.name);
        for (field, has) in [("message", c.message_has), ("hint", c.hint_has)] {
            assert!(
                v["error"][field].as_str().unwrap().contains(has),
                "{}: {field} without {has:?}: {v}",
                c.name
            );
        }
    }
    // Reconciled: the card's push (for the busiSeq we never saw) takes the lost link over.
    push_acked(
        &gw,
        &json!({"regStatus": "0", "regMsg": "实名信息核验不通过", "busiSeq": "LOSTLINK01", "iccid": "89860424000000000003"}),
    )
    .await;
    let r = gw
        .run
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
    let (_, q) = gw.get("/v1/pushes/quarantine").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 0, "{q}");
    gw.stop().await;
}
