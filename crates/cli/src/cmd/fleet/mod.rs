//! `cmcc fleet`: OneLink operations over a whole fleet of IoT cards.
//!
//! | module | subcommands |
//! |---|---|
//! | [`query`] | `status` (23A23 registration + 25S04 card status), `usage` (25U04 + 23U07), `info` (23S00 + 23S04), `sessions` (25M01) |
//! | [`change`] | `stop`, `resume` (23S03 per card, or 23S06 batches with their 23M10 jobs) |
//! | [`links`] | `links` (23A12 registration links in bulk, a QR code PNG per link) |
//! | [`report`] | `report` (a status/usage CSV to one self-contained HTML page) |
//!
//! Every command but `report` reads a card file and writes one CSV row per card. Rows are
//! appended and flushed as they are made ([`Journal`]), so an interrupted run loses nothing
//! and a second run with the same output file asks only the cards without a final answer; at
//! the end the file is rewritten in input order with one row per card ([`compact`]).
//!
//! A final answer is the card's answer, a malformed number (never sent), or a refusal about the
//! card that asking again will not change: a OneLink code the code table marks not retryable
//! (12011: not this enterprise's card), except the ones about the credentials. Network failures,
//! timeouts, HTTP errors, retryable codes (12021, 13000, 999999) and codes cmcc does not know
//! are asked again on the next run.

pub(crate) mod change;
pub(crate) mod links;
pub(crate) mod query;
pub(crate) mod report;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use cmcc_client::{MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig};
use cmcc_proto::{CardId, Secret};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `cmcc fleet`.
#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    #[command(subcommand)]
    pub command: FleetCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Registration state (23A23) and card status (25S04) of every card in a file, to a resumable CSV.
    Status(CardsArgs),
    /// Data used this month (25U04) and what is left of the plans (23U07), to a resumable CSV.
    Usage(CardsArgs),
    /// Numbers, activation and open dates (23S00) and IMEI (23S04), to a resumable CSV.
    Info(CardsArgs),
    /// Online data sessions (25M01), to a resumable CSV.
    Sessions(CardsArgs),
    /// Stop active cards (23S03 operType 0, or 23S06 batches). Dry-run unless --apply.
    Stop(change::ChangeArgs),
    /// Resume stopped cards (23S03 operType 1, or 23S06 batches). Dry-run unless --apply.
    Resume(change::ChangeArgs),
    /// Real-name registration links in bulk (23A12), one per card, with a QR code PNG per link.
    Links(links::LinksArgs),
    /// Turn a status or usage CSV into one self-contained HTML page (no network needed to view).
    Report(report::ReportArgs),
}

pub(crate) fn fleet(args: &FleetArgs) -> Result<ExitCode> {
    match &args.command {
        FleetCommand::Status(a) => query::status(a),
        FleetCommand::Usage(a) => query::usage(a),
        FleetCommand::Info(a) => query::info(a),
        FleetCommand::Sessions(a) => query::sessions(a),
        FleetCommand::Stop(a) => change::run(a, cmcc_proto::wire::onelink::StatusChange::Stop),
        FleetCommand::Resume(a) => change::run(a, cmcc_proto::wire::onelink::StatusChange::Resume),
        FleetCommand::Links(a) => links::run(a),
        FleetCommand::Report(a) => report::run(a),
    }
}

/// Which OneLink request field the numbers in the input are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Field {
    Msisdn,
    Iccid,
    Imsi,
}

impl Field {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Msisdn => "msisdn",
            Field::Iccid => "iccid",
            Field::Imsi => "imsi",
        }
    }

    pub(crate) fn card(self, value: &str) -> Result<CardId, cmcc_proto::ids::IdError> {
        match self {
            Field::Msisdn => CardId::from_fields(Some(value), None, None),
            Field::Iccid => CardId::from_fields(None, Some(value), None),
            Field::Imsi => CardId::from_fields(None, None, Some(value)),
        }
    }
}

/// How to reach OneLink: base URL, account, concurrency.
#[derive(Debug, Args)]
pub(crate) struct Conn {
    /// OneLink base URL. Default: production. `cmcc up`'s sandbox: http://127.0.0.1:8700.
    #[arg(long, env = "CMCC_ONELINK_BASE")]
    pub base: Option<String>,
    /// Enterprise appid.
    #[arg(long, env = "CMCC_ONELINK_APPID")]
    pub appid: String,
    /// File holding the enterprise password. Otherwise it is read from `CMCC_ONELINK_PASSWORD`
    /// (never given on the command line, where other users could see it).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Seconds to wait for each answer. A change whose answer does not come in time is
    /// recorded `unknown` and checked (never re-sent blindly) by the next run.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
}

