//! The push inbox: every distinct push record, what it was allowed to change, and the
//! quarantine of those it was not.

use cmcc_proto::wire::onelink::PushClaim;

use super::model::{
    Confirmation, PushIn, PushOutcome, PushPolicy, QuarantinedPush, RegState, Registration,
};
use super::{events, Store, StoreError};

/// What one push may do, decided from the registration it names (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Quarantine(&'static str),
    /// Matches a registration that is already registered and claims the same: kept, no change.
    Noted,
    Apply {
        state: RegState,
        confirmation: Option<Confirmation>,
        /// Queue a 23A23 confirmation with this claim.
        confirm: Option<&'static str>,
    },
    Adopt {
        state: RegState,
        confirm: Option<&'static str>,
    },
}

/// The trust rules: a push settles only a registration this gateway issued, and only for the
/// same card (field and value); a success claim waits for 23A23 unless confirmation is off; an
/// undefined regStatus is `unknown` until 23A23 settles it; nothing but 23A23 takes back a
/// `registered`.
pub fn decide(push: &PushIn, reg: Option<&Registration>, policy: PushPolicy) -> Decision {
    if push.card_field.is_empty() {
        return Decision::Quarantine("no_card");
    }
    let Some(r) = reg else {
        if !policy.adopt {
            return Decision::Quarantine("not_issued");
        }
        return match push.claim {
            PushClaim::Success => Decision::Adopt {
                state: RegState::Unconfirmed,
                confirm: Some("success"),
            },
            PushClaim::Failure => Decision::Adopt {
                state: RegState::Failed,
                confirm: None,
            },
            PushClaim::Unknown => Decision::Adopt {
                state: RegState::Unknown,
                confirm: Some("unknown"),
            },
        };
    };
    if r.card_field != push.card_field || r.card_value != push.card_value {
        return Decision::Quarantine("card_mismatch");
    }
    if r.state == RegState::Registered.as_str() {
        return match push.claim {
            PushClaim::Success => Decision::Noted,
            _ => Decision::Quarantine("contradicts_registered"),
        };
    }
    match push.claim {
        PushClaim::Success if policy.confirm => Decision::Apply {
            state: RegState::Unconfirmed,
            confirmation: None,
            confirm: Some("success"),
        },
        PushClaim::Success => Decision::Apply {
            state: RegState::Registered,
            confirmation: Some(Confirmation::NotChecked),
            confirm: None,
        },
        PushClaim::Failure => Decision::Apply {
            state: RegState::Failed,
            confirmation: Some(Confirmation::NotNeeded),
            confirm: None,
        },
        PushClaim::Unknown => Decision::Apply {
            state: RegState::Unknown,
            confirmation: None,
            confirm: Some("unknown"),
        },
    }
}

const SELECT_REG: &str = "SELECT * FROM registrations WHERE busi_seq = $1";
const SELECT_LOST: &str =
    "SELECT * FROM registrations WHERE state = 'lost' AND card_field = $1 AND card_value = $2
                           ORDER BY created_at DESC LIMIT 1";
const TAKE_OVER: &str = "UPDATE registrations SET busi_seq = $2 WHERE busi_seq = $1";
const INBOX: &str = "INSERT INTO pushes (push_key, busi_seq, reg_status, card_field, card_value, body, received_at, disposition, reason)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (push_key) DO NOTHING";
const APPLY: &str = "UPDATE registrations SET state = $2, reg_status = $3, reg_msg = $4, confirmation = $5, updated_at = $6,
                     settled_at = $7, settled_by = 'push' WHERE busi_seq = $1";
const ADOPT: &str = "INSERT INTO registrations (busi_seq, card_field, card_value, url_type, url, state, reg_status, reg_msg, created_at, updated_at, settled_by)
                     VALUES ($1, $2, $3, 0, '', $4, $5, $6, $7, $7, 'push') ON CONFLICT (busi_seq) DO NOTHING";
