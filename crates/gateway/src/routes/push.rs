//! The OneLink result-push receiver. The platform resends unless it gets `{"status":"0"}`
//! within 5 s, so: write durably, then answer ok; a duplicate (same busiSeq) is answered ok
//! and changes nothing; anything we cannot read or store gets a non-zero status so it comes
//! again; and we answer in time no matter what.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use cmcc_client::onelink::{parse_push, push_answer_ok, push_answer_retry};
use cmcc_proto::CardId;

use crate::app::AppState;
use crate::store::{PushIn, PushOutcome};

/// Answer before the platform's 5 s timeout, leaving it margin.
const DEADLINE: Duration = Duration::from_millis(4_000);

fn answer(status: StatusCode, body: String) -> Response {
    (
        status,
        [("content-type", "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

pub async fn receive_push(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "unreadable").increment(1);
            tracing::warn!(error = %e.body_text(), "push body not read");
            return answer(
                e.status(),
                push_answer_retry("body too large or unreadable"),
            );
        }
    };
    let records = match parse_push(&body) {
        Ok(r) => r,
        Err(e) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "unparseable").increment(1);
            tracing::warn!(error = %e, "push body unreadable; asking the platform to resend");
            return answer(
                StatusCode::BAD_REQUEST,
                push_answer_retry("body is not a OneLink push"),
            );
        }
    };
    let now = Utc::now().timestamp_millis();
    let mut ins = Vec::with_capacity(records.len());
    for r in &records {
        let card = r.card.card_id().ok();
        let (field, value) = card.as_ref().map_or(("", String::new()), |c: &CardId| {
            (c.field(), c.value().to_owned())
        });
        if r.busi_seq.trim().is_empty() {
            return answer(
                StatusCode::BAD_REQUEST,
                push_answer_retry("record without busiSeq"),
            );
        }
        ins.push(PushIn {
            busi_seq: r.busi_seq.clone(),
            reg_status: r.reg_status.clone(),
            reg_msg: r.reg_msg.clone(),
            card_field: field.into(),
            card_value: value,
            body: serde_json::to_string(r).unwrap_or_default(),
            received_at: now,
        });
    }
    let work = async {
        let mut new = 0usize;
        for p in ins {
            let busi_seq = p.busi_seq.clone();
            match st.inbox.submit(p).await? {
                PushOutcome::Stored => {
                    new += 1;
                    tracing::info!(busi_seq = %busi_seq, "push stored");
                    record_lag(&st, busi_seq);
                }
                PushOutcome::Duplicate => {
                    tracing::info!(busi_seq = %busi_seq, "push resent; already stored")
                }
            }
        }
        Ok::<usize, crate::inbox::InboxError>(new)
    };
    match tokio::time::timeout(DEADLINE, work).await {
        Ok(Ok(new)) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => if new > 0 { "stored" } else { "duplicate" }).increment(1);
            metrics::histogram!("cmcc_push_store_seconds").record(started.elapsed().as_secs_f64());
            answer(StatusCode::OK, push_answer_ok())
        }
        Ok(Err(e)) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "store_failed").increment(1);
            tracing::error!(error = %e, "push not stored; asking the platform to resend");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                push_answer_retry("temporarily unable to store; send again"),
            )
        }
        Err(_) => {
            metrics::counter!("cmcc_pushes_total", "outcome" => "timeout").increment(1);
            tracing::error!("push store took longer than 4 s; asking the platform to resend");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                push_answer_retry("busy; send again"),
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
                let lag_ms = Utc::now().timestamp_millis() - r.created_at;
                metrics::histogram!("cmcc_push_lag_seconds").record(lag_ms.max(0) as f64 / 1000.0);
            }
        }
    });
}
