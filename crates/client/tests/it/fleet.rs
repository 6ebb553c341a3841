//! The fleet methods of `OneLinkClient` against the in-process sandbox: each API's answers and
//! refusals, changes sent exactly once (never retried), and the batch helper across the
//! 100-card boundary and with a job that finishes after the deadline.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cmcc_client::onelink::{
    outcome_unknown, BatchEvent, BatchOptions, CardOutcome, Change, JobWait,
};
use cmcc_client::Error;
use cmcc_proto::wire::onelink::{self as wire, CardState, StatusChange};
use cmcc_proto::CardId;
use cmcc_testkit::magic::{CANCELLED, DATA_OFF, FROZEN, OTHERS, PENDING, STOCK, STOPPED};
use cmcc_testkit::{
    path, spawn_sandbox, spawn_sandbox_with, Sandbox, SandboxConfig, DEMO_ENTERPRISE,
};

use crate::support::*;

/// Magic card 1, named by its state here: active.
const ACTIVE: &str = cmcc_testkit::magic::FRESH;

const CHANGE: &str = path::<wire::ChangeStatus>();
const BATCH: &str = path::<wire::BatchChangeStatus>();
const JOB: &str = path::<wire::QueryBatchJob>();

fn generate(sb: &Sandbox, n: u32) -> Vec<CardId> {
    let mut inv = sb.sandbox.onelink.inventory.write();
    let first = inv.generate(DEMO_ENTERPRISE, n).unwrap();
    inv.cards[first..]
        .iter()
        .map(|c| msisdn(&c.msisdn))
        .collect()
}

fn fast() -> BatchOptions {
    BatchOptions {
        poll_first: Duration::from_millis(200),
        poll_max: Duration::from_millis(500),
        deadline: Duration::from_secs(20),
        ..BatchOptions::default()
    }
}

