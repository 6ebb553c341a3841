//! `cmcc sandbox`, `cmcc gateway` and `cmcc up`: the long-running servers.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

/// `cmcc sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, env = "CMCC_SANDBOX_LISTEN", default_value = "127.0.0.1:8700")]
    pub listen: SocketAddr,
    /// Sandbox configuration (TOML: `[auth]` apps, `[onelink]` enterprises and cards). Without
    /// one, demo tenants are created.
    #[arg(long, env = "CMCC_SANDBOX_CONFIG")]
    pub config: Option<PathBuf>,
    /// Keep the auth platform's apps and device profiles in this file (written atomically after
    /// every change, read on start). Default: in memory only.
    #[arg(long, env = "CMCC_SANDBOX_STATE")]
    pub state_file: Option<PathBuf>,
    /// Keep OneLink's state (cards, registrations, tokens, pending pushes) in this file (read on
    /// start, written shortly after every change and on stop). Default: in memory only.
    #[arg(long, env = "CMCC_SANDBOX_ONELINK_STATE")]
    pub onelink_state_file: Option<PathBuf>,
    /// Push callback URL of the demo OneLink enterprise (overrides the configured one and the
    /// one saved in the state file).
    #[arg(long, env = "CMCC_SANDBOX_ONELINK_CALLBACK")]
    pub onelink_callback: Option<String>,
    /// Log bad signatures (103101, 130018) in the journal instead of rejecting the request.
    #[arg(long)]
    pub log_only_signatures: bool,
    /// Folder for the credentials file written on start (`sandbox-credentials.txt`).
    #[arg(long, env = "CMCC_DATA_DIR", default_value = ".cmcc")]
    pub data_dir: PathBuf,
}

/// `cmcc gateway`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Gateway configuration (TOML). Layers: defaults, this file, `CMCC_*` environment
    /// (`CMCC_PASSPORT__APP_ID`, secrets also as `CMCC_PASSPORT__APP_KEY_FILE`), then these flags.
    #[arg(long, env = "CMCC_GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides `listen`).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// `sqlite:path` or `postgres://…` (overrides `database_url`).
    #[arg(long)]
    pub database_url: Option<String>,
    /// `redis://…` to share state with other instances (overrides `redis_url`).
    #[arg(long)]
    pub redis_url: Option<String>,
}

/// How to go from the demo to the real carrier; shown by `cmcc up --help`.
const UP_AFTER_HELP: &str = "\
What it runs, on 127.0.0.1:
  sandbox  (8700)  the carrier emulator: auth platform, OneLink, JSSDK, console at /_sandbox/
  demo     (8701)  pages for every flow: H5 login, mini-program, UAID, IoT real-name registration
  gateway  (8702)  the business server, on SQLite in --data-dir, wired to the sandbox
On start it registers the demo site's origin with the sandbox's demo app and the gateway, gives
the gateway the demo app's keys and an API key (kept in <data-dir>/gateway-api-key), makes the
gateway's push URL the demo enterprise's callback, and prints all URLs and credentials (also in
<data-dir>/credentials.txt). With --webhook-url, the gateway signs a webhook for every
registration result and sends it there; the receiver verifies it with <data-dir>/webhook-secret.

