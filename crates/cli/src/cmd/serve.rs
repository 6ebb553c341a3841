//! `cmcc sandbox` and `cmcc up`: the long-running servers.

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

/// `cmcc up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests) is harmless.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
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
    if args.log_only_signatures {
        config.auth.strict_signatures = false;
    }
    let running = cmcc_sandbox::Running::start(&config, args.listen)
        .await
        .with_context(|| format!("starting the sandbox on {}", args.listen))?;
    let description = running.sandbox.describe();
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let creds = args.data_dir.join("sandbox-credentials.txt");
    write_private(&creds, &description)?;
    println!("{description}");
    println!("(also written to {})", creds.display());
    Ok(running)
}

/// Write a file only its owner can read: it holds demo secrets.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
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
    init_logging();
    runtime()?.block_on(async {
        let running = start_sandbox(&args.sandbox).await?;
        println!(
            "cmcc up: sandbox ready at {} (Ctrl-C stops)",
            running.base_url
        );
        until_shutdown().await;
        running.stop();
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
