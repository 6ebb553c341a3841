//! `cmcc encrypt-phone` and `cmcc decrypt`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use cmcc_proto::sign::{legacy_phone_num, phone_plaintext, split_phone_plaintext};
use cmcc_proto::{Phone, Timestamp17};

use crate::input;

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The PLATFORM public key shown on the open platform (not your own key).
    #[arg(long, required_unless_present = "legacy")]
    pub platform_key: Option<String>,
    #[arg(long)]
    pub phone: String,
    /// The appKey: inline, a file, or - for stdin. Prefer the env var or a file.
    #[arg(long, env = "CMCC_APP_KEY", hide_env_values = true)]
    pub app_key: String,
    /// The request header's 17-digit timestamp; defaults to now (China time).
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Legacy keyType-0 form: uppercase hex SHA-256 instead of RSA.
    #[arg(long)]
    pub legacy: bool,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The private key (the platform's, in the sandbox; or yours for data encrypted to you).
    #[arg(long)]
    pub key: String,
    /// Base64 ciphertext, inline, a file, or - for stdin.
    #[arg(long)]
    pub data: String,
    /// If the plaintext is a phoneNum, check its appKey part against this one and split it.
    #[arg(long, env = "CMCC_APP_KEY", hide_env_values = true)]
    pub app_key: Option<String>,
}

pub fn encrypt(a: &EncryptArgs) -> Result<ExitCode> {
    let phone = Phone::parse(&a.phone).context("--phone")?;
    let app_key = input::app_key(&a.app_key)?;
    let timestamp = match &a.timestamp {
        Some(t) => Timestamp17::parse(t).context("--timestamp")?.to_string(),
        None => input::now17(),
    };
    eprintln!("timestamp: {timestamp} (put the same value in the request header)");
    if a.legacy {
        println!(
            "{}",
            legacy_phone_num(phone.as_str(), app_key.expose(), &timestamp)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let key = input::public_key(a.platform_key.as_deref().unwrap_or_default())?;
    println!(
        "{}",
        key.encrypt_base64(&phone_plaintext(
            phone.as_str(),
            app_key.expose(),
            &timestamp
        ))?
    );
    Ok(ExitCode::SUCCESS)
}

pub fn decrypt(a: &DecryptArgs) -> Result<ExitCode> {
    let key = input::private_key(&a.key)?;
    let data = input::read_text(&a.data)?;
    let plain = key
        .decrypt_base64(&data)
        .context("decrypting (the platform answers 999999 or 130016 when this fails)")?;
    let Some(app_key) = &a.app_key else {
        println!("{plain}");
        return Ok(ExitCode::SUCCESS);
    };
    let app_key = input::app_key(app_key)?;
    match split_phone_plaintext(&plain, app_key.expose()) {
        Some((phone, ts)) => {
            println!("phone:     {phone}");
            println!("timestamp: {ts}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("plaintext does not have the form phone(11) + appKey + timestamp(17) with this appKey");
            println!(
                "(length {}; expected {})",
                plain.len(),
                11 + app_key.expose().len() + 17
            );
            Ok(ExitCode::from(1))
        }
    }
}