#[tokio::test]
async fn queries_answer_and_refuse() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    for (card, state) in [
        (ACTIVE, CardState::Active),
        (STOPPED, CardState::Stopped),
        (PENDING, CardState::Pending),
        (STOCK, CardState::Stock),
        (CANCELLED, CardState::PreCancelled),
    ] {
        assert_eq!(
            c.card_status(&msisdn(card)).await.unwrap().state(),
            Some(state),
            "{card}"
        );
    }
    let info = c.basic_info(&msisdn(ACTIVE)).await.unwrap();
    assert_eq!(info.iccid, "89860424000000000001");
    assert_eq!(info.imsi, "460044000000001");
    assert_ne!(info.active_date.trim(), "");
    assert_eq!(c.basic_info(&msisdn(STOCK)).await.unwrap().active_date, " ");
    assert_eq!(c.imei(&msisdn(ACTIVE)).await.unwrap().imei.len(), 15);
    assert_eq!(c.imei(&msisdn(PENDING)).await.unwrap().imei, "");

    // Usage grows with the virtual clock; the margin is the plan less it.
    let before = wire::kb(&c.data_usage(&msisdn(ACTIVE)).await.unwrap().data_amount);
    advance(&sb, 600);
    let usage = c.data_usage(&msisdn(ACTIVE)).await.unwrap();
    let after = wire::kb(&usage.data_amount).unwrap();
    assert!(after > before.unwrap_or(0.0) + 50.0, "{before:?} → {after}");
    assert_eq!(usage.apn_use_amount_list[0].apn_name, "CMIOT");
    assert_eq!(
        wire::kb(&c.data_usage(&msisdn(STOPPED)).await.unwrap().data_amount),
        None,
        "no usage is \" \""
    );
    let margin = c.data_margin(&msisdn(ACTIVE)).await.unwrap();
    let m = &margin.accm_margin_list[0];
    let (total, used, left) = (
        wire::kb(&m.total_amount).unwrap(),
        wire::kb(&m.use_amount).unwrap(),
        wire::kb(&m.remain_amount).unwrap(),
    );
    assert!((total - used - left).abs() < 0.01 && used > 0.0, "{m:?}");

    let online = c.sessions(&msisdn(ACTIVE)).await.unwrap();
    assert_eq!(online.sim_session_list[0].status, "01");
    assert!(!online.sim_session_list[0].ip.is_empty());
    assert!(c
        .sessions(&msisdn(DATA_OFF))
        .await
        .unwrap()
        .sim_session_list
        .is_empty());
    let f = c.function_status(&msisdn(DATA_OFF)).await.unwrap();
    let data = f
        .service_type_list
        .iter()
        .find(|s| s.service_type == "11")
        .unwrap();
    assert_eq!(data.service_status, "1", "data off");

    // GPRS reset: a new session; none to reset without one.
    c.reset_gprs(&msisdn(ACTIVE)).await.unwrap();
    assert_onelink(&c.reset_gprs(&msisdn(DATA_OFF)).await.unwrap_err(), "12017");

    // Batch card info: one entry per card, each with its own status.
    let cards = [msisdn(ACTIVE), msisdn(OTHERS), msisdn(STOCK)];
    let info = c.batch_card_info(&cards).await.unwrap();
    assert_eq!(info.len(), 3);
    let of = |m: &str| info.iter().find(|i| i.msisdn == m).unwrap();
    assert_eq!(of(ACTIVE).status, "0");
    assert_eq!(of(ACTIVE).iccid, "89860424000000000001");
    assert_eq!(of(OTHERS).status, "12011");
    // More than 100, or mixed kinds: never sent.
    let before = journal_count(&sb, path::<wire::QueryBatchCardInfo>());
    let many = generate(&sb, 101);
    assert!(matches!(
        c.batch_card_info(&many).await.unwrap_err(),
        Error::Input(_)
    ));
    let iccid = CardId::from_fields(None, Some("89860424000000000001"), None).unwrap();
    assert!(matches!(
        c.batch_card_info(&[msisdn(ACTIVE), iccid])
            .await
            .unwrap_err(),
        Error::Input(_)
    ));
    assert_eq!(
        journal_count(&sb, path::<wire::QueryBatchCardInfo>()),
        before
    );

    // Refusals every card API shares.
    for e in [
        c.card_status(&msisdn(OTHERS)).await.unwrap_err(),
        c.data_usage(&msisdn("1440999999999")).await.unwrap_err(),
        c.imei(&msisdn(OTHERS)).await.unwrap_err(),
        c.sessions(&msisdn(OTHERS)).await.unwrap_err(),
    ] {
        assert_onelink(&e, "12011");
    }
    assert_eq!(c.token_fetches(), 1, "one token for every call");
}

#[tokio::test]
async fn changes_answer_and_refuse_by_the_card_life() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let active = msisdn(ACTIVE);
    assert!(matches!(
        c.change_status(&active, StatusChange::Stop).await.unwrap(),
        Change::Done { .. }
    ));
    assert_eq!(
        c.card_status(&active).await.unwrap().state(),
        Some(CardState::Stopped)
    );
    // The same card within the change window.
    assert_onelink(
        &c.change_status(&active, StatusChange::Resume)
            .await
            .unwrap_err(),
        "12015",
    );
    // Already in that state is success, not an error.
    assert_eq!(
        c.change_status(&msisdn(STOPPED), StatusChange::Stop)
            .await
            .unwrap(),
        Change::AlreadyInState {
            code: "12048".into()
        }
    );
    assert_onelink(
        &c.change_status(&msisdn(CANCELLED), StatusChange::Resume)
            .await
            .unwrap_err(),
        "12017",
    );
    assert_onelink(
        &c.change_status(&msisdn(FROZEN), StatusChange::Stop)
            .await
            .unwrap_err(),
        "12015",
    );
    assert_onelink(
        &c.change_status(&msisdn(PENDING), StatusChange::Resume)
            .await
            .unwrap_err(),
        "12017",
    );
    assert!(matches!(
        c.change_status(&msisdn(PENDING), StatusChange::PendingToActive)
            .await
            .unwrap(),
        Change::Done { .. }
    ));
    advance(&sb, 181);
    assert!(matches!(
        c.change_status(&active, StatusChange::Resume)
            .await
            .unwrap(),
        Change::Done { .. }
    ));

    // Data on/off (23M07).
    let off = msisdn(DATA_OFF);
    assert_eq!(
        c.switch_apn(&off, false, "CMIOT").await.unwrap(),
        Change::AlreadyInState {
            code: "12048".into()
        }
    );
    assert!(matches!(
        c.switch_apn(&off, true, "CMIOT").await.unwrap(),
        Change::Done { .. }
    ));
    assert_eq!(c.sessions(&off).await.unwrap().sim_session_list.len(), 1);
    assert_onelink(
        &c.switch_apn(&msisdn(ACTIVE), false, "NOPE")
            .await
            .unwrap_err(),
        "12019",
    );
    assert!(matches!(
        c.switch_apn(&off, false, " ").await.unwrap_err(),
        Error::Input(_)
    ));
}

