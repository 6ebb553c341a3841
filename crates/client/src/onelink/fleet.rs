//! Fleet operations on [`OneLinkClient`]: the card APIs beyond registration as typed methods,
//! and [`OneLinkClient::change_status_batched`], which changes any number of cards through
//! 23S06 batches of at most 100 and waits for each batch's job (23M10).
//!
//! Changes are never retried blindly: their definitions say `retry_safe = false`, so a change
//! is sent once, and an answer that never came is reported as [`CardOutcome::Unknown`] — check
//! the card's status (25S04) before asking again. 12047/12048 ("already in that state") are
//! success: [`Change::AlreadyInState`].

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use cmcc_proto::codes::Platform;
use cmcc_proto::endpoint::Endpoint as _;
use cmcc_proto::wire::onelink::{
    Ack, ApnSwitchRequest, BasicInfo, BatchCardInfo, BatchCardInfoRequest, BatchCards,
    BatchChangeStatus, BatchField, BatchJobRequest, BatchJobResult, BatchStatusChangeRequest,
    CardFields, CardQueryRequest, CardStatus, ChangeStatus, DataMargin, DataUsage, FunctionStatus,
    Imei, JobTicket, OrderResult, QueryBasicInfo, QueryBatchCardInfo, QueryBatchJob,
    QueryCardStatus, QueryDataMargin, QueryDataUsage, QueryFunctionStatus, QueryImei,
    QuerySessions, ResetGprs, Sessions, StatusChange, StatusChangeRequest, SwitchApn, BATCH_MAX,
};
use cmcc_proto::CardId;
use futures_util::stream::{self, StreamExt as _};

use super::OneLinkClient;
use crate::error::{CarrierError, Error};

/// 12047: the card (or its data) is already on / active.
pub const ALREADY_ON: &str = "12047";
/// 12048: the card (or its data) is already off / stopped.
pub const ALREADY_OFF: &str = "12048";

/// Whether a OneLink code says "already in that state" (12047 / 12048): nothing to change.
pub fn is_already_in_state(code: &str) -> bool {
    matches!(code, ALREADY_ON | ALREADY_OFF)
}

/// Whether a change that failed with `e` may have been made all the same: no usable answer
/// came back (no connection, a timeout, an HTTP error, an answer that is not the envelope).
/// Such a change is not sent again; check the card's status first.
pub fn outcome_unknown(e: &Error) -> bool {
    matches!(
        e,
        Error::Network { .. } | Error::Timeout { .. } | Error::Http { .. } | Error::Decode { .. }
    )
}

/// What a single change (23S03, 23M07) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The platform took the change (`orderNum` as answered, possibly empty).
    Done {
        /// `orderNum` as answered.
        order_num: String,
    },
    /// 12047 / 12048: the card was already in that state; nothing changed.
    AlreadyInState {
        /// The code answered: `12047` or `12048`.
        code: String,
    },
}

/// One card's outcome in [`OneLinkClient::change_status_batched`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardOutcome {
    /// The job reports the card changed.
    Changed,
    /// 12047 / 12048: already in the target state.
    AlreadyInState(String),
    /// The platform refused the change for this card (or the whole batch): nothing changed.
    Refused(CarrierError),
    /// The change may or may not have been made (the answer to 23S06 was lost, its job could
    /// not be read, or it finished without this card): check the card's status (25S04) before
    /// asking again. `job_id` is the job, when one was answered.
    Unknown {
        /// The job, when 23S06 answered one.
        job_id: Option<String>,
        /// What is known of why the outcome is unknown.
        detail: String,
    },
    /// The job had not finished at the deadline: it may still change the card. Poll it again
    /// ([`OneLinkClient::resume_job`]); do not send the change again.
    Pending {
        /// The job that may still change the card.
        job_id: String,
    },
    /// Not sent: the caller's [`BatchEvent::Submitting`] hook said no.
    NotSent(String),
}

impl CardOutcome {
    /// Changed or already so: the card is in the target state.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Changed | Self::AlreadyInState(_))
    }
}

/// A card and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardResult {
    /// The card.
    pub card: CardId,
    /// What happened to it.
    pub outcome: CardOutcome,
}

