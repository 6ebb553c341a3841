//! Confirm before trusting: a push that claims success (or whose regStatus the carrier document
//! does not define) is checked with 23A23 for its card, from the durable queue the push writer
//! filled in the push's own transaction. The acknowledgement never waits for this.
//!
//! Any instance may take queued rows (leases, see [`crate::store`]); the 23A23 call goes through
//! the same OneLink client as everything else (one shared token, the same retry rules). When
//! 23A23 cannot be asked, the row waits 2 s, 4 s, 8 s … up to 5 minutes and is tried again.

use std::time::Duration;

use tokio::sync::watch;

use crate::app::AppState;
use crate::background::{card_of, pause};
use crate::store::{ConfirmItem, RegState};

/// Wait after the n-th failed attempt to ask 23A23.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 9)).unwrap_or(9);
    (1000_i64 << exp).min(300_000)
}

pub async fn confirm_loop(st: AppState, mut stop: watch::Receiver<bool>) {
    let Some(onelink) = st.onelink.clone() else {
        return;
    };
    let lease_ms = i64::try_from(st.cfg.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    while pause(&st, &mut stop, Duration::from_millis(200)).await {
        let now = st.clock.now_ms();
        let items = match st.store.confirm_claim(&st.owner, now, lease_ms, 20).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "confirm: claiming queued confirmations failed");
                continue;
            }
        };
        for it in items {
            if *stop.borrow() {
                // Leased rows come back to the queue when the lease ends.
                return;
            }
            confirm_one(&st, &onelink, &it).await;
        }
        // The `cmcc_confirm_pending` gauge is counted when /metrics is scraped, not here: a
        // count every 200 ms is an index scan that grows with the queue.
    }
}

async fn confirm_one(st: &AppState, onelink: &cmcc_client::OneLinkClient, it: &ConfirmItem) {
    let forward = st.cfg.forward_url.is_some();
    let reg = match st.store.registration(&it.busi_seq).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "confirm: reading the registration failed");
            return;
        }
    };
    let card = reg
        .as_ref()
        .and_then(|r| card_of(&r.card_field, &r.card_value).ok());
    let Some(card) = card else {
        // Nothing to ask about (the registration is gone or its card unreadable): close the row.
        let now = st.clock.now_ms();
        let _ = st
            .store
            .confirm_done(it, &st.owner, false, forward, now)
            .await;
        return;
    };
    let started = std::time::Instant::now();
    let answer = onelink.identity_info(&card).await;
    metrics::histogram!("cmcc_carrier_seconds", "api" => "23A23")
        .record(started.elapsed().as_secs_f64());
    let now = st.clock.now_ms();
    match answer {
        Ok(info) => {
            let registered = info.status == "1";
            match st
                .store
                .confirm_done(it, &st.owner, registered, forward, now)
                .await
            {
                Ok(Some(RegState::Registered)) => {
                    metrics::counter!("cmcc_confirmations_total", "outcome" => "confirmed")
                        .increment(1);
                    tracing::info!(busi_seq = %it.busi_seq, card = %card, "push confirmed by 23A23: registered");
                }
                Ok(Some(RegState::Disputed)) => {
                    metrics::counter!("cmcc_confirmations_total", "outcome" => "disputed")
                        .increment(1);
                    metrics::counter!("cmcc_push_disputed_total").increment(1);
                    tracing::warn!(busi_seq = %it.busi_seq, card = %card, claim = %it.claim,
                        "push DISPUTED: it claimed success, 23A23 says the card is not registered");
                }
                Ok(Some(other)) => {
                    metrics::counter!("cmcc_confirmations_total", "outcome" => other.as_str())
                        .increment(1);
                    tracing::info!(busi_seq = %it.busi_seq, card = %card, state = other.as_str(), "push settled by 23A23");
                }
                Ok(None) => {
                    tracing::debug!(busi_seq = %it.busi_seq, "confirmation closed without a change")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "confirm: recording the outcome failed; the lease will end and it is asked again")
                }
            }
        }
        Err(e) => {
            metrics::counter!("cmcc_confirmations_total", "outcome" => "retry").increment(1);
            let wait = backoff_ms(it.attempts);
            let code = e.carrier_code().unwrap_or("transport").to_owned();
            tracing::info!(busi_seq = %it.busi_seq, code = %code, retry_in_ms = wait, "confirm: 23A23 failed; will ask again");
            if let Err(e) = st
                .store
                .confirm_retry(it, &st.owner, now + wait, &code)
                .await
            {
                tracing::warn!(error = %e, "confirm: recording the retry failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        let waits: Vec<i64> = (1..=12).map(super::backoff_ms).collect();
        assert_eq!(&waits[..4], &[2_000, 4_000, 8_000, 16_000]);
        assert_eq!(*waits.last().expect("some"), 300_000);
    }
}
