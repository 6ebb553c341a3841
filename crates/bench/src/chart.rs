//! The charts of docs/BENCHMARKS.md (SVG, plotters): throughput against connections for the
//! verification benchmark (with its crypto bound) and for the sandbox next to the mock servers.

use std::path::Path;

use plotters::prelude::*;

use crate::results::{PeersResult, VerifyResult};

const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
];

struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

fn bounds(series: &[Series]) -> (f64, f64, f64, f64) {
    let xs = || series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = || series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let x_max = xs().fold(1.0, f64::max);
    let x_min = xs().fold(x_max, f64::min);
    let y_max = ys().fold(1.0, f64::max);
    let y_min = ys().fold(y_max, f64::min).max(1.0);
    (x_min, x_max, y_min, y_max)
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("chart: {e}")
}

/// The same chart body for a linear and a logarithmic y axis (their coordinate types differ).
macro_rules! plot {
    ($root:expr, $title:expr, $y_desc:expr, $series:expr, $x:expr, $y:expr) => {{
        let mut chart = ChartBuilder::on(&$root)
            .caption($title, ("sans-serif", 17))
            .margin(14)
            .x_label_area_size(42)
            .y_label_area_size(72)
            .build_cartesian_2d($x, $y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("keep-alive connections (log scale)")
            .y_desc($y_desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(err)?;
        for (i, s) in $series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let style = ShapeStyle::from(&color).stroke_width(2);
            let drawn = if s.dashed {
                chart.draw_series(DashedLineSeries::new(s.points.clone(), 8, 5, style))
            } else {
                chart.draw_series(LineSeries::new(s.points.clone(), style))
            }
            .map_err(err)?;
            drawn.label(s.name.clone()).legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 20, y)],
                    ShapeStyle::from(&color).stroke_width(2),
                )
            });
            if !s.dashed {
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(err)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }};
}

fn draw(
    path: &Path,
    title: &str,
    y_desc: &str,
    series: &[Series],
    log_y: bool,
) -> anyhow::Result<()> {
    let (x_min, x_max, y_min, y_max) = bounds(series);
    let root = SVGBackend::new(path, (860, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    // Ticks at the connection counts measured.
    let mut ticks: Vec<f64> = series
        .iter()
        .filter(|s| !s.dashed)
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let x = (x_min * 0.8..x_max * 1.25)
        .log_scale()
        .with_key_points(ticks);
    if log_y {
        plot!(
            root,
            title,
            y_desc,
            series,
            x,
            (y_min * 0.5..y_max * 2.0).log_scale()
        );
    } else {
        plot!(root, title, y_desc, series, x, 0f64..y_max * 1.15);
    }
    root.present().map_err(err)?;
    println!("wrote {}", path.display());
    Ok(())
}

fn smoke(quick: bool) -> &'static str {
    if quick {
        " — SMOKE RUN (--quick), not a measurement"
    } else {
        ""
    }
}

pub(crate) fn verify(path: &Path, r: &VerifyResult) -> anyhow::Result<()> {
    let pts: Vec<(f64, f64)> = r
        .levels
        .iter()
        .map(|l| (l.conns as f64, l.per_sec))
        .collect();
    let (lo, hi) = (
        pts.first().map_or(1.0, |p| p.0),
        pts.last().map_or(128.0, |p| p.0),
    );
    let title = format!(
        "POST /v1/verify through gateway + sandbox, {} cores, {}{}",
        r.machine.nproc,
        r.machine.date,
        smoke(r.quick)
    );
    draw(
        path,
        &title,
        "verifications / s",
        &[
            Series {
                name: "gateway + sandbox (SQLite audit)".into(),
                points: pts,
                dashed: false,
            },
            Series {
                name: format!("crypto bound ({:.0}/s)", r.crypto_bound),
                points: vec![(lo, r.crypto_bound), (hi, r.crypto_bound)],
                dashed: true,
            },
        ],
        false,
    )
}

pub(crate) fn peers(path: &Path, r: &PeersResult) -> anyhow::Result<()> {
    let series: Vec<Series> = r
        .peers
        .iter()
        .map(|p| Series {
            name: format!("{} {}", p.server, p.version),
            points: p
                .levels
                .iter()
                .map(|l| (l.conns as f64, l.per_sec))
                .collect(),
            dashed: false,
        })
        .collect();
    let title = format!(
        "23A23 status answer under wrk, {} cores, {}{}",
        r.machine.nproc,
        r.machine.date,
        smoke(r.quick)
    );
    draw(path, &title, "requests / s (log scale)", &series, true)
}
