//! `cmcc codes [CODE]`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use cmcc_proto::codes::{lookup, Platform, Source, TABLE};

#[derive(Debug, Args)]
pub struct CodesArgs {
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
    }
}

pub fn codes(a: &CodesArgs) -> Result<ExitCode> {
    let Some(code) = a.code.as_deref() else {
        if a.json {
            println!("{}", serde_json::to_string_pretty(TABLE)?);
        } else {
            for r in TABLE {
                println!(
                    "{:<7} {:<14} {}  {}",
                    r.code,
                    platform_name(r.platform),
                    r.zh,
                    r.en
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let rows = lookup(code);
    if rows.is_empty() {
        eprintln!("{code}: not a code cmcc knows. Codes the carrier adds later still parse; check the carrier's latest table.");
        return Ok(ExitCode::from(1));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in rows {
        println!("{} ({}) {}", r.code, platform_name(r.platform), r.zh);
        println!("  meaning:  {}", r.en);
        println!(
            "  retry:    {}",
            if r.retryable {
                "may succeed later"
            } else {
                "no, fix the cause first"
            }
        );
        if r.billable {
            println!("  billing:  billed by the carrier");
        }
        if let Some(h) = r.hint {
            println!("  fix:      {h}");
        }
        let src = match r.source {
            Source::Seed => "carrier document",
            Source::Choice => "not published: cmcc sandbox assumption",
        };
        println!("  source:   {} ({src})", r.seen_in);
    }
    Ok(ExitCode::SUCCESS)
}
