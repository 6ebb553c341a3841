//! `cmcc fleet stop` / `resume`: status changes over a card file, made exactly once.
//!
//! Without `--apply` it is a dry-run: each card's status (25S04) says whether the change would
//! be made, and the plan goes to the output. With `--apply` every step is recorded in the output
//! before the next one, flushed and synced:
//!
//! 1. `sending` before a 23S03 (or, with `--batch`, a 23S06 for up to 100 cards) is sent;
//! 2. with `--batch`, `submitted` with the job's id once the platform answered;
//! 3. the outcome: `changed`, `already` (12047/12048), `refused` (the code says why),
//!    `unknown` (the answer was lost) or, for a job still running at the deadline, `submitted`
//!    again.
//!
//! A rerun (after Ctrl-C, a crash, `kill -9`, a lost network) never repeats a change that was
//! made: a card whose last row is `submitted` has its job polled (23M10); a card whose last row
//! is `sending` or `unknown` has its status queried first, and is sent the change only if it is
//! still in the state the change starts from. When that row is a 23S06 whose answer (the job)
//! was lost, the status is asked only once `--job-deadline` has passed since it was sent: a job
//! the platform made for it could still change the cards until then.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use cmcc_client::onelink::{
    job_outcomes, outcome_unknown, BatchEvent, BatchOptions, CardOutcome, CardResult, Change,
    JobWait,
};
use cmcc_client::OneLinkClient;
use cmcc_proto::wire::onelink::{CardState, StatusChange};
use cmcc_proto::CardId;
use futures_util::stream::{self, StreamExt as _};
use serde::{Deserialize, Serialize};

use super::query::state_name;
use super::{
    card_id, connect, error_code, final_refusal, finish, for_each_card, progress, read_earlier,
    read_input, tally_by, CardsArgs, Ctx, Field, Journal, Record, Run, INVALID,
};

/// `cmcc fleet stop` / `resume`.
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    #[command(flatten)]
    pub cards: CardsArgs,
    /// Make the changes. Without it nothing is changed: each card's status is queried and the
    /// output says what would be done (`would-change`, `would-skip`, `would-refuse`).
    #[arg(long)]
    pub apply: bool,
    /// Change without asking, whatever the number of cards (required above --confirm-above
    /// when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Ask for confirmation when more cards than this are to be changed.
    #[arg(long, default_value_t = 10)]
    pub confirm_above: usize,
    /// Use 23S06 batches of up to 100 cards (asynchronous jobs, polled with 23M10) instead of
    /// one 23S03 per card.
    #[arg(long)]
    pub batch: bool,
    /// With --batch: how long to wait for each job, in seconds. A job still running then is
    /// polled again by the next run, never re-sent.
    #[arg(long, default_value_t = 300)]
    pub job_deadline: u64,
}

// Outcomes. Dry-run:
const WOULD_CHANGE: &str = "would-change";
const WOULD_SKIP: &str = "would-skip";
const WOULD_REFUSE: &str = "would-refuse";
/// A query failed; nothing was sent.
const FAILED: &str = "failed";
// Applied:
const SENDING: &str = "sending";
const SUBMITTED: &str = "submitted";
/// Status queried after an earlier attempt without a known outcome: still to be sent.
const CHECKED: &str = "checked";
const CHANGED: &str = "changed";
const ALREADY: &str = "already";
const REFUSED: &str = "refused";
const UNKNOWN: &str = "unknown";
const NOT_SENT: &str = "not-sent";
const SINGLE_API: &str = "23S03";
const BATCH_API: &str = "23S06";
const JOB_API: &str = "23M10";

/// One step of one card's change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ChangeRow {
    card: String,
    field: String,
    /// `stop` / `resume`.
    action: String,
    outcome: String,
    /// The API of the change: `23S03` (one card) or `23S06` (a batch).
    #[serde(default)]
    via: String,
    /// The 23S06 job, with --batch.
    job_id: String,
    /// The card's state as a status query (25S04) saw it, when one was made.
    card_state: String,
    code: String,
    message: String,
    /// When this row was written (UTC).
    at: String,
}

