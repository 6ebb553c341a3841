//! `cmcc fleet links`: a real-name registration link (23A12) for every card, with a QR code
//! PNG per link next to the CSV, for installers who label devices.
//!
//! The platform allows one 23A12 per card per urlType per minute (12012). Each request is
//! recorded (`asking`, with its time) before it leaves, so a rerun — even after `kill -9` —
//! waits out the minute of a card asked less than a minute ago instead of being refused.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use cmcc_proto::wire::onelink::UrlType;
use serde::{Deserialize, Serialize};

use super::{
    card_id, connect, error_row, finish, for_each_card, read_earlier, read_input, todo, CardsArgs,
    Field, Journal, Record,
};

/// The platform's window: one request per card per urlType.
const WINDOW: Duration = Duration::from_secs(60);
/// Code of the row written before a request leaves.
const ASKING: &str = "asking";

/// Which link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LinkType {
    /// urlType 6: an H5 page that opens the registration mini-program (scan with a phone).
    H5,
    /// urlType 3: parameters for `wx.navigateToMiniProgram` inside a WeChat mini-program (no QR).
    Mini,
}

impl LinkType {
    fn url_type(self) -> UrlType {
        match self {
            LinkType::H5 => UrlType::H5JumpMiniProgram,
            LinkType::Mini => UrlType::MiniProgram,
        }
    }
}

/// `cmcc fleet links`.
#[derive(Debug, Args)]
pub(crate) struct LinksArgs {
    #[command(flatten)]
    pub cards: CardsArgs,
    /// `h5` (urlType 6, a QR code per link) or `mini` (urlType 3).
    #[arg(long, value_enum, default_value = "h5")]
    pub url_type: LinkType,
    /// Folder of the QR code PNGs. Default: `<output without .csv>-qr/` next to the CSV.
    #[arg(long)]
    pub qr_dir: Option<PathBuf>,
    /// Pixels per QR module.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=40))]
    pub qr_scale: u32,
}

/// One row per card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct LinkRow {
    card: String,
    field: String,
    url_type: String,
    busi_seq: String,
    url: String,
    /// The QR code PNG, relative to the CSV's folder.
    qr: String,
    /// When the request left (UTC): the minute window runs from here.
    asked_at: String,
    code: String,
    message: String,
}

