//! `cmcc fleet report`: a `status` or `usage` CSV into one HTML page — the distribution of card
//! states, registration, a histogram of this month's data, and the refusals — with inline CSS
//! and inline SVG only: no script, no font, no request, so it opens offline and can be mailed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

/// `cmcc fleet report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A CSV written by `cmcc fleet status` or `cmcc fleet usage`.
    pub input: PathBuf,
    /// The HTML page to write.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Title of the page.
    #[arg(long, default_value = "Fleet report")]
    pub title: String,
}

/// The columns the report reads, per row.
#[derive(Debug, Default)]
struct Data {
    rows: usize,
    states: BTreeMap<String, usize>,
    registered: BTreeMap<String, usize>,
    /// MB per answered card with a usage figure.
    usage_mb: Vec<f64>,
    no_usage: usize,
    codes: BTreeMap<String, usize>,
    has_states: bool,
    has_usage: bool,
}

fn read(path: &std::path::Path) -> Result<Data> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let headers = r.headers().context("reading the header")?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (state, registered, data, code) = (
        col("card_state"),
        col("registered"),
        col("data_kb"),
        col("code"),
    );
    anyhow::ensure!(
        state.is_some() || data.is_some(),
        "{} is not a `cmcc fleet status` or `usage` CSV (no card_state or data_kb column)",
        path.display()
    );
    let mut d = Data {
        has_states: state.is_some(),
        has_usage: data.is_some(),
        ..Data::default()
    };
    for rec in r.records() {
        let Ok(rec) = rec else { continue };
        d.rows += 1;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim();
        let code_v = get(code);
        if !code_v.is_empty() {
            *d.codes.entry(code_v.to_owned()).or_default() += 1;
            continue;
        }
        if state.is_some() {
            let s = get(state);
            let s = if s.is_empty() { "unknown" } else { s };
            *d.states.entry(s.to_owned()).or_default() += 1;
        }
        if registered.is_some() {
            let v = match get(registered) {
                "yes" => "registered",
                "no" => "not registered",
                _ => "unknown",
            };
            *d.registered.entry(v.to_owned()).or_default() += 1;
        }
        if data.is_some() {
            match get(data).parse::<f64>() {
                Ok(kb) if kb.is_finite() && kb >= 0.0 => d.usage_mb.push(kb / 1024.0),
                _ => d.no_usage += 1,
            }
        }
    }
    Ok(d)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Colours of the states (the rest grey).
fn colour(state: &str) -> &'static str {
    match state {
        "active" | "registered" => "#2e7d32",
        "stopped" => "#c62828",
        "pending" | "not registered" => "#f9a825",
        "testing" => "#1565c0",
        "stock" => "#6a1b9a",
        "pre-cancelled" => "#4e342e",
        _ => "#757575",
    }
}

/// Horizontal bars, one per (label, count), as inline SVG.
fn bars(items: &[(String, usize)], total: usize, id: &str) -> String {
    let row_h = 28;
    let h = row_h * items.len().max(1) + 8;
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let mut s = format!(
        r#"<svg id="{id}" role="img" viewBox="0 0 640 {h}" width="640" height="{h}" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, (label, n)) in items.iter().enumerate() {
        let y = 4 + i * row_h;
        let w = (*n as f64 / max as f64 * 400.0).max(1.0);
        let pct = *n as f64 * 100.0 / total.max(1) as f64;
        let _ = write!(
            s,
            r#"<text x="130" y="{ty}" text-anchor="end" class="l">{label}</text><rect x="140" y="{y}" width="{w:.1}" height="20" fill="{c}"><title>{label}: {n}</title></rect><text x="{tx:.1}" y="{ty}" class="v">{n} ({pct:.1} %)</text>"#,
            ty = y + 15,
            label = esc(label),
            c = colour(label),
            tx = 146.0 + w,
        );
    }
    s.push_str("</svg>");
    s
}

/// A step of 1, 2 or 5 × 10^k giving about `n` bins up to `max`.
fn nice_step(max: f64, n: usize) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// The usage histogram as inline SVG: vertical bars of equal-width MB bins.
fn histogram(mb: &[f64]) -> (String, Vec<(f64, f64, usize)>) {
    let max = mb.iter().copied().fold(0.0f64, f64::max);
    let step = nice_step(max, 12);
    let nbins = ((max / step).floor() as usize + 1).clamp(1, 50);
    let mut bins = vec![0usize; nbins];
    for v in mb {
        let i = ((v / step).floor() as usize).min(nbins - 1);
        bins[i] += 1;
    }
    let top = bins.iter().copied().max().unwrap_or(1).max(1);
    let (w, h, left, bottom) = (640.0, 260.0, 50.0, 40.0);
    let bw = (w - left - 10.0) / nbins as f64;
    let mut s = format!(
        r##"<svg id="usage-histogram" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><line x1="{left}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#444"/><text x="{left}" y="14" class="v">{top} cards</text>"##,
        y0 = h - bottom,
        x1 = w - 10.0,
    );
    let mut table = Vec::new();
    for (i, n) in bins.iter().enumerate() {
        let bh = *n as f64 / top as f64 * (h - bottom - 24.0);
        let x = left + i as f64 * bw;
        let (lo, hi) = (i as f64 * step, (i + 1) as f64 * step);
        table.push((lo, hi, *n));
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bw2:.1}" height="{bh:.1}" fill="#1565c0"><title>{lo}–{hi} MB: {n} cards</title></rect>"##,
            y = h - bottom - bh,
            bw2 = (bw - 2.0).max(1.0),
            lo = fmt_mb(lo),
            hi = fmt_mb(hi),
        );
        if nbins <= 12 || i % 2 == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{ty}" class="t">{lo}</text>"#,
                ty = h - bottom + 16.0,
                lo = fmt_mb(lo)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="{cx}" y="{ty}" text-anchor="middle" class="l">MB used this month</text></svg>"#,
        cx = left + (w - left) / 2.0,
        ty = h - 6.0
    );
    (s, table)
}

