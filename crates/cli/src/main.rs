//! `cmcc`: one binary, thin over the libraries.
//!
//! | module | subcommands |
//! |---|---|
//! | [`cmd::keys`] | `keygen` |
//! | [`cmd::signing`] | `sign`, `verify`, `md5-sign` |
//! | [`cmd::phone`] | `encrypt-phone`, `decrypt` |
//! | [`cmd::codes`] | `codes` |
//! | [`cmd::serve`] | `sandbox`, `gateway`, `up` |
//! | [`up`] | what `up` runs: the wiring between sandbox and gateway, the demo site |

mod cmd;
mod input;
mod up;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cmcc", version, about = "China Mobile identity toolkit: keys, signing, result codes", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an RsaUtils-compatible RSA key pair: private key to a 0600 file, public key printed.
    Keygen(cmd::keys::KeygenArgs),
    /// Sign a string or a request (MD5withRSA, base64), printing the exact string signed.
    Sign(cmd::signing::SignArgs),
    /// Check a signature or a whole request the way the platform does, and say why it fails (130018).
    Verify(cmd::signing::VerifyArgs),
    /// Compute the MD5 sign of getToken / getTokenInfo / UAID getMobile.
    #[command(name = "md5-sign")]
    Md5Sign(cmd::signing::Md5Args),
    /// Encrypt phone+appKey+timestamp with the platform public key (the phoneNum field).
    #[command(name = "encrypt-phone")]
    EncryptPhone(cmd::phone::EncryptArgs),
    /// Decrypt RSA/ECB/PKCS1Padding base64 ciphertext (e.g. a phoneNum) with a private key.
    Decrypt(cmd::phone::DecryptArgs),
    /// Explain a result code of either platform, with its fix hint; no code lists them all.
    Codes(cmd::codes::CodesArgs),
    /// Run the carrier emulator (auth platform and OneLink) on a local port.
    Sandbox(cmd::serve::SandboxArgs),
    /// Run the business server: signing, verification, UAID, registration links, push receiver.
    Gateway(cmd::serve::GatewayArgs),
    /// Run everything at once: sandbox, a gateway wired to it and the demo pages, no config needed.
    Up(cmd::serve::UpArgs),
    /// OneLink operations over many IoT cards (registration state of a whole fleet, to CSV).
    Fleet(cmd::fleet::FleetArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen(a) => cmd::keys::keygen(&a),
        Command::Sign(a) => cmd::signing::sign(&a),
        Command::Verify(a) => cmd::signing::verify(&a),
        Command::Md5Sign(a) => cmd::signing::md5_sign(&a),
        Command::EncryptPhone(a) => cmd::phone::encrypt(&a),
        Command::Decrypt(a) => cmd::phone::decrypt(&a),
        Command::Codes(a) => cmd::codes::codes(&a),
        Command::Sandbox(a) => cmd::serve::sandbox(&a),
        Command::Gateway(a) => cmd::serve::gateway(&a),
        Command::Up(a) => cmd::serve::up(&a),
        Command::Fleet(a) => cmd::fleet::fleet(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
