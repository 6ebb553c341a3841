//! Outgoing webhooks per the Standard Webhooks specification: every event has a `webhook-id`
//! (the same on every delivery), each delivery a `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>`, the
//! key being the bytes of the `whsec_<base64>` secret. Deliveries retry on the schedule
//! `webhook_retry_secs` (by default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over
//! about 27 hours), every attempt is logged (status, answer, latency) and an event can be
//! redelivered by hand.

use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::Utc;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use tokio::sync::watch;

use crate::app::AppState;
use crate::background::pause;
use crate::store::{Delivery, OutboxItem};

/// `v1,<base64 signature>` of one delivery.
pub fn sign(
    key: &[u8],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, openssl::error::ErrorStack> {
    let pkey = PKey::hmac(key)?;
    let mut s = Signer::new(MessageDigest::sha256(), &pkey)?;
    s.update(format!("{id}.{timestamp}.").as_bytes())?;
    s.update(body.as_bytes())?;
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(s.sign_to_vec()?)
    ))
}

/// When to try again after attempt `attempt` (1-based) failed; `None`: give up.
pub fn next_attempt(schedule: &[u64], attempt: i64, now_ms: i64) -> Option<i64> {
    let i = usize::try_from(attempt - 1).ok()?;
    schedule
        .get(i)
        .map(|s| now_ms + i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX / 2))
}

pub async fn delivery_loop(st: AppState, mut stop: watch::Receiver<bool>) {
    let (Some(url), Some(key)) = (st.cfg.forward_url.clone(), st.webhook_key.clone()) else {
        return;
    };
    let lease_ms = i64::try_from(st.cfg.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    while pause(&st, &mut stop, Duration::from_millis(200)).await {
        let now = st.clock.now_ms();
        let items = match st.store.events_claim(&st.owner, now, lease_ms, 20).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "webhook: claiming events failed");
                continue;
            }
        };
        for it in items {
            deliver(&st, &url, &key, &it).await;
        }
        // `cmcc_outbox_pending` is counted when /metrics is scraped (see the confirm loop).
    }
}

async fn deliver(st: &AppState, url: &str, key: &[u8], it: &OutboxItem) {
    // Real time, not the gateway clock: the receiver checks it against its own clock.
    let ts = Utc::now().timestamp();
    let signature = match sign(key, &it.event_id, ts, &it.payload) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "webhook: signing failed");
            return;
        }
    };
    let started = Instant::now();
    let sent = st
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &it.event_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(it.payload.clone())
        .send()
        .await;
    let (status, error, answer) = match sent {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            let answer: String = text.chars().take(200).collect();
            let err = (!status.is_success()).then(|| format!("HTTP {}", status.as_u16()));
            (Some(i64::from(status.as_u16())), err, Some(answer))
        }
        Err(e) => {
            let err = if e.is_timeout() {
                "timeout"
            } else {
                "unreachable"
            };
            (None, Some(err.to_owned()), None)
        }
    };
    let latency = started.elapsed();
    let now = st.clock.now_ms();
    let delivered = error.is_none();
    let next = if delivered {
        None
    } else {
        next_attempt(&st.cfg.webhook_retry_secs, it.attempts, now)
    };
    let outcome = match (delivered, next) {
        (true, _) => "delivered",
        (false, Some(_)) => "retry",
        (false, None) => "given_up",
    };
    metrics::counter!("cmcc_webhook_deliveries_total", "outcome" => outcome).increment(1);
    metrics::histogram!("cmcc_webhook_seconds").record(latency.as_secs_f64());
    if outcome == "given_up" {
        tracing::warn!(event = %it.event_id, attempts = it.attempts, "webhook: event given up after its last attempt; redeliver it with POST /v1/events/{{id}}/redeliver");
    } else {
        tracing::info!(event = %it.event_id, attempt = it.attempts, outcome, status = ?status, "webhook delivery");
    }
    let d = Delivery {
        outbox_id: it.id,
        attempt: it.attempts,
        at: now,
        http_status: status,
        error,
        answer,
        latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
    };
    if let Err(e) = st.store.event_attempted(it, &d, delivered, next).await {
        tracing::warn!(error = %e, "webhook: recording the attempt failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("b64");
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).expect("sign");
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let s = [5, 300];
        assert_eq!(next_attempt(&s, 1, 0), Some(5_000));
        assert_eq!(next_attempt(&s, 2, 0), Some(300_000));
        assert_eq!(next_attempt(&s, 3, 0), None);
    }
}