/// A card file in, a CSV out.
#[derive(Debug, Args)]
pub(crate) struct CardsArgs {
    /// Cards, one number per line (`-` reads stdin). Blank lines and `#` comments are skipped; a
    /// first line `msisdn`, `iccid` or `imsi` names the field instead of `--field`; in a CSV the
    /// first column is the number. A number that breaks seed 000's rule (msisdn 1-13 digits,
    /// imsi 6-15 digits, iccid 20 letters and digits, 19 accepted) is not sent: its row gets
    /// code `invalid`.
    pub input: PathBuf,
    /// CSV to write. If it exists, cards with a final answer in it (an answer, `invalid`, or a
    /// refusal such as 12011 that will not change) are not asked again.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Field of the numbers in the input.
    #[arg(long, value_enum, default_value = "msisdn")]
    pub field: Field,
    #[command(flatten)]
    pub conn: Conn,
}

// ------------------------------------------------------------------ rows

/// Code of a number that breaks seed 000's rule and is not sent.
pub(crate) const INVALID: &str = "invalid";

/// Not retryable, but about the enterprise's credentials or the request, not the card: a
/// rerun with the right password or a fixed cmcc gets a real answer.
const NOT_ABOUT_THE_CARD: &[&str] = &["12002", "12003"];

/// A OneLink refusal that will not change when the card is asked again.
pub(crate) fn final_refusal(code: &str) -> bool {
    !NOT_ABOUT_THE_CARD.contains(&code)
        && cmcc_proto::codes::Code::from(code)
            .info(cmcc_proto::codes::Platform::OneLink)
            .is_some_and(|i| !i.retryable)
}

/// One CSV row of a fleet command: a card's answer, or why there is none.
pub(crate) trait Record:
    Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    fn card(&self) -> &str;
    /// The carrier's code when it refused, `invalid`, `unreachable`/`timeout`/`http`/`decode`
    /// when there was no usable answer; empty when answered.
    fn code(&self) -> &str;
    /// A row for a card without an answer.
    fn failed(card: &str, field: Field, code: String, message: String) -> Self;
    /// Asking again would give the same.
    fn is_final(&self) -> bool {
        self.code().is_empty() || self.code() == INVALID || final_refusal(self.code())
    }
    /// Answered (not a refusal, not a failure).
    fn answered(&self) -> bool {
        self.code().is_empty()
    }
}

/// The code column for an SDK error.
pub(crate) fn error_code(e: &cmcc_client::Error) -> String {
    use cmcc_client::Error as E;
    match e {
        E::Carrier(_) => e.carrier_code().unwrap_or("carrier").to_owned(),
        E::Network { .. } => "unreachable".into(),
        E::Timeout { .. } => "timeout".into(),
        E::Http { .. } => "http".into(),
        E::Decode { .. } => "decode".into(),
        _ => "error".into(),
    }
}

pub(crate) fn error_row<R: Record>(card: &str, field: Field, e: &cmcc_client::Error) -> R {
    R::failed(card, field, error_code(e), e.to_string())
}

/// The card id of `card`, or the `invalid` row.
pub(crate) fn card_id<R: Record>(field: Field, card: &str) -> Result<CardId, R> {
    field.card(card).map_err(|e| {
        R::failed(
            card,
            field,
            INVALID.into(),
            format!("not a valid {}: {e}", field.name()),
        )
    })
}

// ------------------------------------------------------------------ input and output

fn password(conn: &Conn) -> Result<Secret> {
    let text = match &conn.password_file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| {
            anyhow::anyhow!(
                "cannot read the password file {}: {}",
                p.display(),
                crate::input::io_reason(&e)
            )
        })?,
        None => std::env::var("CMCC_ONELINK_PASSWORD").map_err(|_| {
            anyhow::anyhow!(
                "no OneLink password: set CMCC_ONELINK_PASSWORD or pass --password-file"
            )
        })?,
    };
    let text = text.trim();
    anyhow::ensure!(!text.is_empty(), "the OneLink password is empty");
    Ok(Secret::new(text))
}

/// The input's numbers in order, without duplicates, and the field they are.
pub(crate) fn read_input(path: &Path, default: Field) -> Result<(Field, Vec<String>)> {
    let reader: Box<dyn std::io::BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(
            |e| {
                anyhow::anyhow!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::input::io_reason(&e)
                )
            },
        )?))
    };
    let mut field = default;
    let mut seen = BTreeSet::new();
    let mut cards = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        // A CSV export: the first column is the number.
        let value = line.split(',').next().unwrap_or("").trim();
        if value.is_empty() || value.starts_with('#') {
            continue;
        }
        if i == 0 {
            if let Ok(f) = Field::from_str(value, true) {
                field = f;
                continue;
            }
            // Our own output as input: its header names the first column `card`.
            if value == "card" {
                continue;
            }
        }
        if seen.insert(value.to_owned()) {
            cards.push(value.to_owned());
        }
    }
    Ok((field, cards))
}