/// What [`OneLinkClient::change_status_batched`] tells its caller as it goes, so the caller
/// can record each step durably before the next one.
#[derive(Debug)]
pub enum BatchEvent<'a> {
    /// About to send one 23S06 for these cards. An `Err` from the hook keeps it unsent.
    Submitting {
        /// The cards of the batch.
        cards: &'a [CardId],
    },
    /// The platform answered with the batch's job.
    Submitted {
        /// The job 23S06 answered.
        job_id: &'a str,
        /// The cards of the batch.
        cards: &'a [CardId],
    },
    /// The batch is over: each of its cards' outcome.
    Finished {
        /// The job, when one was answered.
        job_id: Option<&'a str>,
        /// Each card of the batch and its outcome.
        results: &'a [CardResult],
    },
}

/// The hook of [`OneLinkClient::change_status_batched`].
pub type BatchHook<'h> = dyn Fn(BatchEvent<'_>) -> Result<(), String> + Send + Sync + 'h;

/// How [`OneLinkClient::change_status_batched`] and [`OneLinkClient::wait_job`] run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    /// Batches in flight at once (at least 1).
    pub concurrency: usize,
    /// First wait before polling a job; doubled after each poll up to `poll_max`.
    pub poll_first: Duration,
    /// The longest wait between two polls.
    pub poll_max: Duration,
    /// How long one job may take, from its submission, before its cards are reported
    /// [`CardOutcome::Pending`] (poll it later with [`OneLinkClient::resume_job`]).
    pub deadline: Duration,
    /// `reason`, for the batch types that take one.
    pub reason: Option<String>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_first: Duration::from_millis(500),
            poll_max: Duration::from_secs(5),
            deadline: Duration::from_secs(300),
            reason: None,
        }
    }
}

/// What [`OneLinkClient::wait_job`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobWait {
    /// The job finished: its last answer.
    Finished(BatchJobResult),
    /// Still running at the deadline (the last answer, if any poll was answered).
    Running(Option<BatchJobResult>),
}

/// The ids of `cards`, which must be 1 to 100 of one kind.
fn batch_cards(cards: &[CardId]) -> Result<BatchCards, Error> {
    let Some(first) = cards.first() else {
        return Err(Error::Input("a batch needs at least one card".into()));
    };
    if cards.len() > BATCH_MAX {
        return Err(Error::Input(format!(
            "a batch takes at most {BATCH_MAX} cards, this one has {} (change_status_batched splits any number)",
            cards.len()
        )));
    }
    let field = batch_field(first);
    if cards.iter().any(|c| batch_field(c) != field) {
        return Err(Error::Input(
            "the cards of one batch must all be msisdns, all iccids or all imsis".into(),
        ));
    }
    let ids: Vec<&str> = cards.iter().map(CardId::value).collect();
    Ok(BatchCards::new(field, &ids))
}

fn batch_field(c: &CardId) -> BatchField {
    match c {
        CardId::Msisdn(_) => BatchField::Msisdn,
        CardId::Iccid(_) => BatchField::Iccid,
        CardId::Imsi(_) => BatchField::Imsi,
    }
}

fn card_request(card: &CardId) -> CardQueryRequest {
    CardQueryRequest {
        transid: String::new(),
        token: String::new(),
        card: CardFields::from(card),
    }
}

/// A change's answer: 12047/12048 are success.
fn change(result: Result<Vec<OrderResult>, Error>) -> Result<Change, Error> {
    match result {
        Ok(r) => Ok(Change::Done {
            order_num: r
                .into_iter()
                .next()
                .map(|o| o.order_num)
                .unwrap_or_default(),
        }),
        Err(Error::Carrier(c)) if is_already_in_state(c.code.as_str()) => {
            Ok(Change::AlreadyInState {
                code: c.code.as_str().to_owned(),
            })
        }
        Err(e) => Err(e),
    }
}

