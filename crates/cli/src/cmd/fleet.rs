//! `cmcc fleet`: OneLink operations over a whole fleet of IoT cards.
//!
//! `cmcc fleet status` asks OneLink for the real-name registration state (23A23,
//! `sim-identity-registration-info`) of every card in a file and writes one CSV row per card.
//! Rows are appended and flushed as answers arrive, so an interrupted run loses nothing and a
//! second run with the same output file asks only the cards without a final answer; at the end
//! the file is rewritten in input order with one row per card.
//!
//! A final answer is the card's state, a malformed number (never sent), or a refusal about the
//! card that asking again will not change: a OneLink code the code table marks not retryable
//! (12011: not this enterprise's card), except the ones about the credentials. Network failures,
//! timeouts, HTTP errors, retryable codes (12021, 13000, 999999) and codes cmcc does not know
//! are asked again on the next run.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use cmcc_client::{MemoryTokenStore, OneLinkBase, OneLinkClient, OneLinkConfig};
use cmcc_proto::{CardId, Secret};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

/// `cmcc fleet`.
#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    #[command(subcommand)]
    pub command: FleetCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Real-name registration state of every card in a file (23A23), to a resumable CSV.
    Status(StatusArgs),
}

/// Which OneLink request field the numbers in the input are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Field {
    Msisdn,
    Iccid,
    Imsi,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Msisdn => "msisdn",
            Field::Iccid => "iccid",
            Field::Imsi => "imsi",
        }
    }

    fn card(self, value: &str) -> Result<CardId, cmcc_proto::ids::IdError> {
        match self {
            Field::Msisdn => CardId::from_fields(Some(value), None, None),
            Field::Iccid => CardId::from_fields(None, Some(value), None),
            Field::Imsi => CardId::from_fields(None, None, Some(value)),
        }
    }
}

/// `cmcc fleet status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Cards, one number per line (`-` reads stdin). Blank lines and `#` comments are skipped; a
    /// first line `msisdn`, `iccid` or `imsi` names the field instead of `--field`. A number
    /// that breaks seed 000's rule (msisdn 1-13 digits, imsi 6-15 digits, iccid 20 letters and
    /// digits, 19 accepted) is not sent: its row gets code `invalid`.
    pub input: PathBuf,
    /// CSV to write (card, field, registered, status, registration_type, archive_time, code,
    /// message). If it exists, cards with a final answer in it (a state, `invalid`, or a refusal
    /// such as 12011 that will not change) are not asked again.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Field of the numbers in the input.
    #[arg(long, value_enum, default_value = "msisdn")]
    pub field: Field,
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
    /// Queries in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

pub(crate) fn fleet(args: &FleetArgs) -> Result<ExitCode> {
    match &args.command {
        FleetCommand::Status(a) => status(a),
    }
}

/// One CSV row: a card's answer or why there is none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Row {
    card: String,
    field: String,
    /// `yes` / `no`; empty when the query failed.
    registered: String,
    /// `identityRegistrationStatus` as answered.
    status: String,
    registration_type: String,
    archive_time: String,
    /// The carrier's result code when it refused, `invalid` for a malformed number,
    /// `unreachable`/`timeout`/`http`/`decode` when there was no usable answer; empty when
    /// answered.
    code: String,
    message: String,
}

impl Row {
    /// A card without an answer: `code` says why.
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        Row {
            card: card.to_owned(),
            field: field.name().to_owned(),
            registered: String::new(),
            status: String::new(),
            registration_type: String::new(),
            archive_time: String::new(),
            code,
            message,
        }
    }

    /// OneLink answered with the card's state.
    fn answered(&self) -> bool {
        self.code.is_empty()
    }

    /// Asking again would give the same: the state, a malformed number, a final refusal.
    fn is_final(&self) -> bool {
        self.answered() || self.code == INVALID || final_refusal(&self.code)
    }
}

/// Code of a number that breaks seed 000's rule and is not sent.
const INVALID: &str = "invalid";

/// Not retryable, but about the enterprise's credentials or the request, not the card: a
/// rerun with the right password or a fixed cmcc gets a real answer.
const NOT_ABOUT_THE_CARD: &[&str] = &["12002", "12003"];

/// A OneLink refusal that will not change when the card is asked again.
fn final_refusal(code: &str) -> bool {
    !NOT_ABOUT_THE_CARD.contains(&code)
        && cmcc_proto::codes::Code::from(code)
            .info(cmcc_proto::codes::Platform::OneLink)
            .is_some_and(|i| !i.retryable)
}

fn password(args: &StatusArgs) -> Result<Secret> {
    let text = match &args.password_file {
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
fn read_input(path: &Path, default: Field) -> Result<(Field, Vec<String>)> {
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
        }
        if seen.insert(value.to_owned()) {
            cards.push(value.to_owned());
        }
    }
    Ok((field, cards))
}

/// Rows of an earlier run, the last one per card winning.
fn read_earlier(path: &Path) -> Result<BTreeMap<String, Row>> {
    let mut rows = BTreeMap::new();
    if !path.exists() {
        return Ok(rows);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        // A line cut short by a crash mid-write is asked again.
        let Ok(row) = row else {
            eprintln!(
                "note: {} line {} is incomplete; that card is asked again",
                path.display(),
                i + 2
            );
            continue;
        };
        rows.insert(row.card.clone(), row);
    }
    Ok(rows)
}

fn error_row(card: &str, field: Field, e: &cmcc_client::Error) -> Row {
    use cmcc_client::Error as E;
    let code = match e {
        E::Carrier(_) => e.carrier_code().unwrap_or("carrier").to_owned(),
        E::Network { .. } => "unreachable".into(),
        E::Timeout { .. } => "timeout".into(),
        E::Http { .. } => "http".into(),
        E::Decode { .. } => "decode".into(),
        E::Crypto(_) | E::Input(_) => "error".into(),
        _ => "error".into(),
    };
    Row::failed(card, field, code, e.to_string())
}