impl ChangeRow {
    fn new(card: &str, field: Field, action: StatusChange, outcome: &str) -> Self {
        ChangeRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            action: action_name(action).to_owned(),
            outcome: outcome.to_owned(),
            via: String::new(),
            job_id: String::new(),
            card_state: String::new(),
            code: String::new(),
            message: String::new(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
    fn with(mut self, code: &str, message: impl Into<String>) -> Self {
        self.code = code.to_owned();
        self.message = message.into();
        self
    }
    fn state(mut self, s: Option<CardState>) -> Self {
        self.card_state = s.map(|s| s.en().to_owned()).unwrap_or_default();
        self
    }
    fn job(mut self, job: &str) -> Self {
        self.job_id = job.to_owned();
        self.via = BATCH_API.into();
        self
    }
    fn via(mut self, api: &str) -> Self {
        self.via = api.to_owned();
        self
    }
    /// A 23S06 whose answer (the job) was lost: a job may exist and change the card later.
    fn lost_batch(&self) -> bool {
        self.via == BATCH_API
            && self.job_id.is_empty()
            && matches!(self.outcome.as_str(), SENDING | UNKNOWN)
    }
    /// A change was (or may have been) sent and its outcome is not known.
    fn unresolved(&self) -> bool {
        matches!(self.outcome.as_str(), SENDING | SUBMITTED | UNKNOWN)
    }
    /// A row only an applied run writes.
    fn applied(&self) -> bool {
        matches!(
            self.outcome.as_str(),
            SENDING | SUBMITTED | CHECKED | CHANGED | ALREADY | REFUSED | UNKNOWN | NOT_SENT
        )
    }
}

impl Record for ChangeRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        let outcome = if code == INVALID { INVALID } else { FAILED };
        // The action is filled in by the caller; "" until then.
        ChangeRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            action: String::new(),
            outcome: outcome.to_owned(),
            via: String::new(),
            job_id: String::new(),
            card_state: String::new(),
            code,
            message,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
    fn is_final(&self) -> bool {
        match self.outcome.as_str() {
            CHANGED | ALREADY | INVALID => true,
            REFUSED => final_refusal(&self.code),
            // A plan is an answer to the dry-run (and is not final for --apply: see `run`).
            WOULD_CHANGE | WOULD_SKIP | WOULD_REFUSE => true,
            _ => false,
        }
    }
    fn answered(&self) -> bool {
        matches!(
            self.outcome.as_str(),
            CHANGED | ALREADY | WOULD_CHANGE | WOULD_SKIP | WOULD_REFUSE
        )
    }
}

fn action_name(c: StatusChange) -> &'static str {
    match c {
        StatusChange::Stop => "stop",
        StatusChange::Resume => "resume",
        _ => "change",
    }
}

/// Final for an applied run: the change is made, was not needed, or cannot be made.
fn done(r: &ChangeRow) -> bool {
    matches!(r.outcome.as_str(), CHANGED | ALREADY | INVALID)
        || (r.outcome == REFUSED && final_refusal(&r.code))
}

pub(crate) fn run(args: &ChangeArgs, change: StatusChange) -> Result<ExitCode> {
    let c = &args.cards;
    let (field, cards) = read_input(&c.input, c.field)?;
    if args.apply {
        apply(args, change, field, &cards)
    } else {
        dry_run(args, change, field, &cards)
    }
}

// ------------------------------------------------------------------ dry-run