/// Rows of an earlier run, the last one per card winning.
pub(crate) fn read_earlier<R: Record>(path: &Path) -> Result<BTreeMap<String, R>> {
    let mut rows = BTreeMap::new();
    if !path.exists() {
        return Ok(rows);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut cut = Vec::new();
    for (i, row) in reader.deserialize::<R>().enumerate() {
        match row {
            Ok(row) => {
                rows.insert(row.card().to_owned(), row);
            }
            // A line cut short by a crash mid-write: that card is asked again.
            Err(_) => cut.push(i + 2),
        }
    }
    for line in cut.iter().take(5) {
        eprintln!(
            "note: {} line {line} is incomplete; that card is asked again",
            path.display()
        );
    }
    Ok(rows)
}

/// Rows appended to the output as they are made, each flushed to the file before the next
/// step (and, with `sync`, to the disk: the change commands' record survives a power cut).
#[derive(Debug)]
pub(crate) struct Journal {
    out: Mutex<csv::Writer<std::fs::File>>,
    sync: bool,
}

impl Journal {
    pub(crate) fn open(path: &Path, sync: bool) -> Result<Self> {
        // The header only on a new file.
        let new_file = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let out = csv::WriterBuilder::new()
            .has_headers(new_file)
            .from_writer(file);
        Ok(Self {
            out: Mutex::new(out),
            sync,
        })
    }

    pub(crate) fn record<R: Serialize>(&self, row: &R) -> Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.serialize(row).context("writing a row")?;
        out.flush().context("writing the output file")?;
        if self.sync {
            out.get_ref()
                .sync_data()
                .context("syncing the output file")?;
        }
        Ok(())
    }
}

/// Rewrite `path` with one row per card in input order, atomically (temp file + rename).
pub(crate) fn compact<R: Serialize>(
    path: &Path,
    cards: &[String],
    rows: &BTreeMap<String, R>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp.as_file()));
        for card in cards {
            if let Some(row) = rows.get(card) {
                w.serialize(row).context("writing a row")?;
            }
        }
        w.flush().context("writing the output file")?;
    }
    tmp.as_file()
        .sync_all()
        .context("syncing the output file")?;
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

// ------------------------------------------------------------------ connection

/// A client and the runtime it runs on.
pub(crate) struct Ctx {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) client: Arc<OneLinkClient>,
}

/// Build the client; with `check`, one token request first, so that wrong credentials or a
/// wrong `--base` are reported once instead of failing every card.
pub(crate) fn connect(conn: &Conn, check: bool) -> Result<Ctx> {
    let base = conn
        .base
        .as_deref()
        .map_or_else(OneLinkBase::production, OneLinkBase::sandbox);
    let base_url = base.0.clone();
    let mut cfg = OneLinkConfig::new(base, &conn.appid, password(conn)?);
    anyhow::ensure!(
        conn.timeout.is_finite() && conn.timeout > 0.0 && conn.timeout <= 600.0,
        "--timeout takes seconds between 0 and 600"
    );
    cfg.timeout = std::time::Duration::from_secs_f64(conn.timeout);
    let client = Arc::new(
        OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new()))
            .context("building the OneLink client")?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if check {
        if let Err(e) = runtime.block_on(client.token()) {
            use cmcc_client::Error as E;
            let what = match &e {
                E::Network { .. } | E::Timeout { .. } => {
                    format!("cannot reach OneLink at {base_url}: check --base and the network")
                }
                E::Http { .. } | E::Decode { .. } => {
                    format!("{base_url} does not answer like OneLink: check --base")
                }
                _ => "OneLink refused the token request: check --appid and the password".into(),
            };
            anyhow::bail!("{what}; no card was asked\n{e}");
        }
    }
    Ok(Ctx { runtime, client })
}

