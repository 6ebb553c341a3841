//! Background work of a gateway: reconciliation of registrations no push settled (pending ones,
//! and disputed ones a genuine push may still come for). Confirmation of push claims is in
//! [`crate::confirm`], webhook delivery in [`crate::webhook`].

use std::time::Duration;

use cmcc_proto::CardId;
use tokio::sync::watch;

use crate::app::AppState;

/// Wait `d`, or less if the gateway is stopping or its clock is moved (a test moving time
/// should not wait for the loop's next tick). Returns `false` when the gateway is stopping.
pub(crate) async fn pause(st: &AppState, stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return false;
    }
    let mut moved = st.clock.moved();
    moved.mark_unchanged();
    let stopped = tokio::select! {
        () = tokio::time::sleep(d) => false,
        _ = moved.changed() => false,
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
    while pause(&st, &mut stop, every).await {
        let cutoff = st.clock.now_ms() - i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
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
            let Ok(card) = card_of(&r.card_field, &r.card_value) else {
                continue;
            };
            match onelink.identity_info(&card).await {
                Ok(info) if info.status == "1" => {
                    let now = st.clock.now_ms();
                    match st
                        .store
                        .settle_by_23a23(
                            &r.busi_seq,
                            true,
                            "reconcile",
                            st.cfg.forward_url.is_some(),
                            now,
                        )
                        .await
                    {
                        Ok(Some(_)) => {
                            metrics::counter!("cmcc_reconciled_total").increment(1);
                            tracing::info!(busi_seq = %r.busi_seq, card = %card, "registration settled by 23A23");
                        }
                        Ok(None) => {}
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

/// A stored card as the SDK's card id.
pub(crate) fn card_of(field: &str, value: &str) -> Result<CardId, cmcc_proto::ids::IdError> {
    match field {
        "msisdn" => CardId::from_fields(Some(value), None, None),
        "iccid" => CardId::from_fields(None, Some(value), None),
        _ => CardId::from_fields(None, None, Some(value)),
    }
}
