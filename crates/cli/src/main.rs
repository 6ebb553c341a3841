//! `cmcc`: one binary, thin over the libraries.
//!
//! | module | subcommands |
//! |---|---|
//! | [`cmd::keys`] | `keygen` |
//! | [`cmd::signing`], [`cmd::template`] | `sign`, `verify`, `md5-sign`; `sign --request-template` |
//! | [`cmd::phone`] | `encrypt-phone`, `decrypt` |
//! | [`cmd::codes`] | `codes` |
//! | [`cmd::serve`] | `sandbox`, `gateway`, `up` |
//! | [`cmd::fleet`] | `fleet status`, `usage`, `info`, `sessions`, `stop`, `resume`, `links`, `report` |
//! | [`up`] | what `up` runs: the wiring between sandbox and gateway, the demo site |

/// `println!` that returns the write's error instead of panicking: a closed pipe
/// (`cmcc codes | head`) then ends the command quietly, see [`main`].
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($t)*)
    }};
}

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
    /// OneLink operations over many IoT cards: status, usage, info, sessions, stop/resume, links, report.
    Fleet(cmd::fleet::FleetArgs),
}

/// Exit status of a command whose reader went away, as a shell reports death by SIGPIPE.
const CLOSED_PIPE: u8 = 141;

fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The servers still print with `println!`, which panics on a closed stdout: end those quietly
/// too instead of printing a panic and a backtrace.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(i32::from(CLOSED_PIPE));
        }
        default(info);
    }));
}

fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
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
        Err(e) if closed_pipe(&e) => std::process::ExitCode::from(CLOSED_PIPE),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