pub(crate) fn progress(len: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} cards [{bar:30}] {per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// What [`for_each_card`] did.
pub(crate) struct Run<R> {
    /// This run's last row per card.
    pub(crate) fresh: BTreeMap<String, R>,
    /// Ctrl-C: the rows so far are in the file; no compaction.
    pub(crate) interrupted: bool,
    pub(crate) secs: f64,
}

/// Run `work` for every card of `todo`, `concurrency` at a time, recording each row it returns
/// in `journal` (flushed) before that worker takes its next card. The first Ctrl-C stops
/// taking cards and waits for the ones in flight; a second one gives up on them.
pub(crate) fn for_each_card<R, F, Fut>(
    ctx: &Ctx,
    todo: Vec<String>,
    concurrency: u16,
    journal: &Arc<Journal>,
    work: F,
) -> Result<Run<R>>
where
    R: Record,
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let bar = progress(todo.len());
    let started = Instant::now();
    let work = Arc::new(work);
    let stop = Arc::new(AtomicBool::new(false));
    let mut fresh: BTreeMap<String, R> = BTreeMap::new();
    let mut without = 0usize;
    let interrupted = ctx.runtime.block_on(async {
        let queue = Arc::new(Mutex::new(VecDeque::from(todo)));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<R>>(1024);
        for _ in 0..concurrency {
            let (queue, tx, work, journal, stop) = (
                Arc::clone(&queue),
                tx.clone(),
                Arc::clone(&work),
                Arc::clone(journal),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some(card) = next else {
                        break;
                    };
                    let row = work(card).await;
                    let recorded = journal.record(&row).map(|()| row);
                    let failed = recorded.is_err();
                    if tx.send(recorded).await.is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut ctrl_c = 0;
        loop {
            tokio::select! {
                row = rx.recv() => {
                    let Some(row) = row else { return Ok::<bool, anyhow::Error>(ctrl_c > 0) };
                    let row = row?;
                    if !row.is_final() {
                        without += 1;
                        bar.set_message(format!("{without} without an answer"));
                    }
                    fresh.insert(row.card().to_owned(), row);
                    bar.inc(1);
                }
                _ = tokio::signal::ctrl_c() => {
                    ctrl_c += 1;
                    if ctrl_c > 1 {
                        return Ok(true);
                    }
                    stop.store(true, Ordering::Relaxed);
                    bar.set_message("stopping: waiting for the cards in flight (Ctrl-C again to give up on them)");
                }
            }
        }
    })?;
    bar.finish_and_clear();
    Ok(Run {
        fresh,
        interrupted,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// ` (12011: 1, invalid: 1)`, or nothing.
pub(crate) fn counts(by_code: &BTreeMap<String, usize>) -> String {
    if by_code.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = by_code.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// The cards of `cards` whose row in `earlier` is not final, and how many are.
pub(crate) fn todo<R: Record>(cards: &[String], earlier: &BTreeMap<String, R>) -> Vec<String> {
    cards
        .iter()
        .filter(|c| !earlier.get(*c).is_some_and(Record::is_final))
        .cloned()
        .collect()
}

/// After a run: rewrite the file in input order and print the summary line; the exit status.
///
/// `middle` comes before the refusal counts (`3 registered, 1 not registered, `), `extra`
/// after the count of cards without an answer.
pub(crate) fn finish<R: Record>(
    output: &Path,
    cards: &[String],
    earlier: BTreeMap<String, R>,
    run: &Run<R>,
    client: &OneLinkClient,
    tally: impl Fn(&[&R]) -> (String, String),
) -> Result<ExitCode> {
    if run.interrupted {
        eprintln!(
            "interrupted after {} answers; run the same command again to ask the rest",
            run.fresh.len()
        );
        return Ok(ExitCode::from(130));
    }
    let mut merged = earlier;
    merged.extend(run.fresh.clone());
    compact(output, cards, &merged)?;
    let all: Vec<&R> = cards.iter().filter_map(|c| merged.get(c)).collect();
    // Refusals of every card, this run's and earlier ones: the file's totals.
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for r in all.iter().filter(|r| r.is_final() && !r.answered()) {
        *refused.entry(r.code().to_owned()).or_default() += 1;
    }
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for r in run.fresh.values().filter(|r| !r.is_final()) {
        *errors.entry(r.code().to_owned()).or_default() += 1;
    }
    let failed: usize = errors.values().sum();
    let (middle, extra) = tally(&all);
    eprintln!(
        "{} asked in {:.1} s ({:.0} cards/s), {} token fetch(es); {middle}{} refused{}, {failed} without an answer{}{extra}",
        run.fresh.len(),
        run.secs,
        run.fresh.len() as f64 / run.secs.max(1e-3),
        client.token_fetches(),
        refused.values().sum::<usize>(),
        counts(&refused),
        counts(&errors),
    );
    if let Some(example) = run.fresh.values().find(|r| !r.is_final()) {
        let message = serde_json::to_value(example)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str().map(str::to_owned)))
            .unwrap_or_default();
        eprintln!("e.g. {}: {message}", example.card());
        eprintln!("run the same command again to ask the cards without an answer (only those)");
    } else if !refused.is_empty() {
        eprintln!(
            "refusals are final answers (see the code and message columns; `cmcc codes CODE`), not asked again"
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `active: 3, stopped: 1`, most first.
pub(crate) fn tally_by<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *by.entry(v).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