pub(super) const ENQUEUE: &str = "INSERT INTO confirmations (busi_seq, claim, next_attempt_at, created_at)
                     SELECT $1, $2, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM confirmations WHERE busi_seq = $1 AND done_at IS NULL)";

fn terminal(state: RegState) -> bool {
    matches!(state, RegState::Registered | RegState::Failed)
}

impl Store {
    /// Write a batch of pushes in ONE transaction (group commit). Each new push is kept with
    /// what it was allowed to do ([`decide`]); a registration it may change is changed in the
    /// same transaction, with its 23A23 confirmation queued or its webhook event written. A push
    /// seen before changes nothing. Only after this returns may the platform be told "ok".
    pub async fn apply_pushes(
        &self,
        batch: &[PushIn],
        policy: PushPolicy,
    ) -> Result<Vec<PushOutcome>, StoreError> {
        macro_rules! run {
            ($p:expr) => {{
                let mut tx = begin!($p);
                let mut out = Vec::with_capacity(batch.len());
                for push in batch {
                    let mut reg = sqlx::query_as::<_, Registration>(SELECT_REG)
                        .bind(&push.busi_seq)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if reg.is_none() && !push.card_field.is_empty() {
                        // A link whose 23A12 answer was lost: this push names it.
                        let lost = sqlx::query_as::<_, Registration>(SELECT_LOST)
                            .bind(&push.card_field)
                            .bind(&push.card_value)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if let Some(mut l) = lost {
                            sqlx::query(TAKE_OVER)
                                .bind(&l.busi_seq)
                                .bind(&push.busi_seq)
                                .execute(&mut *tx)
                                .await?;
                            l.busi_seq = push.busi_seq.clone();
                            reg = Some(l);
                        }
                    }
                    let decision = decide(push, reg.as_ref(), policy);
                    let (disposition, reason) = match &decision {
                        Decision::Quarantine(r) => ("quarantined", Some(*r)),
                        Decision::Adopt { .. } => ("adopted", None),
                        _ => ("applied", None),
                    };
                    let inserted = sqlx::query(INBOX)
                        .bind(push.key())
                        .bind(&push.busi_seq)
                        .bind(&push.reg_status)
                        .bind(&push.card_field)
                        .bind(&push.card_value)
                        .bind(&push.body)
                        .bind(push.received_at)
                        .bind(disposition)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if inserted == 0 {
                        // A resent success claim for a disputed registration (a forged copy
                        // may have come first): ask 23A23 again.
                        if push.claim == PushClaim::Success
                            && reg
                                .as_ref()
                                .is_some_and(|r| r.state == RegState::Disputed.as_str())
                            && matches!(decision, Decision::Apply { .. })
                        {
                            sqlx::query(ENQUEUE)
                                .bind(&push.busi_seq)
                                .bind("success")
                                .bind(push.received_at)
                                .execute(&mut *tx)
                                .await?;
                        }
                        out.push(PushOutcome::Duplicate);
                        continue;
                    }
                    let now = push.received_at;
                    match decision {
                        Decision::Quarantine(r) => out.push(PushOutcome::Quarantined(r)),
                        Decision::Noted => out.push(PushOutcome::Applied),
                        Decision::Apply {
                            state,
                            confirmation,
                            confirm,
                        } => {
                            sqlx::query(APPLY)
                                .bind(&push.busi_seq)
                                .bind(state.as_str())
                                .bind(&push.reg_status)
                                .bind(&push.reg_msg)
                                .bind(confirmation.map(Confirmation::as_str))
                                .bind(now)
                                .bind(terminal(state).then_some(now))
                                .execute(&mut *tx)
                                .await?;
                            if let Some(claim) = confirm {
                                sqlx::query(ENQUEUE)
                                    .bind(&push.busi_seq)
                                    .bind(claim)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            if let (true, Some(c), Some(mut r)) =
                                (policy.forward, confirmation, reg)
                            {
                                r.state = state.as_str().into();
                                r.reg_status = Some(push.reg_status.clone());
                                r.reg_msg = Some(push.reg_msg.clone());
                                r.settled_by = Some("push".into());
                                let ev = events::Event::of(&r, c, now);
                                sqlx::query(events::INSERT)
                                    .bind(&ev.busi_seq)
                                    .bind(&ev.payload)
                                    .bind(now)
                                    .bind(&ev.id)
                                    .bind(&ev.kind)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            out.push(PushOutcome::Applied);
                        }
                        Decision::Adopt { state, confirm } => {
                            sqlx::query(ADOPT)
                                .bind(&push.busi_seq)
                                .bind(&push.card_field)
                                .bind(&push.card_value)
                                .bind(state.as_str())
                                .bind(&push.reg_status)
                                .bind(&push.reg_msg)
                                .bind(now)
                                .execute(&mut *tx)
                                .await?;
                            if let Some(claim) = confirm {
                                sqlx::query(ENQUEUE)
                                    .bind(&push.busi_seq)
                                    .bind(claim)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            out.push(PushOutcome::Adopted);
                        }
                    }
                }
                tx.commit().await?;
                out
            }};
        }
        Ok(match self {
            Store::Sqlite(p) => run!(p),
            Store::Postgres(p) => run!(p),
        })
    }

    pub async fn push_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pushes"
        )
        .fetch_one(p)
        .await)?)
    }

    /// Whether a push with this busiSeq is stored (applied, adopted or quarantined).
    pub async fn has_push(&self, busi_seq: &str) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM pushes WHERE busi_seq = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(SQL)
            .bind(busi_seq)
            .fetch_one(p)
            .await)?
            > 0)
    }

    /// Drops the oldest quarantined pushes past `max_rows`; answers how many were dropped.
    ///
    /// Each backend gets the form that measured best on it (`./dev bench push`,
    /// docs/BENCHMARKS.md): on PostgreSQL one `DELETE … NOT IN (the newest max_rows)`; on
    /// SQLite, where that statement held the write lock long enough to stall the push writer for
    /// up to a second at 100,000 quarantined rows, two statements along the `(disposition,
    /// received_at)` index: find the newest push past the bound, then drop it and all older ones.
    pub async fn trim_quarantine(&self, max_rows: u64) -> Result<u64, StoreError> {
        const ONE_STATEMENT: &str =
            "DELETE FROM pushes WHERE disposition = 'quarantined' AND push_key NOT IN
                           (SELECT push_key FROM pushes WHERE disposition = 'quarantined'
                            ORDER BY received_at DESC, push_key DESC LIMIT $1)";
        const CUT: &str =
            "SELECT received_at, push_key FROM pushes WHERE disposition = 'quarantined'
                           ORDER BY received_at DESC, push_key DESC LIMIT 1 OFFSET $1";
        const DROP: &str = "DELETE FROM pushes WHERE disposition = 'quarantined'
                            AND (received_at < $1 OR (received_at = $1 AND push_key <= $2))";
        let keep = i64::try_from(max_rows).unwrap_or(i64::MAX);
        Ok(match self {
            Store::Postgres(p) => sqlx::query(ONE_STATEMENT)
                .bind(keep)
                .execute(p)
                .await?
                .rows_affected(),
            Store::Sqlite(p) => {
                let cut: Option<(i64, String)> =
                    sqlx::query_as(CUT).bind(keep).fetch_optional(p).await?;
                let Some((at, key)) = cut else {
                    return Ok(0);
                };
                sqlx::query(DROP)
                    .bind(at)
                    .bind(&key)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
        })
    }

    /// Quarantined pushes, newest first.
    pub async fn quarantine(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<QuarantinedPush>, StoreError> {
        const SQL: &str = "SELECT busi_seq, reg_status, card_field, card_value, received_at, reason FROM pushes
                           WHERE disposition = 'quarantined' AND received_at >= $1 ORDER BY received_at DESC, push_key LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, QuarantinedPush>(
            SQL
        )
        .bind(since)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