#[tokio::test]
async fn a_change_is_sent_once_even_when_its_answer_is_lost() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    c.token().await.unwrap();
    for code in ["13000", "999999", "http503"] {
        fault(&sb, CHANGE, Some(code), 0, 1);
        let before = journal_count(&sb, CHANGE);
        let e = c
            .change_status(&msisdn(ACTIVE), StatusChange::Stop)
            .await
            .unwrap_err();
        assert_eq!(journal_count(&sb, CHANGE), before + 1, "{code}: sent once");
        assert_eq!(outcome_unknown(&e), code == "http503", "{code}: {e}");
    }
    // A timeout: the sandbox may have made the change; the SDK does not send it again.
    let slow = onelink_impatient(&sb, Duration::from_millis(300)).await;
    fault(&sb, CHANGE, None, 1_000, 1);
    let before = journal_count(&sb, CHANGE);
    let e = slow
        .change_status(&msisdn(ACTIVE), StatusChange::Stop)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(outcome_unknown(&e));
    // Past the sandbox's delayed answer.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(journal_count(&sb, CHANGE) <= before + 1, "never re-sent");
}

#[tokio::test]
async fn the_batch_helper_splits_at_100_and_reports_each_card() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let mut cards = generate(&sb, 250);
    cards.insert(10, msisdn(STOPPED));
    cards.push(msisdn(CANCELLED));
    cards.push(cards[0].clone()); // a duplicate: sent once
    let (submitting, submitted, finished) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let largest = AtomicUsize::new(0);
    let hook = |e: BatchEvent<'_>| -> Result<(), String> {
        match e {
            BatchEvent::Submitting { cards } => {
                submitting.fetch_add(1, Ordering::SeqCst);
                largest.fetch_max(cards.len(), Ordering::SeqCst);
            }
            BatchEvent::Submitted { .. } => {
                submitted.fetch_add(1, Ordering::SeqCst);
            }
            BatchEvent::Finished { results, .. } => {
                finished.fetch_add(results.len(), Ordering::SeqCst);
            }
        }
        Ok(())
    };
    let results = c
        .change_status_batched(&cards, StatusChange::Stop, &fast(), &hook)
        .await;
    assert_eq!(results.len(), 252, "one result per distinct card");
    assert_eq!(journal_count(&sb, BATCH), 3, "252 cards: 3 calls");
    assert_eq!(submitting.load(Ordering::SeqCst), 3);
    assert_eq!(submitted.load(Ordering::SeqCst), 3);
    assert_eq!(finished.load(Ordering::SeqCst), 252);
    assert_eq!(largest.load(Ordering::SeqCst), 100);
    assert!(journal_count(&sb, JOB) >= 3, "each job polled");
    assert_eq!(results[10].card, msisdn(STOPPED), "input order");
    assert_eq!(
        results[10].outcome,
        CardOutcome::AlreadyInState("12048".into())
    );
    match &results[251].outcome {
        CardOutcome::Refused(e) => assert_eq!(e.code.as_str(), "12017"),
        o => panic!("{o:?}"),
    }
    let changed: Vec<_> = results
        .iter()
        .filter(|r| r.outcome == CardOutcome::Changed)
        .collect();
    assert_eq!(changed.len(), 250);
    for r in changed.iter().step_by(25) {
        assert_eq!(
            c.card_status(&r.card).await.unwrap().state(),
            Some(CardState::Stopped)
        );
    }

    // A hook that cannot record keeps its batch unsent.
    let before = journal_count(&sb, BATCH);
    let refuse = |e: BatchEvent<'_>| match e {
        BatchEvent::Submitting { .. } => Err("disk full".to_owned()),
        _ => Ok(()),
    };
    let r = c
        .change_status_batched(&cards[..5], StatusChange::Resume, &fast(), &refuse)
        .await;
    assert!(r
        .iter()
        .all(|r| r.outcome == CardOutcome::NotSent("disk full".into())));
    assert_eq!(journal_count(&sb, BATCH), before);

    // More than 100 in one direct call: refused before sending.
    assert!(matches!(
        c.batch_change_status(&cards[..101], StatusChange::Resume, None)
            .await
            .unwrap_err(),
        Error::Input(_)
    ));
    assert_eq!(journal_count(&sb, BATCH), before);
}

