//! Webhook events (the outbox) and their delivery log.

use serde_json::json;

use super::model::{Confirmation, Delivery, EventRow, OutboxItem, Registration};
use super::{Store, StoreError};

pub(super) const INSERT: &str =
    "INSERT INTO outbox (busi_seq, payload, next_attempt_at, event_id, event_type, created_at)
                                 VALUES ($1, $2, $3, $4, $5, $3)";

/// A webhook event about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub busi_seq: String,
    pub payload: String,
}

/// `msg_` and 32 random hex digits: the `webhook-id`, the same on every delivery.
pub fn new_event_id() -> String {
    let mut b = [0u8; 16];
    // The OS generator does not fail on a working system; fall back to time if it does.
    if openssl::rand::rand_bytes(&mut b).is_err() {
        let t = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b[..8].copy_from_slice(&t.to_le_bytes());
    }
    format!("msg_{}", hex::encode(b))
}

impl Event {
    /// The event for a registration that reached `r.state`: `{"type", "timestamp", "data"}` as
    /// Standard Webhooks recommends. The card number is the business's own and is sent in full.
    pub fn of(r: &Registration, confirmation: Confirmation, now_ms: i64) -> Self {
        let kind = format!("registration.{}", r.state);
        let ts = chrono::DateTime::from_timestamp_millis(now_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut data = json!({
            "busiSeq": r.busi_seq,
            "cardField": r.card_field,
            "state": r.state,
            "regStatus": r.reg_status,
            "regMsg": r.reg_msg,
            "confirmation": confirmation.as_str(),
            "settledBy": r.settled_by,
        });
        data[r.card_field.as_str()] = json!(r.card_value);
        let payload = json!({"type": kind, "timestamp": ts, "data": data}).to_string();
        Self {
            id: new_event_id(),
            kind,
            busi_seq: r.busi_seq.clone(),
            payload,
        }
    }
}

const COLUMNS: &str = "id, event_id, event_type, busi_seq, payload, attempts, created_at, next_attempt_at, delivered_at, failed_at, last_error";

impl Store {
    /// Take up to `limit` due events, leasing them to `owner` for `lease_ms` (one statement;
    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL so instances never wait on each other's rows).
    /// At-least-once: a crash after sending and before [`Store::event_attempted`] records the answer sends again
    /// after the lease, with the same `webhook-id`.
    pub async fn events_claim(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        const PICK: &str = "SELECT id FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
                            ORDER BY next_attempt_at, id LIMIT $4";
        let sql = |lock: &str| {
            format!(
                "UPDATE outbox SET lease_owner = $1, next_attempt_at = $2, attempts = attempts + 1
                 WHERE id IN ({PICK}{lock}) RETURNING id, busi_seq, payload, attempts, event_id"
            )
        };
        self.lease(sql, owner, now, lease_ms, limit).await
    }

    /// Record one delivery attempt and what follows it: delivered, retry at `next_at`, or
    /// (`next_at` `None` after a failure) given up.
    pub async fn event_attempted(
        &self,
        item: &OutboxItem,
        d: &Delivery,
        delivered: bool,
        next_at: Option<i64>,
    ) -> Result<(), StoreError> {
        const LOG: &str = "INSERT INTO deliveries (outbox_id, attempt, at, http_status, error, answer, latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        const DONE: &str = "UPDATE outbox SET delivered_at = $2, last_error = NULL, lease_owner = NULL WHERE id = $1";
        const RETRY: &str = "UPDATE outbox SET next_attempt_at = $2, last_error = $3, lease_owner = NULL WHERE id = $1 AND delivered_at IS NULL";
        const GIVE_UP: &str = "UPDATE outbox SET failed_at = $2, last_error = $3, lease_owner = NULL WHERE id = $1 AND delivered_at IS NULL";
        let err = d.error.clone().unwrap_or_default();
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                sqlx::query(LOG)
                    .bind(item.id)
                    .bind(d.attempt)
                    .bind(d.at)
                    .bind(d.http_status)
                    .bind(&d.error)
                    .bind(&d.answer)
                    .bind(d.latency_ms)
                    .execute(&mut *tx)
                    .await?;
                let q = match (delivered, next_at) {
                    (true, _) => sqlx::query(DONE).bind(item.id).bind(d.at),
                    (false, Some(n)) => sqlx::query(RETRY).bind(item.id).bind(n).bind(&err),
                    (false, None) => sqlx::query(GIVE_UP).bind(item.id).bind(d.at).bind(&err),
                };
                q.execute(&mut *tx).await?;
                tx.commit().await?;
            }};
        }
        match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        }
        Ok(())
    }

    /// Events, newest first (optionally of one registration).
    pub async fn events(
        &self,
        busi_seq: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE ($1 IS NULL OR busi_seq = $1) ORDER BY id DESC LIMIT $2");
        Ok(on_pool!(self, |p| sqlx::query_as::<_, EventRow>(&sql)
            .bind(busi_seq)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    pub async fn event(&self, event_id: &str) -> Result<Option<EventRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE event_id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as::<_, EventRow>(&sql)
            .bind(event_id)
            .fetch_optional(p)
            .await)?)
    }

    pub async fn deliveries(&self, outbox_id: i64) -> Result<Vec<Delivery>, StoreError> {
        const SQL: &str = "SELECT outbox_id, attempt, at, http_status, error, answer, latency_ms FROM deliveries WHERE outbox_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, Delivery>(SQL)
            .bind(outbox_id)
            .fetch_all(p)
            .await)?)
    }

    /// Send an event again now (delivered, given up or waiting), with the same `webhook-id`.
    /// Returns whether the event exists.
    pub async fn redeliver(&self, event_id: &str, now: i64) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE outbox SET delivered_at = NULL, failed_at = NULL, next_attempt_at = $2, lease_owner = NULL WHERE event_id = $1";
        let n = on_pool!(self, |p| sqlx::query(SQL)
            .bind(event_id)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Events not yet delivered (waiting or being sent), for the gauge.
    pub async fn outbox_pending(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL"
        )
        .fetch_one(p)
        .await)?)
    }
}
