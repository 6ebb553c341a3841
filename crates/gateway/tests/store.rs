//! One storage suite, run against every backend: SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "suite helpers fail the test loudly on any unexpected error"
)]

mod common;

use cmcc_gateway::store::{Audit, NewRegistration, PushIn, PushOutcome, RegState, Store};

fn reg(busi_seq: &str, card: &str, at: i64) -> NewRegistration {
    NewRegistration {
        busi_seq: busi_seq.into(),
        card_field: "msisdn".into(),
        card_value: card.into(),
        url_type: 6,
        url: format!("http://sandbox/reg/{busi_seq}"),
        created_at: at,
    }
}

fn push(busi_seq: &str, status: &str, at: i64) -> PushIn {
    PushIn {
        busi_seq: busi_seq.into(),
        reg_status: status.into(),
        reg_msg: if status == "1" {
            "实名登记成功".into()
        } else {
            "活体检测未通过".into()
        },
        card_field: "msisdn".into(),
        card_value: "1440292201313".into(),
        body: format!(r#"{{"busiSeq":"{busi_seq}","regStatus":"{status}"}}"#),
        received_at: at,
    }
}

async fn registrations_lifecycle(s: &Store) {
    s.insert_registration(&reg("B1", "1440000000001", 1_000))
        .await
        .unwrap();
    s.insert_registration(&reg("B2", "1440000000001", 2_000))
        .await
        .unwrap();
    s.insert_registration(&reg("B3", "1440000000002", 3_000))
        .await
        .unwrap();
    // Inserting the same busiSeq again changes nothing.
    s.insert_registration(&reg("B1", "9999", 9_000))
        .await
        .unwrap();
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
    assert_eq!(
        all.iter().map(|r| r.busi_seq.as_str()).collect::<Vec<_>>(),
        ["B3", "B2", "B1"]
    );
    let window = s
        .list(Some(RegState::Pending), 1_500, 3_000, 10)
        .await
        .unwrap();
    assert_eq!(
        window
            .iter()
            .map(|r| r.busi_seq.as_str())
            .collect::<Vec<_>>(),
        ["B2"]
    );
    assert_eq!(s.list(None, 0, i64::MAX, 1).await.unwrap().len(), 1);

    let old = s.pending_before(2_500, 10).await.unwrap();
    assert_eq!(
        old.iter().map(|r| r.busi_seq.as_str()).collect::<Vec<_>>(),
        ["B1", "B2"]
    );
    assert!(s
        .settle("B1", RegState::Registered, "by 23A23", 5_000)
        .await
        .unwrap());
    assert!(
        !s.settle("B1", RegState::Failed, "again", 6_000)
            .await
            .unwrap(),
        "only pending ones settle"
    );
    let b1 = s.registration("B1").await.unwrap().unwrap();
    assert_eq!(
        (b1.state.as_str(), b1.settled_by.as_deref(), b1.settled_at),
        ("registered", Some("reconcile"), Some(5_000))
    );
    assert_eq!(
        s.list(Some(RegState::Registered), 0, i64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn pushes_are_idempotent(s: &Store) {
    s.insert_registration(&reg("P1", "1440292201313", 1_000))
        .await
        .unwrap();
    let out = s
        .apply_pushes(
            &[
                push("P1", "1", 2_000),
                push("P2", "0", 2_001),
                push("P1", "0", 2_002),
            ],
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        [
            PushOutcome::Stored,
            PushOutcome::Stored,
            PushOutcome::Duplicate
        ]
    );
    let p1 = s.registration("P1").await.unwrap().unwrap();
    assert_eq!(
        (
            p1.state.as_str(),
            p1.reg_status.as_deref(),
            p1.settled_by.as_deref()
        ),
        ("registered", Some("1"), Some("push"))
    );
    // A push for a registration this gateway never asked for is kept, not dropped.
    let p2 = s.registration("P2").await.unwrap().unwrap();
    assert_eq!(
        (p2.state.as_str(), p2.card_value.as_str()),
        ("failed", "1440292201313")
    );
    // A resend in a later batch changes nothing either.
    assert_eq!(
        s.apply_pushes(&[push("P1", "0", 3_000)], true)
            .await
            .unwrap(),
        [PushOutcome::Duplicate]
    );
    assert_eq!(
        s.registration("P1").await.unwrap().unwrap().state,
        "registered"
    );
    assert_eq!(s.push_count().await.unwrap(), 2);
    assert!(s.has_push("P2").await.unwrap());
    assert_eq!(s.outbox_pending().await.unwrap(), 2);
    // Without forwarding, no outbox rows.
    s.apply_pushes(&[push("P3", "1", 4_000)], false)
        .await
        .unwrap();
    assert_eq!(s.outbox_pending().await.unwrap(), 2);
}

async fn concurrent_duplicates_store_once(s: &Store) {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.apply_pushes(&[push("C1", "1", 10_000 + i)], false).await
        }));
    }
    let mut stored = 0;
    for t in tasks {
        // A concurrent duplicate may also surface as a unique-violation race on some backends;
        // the contract is: exactly one Stored, every other call Duplicate, none lost.
        let out = t.await.unwrap().unwrap();
        stored += out.iter().filter(|o| **o == PushOutcome::Stored).count();
    }
    assert_eq!(stored, 1);
    assert!(s.has_push("C1").await.unwrap());
}

async fn outbox_leases(s: &Store) {
    s.apply_pushes(&[push("O1", "1", 100), push("O2", "1", 100)], true)
        .await
        .unwrap();
    let a = s.outbox_claim(1_000, 30_000, 10).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].attempts, 0);
    // Leased: another instance claiming now gets nothing.
    assert!(s.outbox_claim(1_001, 30_000, 10).await.unwrap().is_empty());
    s.outbox_done(a[0].id, 1_500).await.unwrap();
    s.outbox_retry(a[1].id, 2_000, "webhook answered 503")
        .await
        .unwrap();
    assert!(s.outbox_claim(1_999, 30_000, 10).await.unwrap().is_empty());
    let again = s.outbox_claim(2_000, 30_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].busi_seq.as_str(), again[0].attempts), ("O2", 1));
    assert_eq!(s.outbox_pending().await.unwrap(), 1);
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
                    let (s, _dir) = crate::common::sqlite().await;
                    s.ping().await.unwrap();
                    super::$name(&s).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(s) = crate::common::postgres().await else { return };
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
    concurrent_duplicates_store_once,
    outbox_leases,
    audits_are_kept
);

#[tokio::test]
async fn sqlite_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("gw.db").display());
    let s = Store::connect(&url).await.unwrap();
    s.apply_pushes(&[push("R1", "1", 1)], false).await.unwrap();
    s.close().await;
    let s = Store::connect(&url).await.unwrap();
    assert!(s.has_push("R1").await.unwrap());
}

#[tokio::test]
async fn bad_url_is_a_clear_error() {
    let e = Store::connect("mysql://x").await.unwrap_err();
    assert!(e.to_string().contains("sqlite: or postgres://"), "{e}");
}