#[tokio::test]
async fn a_job_that_finishes_after_the_deadline_is_pending_then_polled() {
    let mut config = SandboxConfig::default();
    config.onelink.batch_job_delay_secs = 3_600;
    let sb = spawn_sandbox_with(config).await;
    let (c, _) = onelink(&sb);
    let cards = generate(&sb, 120);
    let opts = BatchOptions {
        poll_first: Duration::from_millis(100),
        poll_max: Duration::from_millis(200),
        deadline: Duration::from_millis(700),
        ..BatchOptions::default()
    };
    let none = |_: BatchEvent<'_>| Ok(());
    let results = c
        .change_status_batched(&cards, StatusChange::Stop, &opts, &none)
        .await;
    let jobs: std::collections::BTreeSet<String> = results
        .iter()
        .map(|r| match &r.outcome {
            CardOutcome::Pending { job_id } => job_id.clone(),
            o => panic!("{o:?}"),
        })
        .collect();
    assert_eq!(jobs.len(), 2, "120 cards: 2 jobs, both still running");
    assert_eq!(
        c.card_status(&cards[0]).await.unwrap().state(),
        Some(CardState::Active),
        "not changed yet"
    );
    let polls = journal_count(&sb, JOB);
    assert!(
        polls >= 4,
        "polled with backoff until the deadline: {polls}"
    );

    // The job finishes an hour later (virtual clock); polling it again gives each card's outcome.
    advance(&sb, 3_601);
    let job = jobs.iter().next().unwrap();
    let first: Vec<CardId> = results
        .iter()
        .filter(|r| matches!(&r.outcome, CardOutcome::Pending { job_id } if job_id == job))
        .map(|r| r.card.clone())
        .collect();
    let done = c.resume_job(job, &first, &fast()).await;
    assert!(
        done.iter().all(|r| r.outcome == CardOutcome::Changed),
        "{done:?}"
    );
    match c.wait_job(job, &fast()).await.unwrap() {
        JobWait::Finished(r) => assert_eq!(r.job_status, "2"),
        w => panic!("{w:?}"),
    }
    assert_eq!(journal_count(&sb, BATCH), 2, "never re-sent");
    assert_onelink(&c.batch_job("no-such-job").await.unwrap_err(), "12018");
}

#[tokio::test]
async fn a_batch_whose_answer_is_lost_is_unknown_and_not_resent() {
    let sb = spawn_sandbox().await;
    let (c, _) = onelink(&sb);
    let cards = generate(&sb, 3);
    c.token().await.unwrap();
    fault(&sb, BATCH, Some("http503"), 0, 1);
    let none = |_: BatchEvent<'_>| Ok(());
    let r = c
        .change_status_batched(&cards, StatusChange::Stop, &fast(), &none)
        .await;
    assert!(
        r.iter()
            .all(|r| matches!(&r.outcome, CardOutcome::Unknown { job_id: None, .. })),
        "{r:?}"
    );
    assert_eq!(journal_count(&sb, BATCH), 1);
    // A refusal of the whole batch is each card's refusal.
    fault(&sb, BATCH, Some("12030"), 0, 1);
    let r = c
        .change_status_batched(&cards, StatusChange::Stop, &fast(), &none)
        .await;
    assert!(r
        .iter()
        .all(|r| matches!(&r.outcome, CardOutcome::Refused(e) if e.code.as_str() == "12030")));
}
