//! Background work of a gateway: reconciliation of registrations the push never settled, and
//! at-least-once forwarding of results to the business's webhook from the outbox.

use std::time::Duration;

use chrono::Utc;
use cmcc_proto::CardId;
use tokio::sync::watch;

use crate::app::AppState;
use crate::store::RegState;

/// Wait `d`, or less if the gateway is stopping. Returns `false` when it is.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return false;
    }
    let stopped = tokio::select! {
        () = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    };
    !stopped && !*stop.borrow()
}

/// A registration still pending `reconcile_after_secs` after it was issued is asked about with
/// 23A23; a registered card settles it. One instance handles each registration per minute
/// (a shared once-marker), so a fleet does not query the same card N times.
pub async fn reconcile_loop(st: AppState, mut stop: watch::Receiver<bool>) {
    let Some(onelink) = st.onelink.clone() else {
        return;
    };
    let after = Duration::from_secs(st.cfg.reconcile_after_secs);
    let every = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    while pause(&mut stop, every).await {
        let cutoff =
            Utc::now().timestamp_millis() - i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
        let pending = match st.store.pending_before(cutoff, 100).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "reconcile: listing pending registrations failed");
                continue;
            }
        };
        for r in pending {
            if *stop.borrow() {
                return;
            }
            match st
                .shared
                .set_once(
                    &format!("reconcile:{}", r.busi_seq),
                    Duration::from_secs(60),
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "reconcile: shared state unavailable");
                    break;
                }
            }
            let card = match r.card_field.as_str() {
                "msisdn" => CardId::from_fields(Some(&r.card_value), None, None),
                "iccid" => CardId::from_fields(None, Some(&r.card_value), None),
                _ => CardId::from_fields(None, None, Some(&r.card_value)),
            };
            let Ok(card) = card else {
                continue;
            };
            match onelink.identity_info(&card).await {
                Ok(info) if info.status == "1" => {
                    let now = Utc::now().timestamp_millis();
                    match st
                        .store
                        .settle(&r.busi_seq, RegState::Registered, "23A23: registered", now)
                        .await
                    {
                        Ok(true) => {
                            metrics::counter!("cmcc_reconciled_total").increment(1);
                            tracing::info!(busi_seq = %r.busi_seq, card = %card, "registration settled by 23A23");
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "reconcile: settle failed"),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(busi_seq = %r.busi_seq, error = %e, "reconcile: 23A23 failed; next round")
                }
            }
        }
    }
}

/// Backoff between deliveries of one outbox message: 1 s, 2 s, 4 s … capped at 10 min.
fn backoff_ms(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    (1000_i64.saturating_mul(1 << exp.min(10))).min(600_000)
}

/// Deliver outbox messages to `forward_url`, at least once, with leases so instances share
/// the work.
pub async fn outbox_loop(st: AppState, mut stop: watch::Receiver<bool>) {
    let Some(url) = st.cfg.forward_url.clone() else {
        return;
    };
    let lease_ms = 30_000;
    while pause(&mut stop, Duration::from_millis(250)).await {
        let now = Utc::now().timestamp_millis();
        let items = match st.store.outbox_claim(now, lease_ms, 50).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: claim failed");
                continue;
            }
        };
        for it in items {
            let sent = st
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("x-cmcc-busi-seq", &it.busi_seq)
                .body(it.payload.clone())
                .send()
                .await;
            let now = Utc::now().timestamp_millis();
            let outcome = match sent {
                Ok(r) if r.status().is_success() => st.store.outbox_done(it.id, now).await,
                Ok(r) => {
                    let err = format!("HTTP {}", r.status().as_u16());
                    st.store
                        .outbox_retry(it.id, now + backoff_ms(it.attempts), &err)
                        .await
                }
                Err(e) => {
                    let err = if e.is_timeout() {
                        "timeout".to_owned()
                    } else {
                        "unreachable".to_owned()
                    };
                    st.store
                        .outbox_retry(it.id, now + backoff_ms(it.attempts), &err)
                        .await
                }
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "outbox: recording the attempt failed");
            }
        }
    }
}