async fn query(client: &OneLinkClient, field: Field, card: &str) -> Row {
    let id = match field.card(card) {
        Ok(id) => id,
        Err(e) => {
            return Row::failed(
                card,
                field,
                INVALID.into(),
                format!("not a valid {}: {e}", field.name()),
            )
        }
    };
    match client.identity_info(&id).await {
        Ok(info) => Row {
            card: card.to_owned(),
            field: field.name().to_owned(),
            registered: if info.status == "1" { "yes" } else { "no" }.into(),
            status: info.status,
            registration_type: info.registration_type.unwrap_or_default(),
            archive_time: info.archive_time.unwrap_or_default(),
            code: String::new(),
            message: String::new(),
        },
        Err(e) => error_row(card, field, &e),
    }
}

fn status(args: &StatusArgs) -> Result<ExitCode> {
    let (field, cards) = read_input(&args.input, args.field)?;
    let earlier = read_earlier(&args.output)?;
    let todo: VecDeque<String> = cards
        .iter()
        .filter(|c| !earlier.get(*c).is_some_and(Row::is_final))
        .cloned()
        .collect();
    let skipped = cards.len() - todo.len();
    let todo_is_empty = todo.is_empty();
    let base = args
        .base
        .as_deref()
        .map_or_else(OneLinkBase::production, OneLinkBase::sandbox);
    let base_url = base.0.clone();
    let cfg = OneLinkConfig::new(base, &args.appid, password(args)?);
    let client = Arc::new(
        OneLinkClient::new(cfg, Arc::new(MemoryTokenStore::new()))
            .context("building the OneLink client")?,
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Wrong credentials would otherwise fail every card, each with a token request of its own.
    if !todo_is_empty {
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

    // Append as answers come; the header only on a new file.
    let new_file = std::fs::metadata(&args.output).map_or(true, |m| m.len() == 0);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.output)
        .with_context(|| format!("opening {}", args.output.display()))?;
    let mut out = csv::WriterBuilder::new()
        .has_headers(new_file)
        .from_writer(file);

    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} cards [{bar:30}] {per_sec} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    eprintln!(
        "{} cards ({}), {} with a final answer in {}, {} to ask",
        cards.len(),
        field.name(),
        skipped,
        args.output.display(),
        todo.len()
    );

    let started = Instant::now();
    let mut fresh: BTreeMap<String, Row> = BTreeMap::new();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let interrupted = runtime.block_on(async {
        let queue = Arc::new(std::sync::Mutex::new(todo));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Row>(1024);
        for _ in 0..args.concurrency {
            let (queue, client, tx) = (Arc::clone(&queue), Arc::clone(&client), tx.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some(card) = next else {
                        break;
                    };
                    if tx.send(query(&client, field, &card).await).await.is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                row = rx.recv() => {
                    let Some(row) = row else { return Ok::<bool, anyhow::Error>(false) };
                    out.serialize(&row).context("writing a row")?;
                    out.flush().context("writing the output file")?;
                    if !row.is_final() {
                        *errors.entry(row.code.clone()).or_default() += 1;
                        bar.set_message(format!("{} without an answer", errors.values().sum::<usize>()));
                    } else if !row.answered() {
                        *refused.entry(row.code.clone()).or_default() += 1;
                    }
                    fresh.insert(row.card.clone(), row);
                    bar.inc(1);
                }
                _ = &mut ctrl_c => return Ok(true),
            }
        }
    })?;
    bar.finish_and_clear();
    drop(out);
    let secs = started.elapsed().as_secs_f64();

    if interrupted {
        eprintln!(
            "interrupted after {} answers; run the same command again to ask the rest",
            fresh.len()
        );
        return Ok(ExitCode::from(130));
    }
    // One row per card, in input order.
    let mut merged = earlier;
    merged.extend(fresh.clone());
    compact(&args.output, &cards, &merged)?;

    let registered = cards
        .iter()
        .filter(|c| merged.get(*c).is_some_and(|r| r.registered == "yes"))
        .count();
    let not_registered = cards
        .iter()
        .filter(|c| merged.get(*c).is_some_and(|r| r.registered == "no"))
        .count();
    // Refusals of every card, this run's and earlier ones: the file's totals.
    let mut all_refused: BTreeMap<String, usize> = BTreeMap::new();
    for r in cards.iter().filter_map(|c| merged.get(c)) {
        if r.is_final() && !r.answered() {
            *all_refused.entry(r.code.clone()).or_default() += 1;
        }
    }
    let failed: usize = errors.values().sum();
    eprintln!(
        "{} asked in {secs:.1} s ({:.0} cards/s), {} token fetch(es); {registered} registered, {not_registered} not registered, {} refused{}, {failed} without an answer{}",
        fresh.len(),
        fresh.len() as f64 / secs.max(1e-3),
        client.token_fetches(),
        all_refused.values().sum::<usize>(),
        counts(&all_refused),
        counts(&errors)
    );
    if let Some(example) = fresh.values().find(|r| !r.is_final()) {
        eprintln!("e.g. {}: {}", example.card, example.message);
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

/// ` (12011: 1, invalid: 1)`, or nothing.
fn counts(by_code: &BTreeMap<String, usize>) -> String {
    if by_code.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = by_code.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// Rewrite `path` with one row per card in input order, atomically (temp file + rename).
fn compact(path: &Path, cards: &[String], rows: &BTreeMap<String, Row>) -> Result<()> {
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
