//! `cmcc keygen`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use cmcc_proto::PrivateKey;

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Key size in bits (the carrier's RsaUtils uses 1024).
    #[arg(long, default_value_t = 1024, value_parser = parse_bits)]
    pub bits: u32,
    /// Where to write the private key (created with mode 0600).
    #[arg(long, short, default_value = "cmcc-private.key")]
    pub out: PathBuf,
    /// Write PEM instead of bare base64 PKCS#8.
    #[arg(long)]
    pub pem: bool,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

fn parse_bits(s: &str) -> Result<u32, String> {
    match s {
        "1024" => Ok(1024),
        "2048" => Ok(2048),
        _ => Err("use 1024 (what the carrier's RsaUtils makes) or 2048".into()),
    }
}

pub(crate) fn keygen(a: &KeygenArgs) -> Result<ExitCode> {
    if a.out.exists() && !a.force {
        bail!(
            "{} exists; pass --force to overwrite it (the old key would be lost)",
            a.out.display()
        );
    }
    let key = PrivateKey::generate(a.bits)?;
    let body = if a.pem {
        key.to_pem()?
    } else {
        format!("{}\n", key.to_base64()?)
    };
    write_private(&a.out, body.as_bytes())
        .with_context(|| format!("writing {}", a.out.display()))?;
    let public = key.public_key()?.to_base64()?;
    let pub_path = a.out.with_extension("pub");
    std::fs::write(&pub_path, format!("{public}\n"))
        .with_context(|| format!("writing {}", pub_path.display()))?;
    eprintln!(
        "private key (RSA-{}, keep it secret): {} (mode 0600)",
        a.bits,
        a.out.display()
    );
    eprintln!(
        "public key, also in {}: paste this into the open platform's \"RSA 公钥\" field:",
        pub_path.display()
    );
    outln!("{public}")?;
    Ok(ExitCode::SUCCESS)
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        // An existing file keeps its old mode on open: tighten it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}
