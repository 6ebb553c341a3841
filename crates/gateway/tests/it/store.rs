//! One storage suite, run against every backend: SQLite and PostgreSQL.

use cmcc_gateway::store::{
    Audit, ConfirmItem, Delivery, NewRegistration, PushIn, PushOutcome, PushPolicy, RegState,
    Registration, Store,
};
use cmcc_proto::wire::onelink::PushClaim;
use cmcc_testkit::{within, DEADLINE};

const FORWARD: PushPolicy = PushPolicy {
    forward: true,
    confirm: false,
    adopt: false,
};
const CONFIRM: PushPolicy = PushPolicy {
    forward: true,
    confirm: true,
    adopt: false,
};

fn reg(busi_seq: &str, card: &str, at: i64) -> NewRegistration {
    NewRegistration {
        busi_seq: busi_seq.into(),
        card_field: "msisdn".into(),
        card_value: card.into(),
        url_type: 6,
        url: format!("http://sandbox/reg/{busi_seq}"),
        created_at: at,
        state: RegState::Pending,
    }
}

fn push(busi_seq: &str, status: &str, at: i64) -> PushIn {
    card_push(busi_seq, status, "1440292201313", at)
}

fn card_push(busi_seq: &str, status: &str, card: &str, at: i64) -> PushIn {
    PushIn {
        busi_seq: busi_seq.into(),
        reg_status: status.into(),
        claim: match status {
            "1" => PushClaim::Success,
            "0" => PushClaim::Failure,
            _ => PushClaim::Unknown,
        },
        reg_msg: if status == "1" {
            "实名登记成功".into()
        } else {
            "活体检测未通过".into()
        },
        card_field: if card.is_empty() { "" } else { "msisdn" }.into(),
        card_value: card.into(),
        body: format!(r#"{{"busiSeq":"{busi_seq}","regStatus":"{status}"}}"#),
        received_at: at,
    }
}

/// Store these registrations: (busiSeq, card, created at).
async fn insert(s: &Store, regs: &[(&str, &str, i64)]) {
    for &(busi, card, at) in regs {
        s.insert_registration(&reg(busi, card, at)).await.unwrap();
    }
}

/// Apply one push: its outcome.
async fn apply_one(s: &Store, p: PushIn, policy: PushPolicy) -> PushOutcome {
    let out = s.apply_pushes(&[p], policy).await.unwrap();
    assert_eq!(out.len(), 1, "one outcome per push: {out:?}");
    out[0]
}

/// The state of registration `busi`, which must exist.
async fn state(s: &Store, busi: &str) -> String {
    s.registration(busi).await.unwrap().unwrap().state
}

/// The confirmation row of `busi` among `items`.
fn by_busi<'a>(items: &'a [ConfirmItem], busi: &str) -> &'a ConfirmItem {
    items.iter().find(|i| i.busi_seq == busi).unwrap()
}

fn busi_seqs(rs: &[Registration]) -> Vec<&str> {
    rs.iter().map(|r| r.busi_seq.as_str()).collect()
}