/// Each card's outcome from a finished job's `resultList` (`resultId` is the card's id as
/// sent); a card the list does not name is [`CardOutcome::Unknown`].
pub fn job_outcomes(job_id: &str, cards: &[CardId], job: &BatchJobResult) -> Vec<CardResult> {
    let by_id: BTreeMap<&str, _> = job
        .result_list
        .iter()
        .map(|i| (i.result_id.trim(), i))
        .collect();
    cards
        .iter()
        .map(|card| {
            let outcome = match by_id.get(card.value()) {
                Some(item) => {
                    let code = item.status.trim();
                    if code == "0" {
                        CardOutcome::Changed
                    } else if is_already_in_state(code) {
                        CardOutcome::AlreadyInState(code.to_owned())
                    } else {
                        let message = item.message.clone().unwrap_or_default();
                        CardOutcome::Refused(CarrierError::new(Platform::OneLink, code, &message))
                    }
                }
                None => CardOutcome::Unknown {
                    job_id: Some(job_id.to_owned()),
                    detail: format!(
                        "job {job_id} finished (jobStatus {}) without a result for this card",
                        job.job_status
                    ),
                },
            };
            CardResult {
                card: card.clone(),
                outcome,
            }
        })
        .collect()
}

impl OneLinkClient {
    /// 25S04: the card's status and when it last changed.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn card_status(&self, card: &CardId) -> Result<CardStatus, Error> {
        self.query::<QueryCardStatus>(card).await
    }

    /// 23S00: the card's numbers and its activation and open dates.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn basic_info(&self, card: &CardId) -> Result<BasicInfo, Error> {
        self.query::<QueryBasicInfo>(card).await
    }

    /// 23S04: the IMEI of the card's device.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn imei(&self, card: &CardId) -> Result<Imei, Error> {
        self.query::<QueryImei>(card).await
    }

    /// 25U04: data used this month (KB), in total and per APN.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn data_usage(&self, card: &CardId) -> Result<DataUsage, Error> {
        self.query::<QueryDataUsage>(card).await
    }

    /// 23U07: what is left of each plan this month (KB).
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn data_margin(&self, card: &CardId) -> Result<DataMargin, Error> {
        self.query::<QueryDataMargin>(card).await
    }

    /// 25M01: the card's data sessions (none when offline).
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn sessions(&self, card: &CardId) -> Result<Sessions, Error> {
        self.query::<QuerySessions>(card).await
    }

    /// 23M08: voice, SMS and data switched on or off.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn function_status(&self, card: &CardId) -> Result<FunctionStatus, Error> {
        self.query::<QueryFunctionStatus>(card).await
    }

    /// 25M03: reset the card's data session (the device reconnects). Sent once.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12015 changed too recently,
    /// 12017 the card's status does not allow it, 12011, 12016, 12019, …). [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] mean the change may or may not
    /// have been made ([`outcome_unknown`]): it is not sent again.
    pub async fn reset_gprs(&self, card: &CardId) -> Result<(), Error> {
        self.call::<ResetGprs, Ack>(card_request(card))
            .await
            .map(drop)
    }

    /// 23S03: change one card's status. Sent once: on an error where
    /// [`outcome_unknown`] holds, query [`Self::card_status`] before asking again.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12015 changed too recently,
    /// 12017 the card's status does not allow it, 12011, 12016, 12019, …). [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] mean the change may or may not
    /// have been made ([`outcome_unknown`]): it is not sent again.
    pub async fn change_status(&self, card: &CardId, to: StatusChange) -> Result<Change, Error> {
        let request = StatusChangeRequest {
            transid: String::new(),
            token: String::new(),
            card: CardFields::from(card),
            oper_type: to.oper_type().to_string(),
        };
        let r = change(self.call::<ChangeStatus, OrderResult>(request).await);
        tracing::info!(card = %card, oper_type = to.oper_type(), ok = r.is_ok(), "status change sent");
        r
    }

    /// 23M07: switch the card's data on `apn` on or off. Sent once.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12015 changed too recently,
    /// 12017 the card's status does not allow it, 12011, 12016, 12019, …). [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] mean the change may or may not
    /// have been made ([`outcome_unknown`]): it is not sent again.
    pub async fn switch_apn(&self, card: &CardId, on: bool, apn: &str) -> Result<Change, Error> {
        if apn.trim().is_empty() {
            return Err(Error::Input("an APN name is required".into()));
        }
        let request = ApnSwitchRequest {
            transid: String::new(),
            token: String::new(),
            card: CardFields::from(card),
            oper_type: if on { "0" } else { "1" }.into(),
            apn_name: apn.trim().to_owned(),
        };
        change(self.call::<SwitchApn, OrderResult>(request).await)
    }

    /// 25S05: the numbers of 1 to 100 cards of one kind, each entry with its own status.
    ///
    /// # Errors
    /// [`Error::Input`] for an empty batch, more than 100 cards or cards named by different
    /// fields; [`Error::Carrier`] with the platform's code when it refuses; [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn batch_card_info(&self, cards: &[CardId]) -> Result<Vec<BatchCardInfo>, Error> {
        let request = BatchCardInfoRequest {
            transid: String::new(),
            token: String::new(),
            cards: batch_cards(cards)?,
        };
        self.call::<QueryBatchCardInfo, BatchCardInfo>(request)
            .await
    }

    /// 23S06: change 1 to 100 cards of one kind; the answer is the job's id (poll it with
    /// [`Self::batch_job`] or [`Self::wait_job`]). Sent once.
    ///
    /// # Errors
    /// [`Error::Input`] for an empty batch, more than 100 cards or cards named by different
    /// fields; [`Error::Carrier`] with the platform's code when it refuses; [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn batch_change_status(
        &self,
        cards: &[CardId],
        to: StatusChange,
        reason: Option<&str>,
    ) -> Result<String, Error> {
        let request = BatchStatusChangeRequest {
            transid: String::new(),
            token: String::new(),
            cards: batch_cards(cards)?,
            oper_type: to.batch_oper_type().to_string(),
            reason: reason.map(str::to_owned),
        };
        let tickets = self.call::<BatchChangeStatus, JobTicket>(request).await?;
        let job = tickets
            .into_iter()
            .next()
            .map(|t| t.job_id)
            .filter(|j| !j.trim().is_empty())
            .ok_or_else(|| Error::Decode {
                url: self.url(BatchChangeStatus::METADATA.path),
                detail: "status 0 but no jobId".into(),
                snippet: String::new(),
            })?;
        tracing::info!(cards = cards.len(), job = %job, batch_oper_type = to.batch_oper_type(), "batch status change submitted");
        Ok(job)
    }

    /// 23M10: a batch job's state and, once finished, each card's outcome.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn batch_job(&self, job_id: &str) -> Result<BatchJobResult, Error> {
        let request = BatchJobRequest {
            transid: String::new(),
            token: String::new(),
            job_id: job_id.to_owned(),
        };
        self.call::<QueryBatchJob, BatchJobResult>(request)
            .await?
            .pop()
            .ok_or_else(|| Error::Decode {
                url: self.url(QueryBatchJob::METADATA.path),
                detail: "status 0 but empty result".into(),
                snippet: String::new(),
            })
    }

    /// Poll job `job_id` (23M10) until it finishes or `opts.deadline` passes, waiting
    /// `poll_first`, then twice as long each time up to `poll_max`. Polls that get no answer
    /// are tried again until the deadline; a refusal (12018: no such job) is returned.
    ///
    /// # Errors
    /// [`Error::Carrier`] with the platform's code when it refuses (12011 not this enterprise's
    /// card, 12001 a malformed id, 12021 twice in a row, …); [`Error::Network`],
    /// [`Error::Timeout`], [`Error::Http`] or [`Error::Decode`] when no usable answer came.
    pub async fn wait_job(&self, job_id: &str, opts: &BatchOptions) -> Result<JobWait, Error> {
        let deadline = tokio::time::Instant::now() + opts.deadline;
        let mut wait = opts.poll_first;
        let mut last = None;
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(JobWait::Running(last));
            }
            tokio::time::sleep(wait.min(deadline - now)).await;
            match self.batch_job(job_id).await {
                Ok(job) if job.finished() => return Ok(JobWait::Finished(job)),
                Ok(job) => last = Some(job),
                Err(e) if e.is_transient() || outcome_unknown(&e) => {
                    tracing::warn!(job = %job_id, error = %e, "batch job poll got no answer; polling again");
                }
                Err(e) => return Err(e),
            }
            wait = (wait * 2).min(opts.poll_max.max(opts.poll_first));
        }
    }

    /// Wait for a submitted job (also one a crashed run submitted) and map its result to
    /// `cards`: the same outcomes as [`Self::change_status_batched`]; [`CardOutcome::Pending`]
    /// when it had not finished by `opts.deadline`.
    pub async fn resume_job(
        &self,
        job_id: &str,
        cards: &[CardId],
        opts: &BatchOptions,
    ) -> Vec<CardResult> {
        let unknown = |detail: String| {
            cards
                .iter()
                .map(|c| CardResult {
                    card: c.clone(),
                    outcome: CardOutcome::Unknown {
                        job_id: Some(job_id.to_owned()),
                        detail: detail.clone(),
                    },
                })
                .collect()
        };
        match self.wait_job(job_id, opts).await {
            Ok(JobWait::Finished(job)) => job_outcomes(job_id, cards, &job),
            Ok(JobWait::Running(_)) => cards
                .iter()
                .map(|c| CardResult {
                    card: c.clone(),
                    outcome: CardOutcome::Pending {
                        job_id: job_id.to_owned(),
                    },
                })
                .collect(),
            Err(e) => unknown(format!(
                "job {job_id} could not be read ({e}); check the card's status"
            )),
        }
    }

    /// Change the status of any number of cards: split into 23S06 calls of at most 100 cards
    /// (one kind of id each; duplicates dropped), at most `opts.concurrency` in flight, each
    /// job polled to completion with backoff and a deadline. Returns one result per distinct
    /// card, in input order. Nothing is sent twice: a batch whose answer was lost gives
    /// [`CardOutcome::Unknown`] for its cards.
    ///
    /// `hook` sees each step before the next ([`BatchEvent`]); a caller that must survive a
    /// crash records them durably (`cmcc fleet stop --batch` does).
    pub async fn change_status_batched(
        &self,
        cards: &[CardId],
        to: StatusChange,
        opts: &BatchOptions,
        hook: &BatchHook<'_>,
    ) -> Vec<CardResult> {
        let mut seen = HashSet::new();
        let mut by_field: Vec<(BatchField, Vec<CardId>)> = Vec::new();
        for c in cards {
            if !seen.insert(c.clone()) {
                continue;
            }
            let f = batch_field(c);
            match by_field.iter_mut().find(|(k, _)| *k == f) {
                Some((_, v)) => v.push(c.clone()),
                None => by_field.push((f, vec![c.clone()])),
            }
        }
        let chunks: Vec<Vec<CardId>> = by_field
            .iter()
            .flat_map(|(_, v)| v.chunks(BATCH_MAX).map(<[CardId]>::to_vec))
            .collect();
        let done: Vec<Vec<CardResult>> = stream::iter(chunks)
            .map(|chunk| async move { self.one_batch(chunk, to, opts, hook).await })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        let mut by_card: BTreeMap<CardId, CardOutcome> = done
            .into_iter()
            .flatten()
            .map(|r| (r.card, r.outcome))
            .collect();
        let mut out = Vec::with_capacity(by_card.len());
        let mut emitted = HashSet::new();
        for c in cards {
            if emitted.insert(c.clone()) {
                if let Some(outcome) = by_card.remove(c) {
                    out.push(CardResult {
                        card: c.clone(),
                        outcome,
                    });
                }
            }
        }
        out
    }

    async fn one_batch(
        &self,
        cards: Vec<CardId>,
        to: StatusChange,
        opts: &BatchOptions,
        hook: &BatchHook<'_>,
    ) -> Vec<CardResult> {
        let all = |outcome: CardOutcome| -> Vec<CardResult> {
            cards
                .iter()
                .map(|c| CardResult {
                    card: c.clone(),
                    outcome: outcome.clone(),
                })
                .collect()
        };
        let finish = |job_id: Option<&str>, results: Vec<CardResult>| {
            // The outcome is returned whatever the hook says: it is what happened.
            if let Err(e) = hook(BatchEvent::Finished {
                job_id,
                results: &results,
            }) {
                tracing::warn!(error = %e, "the batch hook could not record the outcome");
            }
            results
        };
        if let Err(why) = hook(BatchEvent::Submitting { cards: &cards }) {
            return all(CardOutcome::NotSent(why));
        }
        let job_id = match self
            .batch_change_status(&cards, to, opts.reason.as_deref())
            .await
        {
            Ok(j) => j,
            Err(Error::Carrier(c)) => return finish(None, all(CardOutcome::Refused(c))),
            Err(Error::Input(e)) => return finish(None, all(CardOutcome::NotSent(e))),
            Err(e) => {
                return finish(
                    None,
                    all(CardOutcome::Unknown {
                        job_id: None,
                        detail: format!(
                            "no answer to the batch change ({e}); check the cards' status before asking again"
                        ),
                    }),
                )
            }
        };
        if let Err(e) = hook(BatchEvent::Submitted {
            job_id: &job_id,
            cards: &cards,
        }) {
            tracing::warn!(job = %job_id, error = %e, "the batch hook could not record the job");
        }
        let results = self.resume_job(&job_id, &cards, opts).await;
        finish(Some(&job_id), results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmcc_proto::wire::onelink::BatchJobItem;

    fn m(n: &str) -> CardId {
        CardId::from_fields(Some(n), None, None).expect("msisdn")
    }

    #[test]
    fn a_batch_is_1_to_100_cards_of_one_kind() {
        let cards: Vec<CardId> = (0..101).map(|i| m(&format!("1440000{i:06}"))).collect();
        assert!(matches!(batch_cards(&[]), Err(Error::Input(_))));
        assert!(matches!(batch_cards(&cards), Err(Error::Input(_))));
        let ok = batch_cards(&cards[..100]).expect("100 cards");
        assert_eq!(ok.ids().map(|(_, v)| v.len()), Ok(100));
        let iccid = CardId::from_fields(None, Some("89860424000000000001"), None).expect("iccid");
        assert!(matches!(
            batch_cards(&[cards[0].clone(), iccid]),
            Err(Error::Input(_))
        ));
    }

    #[test]
    fn job_results_map_to_cards_and_missing_ones_are_unknown() {
        let cards = [
            m("1440000000001"),
            m("1440000000007"),
            m("1440000000011"),
            m("1440000000099"),
        ];
        let item = |id: &str, status: &str| BatchJobItem {
            result_id: id.into(),
            status: status.into(),
            message: Some("x".into()),
        };
        let job = BatchJobResult {
            job_status: "3".into(),
            result_list: vec![
                item("1440000000001", "0"),
                item("1440000000007", "12048"),
                item(" 1440000000011", "12017"),
            ],
        };
        let r = job_outcomes("J1", &cards, &job);
        assert_eq!(r[0].outcome, CardOutcome::Changed);
        assert_eq!(r[1].outcome, CardOutcome::AlreadyInState("12048".into()));
        assert!(r[1].outcome.is_success());
        match &r[2].outcome {
            CardOutcome::Refused(c) => assert_eq!(c.code.as_str(), "12017"),
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            &r[3].outcome,
            CardOutcome::Unknown { job_id: Some(j), .. } if j == "J1"
        ));
    }

    #[test]
    fn already_in_state_is_success_and_lost_answers_are_unknown() {
        let already = Err(Error::Carrier(CarrierError::new(
            Platform::OneLink,
            "12047",
            "已激活",
        )));
        assert_eq!(
            change(already).ok(),
            Some(Change::AlreadyInState {
                code: "12047".into()
            })
        );
        let refused = Err(Error::Carrier(CarrierError::new(
            Platform::OneLink,
            "12017",
            "no",
        )));
        assert!(change(refused).is_err());
        let lost = Error::Timeout {
            url: "u".into(),
            secs: 1.0,
        };
        assert!(outcome_unknown(&lost));
        assert!(!outcome_unknown(&Error::Input("x".into())));
    }
}
