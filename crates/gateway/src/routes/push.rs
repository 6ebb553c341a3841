//! The OneLink result-push receiver. The platform resends unless it gets `{"status":"0"}`
//! within 5 s, so: write durably, then answer ok; a resend (same record) is answered ok and
//! changes nothing; anything we cannot read or store gets a non-zero status so it comes again;
//! and we answer in time no matter what.
//!
//! A push is a claim, not a fact (the carrier document defines no signature): what a record may
//! change is decided by [`crate::store::decide`], and a success claim is confirmed with 23A23
//! from a durable queue before the card counts as registered ([`crate::confirm`]).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use cmcc_proto::wire::onelink::{decode_push, PushAnswer};
use cmcc_proto::CardId;

use crate::app::AppState;
use crate::mask::snippet;
use crate::store::{PushIn, PushOutcome};

/// Answer before the platform's 5 s timeout, leaving it margin.
const DEADLINE: Duration = Duration::from_millis(4_000);

fn answer(status: StatusCode, a: &PushAnswer) -> Response {
    (
        status,
        [("content-type", "application/json;charset=UTF-8")],
        a.to_json(),
    )
        .into_response()
}

/// The seed's push body and the receiver's answers, for the OpenAPI document.
#[utoipa::path(post, path = "/onelink/push", tag = "onelink",
    description = "OneLink's real-name result push (carrier document 000 §2.2). The path is `push_path` (make it unguessable); only `push_allowed_cidrs` may call it when set. Answered `{\"status\":\"0\",\"message\":\"ok\"}` once stored; a non-zero status makes OneLink resend.",
    request_body = crate::api::PushBody,
    responses((status = 200, description = "stored (applied, quarantined or a resend)", body = crate::api::PushAnswerBody),
              (status = 400, description = "not a OneLink push: resend", body = crate::api::PushAnswerBody),
              (status = 403, description = "caller outside push_allowed_cidrs", body = crate::api::PushAnswerBody),
              (status = 503, description = "not stored: resend", body = crate::api::PushAnswerBody)))]
pub async fn receive_push(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    if !st.push_allowed.is_empty() {
        let client = crate::net::client_ip(peer.ip(), &headers, &st.trusted_proxies);
        if !crate::net::contains(&st.push_allowed, client) {
            metrics::counter!("cmcc_pushes_total", "outcome" => "forbidden").increment(1);
            tracing::warn!(client = %client, "push from outside push_allowed_cidrs refused");
            return answer(
                StatusCode::FORBIDDEN,
                &PushAnswer::retry("this address may not push"),
            );
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "unreadable").increment(1);
            tracing::warn!(error = %e.body_text(), "push body not read");
            return answer(
                e.status(),
                &PushAnswer::retry("body too large or unreadable"),
            );
        }
    };
    let records = match decode_push(&body) {
        Ok(r) => r,
        Err(e) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "unparseable").increment(1);
            tracing::warn!(error = %e, body = %snippet(&body), "push body unreadable; asking the platform to resend");
            return answer(
                StatusCode::BAD_REQUEST,
                &PushAnswer::retry("body is not a OneLink push"),
            );
        }
    };
    let now = st.clock.now_ms();
    let mut ins = Vec::with_capacity(records.len());
    for r in &records {
        if r.busi_seq.trim().is_empty() {
            metrics::counter!("cmcc_pushes_total", "outcome" => "unparseable").increment(1);
            return answer(
                StatusCode::BAD_REQUEST,
                &PushAnswer::retry("record without busiSeq"),
            );
        }
        let card = r.card.card_id().ok();
        let (field, value) = card.as_ref().map_or(("", String::new()), |c: &CardId| {
            (c.field(), c.value().to_owned())
        });
        ins.push(PushIn {
            busi_seq: r.busi_seq.clone(),
            reg_status: r.reg_status.clone(),
            claim: r.claim(),
            reg_msg: r.reg_msg.clone(),
            card_field: field.into(),
            card_value: value,
            body: serde_json::to_string(r).unwrap_or_default(),
            received_at: now,
        });
    }
    let work = async {
        let mut outcomes = Vec::with_capacity(ins.len());
        for p in ins {
            let busi_seq = p.busi_seq.clone();
            let masked = cmcc_proto::ids::mask_number(&p.card_value);
            let outcome = st.inbox.submit(p).await?;
            match outcome {
                PushOutcome::Applied | PushOutcome::Adopted => {
                    tracing::info!(busi_seq = %busi_seq, card = %masked, ?outcome, "push stored");
                    record_lag(&st, busi_seq);
                }
                PushOutcome::Quarantined(reason) => {
                    metrics::counter!("cmcc_pushes_quarantined_total", "reason" => reason)
                        .increment(1);
                    // A forged-push flood must not become a log flood: one WARN a second
                    // with the count, each push at DEBUG.
                    tracing::debug!(busi_seq = %busi_seq, card = %masked, reason, "push quarantined");
                    if let Some(n) = QUARANTINE_WARN.tick(Utc::now().timestamp()) {
                        tracing::warn!(busi_seq = %busi_seq, card = %masked, reason, quarantined_since_last_warning = n, "push quarantined: it matches no registration issued here");
                    }
                }
                PushOutcome::Duplicate => {
                    tracing::info!(busi_seq = %busi_seq, "push resent; already stored")
                }
            }
            outcomes.push(outcome);
        }
        Ok::<_, crate::inbox::InboxError>(outcomes)
    };
    match tokio::time::timeout(DEADLINE, work).await {
        Ok(Ok(outcomes)) => {
            let quarantined = outcomes
                .iter()
                .filter(|o| matches!(o, PushOutcome::Quarantined(_)))
                .count() as u64;
            if quarantined > 0 && trim_due(quarantined, st.cfg.quarantine_max_rows) {
                trim_quarantine(&st).await;
            }
            for o in &outcomes {
                let label = match o {
                    PushOutcome::Applied => "applied",
                    PushOutcome::Adopted => "adopted",
                    PushOutcome::Quarantined(_) => "quarantined",
                    PushOutcome::Duplicate => "duplicate",
                };
                metrics::counter!("cmcc_pushes_total", "outcome" => label).increment(1);
            }
            metrics::histogram!("cmcc_push_store_seconds").record(started.elapsed().as_secs_f64());
            answer(StatusCode::OK, &PushAnswer::ok())
        }
        Ok(Err(e)) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "store_failed").increment(1);
            tracing::error!(error = %e, "push not stored; asking the platform to resend");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                &PushAnswer::retry("temporarily unable to store; send again"),
            )
        }
        Err(_) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "timeout").increment(1);
            tracing::error!("push store took longer than 4 s; asking the platform to resend");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                &PushAnswer::retry("busy; send again"),
            )
        }
    }
}