async fn registrations_lifecycle(s: &Store) {
    insert(
        s,
        &[
            ("B1", "1440000000001", 1_000),
            ("B2", "1440000000001", 2_000),
            ("B3", "1440000000002", 3_000),
            // Inserting the same busiSeq again changes nothing.
            ("B1", "9999", 9_000),
        ],
    )
    .await;
    let b1 = s.registration("B1").await.unwrap().unwrap();
    assert_eq!(
        (b1.card_value.as_str(), b1.state.as_str(), b1.created_at),
        ("1440000000001", "pending", 1_000)
    );
    assert!(s.registration("nope").await.unwrap().is_none());
    assert_eq!(
        s.latest_for_card("msisdn", "1440000000001")
            .await
            .unwrap()
            .unwrap()
            .busi_seq,
        "B2"
    );
    assert!(s
        .latest_for_card("iccid", "1440000000001")
        .await
        .unwrap()
        .is_none());

    let all = s.list(None, 0, i64::MAX, 10).await.unwrap();
    assert_eq!(busi_seqs(&all), ["B3", "B2", "B1"]);
    let window = s
        .list(Some(RegState::Pending), 1_500, 3_000, 10)
        .await
        .unwrap();
    assert_eq!(busi_seqs(&window), ["B2"]);
    assert_eq!(s.list(None, 0, i64::MAX, 1).await.unwrap().len(), 1);

    let old = s.pending_before(2_500, 10).await.unwrap();
    assert_eq!(busi_seqs(&old), ["B1", "B2"]);
    for (busi, registered, by, at, want, why) in [
        (
            "B1",
            true,
            "reconcile",
            5_000,
            Some(RegState::Registered),
            "pending and registered: registered",
        ),
        (
            "B1",
            true,
            "reconcile",
            6_000,
            None,
            "already registered: nothing changes",
        ),
        (
            "B2",
            false,
            "refresh",
            6_000,
            None,
            "pending and not registered: still pending",
        ),
    ] {
        assert_eq!(
            s.settle_by_23a23(busi, registered, by, false, at)
                .await
                .unwrap(),
            want,
            "{busi} at {at}: {why}"
        );
    }
    let b1 = s.registration("B1").await.unwrap().unwrap();
    assert_eq!(
        (
            b1.state.as_str(),
            b1.settled_by.as_deref(),
            b1.settled_at,
            b1.confirmation.as_deref()
        ),
        (
            "registered",
            Some("reconcile"),
            Some(5_000),
            Some("confirmed")
        )
    );
    // OneLink says no more: refresh corrects the other way.
    assert_eq!(
        s.settle_by_23a23("B1", false, "refresh", false, 7_000)
            .await
            .unwrap(),
        Some(RegState::Disputed)
    );
    s.settle_by_23a23("B1", true, "refresh", false, 8_000)
        .await
        .unwrap();
    assert_eq!(
        s.list(Some(RegState::Registered), 0, i64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn pushes_are_idempotent(s: &Store) {
    insert(
        s,
        &[
            ("P1", "1440292201313", 1_000),
            ("P2", "1440292201313", 1_001),
        ],
    )
    .await;
    let out = s
        .apply_pushes(
            &[
                push("P1", "1", 2_000),
                push("P2", "0", 2_001),
                push("P1", "1", 2_002),
            ],
            FORWARD,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        [
            PushOutcome::Applied,
            PushOutcome::Applied,
            PushOutcome::Duplicate
        ]
    );
    let p1 = s.registration("P1").await.unwrap().unwrap();
    assert_eq!(
        (
            p1.state.as_str(),
            p1.reg_status.as_deref(),
            p1.settled_by.as_deref(),
            p1.confirmation.as_deref()
        ),
        ("registered", Some("1"), Some("push"), Some("not_checked"))
    );
    assert_eq!(state(s, "P2").await, "failed");
    for (p, want, why) in [
        (
            push("P1", "1", 3_000),
            PushOutcome::Duplicate,
            "a resend in a later batch changes nothing either",
        ),
        (
            push("P1", "0", 3_001),
            PushOutcome::Quarantined("contradicts_registered"),
            "only 23A23 takes back a registered card: a failure push for it is quarantined",
        ),
    ] {
        assert_eq!(apply_one(s, p, FORWARD).await, want, "{why}");
    }
    assert_eq!(state(s, "P1").await, "registered");
    assert_eq!(s.push_count().await.unwrap(), 3);
    assert!(s.has_push("P2").await.unwrap());
    assert_eq!(
        s.outbox_pending().await.unwrap(),
        2,
        "one event per settled registration"
    );
    let ev = s.events(Some("P1"), 10).await.unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].event_type, "registration.registered");
    let payload: serde_json::Value = serde_json::from_str(&ev[0].payload).unwrap();
    assert_eq!(payload["data"]["confirmation"], "not_checked");
    assert_eq!(payload["data"]["msisdn"], "1440292201313");
}

/// A flood of forged pushes cannot grow the quarantine past its bound: the oldest go.
async fn quarantine_is_bounded(s: &Store) {
    insert(s, &[("QB", "1440000000001", 1_000)]).await;
    let flood: Vec<PushIn> = (0..7)
        .map(|i| card_push(&format!("FLOOD{i}"), "1", "1440000000001", 2_000 + i))
        .collect();
    let out = s.apply_pushes(&flood, CONFIRM).await.unwrap();
    assert!(out
        .iter()
        .all(|o| *o == PushOutcome::Quarantined("not_issued")));
    assert_eq!(s.trim_quarantine(3).await.unwrap(), 4);
    let kept: Vec<String> = s
        .quarantine(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.busi_seq)
        .collect();
    assert_eq!(kept, ["FLOOD6", "FLOOD5", "FLOOD4"]);
    assert_eq!(s.trim_quarantine(3).await.unwrap(), 0);
    // Applied pushes are never dropped.
    apply_one(s, card_push("QB", "1", "1440000000001", 9_000), CONFIRM).await;
    assert_eq!(s.trim_quarantine(0).await.unwrap(), 3);
    assert!(s.quarantine(0, 100).await.unwrap().is_empty());
    assert!(s.has_push("QB").await.unwrap());
}

/// Forged pushes: none of them changes a card state; all are kept in the quarantine.
async fn forged_pushes_are_quarantined(s: &Store) {
    insert(s, &[("F1", "1440000000001", 1_000)]).await;
    let out = s
        .apply_pushes(
            &[
                // A busiSeq this gateway never issued.
                card_push("NOT-OURS", "1", "1440000000001", 2_000),
                // An issued busiSeq with another card.
                card_push("F1", "1", "1440000000009", 2_001),
                // No usable card id (missing, two, malformed: the receiver makes them empty).
                card_push("F1", "1", "", 2_002),
            ],
            CONFIRM,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        [
            PushOutcome::Quarantined("not_issued"),
            PushOutcome::Quarantined("card_mismatch"),
            PushOutcome::Quarantined("no_card"),
        ]
    );
    assert!(s.registration("NOT-OURS").await.unwrap().is_none());
    assert_eq!(state(s, "F1").await, "pending");
    assert_eq!(s.confirm_open().await.unwrap(), 0);
    assert_eq!(s.outbox_pending().await.unwrap(), 0);
    let q = s.quarantine(0, 10).await.unwrap();
    let mut reasons: Vec<&str> = q.iter().filter_map(|q| q.reason.as_deref()).collect();
    reasons.sort_unstable();
    assert_eq!(reasons, ["card_mismatch", "no_card", "not_issued"]);
    let adopt = PushPolicy {
        adopt: true,
        ..CONFIRM
    };
    for (why, p, policy, want, then) in [
        (
            "the forged copy does not shadow the genuine push that follows: it is applied",
            card_push("F1", "1", "1440000000001", 3_000),
            CONFIRM,
            PushOutcome::Applied,
            Some("unconfirmed"),
        ),
        (
            "adoption is opt-in, and adopted claims start unconfirmed",
            card_push("ELSEWHERE", "1", "1440000000007", 4_000),
            adopt,
            PushOutcome::Adopted,
            Some("unconfirmed"),
        ),
        (
            // Here the card check is the only defence (no issued registration to mismatch).
            "even when adopting, a record without a usable card is never a registration",
            card_push("NOCARD", "1", "", 4_001),
            adopt,
            PushOutcome::Quarantined("no_card"),
            None,
        ),
    ] {
        let busi = p.busi_seq.clone();
        assert_eq!(apply_one(s, p, policy).await, want, "{why}");
        let now = s.registration(&busi).await.unwrap().map(|r| r.state);
        assert_eq!(now.as_deref(), then, "{why}");
    }
    assert_eq!(s.confirm_open().await.unwrap(), 2);
}

/// Success claims wait in the confirmation queue; a lease is exclusive and only its holder
/// closes the row; 23A23's answer decides.
async fn confirmation_queue_is_exactly_once(s: &Store) {
    insert(
        s,
        &[
            ("K1", "1440000000001", 1_000),
            ("K2", "1440000000002", 1_000),
            ("K3", "1440000000003", 1_000),
        ],
    )
    .await;
    s.apply_pushes(
        &[
            card_push("K1", "1", "1440000000001", 2_000),
            card_push("K2", "1", "1440000000002", 2_000),
            card_push("K3", "2", "1440000000003", 2_000),
        ],
        CONFIRM,
    )
    .await
    .unwrap();
    assert_eq!(state(s, "K3").await, "unknown");
    assert_eq!(
        s.outbox_pending().await.unwrap(),
        0,
        "nothing forwarded before 23A23"
    );
    let a = s.confirm_claim("A", 3_000, 30_000, 10).await.unwrap();
    assert_eq!(a.len(), 3);
    assert!(
        s.confirm_claim("B", 3_001, 30_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    // A's lease runs out; B takes K1..K3 over. A can no longer close them.
    let b = s.confirm_claim("B", 40_000, 30_000, 10).await.unwrap();
    assert_eq!(b.len(), 3);
    for (why, item, owner, registered, at, want) in [
        (
            "A's lease ran out: A can no longer close its row",
            &a[0],
            "A",
            true,
            40_001,
            None,
        ),
        (
            "K1: 23A23 says registered",
            by_busi(&b, "K1"),
            "B",
            true,
            40_002,
            Some(RegState::Registered),
        ),
        (
            "K2: 23A23 says not registered",
            by_busi(&b, "K2"),
            "B",
            false,
            40_003,
            Some(RegState::Disputed),
        ),
        (
            "an unreadable regStatus OneLink does not back is still pending, never failed",
            by_busi(&b, "K3"),
            "B",
            false,
            40_004,
            Some(RegState::Pending),
        ),
        (
            "closing again (a retry after a crash) does nothing",
            by_busi(&b, "K1"),
            "B",
            true,
            40_005,
            None,
        ),
    ] {
        assert_eq!(
            s.confirm_done(item, owner, registered, true, at)
                .await
                .unwrap(),
            want,
            "{why}"
        );
    }
    for busi in ["K1", "K2", "K3"] {
        assert_eq!(s.confirm_closed(busi).await.unwrap(), 1, "{busi}");
    }
    let k1 = s.registration("K1").await.unwrap().unwrap();
    assert_eq!(
        (
            k1.state.as_str(),
            k1.settled_by.as_deref(),
            k1.confirmation.as_deref()
        ),
        ("registered", Some("confirm"), Some("confirmed"))
    );
    let k2 = s.registration("K2").await.unwrap().unwrap();
    assert_eq!(
        (k2.state.as_str(), k2.confirmation.as_deref()),
        ("disputed", Some("contradicted"))
    );
    let types: Vec<String> = s
        .events(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["registration.disputed", "registration.registered"]);
    // A retry waits, and only the holder can postpone it.
    insert(s, &[("K4", "1440000000004", 1_000)]).await;
    apply_one(s, card_push("K4", "1", "1440000000004", 50_000), CONFIRM).await;
    let c = s.confirm_claim("A", 50_001, 30_000, 10).await.unwrap();
    s.confirm_retry(&c[0], "A", 60_000, "13000").await.unwrap();
    assert!(s
        .confirm_claim("B", 59_999, 30_000, 10)
        .await
        .unwrap()
        .is_empty());
    let again = s.confirm_claim("B", 60_000, 30_000, 10).await.unwrap();
    assert_eq!((again[0].busi_seq.as_str(), again[0].attempts), ("K4", 2));
}

async fn concurrent_duplicates_store_once(s: &Store) {
    insert(s, &[("C1", "1440292201313", 1_000)]).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.apply_pushes(&[push("C1", "1", 10_000 + i)], CONFIRM)
                .await
        }));
    }
    let mut stored = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        // Exactly one Applied, every other call Duplicate, none lost.
        let out = within(&format!("push writer {i}"), DEADLINE, t)
            .await
            .unwrap()
            .unwrap();
        stored += out.iter().filter(|o| **o == PushOutcome::Applied).count();
    }
    assert_eq!(stored, 1);
    assert!(s.has_push("C1").await.unwrap());
    assert_eq!(
        s.confirm_open().await.unwrap(),
        1,
        "one confirmation queued"
    );
}