fn dry_run(
    args: &ChangeArgs,
    change: StatusChange,
    field: Field,
    cards: &[String],
) -> Result<ExitCode> {
    let out = &args.cards.output;
    let earlier = read_earlier::<ChangeRow>(out)?;
    if earlier.values().any(ChangeRow::applied) {
        anyhow::bail!(
            "{} is the record of an applied run (it says which changes were made); write the dry-run to another file",
            out.display()
        );
    }
    // A plan is made afresh each time.
    if out.exists() {
        std::fs::remove_file(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    let ctx = connect(&args.cards.conn, !cards.is_empty())?;
    let journal = Arc::new(Journal::open(out, false)?);
    let (from, to) = change.transition();
    eprintln!(
        "dry-run: {} cards ({}), each card's status is asked; nothing is changed",
        cards.len(),
        field.name()
    );
    let client = Arc::clone(&ctx.client);
    let done = for_each_card(
        &ctx,
        cards.to_vec(),
        args.cards.conn.concurrency,
        &journal,
        move |card| {
            let client = Arc::clone(&client);
            async move {
                let id = match card_id::<ChangeRow>(field, &card) {
                    Ok(id) => id,
                    Err(row) => return row.action(change),
                };
                match client.card_status(&id).await {
                    Err(e) => ChangeRow::new(&card, field, change, FAILED)
                        .with(&error_code(&e), e.to_string()),
                    Ok(st) => {
                        let state = st.state();
                        let row = if state == Some(from) {
                            ChangeRow::new(&card, field, change, WOULD_CHANGE)
                        } else if state == Some(to) {
                            ChangeRow::new(&card, field, change, WOULD_SKIP)
                                .with("", format!("already {}", to.en()))
                        } else {
                            ChangeRow::new(&card, field, change, WOULD_REFUSE).with(
                                "",
                                format!(
                                    "the card is {}: a {} needs a card that is {}",
                                    state_name(&st.card_status),
                                    action_name(change),
                                    from.en()
                                ),
                            )
                        };
                        row.state(state)
                    }
                }
            }
        },
    )?;
    drop(journal);
    let code = finish(out, cards, BTreeMap::new(), &done, &ctx.client, |all| {
        let n = |o: &str| all.iter().filter(|r| r.outcome == o).count();
        let refuse = tally_by(
            all.iter()
                .filter(|r| r.outcome == WOULD_REFUSE)
                .map(|r| r.card_state.as_str()),
        );
        (
            format!(
                "would {} {}, {} already {}, {} not {}{}, ",
                action_name(change),
                n(WOULD_CHANGE),
                n(WOULD_SKIP),
                to.en(),
                n(WOULD_REFUSE),
                from.en(),
                if refuse.is_empty() {
                    String::new()
                } else {
                    format!(" ({refuse})")
                }
            ),
            String::new(),
        )
    })?;
    if !done.interrupted {
        eprintln!(
            "dry-run: nothing was changed; the plan is in {}. Add --apply to make the changes.",
            out.display()
        );
    }
    Ok(code)
}

impl ChangeRow {
    fn action(mut self, c: StatusChange) -> Self {
        self.action = action_name(c).to_owned();
        self
    }
}

// ------------------------------------------------------------------ apply

/// Ask before changing more than `--confirm-above` cards.
fn confirm(args: &ChangeArgs, change: StatusChange, n: usize) -> Result<()> {
    if args.yes || n <= args.confirm_above {
        return Ok(());
    }
    let what = format!(
        "{n} cards to {} for appid {} at {}",
        action_name(change),
        args.cards.conn.appid,
        args.cards
            .conn
            .base
            .as_deref()
            .unwrap_or("production OneLink")
    );
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "{what}: more than --confirm-above {} and stdin is not a terminal, so nobody can confirm; pass --yes (or run a dry-run first, without --apply)",
        args.confirm_above
    );
    eprint!("{what}. Type yes to go on: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the confirmation")?;
    anyhow::ensure!(
        matches!(line.trim(), "yes" | "y" | "YES"),
        "not confirmed; nothing was changed"
    );
    Ok(())
}

/// A row for a card's outcome in a batch.
fn batch_row(card: &CardId, field: Field, change: StatusChange, o: &CardOutcome) -> ChangeRow {
    let row = |outcome: &str| ChangeRow::new(card.value(), field, change, outcome).via(BATCH_API);
    match o {
        CardOutcome::Changed => row(CHANGED),
        CardOutcome::AlreadyInState(code) => {
            row(ALREADY).with(code, "already in that state (nothing changed)")
        }
        CardOutcome::Refused(c) => row(REFUSED).with(c.code.as_str(), c.to_string()),
        CardOutcome::Unknown { job_id, detail } => row(UNKNOWN)
            .job(job_id.as_deref().unwrap_or(""))
            .with("", detail.clone()),
        CardOutcome::Pending { job_id } => row(SUBMITTED).job(job_id).with(
            "",
            format!("job {job_id} had not finished; the next run polls it again"),
        ),
        CardOutcome::NotSent(why) => row(NOT_SENT).with("", why.clone()),
    }
}

fn apply(
    args: &ChangeArgs,
    change: StatusChange,
    field: Field,
    cards: &[String],
) -> Result<ExitCode> {
    let out = &args.cards.output;
    let conn = &args.cards.conn;
    let earlier = read_earlier::<ChangeRow>(out)?;
    if let Some(r) = earlier
        .values()
        .find(|r| r.applied() && !r.action.is_empty() && r.action != action_name(change))
    {
        anyhow::bail!(
            "{} records a {} run (card {}); use another file for a {}",
            out.display(),
            r.action,
            r.card,
            action_name(change)
        );
    }
    let todo: Vec<String> = cards
        .iter()
        .filter(|c| !earlier.get(*c).is_some_and(done))
        .cloned()
        .collect();
    let unresolved = todo
        .iter()
        .filter(|c| earlier.get(*c).is_some_and(ChangeRow::unresolved))
        .count();
    eprintln!(
        "{} cards ({}), {} done in {}, {} to {}{}",
        cards.len(),
        field.name(),
        cards.len() - todo.len(),
        out.display(),
        todo.len(),
        action_name(change),
        if unresolved > 0 {
            format!(" ({unresolved} of them with an earlier attempt whose outcome is not known: checked first, never sent twice)")
        } else {
            String::new()
        }
    );
    confirm(args, change, todo.len())?;
    let ctx = connect(conn, !todo.is_empty())?;
    let journal = Arc::new(Journal::open(out, true)?);
    let opts = BatchOptions {
        concurrency: usize::from(conn.concurrency).clamp(1, 16),
        deadline: Duration::from_secs(args.job_deadline.max(1)),
        ..BatchOptions::default()
    };
    let earlier = Arc::new(earlier);
    let started = Instant::now();

    // 1. Jobs an earlier run submitted: poll them before anything else.
    let (jobs_done, still_running) =
        poll_earlier_jobs(&ctx, &journal, &earlier, &todo, field, change, &opts)?;
    let mut fresh = jobs_done.fresh;
    let mut interrupted = jobs_done.interrupted;
    let rest: Vec<String> = todo
        .iter()
        .filter(|c| !fresh.get(*c).is_some_and(|r| done(r) || r.unresolved()))
        .filter(|c| !still_running.contains(*c))
        .cloned()
        .collect();

    // 2. Batches whose answer was lost: their job may still change the cards. Their status
    //    is only conclusive once such a job would have finished.
    if !interrupted {
        interrupted = settle_lost_batches(&ctx, &earlier, &rest, opts.deadline);
    }

    // 3. The changes.
    if !interrupted {
        let r = if args.batch {
            apply_batched(&ctx, &journal, &earlier, rest, field, change, &opts)?
        } else {
            apply_each(
                &ctx,
                &journal,
                &earlier,
                rest,
                field,
                change,
                conn.concurrency,
            )?
        };
        fresh.extend(r.fresh);
        interrupted = r.interrupted;
    }
    drop(journal);
    let done_run = Run {
        fresh,
        interrupted,
        secs: started.elapsed().as_secs_f64(),
    };
    let (_, to) = change.transition();
    let earlier = Arc::try_unwrap(earlier).unwrap_or_else(|a| (*a).clone());
    finish(out, cards, earlier, &done_run, &ctx.client, |all| {
        let n = |o: &str| all.iter().filter(|r| r.outcome == o).count();
        (
            format!(
                "{} {}, {} already {}, ",
                n(CHANGED),
                if change == StatusChange::Stop {
                    "stopped"
                } else {
                    "resumed"
                },
                n(ALREADY),
                to.en()
            ),
            String::new(),
        )
    })
}

/// Wait until `deadline` has passed since the latest 23S06 among `cards` whose answer was
/// lost (a job the platform made for it would be finished by then). `true` on Ctrl-C.
fn settle_lost_batches(
    ctx: &Ctx,
    earlier: &BTreeMap<String, ChangeRow>,
    cards: &[String],
    deadline: Duration,
) -> bool {
    let deadline = chrono::Duration::from_std(deadline).unwrap_or(chrono::Duration::MAX);
    let until = cards
        .iter()
        .filter_map(|c| earlier.get(c))
        .filter(|r| r.lost_batch())
        .filter_map(|r| chrono::DateTime::parse_from_rfc3339(&r.at).ok())
        .map(|at| at.with_timezone(&chrono::Utc) + deadline)
        .max();
    let Some(wait) = until.and_then(|u| (u - chrono::Utc::now()).to_std().ok()) else {
        return false;
    };
    eprintln!(
        "waiting {:.0} s: a batch change sent at most --job-deadline ago got no recorded answer, and a job for it could still change its cards",
        wait.as_secs_f64()
    );
    ctx.runtime.block_on(async {
        tokio::select! {
            () = tokio::time::sleep(wait) => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    })
}

/// Poll the jobs of cards whose last row is `submitted`; record each outcome. The cards whose
/// job is still running are returned: they must not be sent again in this run.
fn poll_earlier_jobs(
    ctx: &Ctx,
    journal: &Arc<Journal>,
    earlier: &BTreeMap<String, ChangeRow>,
    todo: &[String],
    field: Field,
    change: StatusChange,
    opts: &BatchOptions,
) -> Result<(Run<ChangeRow>, std::collections::BTreeSet<String>)> {
    let mut jobs: BTreeMap<String, Vec<CardId>> = BTreeMap::new();
    for c in todo {
        if let Some(r) = earlier.get(c) {
            if r.outcome == SUBMITTED && !r.job_id.is_empty() {
                if let Ok(id) = field.card(c) {
                    jobs.entry(r.job_id.clone()).or_default().push(id);
                }
            }
        }
    }
    let mut fresh = BTreeMap::new();
    let mut running = std::collections::BTreeSet::new();
    if jobs.is_empty() {
        return Ok((
            Run {
                fresh,
                interrupted: false,
                secs: 0.0,
            },
            running,
        ));
    }
    eprintln!(
        "polling {} job(s) an earlier run submitted ({} cards)",
        jobs.len(),
        jobs.values().map(Vec::len).sum::<usize>()
    );
    let client = &ctx.client;
    let results: Vec<(String, Vec<CardId>, Result<JobWait, cmcc_client::Error>)> =
        ctx.runtime.block_on(
            stream::iter(jobs)
                .map(|(job, cards)| async move {
                    let w = client.wait_job(&job, opts).await;
                    (job, cards, w)
                })
                .buffer_unordered(opts.concurrency)
                .collect(),
        );
    for (job, cards, w) in results {
        let outcomes: Vec<CardResult> = match w {
            Ok(JobWait::Finished(result)) => job_outcomes(&job, &cards, &result),
            Ok(JobWait::Running(_)) => cards
                .iter()
                .map(|c| CardResult {
                    card: c.clone(),
                    outcome: CardOutcome::Pending { job_id: job.clone() },
                })
                .collect(),
            // 12018 (no such job): the status decides, as for a lost answer.
            Err(e) => cards
                .iter()
                .map(|c| CardResult {
                    card: c.clone(),
                    outcome: CardOutcome::Unknown {
                        job_id: None,
                        detail: format!("job {job} could not be read ({e}); the card's status is checked before anything is sent"),
                    },
                })
                .collect(),
        };
        for r in outcomes {
            let mut row = batch_row(&r.card, field, change, &r.outcome);
            if row.outcome == UNKNOWN && row.job_id.is_empty() {
                // The job is gone, not pending: no need to wait for it.
                row.via = JOB_API.into();
            } else if row.job_id.is_empty() {
                row = row.job(&job);
            }
            journal.record(&row)?;
            if matches!(r.outcome, CardOutcome::Pending { .. }) {
                running.insert(row.card.clone());
            }
            fresh.insert(row.card.clone(), row);
        }
    }
    Ok((
        Run {
            fresh,
            interrupted: false,
            secs: 0.0,
        },
        running,
    ))
}

/// The card's status before a change whose earlier attempt has no known outcome: `Ok(None)`
/// to send it, `Ok(Some(row))` when it is already made (or cannot be checked: not sent).
async fn check_first(
    client: &OneLinkClient,
    id: &CardId,
    card: &str,
    field: Field,
    change: StatusChange,
) -> (Option<ChangeRow>, Option<CardState>) {
    let (_, to) = change.transition();
    match client.card_status(id).await {
        Err(e) => (
            Some(
                ChangeRow::new(card, field, change, UNKNOWN).with(
                    &error_code(&e),
                    format!("an earlier attempt has no known outcome and the status query failed ({e}); not sent"),
                ),
            ),
            None,
        ),
        Ok(st) if st.state() == Some(to) => (
            Some(
                ChangeRow::new(card, field, change, CHANGED)
                    .state(st.state())
                    .with(
                        "",
                        format!("found {} after an earlier attempt whose answer was lost; not sent again", to.en()),
                    ),
            ),
            st.state(),
        ),
        Ok(st) => (None, st.state()),
    }
}

/// One 23S03 per card.
fn apply_each(
    ctx: &Ctx,
    journal: &Arc<Journal>,
    earlier: &Arc<BTreeMap<String, ChangeRow>>,
    todo: Vec<String>,
    field: Field,
    change: StatusChange,
    concurrency: u16,
) -> Result<Run<ChangeRow>> {
    let client = Arc::clone(&ctx.client);
    let earlier = Arc::clone(earlier);
    let j = Arc::clone(journal);
    for_each_card(ctx, todo, concurrency, journal, move |card| {
        let (client, earlier, journal) =
            (Arc::clone(&client), Arc::clone(&earlier), Arc::clone(&j));
        async move {
            let id = match card_id::<ChangeRow>(field, &card) {
                Ok(id) => id,
                Err(row) => return row.action(change),
            };
            let mut seen = None;
            if earlier.get(&card).is_some_and(ChangeRow::unresolved) {
                let (row, state) = check_first(&client, &id, &card, field, change).await;
                if let Some(row) = row {
                    return row;
                }
                seen = state;
            }
            // The intent, durably, before the change leaves.
            let intent = ChangeRow::new(&card, field, change, SENDING)
                .state(seen)
                .via(SINGLE_API);
            if let Err(e) = journal.record(&intent) {
                return ChangeRow::new(&card, field, change, NOT_SENT).with(
                    "",
                    format!("could not record the change before sending it: {e:#}"),
                );
            }
            let row = ChangeRow::new(&card, field, change, CHANGED)
                .state(seen)
                .via(SINGLE_API);
            match client.change_status(&id, change).await {
                Ok(Change::Done { order_num }) => row.with("", format!("order {order_num}")),
                Ok(Change::AlreadyInState { code }) => ChangeRow {
                    outcome: ALREADY.into(),
                    ..row
                }
                .with(&code, "already in that state (nothing changed)"),
                Err(e) if outcome_unknown(&e) => ChangeRow {
                    outcome: UNKNOWN.into(),
                    ..row
                }
                .with(
                    &error_code(&e),
                    format!("{e}; the next run checks the card's status before sending it again"),
                ),
                Err(e) => ChangeRow {
                    outcome: REFUSED.into(),
                    ..row
                }
                .with(&error_code(&e), e.to_string()),
            }
        }
    })
}

/// 23S06 batches of up to 100, each job polled to completion.
fn apply_batched(
    ctx: &Ctx,
    journal: &Arc<Journal>,
    earlier: &Arc<BTreeMap<String, ChangeRow>>,
    todo: Vec<String>,
    field: Field,
    change: StatusChange,
    opts: &BatchOptions,
) -> Result<Run<ChangeRow>> {
    let mut fresh: BTreeMap<String, ChangeRow> = BTreeMap::new();
    // Malformed numbers are never sent; cards without a known outcome are checked first.
    let mut send = Vec::new();
    let mut check = Vec::new();
    for c in &todo {
        match card_id::<ChangeRow>(field, c) {
            Err(row) => {
                let row = row.action(change);
                journal.record(&row)?;
                fresh.insert(c.clone(), row);
            }
            Ok(_) if earlier.get(c).is_some_and(ChangeRow::unresolved) => check.push(c.clone()),
            Ok(id) => send.push(id),
        }
    }
    if !check.is_empty() {
        eprintln!(
            "checking the status of {} cards whose earlier change has no known outcome",
            check.len()
        );
        let client = Arc::clone(&ctx.client);
        let checked = for_each_card(ctx, check, 8, journal, move |card| {
            let client = Arc::clone(&client);
            async move {
                let id = match field.card(&card) {
                    Ok(id) => id,
                    Err(e) => {
                        return ChangeRow::new(&card, field, change, INVALID)
                            .with(INVALID, e.to_string())
                    }
                };
                match check_first(&client, &id, &card, field, change).await {
                    (Some(row), _) => row,
                    (None, state) => ChangeRow::new(&card, field, change, CHECKED)
                        .state(state)
                        .with(
                        "",
                        "status checked after an earlier attempt whose answer was lost; to be sent",
                    ),
                }
            }
        })?;
        let interrupted = checked.interrupted;
        for (c, row) in checked.fresh {
            if row.outcome == CHECKED {
                if let Ok(id) = field.card(&c) {
                    send.push(id);
                }
            }
            fresh.insert(c, row);
        }
        if interrupted {
            return Ok(Run {
                fresh,
                interrupted,
                secs: 0.0,
            });
        }
    }

    let bar = progress(send.len());
    let rows: Mutex<BTreeMap<String, ChangeRow>> = Mutex::new(BTreeMap::new());
    let record_all = |rows_out: Vec<ChangeRow>| -> Result<(), String> {
        for row in &rows_out {
            journal.record(row).map_err(|e| format!("{e:#}"))?;
        }
        let mut m = rows.lock().unwrap_or_else(|e| e.into_inner());
        for row in rows_out {
            m.insert(row.card.clone(), row);
        }
        Ok(())
    };
    let hook = |ev: BatchEvent<'_>| -> Result<(), String> {
        match ev {
            BatchEvent::Submitting { cards } => record_all(
                cards
                    .iter()
                    .map(|c| ChangeRow::new(c.value(), field, change, SENDING).via(BATCH_API))
                    .collect(),
            ),
            BatchEvent::Submitted { job_id, cards } => record_all(
                cards
                    .iter()
                    .map(|c| ChangeRow::new(c.value(), field, change, SUBMITTED).job(job_id))
                    .collect(),
            ),
            BatchEvent::Finished { job_id, results } => {
                bar.inc(results.len() as u64);
                record_all(
                    results
                        .iter()
                        .map(|r| {
                            let row = batch_row(&r.card, field, change, &r.outcome);
                            match (job_id, row.job_id.is_empty()) {
                                (Some(j), true) => row.job(j),
                                _ => row,
                            }
                        })
                        .collect(),
                )
            }
        }
    };
    let interrupted = ctx.runtime.block_on(async {
        tokio::select! {
            _ = ctx.client.change_status_batched(&send, change, opts, &hook) => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    });
    bar.finish_and_clear();
    fresh.extend(rows.into_inner().unwrap_or_else(|e| e.into_inner()));
    Ok(Run {
        fresh,
        interrupted,
        secs: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_made_or_impossible_changes_are_done_and_lost_answers_stay_open() {
        let r = |o: &str, code: &str| {
            ChangeRow::new("1440000000001", Field::Msisdn, StatusChange::Stop, o).with(code, "")
        };
        assert!(done(&r(CHANGED, "")));
        assert!(done(&r(ALREADY, "12048")));
        assert!(done(&r(REFUSED, "12017")));
        assert!(!done(&r(REFUSED, "12015")), "too soon: ask again later");
        assert!(!done(&r(REFUSED, "12021")));
        for o in [SENDING, SUBMITTED, UNKNOWN] {
            assert!(!done(&r(o, "")) && r(o, "").unresolved(), "{o}");
        }
        for o in [WOULD_CHANGE, WOULD_SKIP, WOULD_REFUSE, CHECKED, FAILED] {
            assert!(!done(&r(o, "")) && !r(o, "").unresolved(), "{o}");
        }
        assert!(r(CHECKED, "").applied() && !r(WOULD_CHANGE, "").applied());
    }
}