/// Push lag: from issuing the registration link to its result arriving. Measured off the
/// answer path, so it never delays the acknowledgement.
fn record_lag(st: &AppState, busi_seq: String) {
    let st = st.clone();
    tokio::spawn(async move {
        if let Ok(Some(r)) = st.store.registration(&busi_seq).await {
            if r.url_type != 0 {
                let lag_ms = st.clock.now_ms() - r.created_at;
                metrics::histogram!("cmcc_push_lag_seconds").record(lag_ms.max(0) as f64 / 1000.0);
            }
        }
    });
}

/// Quarantined pushes since the last trim, across this process.
static SINCE_TRIM: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether this batch's quarantined pushes make a trim due. Trimming costs a scan of the
/// quarantine, so it runs once per 1 % of the bound (at least every push, at most every 1,000):
/// a flood of forged pushes then costs one trim per many pushes instead of one scan each, and the
/// quarantine exceeds its bound by at most that step.
fn trim_due(quarantined: u64, max_rows: u64) -> bool {
    use std::sync::atomic::Ordering;
    let step = (max_rows / 100).clamp(1, 1000);
    let seen = SINCE_TRIM.fetch_add(quarantined, Ordering::Relaxed) + quarantined;
    if seen < step {
        return false;
    }
    SINCE_TRIM.store(0, Ordering::Relaxed);
    true
}

/// Keeps the quarantine within `quarantine_max_rows` (oldest dropped, counted in a metric).
async fn trim_quarantine(st: &AppState) {
    match st.store.trim_quarantine(st.cfg.quarantine_max_rows).await {
        Ok(0) => {}
        Ok(n) => {
            metrics::counter!("cmcc_pushes_quarantine_dropped_total").increment(n);
            tracing::warn!(
                dropped = n,
                max_rows = st.cfg.quarantine_max_rows,
                "quarantine full: oldest quarantined pushes dropped"
            );
        }
        Err(e) => tracing::error!(error = %e, "trimming the quarantine failed"),
    }
}

/// At most one WARN line a second for quarantined pushes.
static QUARANTINE_WARN: EverySecond = EverySecond::new();

/// Counts events and lets one through per second, with how many came since the last one.
#[derive(Debug)]
struct EverySecond {
    second: std::sync::atomic::AtomicI64,
    count: std::sync::atomic::AtomicU64,
}

impl EverySecond {
    const fn new() -> Self {
        Self {
            second: std::sync::atomic::AtomicI64::new(i64::MIN),
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `Some(events since the last one let through)` for the first event of a second.
    fn tick(&self, now_secs: i64) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let n = self.count.fetch_add(1, Relaxed) + 1;
        let last = self.second.load(Relaxed);
        if last != now_secs
            && self
                .second
                .compare_exchange(last, now_secs, Relaxed, Relaxed)
                .is_ok()
        {
            self.count.fetch_sub(n, Relaxed);
            return Some(n);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::EverySecond;

    #[test]
    fn one_event_a_second_gets_through_with_the_count() {
        let t = EverySecond::new();
        assert_eq!(t.tick(10), Some(1));
        assert_eq!(t.tick(10), None);
        assert_eq!(t.tick(10), None);
        assert_eq!(t.tick(11), Some(3));
        assert_eq!(t.tick(11), None);
        assert_eq!(t.tick(13), Some(2));
    }
}
