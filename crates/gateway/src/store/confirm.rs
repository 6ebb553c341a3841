//! The durable 23A23 confirmation queue, and state changes decided by 23A23.
//!
//! Exactly once across instances: a claim leases rows to one owner in a single statement
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one writer at a time), and an outcome
//! is applied only by the owner still holding the lease, in one transaction with the
//! registration's change and its webhook event. A crash loses at most the lease time: the row
//! becomes due again and another instance asks 23A23 once more (a read, safe to repeat).

use super::model::{ConfirmItem, Confirmation, RegState, Registration};
use super::{events, Store, StoreError};

/// What 23A23 made of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub state: RegState,
    pub confirmation: Confirmation,
    /// `settled_by` to record.
    pub by: &'static str,
}

/// The state a registration takes when 23A23 answers `registered` (or not) for it, or `None`
/// when the answer changes nothing.
pub fn verdict(current: &str, onelink_registered: bool, by: &'static str) -> Option<Verdict> {
    let current = RegState::parse(current)?;
    let v = |state, confirmation| {
        Some(Verdict {
            state,
            confirmation,
            by,
        })
    };
    match (onelink_registered, current) {
        (true, RegState::Registered) => None,
        (true, _) => v(RegState::Registered, Confirmation::Confirmed),
        // A success claim (or a registered state) that OneLink does not back.
        (false, RegState::Unconfirmed | RegState::Registered) => {
            v(RegState::Disputed, Confirmation::Contradicted)
        }
        // An unreadable result OneLink does not back: still waiting for the user.
        (false, RegState::Unknown) => v(RegState::Pending, Confirmation::Contradicted),
        // Lost links, pending and failed registrations OneLink does not list as registered.
        (false, _) => None,
    }
}

/// Inside a transaction: move registration `$r` per the verdict (guarded by its current state)
/// and write its event. Evaluates to the new state if it changed.
macro_rules! transition_in {
    ($tx:ident, $r:ident, $verdict:expr, $forward:expr, $now:expr) => {{
        match $verdict {
            None => None,
            Some(v) => {
                let msg = match v.state {
                    RegState::Registered => Some("23A23: registered"),
                    RegState::Disputed => Some("23A23: not registered"),
                    _ => None,
                };
                let terminal = matches!(v.state, RegState::Registered | RegState::Disputed);
                let n = sqlx::query(TRANSITION)
                    .bind(&$r.busi_seq)
                    .bind(v.state.as_str())
                    .bind(v.confirmation.as_str())
                    .bind(v.by)
                    .bind($now)
                    .bind(terminal.then_some($now))
                    .bind(msg)
                    .bind(&$r.state)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected();
                if n == 1 && $forward && terminal {
                    let mut r = $r.clone();
                    r.state = v.state.as_str().into();
                    r.settled_by = Some(v.by.into());
                    if let Some(m) = msg {
                        r.reg_msg = Some(m.into());
                    }
                    let ev = events::Event::of(&r, v.confirmation, $now);
                    sqlx::query(events::INSERT)
                        .bind(&ev.busi_seq)
                        .bind(&ev.payload)
                        .bind($now)
                        .bind(&ev.id)
                        .bind(&ev.kind)
                        .execute(&mut *$tx)
                        .await?;
                }
                (n == 1).then_some(v.state)
            }
        }
    }};
}

const TRANSITION: &str = "UPDATE registrations SET state = $2, confirmation = $3, settled_by = $4, updated_at = $5,
                          settled_at = $6, reg_msg = COALESCE($7, reg_msg) WHERE busi_seq = $1 AND state = $8";