async fn events_lease_retry_and_redeliver(s: &Store) {
    insert(
        s,
        &[("O1", "1440292201313", 50), ("O2", "1440292201313", 50)],
    )
    .await;
    s.apply_pushes(&[push("O1", "1", 100), push("O2", "0", 100)], FORWARD)
        .await
        .unwrap();
    let a = s.events_claim("A", 1_000, 30_000, 10).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].attempts, 1);
    assert!(a.iter().all(|e| e.event_id.starts_with("msg_")));
    // Leased: another instance claiming now gets nothing.
    assert!(s
        .events_claim("B", 1_001, 30_000, 10)
        .await
        .unwrap()
        .is_empty());
    let attempt = |id, status: Option<i64>, err: Option<&str>| Delivery {
        outbox_id: id,
        attempt: 1,
        at: 1_500,
        http_status: status,
        error: err.map(Into::into),
        answer: Some("ok".into()),
        latency_ms: 7,
    };
    s.event_attempted(&a[0], &attempt(a[0].id, Some(200), None), true, None)
        .await
        .unwrap();
    s.event_attempted(
        &a[1],
        &attempt(a[1].id, Some(503), Some("HTTP 503")),
        false,
        Some(2_000),
    )
    .await
    .unwrap();
    assert!(s
        .events_claim("B", 1_999, 30_000, 10)
        .await
        .unwrap()
        .is_empty());
    let again = s.events_claim("B", 2_000, 30_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].event_id.as_str(), again[0].attempts),
        (a[1].event_id.as_str(), 2)
    );
    // The last attempt of the schedule fails: given up, then redelivered by hand.
    s.event_attempted(
        &again[0],
        &attempt(again[0].id, None, Some("unreachable")),
        false,
        None,
    )
    .await
    .unwrap();
    assert_eq!(s.outbox_pending().await.unwrap(), 0);
    let row = s.event(&again[0].event_id).await.unwrap().unwrap();
    assert!(row.failed_at.is_some());
    assert_eq!(s.deliveries(row.id).await.unwrap().len(), 2);
    assert!(s.redeliver(&row.event_id, 3_000).await.unwrap());
    assert!(!s.redeliver("msg_nope", 3_000).await.unwrap());
    let re = s.events_claim("A", 3_000, 30_000, 10).await.unwrap();
    assert_eq!(re[0].event_id, row.event_id, "same webhook-id");
}

