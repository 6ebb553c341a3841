//! `cmcc encrypt-phone` and `cmcc decrypt`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use cmcc_proto::sign::{legacy_phone_num, phone_plaintext, split_phone_plaintext};
use cmcc_proto::{Phone, Timestamp17};

use crate::input;

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// The PLATFORM public key shown on the open platform (not your own key); `cmcc up` writes
    /// its demo app's to .cmcc/platform.pub.
    #[arg(long, required_unless_present = "legacy")]
    pub platform_key: Option<String>,
    #[arg(long)]
    pub phone: String,
    /// The appKey (it is part of the encrypted text): inline, @file, or - for stdin. Prefer the
    /// env var or a file; `cmcc up` writes its demo app's to .cmcc/app-key (`--app-key
    /// @.cmcc/app-key`).
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
pub(crate) struct DecryptArgs {
    /// The private key (the platform's, which only a sandbox gives out: `cmcc up` writes its
    /// demo app's to .cmcc/platform.key; or yours, for data encrypted to you).
    #[arg(long)]
    pub key: String,
    /// Base64 ciphertext, inline, a file, or - for stdin.
    #[arg(long)]
    pub data: String,
    /// If the plaintext is a phoneNum, check its appKey part against this one. Without it the
    /// phone and timestamp are printed and the appKey part is not.
    #[arg(long, env = "CMCC_APP_KEY", hide_env_values = true)]
    pub app_key: Option<String>,
}

pub(crate) fn encrypt(a: &EncryptArgs) -> Result<ExitCode> {
    let phone = Phone::parse(&a.phone).context("--phone")?;
    let app_key = input::app_key(&a.app_key)?;
    let timestamp = match &a.timestamp {
        Some(t) => Timestamp17::parse(t).context("--timestamp")?.to_string(),
        None => input::now17(),
    };
    eprintln!("timestamp: {timestamp} (put the same value in the request header)");
    if a.legacy {
        outln!(
            "{}",
            legacy_phone_num(phone.as_str(), app_key.expose(), &timestamp)
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let key = input::public_key(a.platform_key.as_deref().unwrap_or_default())?;
    outln!(
        "{}",
        key.encrypt_base64(&phone_plaintext(
            phone.as_str(),
            app_key.expose(),
            &timestamp
        ))?
    )?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn decrypt(a: &DecryptArgs) -> Result<ExitCode> {
    let key = input::private_key(&a.key)?;
    let data = input::read_text(&a.data)?;
    let plain = key
        .decrypt_base64(&data)
        .context("decrypting (the platform answers 999999 or 130016 when this fails)")?;
    let parts = phone_parts(&plain);
    let Some(app_key) = &a.app_key else {
        let Some((phone, middle, ts)) = parts else {
            // Not a phoneNum: data encrypted to this key, printed as it is.
            outln!("{plain}")?;
            return Ok(ExitCode::SUCCESS);
        };
        outln!("phone:     {phone}")?;
        outln!("timestamp: {ts}")?;
        eprintln!(
            "a phoneNum is phone(11) + appKey + timestamp(17); the {middle} characters between \
             them are the sender's appKey, not printed (pass --app-key to check it)"
        );
        return Ok(ExitCode::SUCCESS);
    };
    let app_key = input::app_key(app_key)?;
    if let Some((phone, ts)) = split_phone_plaintext(&plain, app_key.expose()) {
        outln!("phone:     {phone}")?;
        outln!("timestamp: {ts}")?;
        eprintln!("appKey:    matches (the part between phone and timestamp)");
        return Ok(ExitCode::SUCCESS);
    }
    let given = app_key.expose().chars().count();
    match parts {
        Some((phone, middle, ts)) => {
            outln!("phone:     {phone}")?;
            outln!("timestamp: {ts}")?;
            outln!(
                "appKey:    WRONG: the {middle} characters between phone and timestamp are the \
                 appKey the sender used, and they are not the {given}-character appKey given here"
            )?;
            outln!(
                "why: the phoneNum was encrypted with another app's appKey, or --app-key is not \
                 this app's; the platform answers 130016"
            )?;
        }
        None => {
            outln!(
                "not a phoneNum: the plaintext ({} characters) is not phone(11) + appKey({given}) \
                 + timestamp(17); the platform answers 130016",
                plain.chars().count()
            )?;
        }
    }
    Ok(ExitCode::from(1))
}

/// `(phone, length of the appKey part, timestamp)` if the plaintext has a phoneNum's shape:
/// 11 digits, something, 17 digits.
fn phone_parts(plain: &str) -> Option<(&str, usize, &str)> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if plain.len() <= 28 || !plain.is_char_boundary(11) || !plain.is_char_boundary(plain.len() - 17)
    {
        return None;
    }
    let (phone, rest) = plain.split_at(11);
    let (middle, ts) = rest.split_at(rest.len() - 17);
    (digits(phone) && digits(ts)).then(|| (phone, middle.chars().count(), ts))
}