impl Store {
    /// Lease up to `limit` due confirmations to `owner` for `lease_ms`.
    pub async fn confirm_claim(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ConfirmItem>, StoreError> {
        let sql = |lock: &str| {
            format!(
                "UPDATE confirmations SET lease_owner = $1, next_attempt_at = $2, attempts = attempts + 1
                 WHERE id IN (SELECT id FROM confirmations WHERE done_at IS NULL AND next_attempt_at <= $3
                              ORDER BY next_attempt_at, id LIMIT $4{lock})
                 RETURNING id, busi_seq, claim, attempts"
            )
        };
        self.lease(sql, owner, now, lease_ms, limit).await
    }

    /// Apply 23A23's answer to a leased confirmation, once: close the row (only while `owner`
    /// holds it), change the registration per [`verdict`] and, with `forward`, write its webhook
    /// event — all in one transaction. Returns the new state, or `None` when the lease was lost
    /// (another instance owns the row now) or nothing changed.
    pub async fn confirm_done(
        &self,
        item: &ConfirmItem,
        owner: &str,
        onelink_registered: bool,
        forward: bool,
        now: i64,
    ) -> Result<Option<RegState>, StoreError> {
        const CLOSE: &str =
            "UPDATE confirmations SET done_at = $3, outcome = $4, lease_owner = NULL
                             WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL";
        const SELECT: &str = "SELECT * FROM registrations WHERE busi_seq = $1";
        let outcome = if onelink_registered {
            "registered"
        } else {
            "not_registered"
        };
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = begin!($p);
                let closed = sqlx::query(CLOSE)
                    .bind(item.id)
                    .bind(owner)
                    .bind(now)
                    .bind(outcome)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if closed == 0 {
                    return Ok(None);
                }
                let reg = sqlx::query_as::<_, Registration>(SELECT)
                    .bind(&item.busi_seq)
                    .fetch_optional(&mut *tx)
                    .await?;
                let changed = match reg {
                    Some(r) => {
                        transition_in!(
                            tx,
                            r,
                            verdict(&r.state, onelink_registered, "confirm"),
                            forward,
                            now
                        )
                    }
                    None => None,
                };
                tx.commit().await?;
                changed
            }};
        }
        Ok(match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        })
    }

    /// 23A23 could not be asked: try again at `next_at` (only while `owner` holds the row).
    pub async fn confirm_retry(
        &self,
        item: &ConfirmItem,
        owner: &str,
        next_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE confirmations SET next_attempt_at = $3, last_error = $4, lease_owner = NULL
                           WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL";
        on_pool!(self, |p| sqlx::query(SQL)
            .bind(item.id)
            .bind(owner)
            .bind(next_at)
            .bind(error)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Confirmations not yet done.
    pub async fn confirm_open(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM confirmations WHERE done_at IS NULL"
        )
        .fetch_one(p)
        .await)?)
    }

    /// How many confirmations of this registration were closed (exactly-once checks).
    pub async fn confirm_closed(&self, busi_seq: &str) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM confirmations WHERE busi_seq = $1 AND done_at IS NOT NULL"
        )
        .bind(busi_seq)
        .fetch_one(p)
        .await)?)
    }

    /// Apply a 23A23 answer obtained outside the queue (`refresh=true`, reconciliation): the
    /// registration changes per [`verdict`], with its webhook event. Returns the new state.
    pub async fn settle_by_23a23(
        &self,
        busi_seq: &str,
        onelink_registered: bool,
        by: &'static str,
        forward: bool,
        now: i64,
    ) -> Result<Option<RegState>, StoreError> {
        const SELECT: &str = "SELECT * FROM registrations WHERE busi_seq = $1";
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = begin!($p);
                let reg = sqlx::query_as::<_, Registration>(SELECT)
                    .bind(busi_seq)
                    .fetch_optional(&mut *tx)
                    .await?;
                let changed = match reg {
                    Some(r) => transition_in!(
                        tx,
                        r,
                        verdict(&r.state, onelink_registered, by),
                        forward,
                        now
                    ),
                    None => None,
                };
                tx.commit().await?;
                changed
            }};
        }
        Ok(match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        })
    }
}
