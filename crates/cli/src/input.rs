//! Reading keys, secrets and request files given on the command line.

use std::path::Path;

use anyhow::{Context, Result};
use cmcc_proto::{PrivateKey, PublicKey, Secret};

/// A value that is either inline text or `@path` / `-` (stdin). Keys are usually files.
pub fn read_text(arg: &str) -> Result<String> {
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        return Ok(s.trim().to_owned());
    }
    let path = arg.strip_prefix('@').unwrap_or(arg);
    if arg.starts_with('@') || Path::new(path).is_file() {
        return Ok(std::fs::read_to_string(path)
            .with_context(|| format!("reading {path}"))?
            .trim()
            .to_owned());
    }
    Ok(arg.trim().to_owned())
}

pub fn private_key(arg: &str) -> Result<PrivateKey> {
    PrivateKey::parse(&read_text(arg)?)
        .context("loading the private key (base64 PKCS#8 or PEM, inline or a file)")
}

pub fn public_key(arg: &str) -> Result<PublicKey> {
    PublicKey::parse(&read_text(arg)?)
        .context("loading the public key (base64 X.509 SPKI or PEM, inline or a file)")
}

/// The appKey: from `--app-key` (inline or file) or `CMCC_APP_KEY` (clap fills that in).
pub fn app_key(arg: &str) -> Result<Secret> {
    let s = read_text(arg)?;
    anyhow::ensure!(!s.is_empty(), "the appKey is empty");
    Ok(Secret::new(s))
}

/// Current time as a 17-digit China-time timestamp.
pub fn now17() -> String {
    cmcc_proto::Timestamp17::from_utc(chrono::Utc::now()).to_string()
}
