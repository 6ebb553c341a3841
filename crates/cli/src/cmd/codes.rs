//! `cmcc codes [CODE]`: one entry per code and platform, with every meaning the carrier's
//! documents give it (110022 is both "appId does not exist" and "capability expired").

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use cmcc_proto::codes::{lookup, CodeInfo, Platform, Source, TABLE};
use serde::Serialize;

#[derive(Debug, Args)]
pub(crate) struct CodesArgs {
    /// A result code (e.g. 130018, 12021). Without it, every known code is listed.
    pub code: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Passport => "auth platform",
        Platform::OneLink => "OneLink",
        _ => "another platform",
    }
}

/// What a code means for the caller, before any detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// The call succeeded.
    Success,
    /// The call succeeded and the answer is "no" (verify: not the device's number).
    Answer,
    /// The same request may succeed later.
    Retry,
    /// Sending it again will not help until the cause is fixed.
    Fix,
}

impl Outcome {
    fn of(rows: &[&CodeInfo]) -> Self {
        let r = rows[0];
        match (r.platform, r.code) {
            (Platform::Passport, "103000" | "000" | "000000") | (Platform::OneLink, "0") => {
                Outcome::Success
            }
            (Platform::Passport, "001") => Outcome::Answer,
            _ if rows.iter().any(|r| r.retryable) => Outcome::Retry,
            _ => Outcome::Fix,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Answer => "success: the call worked and this is its answer (billed)",
            Outcome::Retry => "failure; the same request may succeed later (retry with backoff)",
            Outcome::Fix => "failure; retrying will not help, fix the cause first",
        }
    }
}

/// One code of one platform with all its meanings.
#[derive(Debug, Serialize)]
struct Entry {
    platform: Platform,
    code: &'static str,
    outcome: Outcome,
    billable: bool,
    meanings: Vec<&'static CodeInfo>,
}

/// Rows grouped by (platform, code), in table order.
fn entries(rows: &[&'static CodeInfo]) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for r in rows {
        if let Some(e) = out
            .iter_mut()
            .find(|e| e.platform == r.platform && e.code == r.code)
        {
            e.meanings.push(r);
            e.billable |= r.billable;
            continue;
        }
        out.push(Entry {
            platform: r.platform,
            code: r.code,
            outcome: Outcome::Fix,
            billable: r.billable,
            meanings: vec![r],
        });
    }
    for e in &mut out {
        e.outcome = Outcome::of(&e.meanings);
    }
    out
}

fn joined(e: &Entry, f: impl Fn(&CodeInfo) -> &str) -> String {
    e.meanings
        .iter()
        .map(|m| f(m))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn source_line(r: &CodeInfo) -> String {
    match r.source {
        Source::Seed => format!("carrier document ({})", r.seen_in),
        Source::Integrations => format!("public integrations ({})", r.seen_in),
        Source::Choice => format!(
            "{}: not in the carrier's published documents; the sandbox's assumption",
            r.seen_in
        ),
        _ => r.seen_in.to_owned(),
    }
}

pub(crate) fn codes(a: &CodesArgs) -> Result<ExitCode> {
    let Some(code) = a.code.as_deref() else {
        let all = entries(&TABLE.iter().collect::<Vec<_>>());
        if a.json {
            outln!("{}", serde_json::to_string_pretty(&all)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        for e in &all {
            outln!(
                "{:<7} {:<14} {}  {}",
                e.code,
                platform_name(e.platform),
                joined(e, |m| m.zh),
                joined(e, |m| m.en)
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let found = entries(&lookup(code));
    if found.is_empty() {
        unknown(code.trim());
        return Ok(ExitCode::from(1));
    }
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&found)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for e in &found {
        outln!("{} ({})", e.code, platform_name(e.platform))?;
        outln!("  result:   {}", e.outcome.describe())?;
        if e.meanings.len() > 1 {
            outln!(
                "  the carrier uses this code for {} things; its message (desc) says which:",
                e.meanings.len()
            )?;
        }
        for (i, m) in e.meanings.iter().enumerate() {
            let indent = if e.meanings.len() > 1 {
                outln!("  {}. {}", i + 1, m.zh)?;
                "     "
            } else {
                outln!("  carrier:  {}", m.zh)?;
                "  "
            };
            outln!("{indent}meaning:  {}", m.en)?;
            if let Some(h) = m.hint {
                outln!("{indent}fix:      {h}")?;
            }
            outln!("{indent}source:   {}", source_line(m))?;
        }
        if e.billable {
            outln!("  billing:  billed by the carrier")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What to do with a code cmcc has no row for.
fn unknown(code: &str) {
    eprintln!(
        "{code}: not in cmcc's table of {} codes.",
        entries(&TABLE.iter().collect::<Vec<_>>()).len()
    );
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        eprintln!("Result codes are digits only (e.g. 103000, 130018, 12021); `cmcc codes` lists them all.");
        return;
    }
    let mut near: Vec<&str> = Vec::new();
    for keep in (3..code.len()).rev() {
        for r in TABLE {
            if r.code.len() == code.len()
                && r.code.starts_with(&code[..keep])
                && !near.contains(&r.code)
            {
                near.push(r.code);
            }
        }
        if !near.is_empty() {
            break;
        }
    }
    if !near.is_empty() {
        eprintln!("Known codes close to it: {} (a typo?)", near.join(", "));
    }
    eprintln!("If the carrier really sent it: treat it as a failure and do not retry it blindly; its message (desc / message field) says what went wrong. Keep the request's msgId or transid and ask the carrier's support, quoting both.");
}