impl Record for LinkRow {
    fn card(&self) -> &str {
        &self.card
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn failed(card: &str, field: Field, code: String, message: String) -> Self {
        LinkRow {
            card: card.to_owned(),
            field: field.name().to_owned(),
            url_type: String::new(),
            busi_seq: String::new(),
            url: String::new(),
            qr: String::new(),
            asked_at: String::new(),
            code,
            message,
        }
    }
}

/// How long to wait before asking for `card` again: the rest of the minute of its last request.
fn wait_for(last: Option<&LinkRow>, url_type: &str, now: DateTime<Utc>) -> Duration {
    let Some(last) = last.filter(|r| r.url_type == url_type) else {
        return Duration::ZERO;
    };
    let Ok(at) = DateTime::parse_from_rfc3339(&last.asked_at) else {
        return Duration::ZERO;
    };
    let since = (now - at.with_timezone(&Utc)).to_std().unwrap_or_default();
    WINDOW.saturating_sub(since)
}

fn default_qr_dir(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .map_or_else(|| "links".into(), |s| s.to_string_lossy().into_owned());
    output
        .parent()
        .unwrap_or(Path::new(""))
        .join(format!("{stem}-qr"))
}

/// A QR code of `text` as a 1-bit grayscale PNG, `scale` pixels per module, a 4-module quiet zone.
pub(crate) fn qr_png(text: &str, scale: u32) -> Result<Vec<u8>> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| anyhow::anyhow!("the link does not fit in a QR code: {e:?}"))?;
    let border = 4i32;
    let modules = u32::try_from(qr.size() + 2 * border).context("QR size")?;
    let side = modules * scale;
    let row_bytes = side.div_ceil(8) as usize;
    let mut data = vec![0u8; row_bytes * side as usize];
    for py in 0..side {
        for px in 0..side {
            let (mx, my) = (
                i32::try_from(px / scale).unwrap_or(0) - border,
                i32::try_from(py / scale).unwrap_or(0) - border,
            );
            // get_module is false outside the symbol: the quiet zone is white.
            let white = !qr.get_module(mx, my);
            if white {
                data[py as usize * row_bytes + px as usize / 8] |= 0x80 >> (px % 8);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let mut w = enc.write_header().context("writing the PNG header")?;
        w.write_image_data(&data).context("writing the PNG")?;
    }
    Ok(out)
}

/// A file name for a card's QR code (card numbers are letters and digits; anything else is
/// replaced so no input can name a path outside the folder).
fn qr_name(card: &str, url_type: u32) -> String {
    let safe: String = card
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{safe}-{url_type}.png")
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    std::fs::write(tmp.path(), bytes).with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub(crate) fn run(args: &LinksArgs) -> Result<ExitCode> {
    let c = &args.cards;
    let (field, cards) = read_input(&c.input, c.field)?;
    let earlier = read_earlier::<LinkRow>(&c.output)?;
    let todo = todo(&cards, &earlier);
    let ctx = connect(&c.conn, !todo.is_empty())?;
    let journal = Arc::new(Journal::open(&c.output, false)?);
    let url_type = args.url_type.url_type();
    let ut = url_type.code().to_string();
    let qr_dir = match (&args.qr_dir, args.url_type) {
        (_, LinkType::Mini) => None,
        (Some(d), LinkType::H5) => Some(d.clone()),
        (None, LinkType::H5) => Some(default_qr_dir(&c.output)),
    };
    if let Some(d) = &qr_dir {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let csv_dir = c
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let waiting = todo
        .iter()
        .filter(|card| !wait_for(earlier.get(*card), &ut, Utc::now()).is_zero())
        .count();
    eprintln!(
        "{} cards ({}), {} with a link in {}, {} to ask{}",
        cards.len(),
        field.name(),
        cards.len() - todo.len(),
        c.output.display(),
        todo.len(),
        if waiting > 0 {
            format!(" ({waiting} asked less than a minute ago: each waits out its minute)")
        } else {
            String::new()
        }
    );
    let client = Arc::clone(&ctx.client);
    let earlier_arc = Arc::new(earlier.clone());
    let j = Arc::clone(&journal);
    let scale = args.qr_scale;
    let done = for_each_card(&ctx, todo, c.conn.concurrency, &journal, move |card| {
        let (client, earlier, journal, qr_dir, csv_dir, ut) = (
            Arc::clone(&client),
            Arc::clone(&earlier_arc),
            Arc::clone(&j),
            qr_dir.clone(),
            csv_dir.clone(),
            ut.clone(),
        );
        async move {
            let id = match card_id::<LinkRow>(field, &card) {
                Ok(id) => id,
                Err(row) => return row,
            };
            let wait = wait_for(earlier.get(&card), &ut, Utc::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let mut row = LinkRow::failed(&card, field, ASKING.into(), String::new());
            row.url_type.clone_from(&ut);
            row.asked_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            if let Err(e) = journal.record(&row) {
                row.message = format!("not asked: could not record the request first: {e:#}");
                return row;
            }
            match client.registration_link(&id, url_type, None).await {
                Err(e) => {
                    let mut failed: LinkRow = error_row(&card, field, &e);
                    failed.url_type = ut;
                    failed.asked_at = row.asked_at;
                    failed
                }
                Ok(link) => {
                    row.code.clear();
                    row.busi_seq = link.busi_seq;
                    row.url = link.url;
                    if let Some(dir) = qr_dir {
                        let name = qr_name(&card, url_type.code());
                        let written = qr_png(&row.url, scale)
                            .and_then(|png| write_atomic(&dir.join(&name), &png));
                        match written {
                            Ok(()) => {
                                let p = dir.join(&name);
                                row.qr =
                                    p.strip_prefix(&csv_dir).unwrap_or(&p).display().to_string();
                            }
                            Err(e) => {
                                row.message = format!("link issued; QR code not written: {e:#}")
                            }
                        }
                    }
                    row
                }
            }
        }
    })?;
    drop(journal);
    finish(&c.output, &cards, earlier, &done, &ctx.client, |all| {
        let links = all.iter().filter(|r| r.answered()).count();
        let qr = all.iter().filter(|r| !r.qr.is_empty()).count();
        (format!("{links} links ({qr} QR codes), "), String::new())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_asked_within_the_minute_waits_for_the_rest_of_it() {
        let now = Utc::now();
        let mut row = LinkRow::failed(
            "1440000000001",
            Field::Msisdn,
            "12012".into(),
            String::new(),
        );
        row.url_type = "6".into();
        row.asked_at = (now - chrono::Duration::seconds(20)).to_rfc3339();
        let w = wait_for(Some(&row), "6", now);
        assert!(
            w > Duration::from_secs(39) && w <= Duration::from_secs(40),
            "{w:?}"
        );
        assert_eq!(
            wait_for(Some(&row), "3", now),
            Duration::ZERO,
            "other urlType"
        );
        row.asked_at = (now - chrono::Duration::seconds(61)).to_rfc3339();
        assert_eq!(wait_for(Some(&row), "6", now), Duration::ZERO);
        assert_eq!(wait_for(None, "6", now), Duration::ZERO);
        assert_eq!(qr_name("../x", 6), "___x-6.png");
    }

    #[test]
    fn qr_codes_are_pngs_with_a_quiet_zone() {
        let png = qr_png("http://127.0.0.1:8700/onelink/h5/reg/abc", 4).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("info");
        let (w, h) = (reader.info().width, reader.info().height);
        assert_eq!(w, h);
        // Version 3 or so: (29 + 8) modules × 4 px.
        assert_eq!(w % 4, 0);
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut buf).expect("frame");
        // The top-left corner is quiet zone (white), the finder pattern's corner is black.
        assert_eq!(buf[0] & 0x80, 0x80);
        let row = frame.line_size;
        let y = 4 * 4; // first module row of the symbol
        let x = 4 * 4;
        assert_eq!(buf[y * row + x / 8] & (0x80 >> (x % 8)), 0);
    }
}
