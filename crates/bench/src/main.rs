//! `cmcc-bench`: whole-system benchmarks of cmcc (issue 15), run by `./dev bench`.
//!
//! The servers run as the real `cmcc` binary in their own processes (so each one's RSS can be
//! read and the load generator does not share their runtime); this program starts them,
//! loads them, and writes one JSON file per benchmark into the results folder. `report` turns
//! those files into the generated section of docs/BENCHMARKS.md and the charts.
//!
//! | module | what |
//! |---|---|
//! | [`verify`] | `POST /v1/verify` through gateway + sandbox at 1/8/32/128 connections, crypto bound, profile |
//! | [`push`] | the push receiver under wrk on SQLite and PostgreSQL |
//! | [`peers`] | the sandbox next to WireMock, Mockoon and Prism answering the same 23A23 body |
//! | [`memory`] | idle RSS of `cmcc up`, the gateway, the sandbox |
//! | [`report`], [`chart`] | Markdown tables and SVG charts from the result files |
//! | [`load`], [`wrk`], [`procs`], [`profile`], [`machine`], [`crypto`], [`setup`], [`results`] | the tools they share |

mod chart;
mod crypto;
mod load;
mod machine;
mod memory;
mod peers;
mod procs;
mod profile;
mod push;
mod report;
mod results;
mod setup;
mod verify;
mod wrk;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cmcc-bench",
    about = "Whole-system benchmarks of cmcc (docs/BENCHMARKS.md)"
)]
struct Cli {
    /// Short durations and few requests: a smoke run that proves every step works.
    #[arg(long, global = true)]
    quick: bool,
    /// The `cmcc` binary to benchmark.
    #[arg(long, global = true, default_value = "target/release/cmcc")]
    cmcc: PathBuf,
    /// Where the JSON results (and raw outputs) go.
    #[arg(long, global = true, default_value = "bench/results")]
    out: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verifications through gateway + sandbox against the crypto bound (and a profile).
    Verify {
        /// Verifications per connection level (default 20,000; 400 with --quick).
        #[arg(long)]
        requests: Option<usize>,
    },
    /// Durable pushes per second on SQLite and PostgreSQL (wrk).
    Push {
        /// Gateway variants to run (TOML file of `[[variant]]` name + gateway fragment).
        #[arg(long, default_value = "bench/push-variants.toml")]
        variants: PathBuf,
    },
    /// The sandbox next to WireMock, Mockoon CLI and Prism (wrk, same body, alternating runs).
    Peers {
        /// Folder with node_modules of bench/peers/package.json.
        #[arg(long, default_value = "bench/peers")]
        peers_dir: PathBuf,
    },
    /// Idle RSS of `cmcc up`, the gateway alone and the sandbox alone.
    Memory,
    /// Regenerate the tables in docs/BENCHMARKS.md and the charts from the result files.
    Report {
        #[arg(long, default_value = "docs/BENCHMARKS.md")]
        doc: PathBuf,
        #[arg(long, default_value = "docs/bench")]
        charts: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let opts = setup::Opts {
        quick: cli.quick,
        cmcc: std::path::absolute(&cli.cmcc)?,
        out: cli.out.clone(),
    };
    std::fs::create_dir_all(&opts.out)?;
    match cli.command {
        Command::Verify { requests } => rt.block_on(verify::run(&opts, requests)),
        Command::Push { variants } => rt.block_on(push::run(&opts, &variants)),
        Command::Peers { peers_dir } => rt.block_on(peers::run(&opts, &peers_dir)),
        Command::Memory => rt.block_on(memory::run(&opts)),
        Command::Report { doc, charts } => report::run(&opts.out, &doc, &charts),
    }
}
