//! `cmcc-bench report`: the generated section of docs/BENCHMARKS.md (between the two marker
//! comments) and the charts, from the result files of the last run. Nothing is measured here.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::chart;
use crate::machine::Machine;
use crate::results::{load, Level, MemoryResult, PeersResult, PushResult, VerifyResult};

pub(crate) const BEGIN: &str =
    "<!-- bench:generated:begin (cmcc-bench report writes this part; edit above or below) -->";
pub(crate) const END: &str = "<!-- bench:generated:end -->";

/// Raw outputs of the component benchmarks that `./dev bench` saves, in this order.
const RAW: [(&str, &str, &str); 4] = [
    (
        "rsa",
        "RSA next to `openssl speed`",
        "cargo bench -p cmcc-proto --bench crypto",
    ),
    (
        "sdk",
        "SDK vs JDK RsaUtils",
        "cargo bench -p cmcc-client --bench verify_cost",
    ),
    (
        "sandbox-auth",
        "sandbox verifyVmMobileApi (in-process)",
        "cargo bench -p cmcc-sandbox --bench auth_verify",
    ),
    (
        "sandbox-onelink",
        "sandbox OneLink (in-process)",
        "cargo bench -p cmcc-sandbox --bench onelink_load",
    ),
];

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn caption(out: &mut String, m: &Machine, quick: bool, command: &str) {
    let _ = writeln!(out, "Machine: {}. Reproduce: `{command}`.", m.caption());
    if quick {
        let _ = writeln!(
            out,
            "\n**Smoke run (`--quick`, short durations) on a machine shared with other builds (load average above): these figures show that the benchmark works, they are not measurements.**"
        );
    }
    out.push('\n');
}

fn rss_of(l: &Level, name: &str) -> String {
    l.rss_kib
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| "—".into(), |(_, k)| mib(*k))
}

fn verify(out: &mut String, r: &VerifyResult) {
    let _ = writeln!(out, "### Number verification through the gateway\n");
    caption(out, &r.machine, r.quick, "./dev bench gateway");
    let _ = writeln!(
        out,
        "{} verifications per level, every one answering `\"verified\":true`; crypto bound {:.0}/s before the levels and {:.0}/s after, on {} threads.\n",
        r.requests_per_level, r.crypto_bound, r.crypto_bound_after, r.machine.nproc
    );
    let _ = writeln!(out, "| connections | verifications/s | p50 ms | p99 ms | of the crypto bound | gateway RSS MiB | sandbox RSS MiB |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
    for l in &r.levels {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} % | {} | {} |",
            l.conns,
            l.per_sec,
            l.p50_ms,
            l.p99_ms,
            100.0 * l.per_sec / r.crypto_bound,
            rss_of(l, "gateway"),
            rss_of(l, "sandbox")
        );
    }
    if let Some(best) = r
        .levels
        .iter()
        .max_by(|a, b| a.per_sec.total_cmp(&b.per_sec))
    {
        let ratio = 100.0 * best.per_sec / r.crypto_bound;
        let _ = writeln!(
            out,
            "\nBest: {:.0}/s at {} connections = **{ratio:.0} % of the crypto bound** (target ≥ 60 %: {}).\n",
            best.per_sec,
            best.conns,
            if ratio >= 60.0 { "met" } else { "not met" }
        );
    }
    out.push_str("![verifications/s against connections](bench/verify.svg)\n\n");
    if let Some(p) = &r.profile {
        let _ = writeln!(
            out,
            "Profile of both servers at 32 connections ({}):\n",
            r.profile_tool.as_deref().unwrap_or("perf")
        );
        out.push_str("```text\n");
        for line in p.lines().take(70) {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("```\n\n");
    }
}

fn push(out: &mut String, r: &PushResult) {
    let _ = writeln!(out, "### Push receiver\n");
    caption(out, &r.machine, r.quick, "./dev bench push");
    let _ = writeln!(
        out,
        "wrk, {} s per level, a distinct busiSeq per push (bench/wrk/push.lua); a push counts once answered `{{\"status\":\"0\"}}`, i.e. after its commit. Target ≥ 5,000/s on each database.\n",
        r.secs_per_level
    );
    let _ = writeln!(
        out,
        "| database | gateway | connections | pushes/s | p50 ms | p99 ms | gateway RSS MiB |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for run in &r.runs {
        for l in &run.levels {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
                run.database,
                run.variant,
                l.conns,
                l.per_sec,
                l.p50_ms,
                l.p99_ms,
                rss_of(l, "gateway")
            );
        }
    }
    for s in &r.skipped {
        let _ = writeln!(out, "\nSkipped: {s}");
    }
    out.push('\n');
}