Going live: the gateway here is the same program as `cmcc gateway`. Put your own values in a
TOML file and run `cmcc gateway --config gateway.toml`:
  [passport]  base_url = \"production\", app_id, app_key_file, private_key_file (your RSA key),
              platform_public_key_file (from the open platform)
  [onelink]   base_url = \"production\", appid, password_file
  cors_origins = [your pages' origins], api_keys_file, database_url (sqlite: or postgres://)
Register your pages' referer/origin on the open platform, your server's IP in its allow-list,
and https://<your gateway>/onelink/push as the OneLink callback URL. Pages keep the same code:
load the carrier's JSSDK instead of the sandbox's.";

/// `cmcc up`.
#[derive(Debug, Args)]
#[command(after_long_help = UP_AFTER_HELP)]
pub struct UpArgs {
    /// The sandbox (carrier emulator) listens here; port 0 picks a free one.
    #[arg(long, env = "CMCC_UP_SANDBOX", default_value = "127.0.0.1:8700")]
    pub sandbox_listen: SocketAddr,
    /// The demo site listens here.
    #[arg(long, env = "CMCC_UP_DEMO", default_value = "127.0.0.1:8701")]
    pub demo_listen: SocketAddr,
    /// The gateway listens here.
    #[arg(long, env = "CMCC_UP_GATEWAY", default_value = "127.0.0.1:8702")]
    pub gateway_listen: SocketAddr,
    /// Folder for the gateway's SQLite database, the sandbox's OneLink state, the API key and
    /// the credentials file. A restart on the same folder continues where the last run stopped.
    #[arg(long, env = "CMCC_DATA_DIR", default_value = ".cmcc")]
    pub data_dir: PathBuf,
    /// Start clean: forget the sandbox's OneLink state and the gateway's database in the data
    /// folder (the API key is kept).
    #[arg(long)]
    pub fresh: bool,
    /// Send the gateway's signed webhooks (registration results, Standard Webhooks) to your
    /// receiver at this URL. The signing secret is kept in <data-dir>/webhook-secret (made on
    /// the first start, never printed): give that file to the receiver.
    #[arg(long, env = "CMCC_UP_WEBHOOK_URL", value_name = "URL")]
    pub webhook_url: Option<String>,
}

/// Logs go to stderr: `RUST_LOG` filters (default `info`); `CMCC_LOG_FORMAT=json` gives one
/// JSON object per line for log collectors. Numbers are masked and secrets never logged by the
/// libraries themselves, whatever the format.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("CMCC_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colour only on a terminal: a file or a pipe gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn start_sandbox(args: &SandboxArgs) -> anyhow::Result<cmcc_sandbox::Running> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            cmcc_sandbox::SandboxConfig::from_toml(&text)
                .with_context(|| format!("parsing {}", path.display()))?
        }
        None => cmcc_sandbox::SandboxConfig::default(),
    };
    if let Some(path) = &args.state_file {
        config.auth.state_file = Some(path.clone());
    }
    if let Some(path) = &args.onelink_state_file {
        config.onelink.state_file = Some(path.clone());
    }
    if args.log_only_signatures {
        config.auth.strict_signatures = false;
    }
    let running = cmcc_sandbox::Running::start(&config, args.listen)
        .await
        .with_context(|| format!("starting the sandbox on {}", args.listen))?;
    if let Some(url) = &args.onelink_callback {
        let appid = cmcc_sandbox::onelink::config::DEMO_APPID;
        anyhow::ensure!(
            running.sandbox.onelink.set_callback(appid, Some(url)),
            "--onelink-callback: the sandbox has no demo enterprise ({appid})"
        );
    }
    let description = running.sandbox.describe();
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let creds = args.data_dir.join("sandbox-credentials.txt");
    crate::up::private_file::write_private(&creds, &description)?;
    println!("{description}");
    println!("(also written to {})", creds.display());
    Ok(running)
}

async fn until_shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

pub fn sandbox(args: &SandboxArgs) -> anyhow::Result<std::process::ExitCode> {
    init_logging();
    runtime()?.block_on(async {
        let running = start_sandbox(args).await?;
        until_shutdown().await;
        running.stop();
        Ok(std::process::ExitCode::SUCCESS)
    })
}

pub fn up(args: &UpArgs) -> anyhow::Result<std::process::ExitCode> {
    // The banner's first line comes before any log line of the parts starting.
    println!(
        "cmcc up: starting the sandbox, the gateway and the demo site (data in {})",
        args.data_dir.display()
    );
    init_logging();
    runtime()?.block_on(async {
        let started = std::time::Instant::now();
        let opts = crate::up::Options {
            sandbox: args.sandbox_listen,
            demo: args.demo_listen,
            gateway: args.gateway_listen,
            data_dir: args.data_dir.clone(),
            fresh: args.fresh,
            webhook_url: args.webhook_url.clone(),
        };
        let (up, text) = crate::up::Up::start(&opts).await?;
        println!("{text}");
        println!(
            "(also written to {})",
            args.data_dir.join("credentials.txt").display()
        );
        println!(
            "cmcc up: ready in {} ms. Open {} (Ctrl-C stops)",
            started.elapsed().as_millis(),
            up.urls.demo
        );
        until_shutdown().await;
        println!("cmcc up: stopping");
        up.shutdown().await;
        Ok(std::process::ExitCode::SUCCESS)
    })
}

pub fn gateway(args: &GatewayArgs) -> anyhow::Result<std::process::ExitCode> {
    init_logging();
    let mut cfg = cmcc_gateway::Config::load(args.config.as_deref())?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    if let Some(u) = &args.database_url {
        cfg.database_url.clone_from(u);
    }
    if let Some(u) = &args.redis_url {
        cfg.redis_url = Some(u.clone());
    }
    runtime()?.block_on(async {
        let running = cmcc_gateway::Running::start(cfg).await?;
        println!("cmcc gateway listening on {}", running.base_url);
        until_shutdown().await;
        running.shutdown().await;
        Ok(std::process::ExitCode::SUCCESS)
    })
}