fn fmt_mb(v: f64) -> String {
    if v >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn sorted(m: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = m.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn page(title: &str, source: &str, d: &Data) -> String {
    let answered = d.rows - d.codes.values().sum::<usize>();
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1>{t}</h1><p class="meta">{rows} cards in <code>{src}</code>: {answered} answered, {refused} without an answer or refused. Generated {now} by cmcc {v}.</p>"#,
        t = esc(title),
        rows = d.rows,
        src = esc(source),
        refused = d.rows - answered,
        now = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        v = env!("CARGO_PKG_VERSION"),
    );
    if d.has_states {
        let items = sorted(&d.states);
        let _ = write!(
            body,
            r#"<section><h2>Card states (25S04)</h2>{}</section>"#,
            bars(&items, answered, "states")
        );
    }
    if !d.registered.is_empty() {
        let items = sorted(&d.registered);
        let _ = write!(
            body,
            r#"<section><h2>Real-name registration (23A23)</h2>{}</section>"#,
            bars(&items, answered, "registration")
        );
    }
    if d.has_usage {
        let mb = &d.usage_mb;
        let total: f64 = mb.iter().sum();
        let mut s = mb.clone();
        s.sort_by(f64::total_cmp);
        let q = |p: f64| -> f64 {
            if s.is_empty() {
                return 0.0;
            }
            s[((s.len() - 1) as f64 * p).round() as usize]
        };
        let (svg, table) = histogram(mb);
        let _ = write!(
            body,
            r#"<section><h2>Data this month (25U04)</h2><p>{n} cards with usage, {none} without; {total:.1} MB in total, median {med} MB, 90th percentile {p90} MB, most {max} MB.</p>{svg}<details><summary>Bins</summary><table><tr><th>MB</th><th>cards</th></tr>"#,
            n = mb.len(),
            none = d.no_usage,
            med = fmt_mb(q(0.5)),
            p90 = fmt_mb(q(0.9)),
            max = fmt_mb(q(1.0)),
        );
        for (lo, hi, n) in table {
            let _ = write!(
                body,
                "<tr><td>{}–{}</td><td>{n}</td></tr>",
                fmt_mb(lo),
                fmt_mb(hi)
            );
        }
        body.push_str("</table></details></section>");
    }
    if !d.codes.is_empty() {
        let _ = write!(
            body,
            r#"<section><h2>Refusals and failures</h2><table id="codes"><tr><th>code</th><th>cards</th><th>meaning</th></tr>"#
        );
        for (code, n) in sorted(&d.codes) {
            let meaning = cmcc_proto::codes::Code::from(code.as_str())
                .info(cmcc_proto::codes::Platform::OneLink)
                .map_or_else(
                    || match code.as_str() {
                        "invalid" => "malformed number, never sent",
                        "unreachable" | "timeout" | "http" | "decode" => {
                            "no usable answer: run the command again"
                        }
                        _ => "",
                    },
                    |i| i.en,
                );
            let _ = write!(
                body,
                "<tr><td><code>{}</code></td><td>{n}</td><td>{}</td></tr>",
                esc(&code),
                esc(meaning)
            );
        }
        body.push_str("</table></section>");
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t}</title>
<style>
body{{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:720px;color:#222;padding:0 1rem}}
h1{{font-size:1.5rem;margin-bottom:.2rem}} h2{{font-size:1.1rem;margin:1.6rem 0 .6rem}}
.meta{{color:#555}} section{{border-top:1px solid #ddd}}
svg{{max-width:100%;height:auto}} svg .l{{font-size:13px;fill:#333}} svg .v{{font-size:12px;fill:#555}} svg .t{{font-size:11px;fill:#555}}
table{{border-collapse:collapse}} td,th{{padding:.2rem .7rem;border-bottom:1px solid #eee;text-align:left}}
</style></head><body>
{body}
</body></html>
"#,
        t = esc(title),
    )
}

pub(crate) fn run(args: &ReportArgs) -> Result<ExitCode> {
    let d = read(&args.input)?;
    let html = page(&args.title, &args.input.display().to_string(), &d);
    std::fs::write(&args.output, html)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "{}: {} cards{}{}",
        args.output.display(),
        d.rows,
        if d.has_states {
            format!(", {} states", d.states.len())
        } else {
            String::new()
        },
        if d.has_usage {
            format!(", {} with usage", d.usage_mb.len())
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_pages_are_self_contained() {
        assert_eq!(nice_step(100.0, 10), 10.0);
        assert_eq!(nice_step(37.0, 12), 5.0);
        assert_eq!(nice_step(0.0, 12), 1.0);
        let mut d = Data {
            rows: 3,
            has_states: true,
            has_usage: true,
            usage_mb: vec![0.5, 3.0],
            no_usage: 1,
            ..Data::default()
        };
        d.states.insert("active".into(), 2);
        d.codes.insert("12011".into(), 1);
        let html = page("<T>", "a&b.csv", &d);
        assert!(html.contains("&lt;T&gt;") && html.contains("a&amp;b.csv"));
        assert!(html.contains(r#"<svg id="states""#) && html.contains("usage-histogram"));
        for external in ["<script", "http://", "https://", "<link", "@import", "url("] {
            let outside_svg_ns = html.replace("http://www.w3.org/2000/svg", "");
            assert!(!outside_svg_ns.contains(external), "{external}");
        }
    }
}