async fn audits_are_kept(s: &Store) {
    for (i, code) in ["000", "001", "121011"].iter().enumerate() {
        s.record_audit(&Audit {
            at: 1_000 + i as i64,
            kind: "verify".into(),
            app_id: "300011580392".into(),
            phone_masked: Some("138****0000".into()),
            client_ip: Some("127.0.0.1".into()),
            code: (*code).into(),
            latency_ms: 12,
        })
        .await
        .unwrap();
    }
    let a = s.audits(2).await.unwrap();
    assert_eq!(
        a.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        ["121011", "001"]
    );
    assert_eq!(a[0].phone_masked.as_deref(), Some("138****0000"));
}

macro_rules! suite {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (s, _dir) = crate::support::sqlite().await;
                    s.ping().await.unwrap();
                    super::$name(&s).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(s) = crate::support::postgres().await else { return };
                    s.ping().await.unwrap();
                    super::$name(&s).await;
                }
            )*
        }
    };
}

suite!(
    registrations_lifecycle,
    pushes_are_idempotent,
    forged_pushes_are_quarantined,
    quarantine_is_bounded,
    confirmation_queue_is_exactly_once,
    concurrent_duplicates_store_once,
    events_lease_retry_and_redeliver,
    audits_are_kept
);

#[tokio::test]
async fn sqlite_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("gw.db").display());
    let s = Store::connect(&url).await.unwrap();
    s.apply_pushes(&[push("R1", "1", 1)], CONFIRM)
        .await
        .unwrap();
    s.close().await;
    let s = Store::connect(&url).await.unwrap();
    assert!(s.has_push("R1").await.unwrap());
}

#[tokio::test]
async fn bad_url_is_a_clear_error() {
    let e = Store::connect("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite: or postgres://"), "{e}");
}