fn peers(out: &mut String, r: &PeersResult) {
    let _ = writeln!(
        out,
        "### The sandbox next to WireMock, Mockoon CLI and Prism\n"
    );
    caption(out, &r.machine, r.quick, "./dev bench peers");
    let _ = writeln!(
        out,
        "The same {}-byte 23A23 answer from each; wrk (bench/wrk/status.lua), {} s per run, {} round(s) alternating between the servers, median shown; p99 of that run; RSS = the server's whole process tree.\n",
        r.body_bytes, r.secs_per_run, r.rounds
    );
    let conns: Vec<usize> = r
        .peers
        .first()
        .map(|p| p.levels.iter().map(|l| l.conns).collect())
        .unwrap_or_default();
    let mut head = "| server |".to_owned();
    let mut rule = "|---|".to_owned();
    for c in &conns {
        let _ = write!(head, " {c} conns req/s (p99 ms) |");
        rule.push_str("---:|");
    }
    head.push_str(" idle RSS MiB | RSS after load MiB |");
    rule.push_str("---:|---:|");
    let _ = writeln!(out, "{head}\n{rule}");
    for p in &r.peers {
        let mut row = format!("| {} {} |", p.server, p.version);
        for l in &p.levels {
            let _ = write!(row, " {:.0} ({:.2}) |", l.per_sec, l.p99_ms);
        }
        let after = p
            .levels
            .iter()
            .filter_map(|l| l.rss_kib.first().map(|x| x.1))
            .max()
            .unwrap_or(0);
        let _ = write!(row, " {} | {} |", mib(p.idle_rss_kib), mib(after));
        let _ = writeln!(out, "{row}");
    }
    if let Some(sbx) = r.peers.first() {
        let mut row = "| **sandbox / fastest other** |".to_owned();
        for (i, l) in sbx.levels.iter().enumerate() {
            let best = r.peers[1..]
                .iter()
                .filter_map(|p| p.levels.get(i))
                .map(|l| l.per_sec)
                .fold(0.0, f64::max);
            if best > 0.0 {
                let _ = write!(row, " **{:.2}×** |", l.per_sec / best);
            } else {
                row.push_str(" — |");
            }
        }
        row.push_str(" | |");
        let _ = writeln!(out, "{row}");
    }
    for s in &r.skipped {
        let _ = writeln!(out, "\nNot run: {s}");
    }
    out.push_str("\nverifyVmMobileApi has no column: none of the three can answer it (it needs the RSA decryption of `phoneNum` and the signature check of the request).\n\n");
    out.push_str("![requests/s against connections](bench/peers.svg)\n\n");
}

fn memory(out: &mut String, r: &MemoryResult) {
    let _ = writeln!(out, "### Memory at idle\n");
    caption(out, &r.machine, r.quick, "./dev bench memory");
    let _ = writeln!(out, "| process | idle RSS MiB |\n|---|---:|");
    for (what, kib) in &r.idle {
        let _ = writeln!(out, "| {what} | {} |", mib(*kib));
    }
    out.push_str("\nRSS at the end of each load is in the tables above.\n\n");
}

pub(crate) fn run(results: &Path, doc: &Path, charts: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(charts)?;
    let mut out = String::new();
    out.push_str("## Whole system (generated by `./dev bench`)\n\n");
    if let Some(r) = load::<VerifyResult>(results, "verify")? {
        chart::verify(&charts.join("verify.svg"), &r)?;
        verify(&mut out, &r);
    }
    if let Some(r) = load::<PushResult>(results, "push")? {
        push(&mut out, &r);
    }
    if let Some(r) = load::<PeersResult>(results, "peers")? {
        chart::peers(&charts.join("peers.svg"), &r)?;
        peers(&mut out, &r);
    }
    if let Some(r) = load::<MemoryResult>(results, "memory")? {
        memory(&mut out, &r);
    }
    let mut raw = String::new();
    for (file, what, command) in RAW {
        if let Ok(text) = std::fs::read_to_string(results.join(format!("{file}.txt"))) {
            let _ = writeln!(
                raw,
                "#### {what}\n\n`{command}` — output of the same run:\n\n```text\n{}\n```\n",
                text.trim_end()
            );
        }
    }
    if !raw.is_empty() {
        out.push_str("### Component benchmarks (raw output of the same run)\n\n");
        out.push_str(&raw);
    }
    let text =
        std::fs::read_to_string(doc).with_context(|| format!("reading {}", doc.display()))?;
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if e > b => format!("{}{BEGIN}\n{out}{}", &text[..b], &text[e..]),
        _ => format!("{}\n{BEGIN}\n{out}{END}\n", text.trim_end()),
    };
    std::fs::write(doc, new)?;
    println!("wrote {}", doc.display());
    Ok(())
}
