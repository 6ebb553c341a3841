//! Reading keys, secrets and request files given on the command line.
//!
//! A value is a file when it is `@path`, an existing file, or looks like a path (it has a `.`,
//! which base64 keys, ciphertexts and appKeys never contain); `-` is stdin; anything else is the
//! value itself. A file that cannot be read is reported as such, never parsed as content.

use std::path::Path;

use anyhow::{Context, Result};
use cmcc_proto::{PrivateKey, PublicKey, Secret};

/// A value that is either inline text or `@path` / a path / `-` (stdin). Keys are usually files.
pub(crate) fn read_text(arg: &str) -> Result<String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        return Ok(s.trim().to_owned());
    }
    if let Some(path) = arg.strip_prefix('@') {
        return read_file(path);
    }
    if names_a_file(arg) {
        return read_file(arg);
    }
    Ok(arg.trim().to_owned())
}

/// A JSON request: inline when it starts with `{`, else a file (`@path`, a path or `-`).
pub(crate) fn read_json_text(arg: &str) -> Result<String> {
    if arg.trim_start().starts_with('{') {
        return Ok(arg.to_owned());
    }
    if arg == "-" {
        return read_text(arg);
    }
    read_file(arg.strip_prefix('@').unwrap_or(arg))
}

fn names_a_file(arg: &str) -> bool {
    Path::new(arg).is_file()
        || (arg.contains('.')
            && !arg.contains(char::is_whitespace)
            && !arg.starts_with("-----")
            && !arg.starts_with('{'))
}

/// The file's text, or "cannot read PATH: why".
fn read_file(path: &str) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s.trim().to_owned()),
        Err(e) => anyhow::bail!("cannot read {path}: {}", io_reason(&e)),
    }
}

/// "No such file or directory" without the " (os error 2)" tail.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

pub(crate) fn private_key(arg: &str) -> Result<PrivateKey> {
    PrivateKey::parse(&read_text(arg)?)
        .context("loading the private key (base64 PKCS#8 or PEM, inline or a file)")
}

pub(crate) fn public_key(arg: &str) -> Result<PublicKey> {
    PublicKey::parse(&read_text(arg)?)
        .context("loading the public key (base64 X.509 SPKI or PEM, inline or a file)")
}

/// The appKey: from `--app-key` (inline or file) or `CMCC_APP_KEY` (clap fills that in).
pub(crate) fn app_key(arg: &str) -> Result<Secret> {
    let s = read_text(arg)?;
    anyhow::ensure!(!s.is_empty(), "the appKey is empty");
    Ok(Secret::new(s))
}

/// Current time as a 17-digit China-time timestamp.
pub(crate) fn now17() -> String {
    cmcc_proto::Timestamp17::from_utc(chrono::Utc::now()).to_string()
}
