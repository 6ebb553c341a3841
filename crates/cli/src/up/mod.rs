//! `cmcc up`: the sandbox, a gateway wired to it and the demo site, in one process.
//!
//! | module | what |
//! |---|---|
//! | [`wiring`] | what a first start sets up between the parts: keys, origins, callback, API key |
//! | [`private_file`] | owner-only files (credentials, the API key), also for `cmcc sandbox` |
//! | [`demo`] | the demo site: one page per flow, and the integrator backend's proxy routes |

pub mod demo;
pub mod private_file;
pub mod wiring;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The demo app's secrets as files for the CLI (`cmcc encrypt-phone --app-key @.cmcc/app-key`,
/// `cmcc decrypt --key .cmcc/platform.key`). They are the sandbox's published demo values; the
/// platform's private key exists only because this is a sandbox (the carrier never gives it out).
/// Returns the lines that tell where they are.
fn write_key_files(sandbox: &cmcc_sandbox::Running, dir: &Path) -> anyhow::Result<String> {
    let app = sandbox
        .sandbox
        .auth
        .app(cmcc_sandbox::auth::tenant::DEMO_APP_ID)
        .context("the sandbox has no demo app")?;
    let c = &app.cfg;
    let files: [(&str, &str, bool); 5] = [
        ("app-key", &c.app_key, true),
        ("customer.key", &c.customer_private_key, true),
        ("customer.pub", &c.customer_public_key, false),
        ("platform.key", &c.platform_private_key, true),
        ("platform.pub", &app.platform_public_b64, false),
    ];
    for (name, value, secret) in files {
        let path = dir.join(name);
        let body = format!("{}\n", value.trim());
        if secret {
            private_file::write_private(&path, &body)?;
        } else {
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let d = dir.display();
    Ok(format!(
        "\nDemo app files for the CLI (in {d}):\n  \
         app-key                      the appKey (`--app-key @{d}/app-key`)\n  \
         customer.key / customer.pub  your side's key pair, registered with the demo app\n  \
         platform.pub / platform.key  the platform's key pair (only a sandbox gives out the private half)\n"
    ))
}

/// Where each part listens and where state is kept.
#[derive(Debug, Clone)]
pub struct Options {
    pub sandbox: SocketAddr,
    pub demo: SocketAddr,
    pub gateway: SocketAddr,
    pub data_dir: PathBuf,
    /// Forget the sandbox's OneLink state and the gateway's database of earlier runs.
    pub fresh: bool,
    /// Where the gateway sends its signed webhooks (registration results), if anywhere.
    pub webhook_url: Option<String>,
}

/// The sandbox's OneLink state in the data folder (cards, registrations, tokens, pushes).
pub const ONELINK_STATE_FILE: &str = "sandbox-onelink.json";

/// The addresses of a running `cmcc up`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Urls {
    pub demo: String,
    pub sandbox: String,
    pub gateway: String,
    pub console: String,
    pub push: String,
}

/// Everything `cmcc up` runs.
#[derive(Debug)]
pub struct Up {
    pub urls: Urls,
    sandbox: cmcc_sandbox::Running,
    gateway: cmcc_gateway::Running,
    demo: demo::Running,
}

impl Up {
    /// Bind the three ports, wire the parts together, write the credentials file.
    pub async fn start(opts: &Options) -> anyhow::Result<(Self, String)> {
        std::fs::create_dir_all(&opts.data_dir)
            .with_context(|| format!("creating {}", opts.data_dir.display()))?;
        // The demo site's origin must be known before the sandbox app and the gateway's CORS
        // list are set, so its port is bound first.
        let demo_listener = tokio::net::TcpListener::bind(opts.demo)
            .await
            .with_context(|| format!("binding the demo site on {}", opts.demo))?;
        let demo_addr = demo_listener.local_addr()?;
        let demo_url = format!("http://{demo_addr}");

        let state_file = opts.data_dir.join(ONELINK_STATE_FILE);
        if opts.fresh {
            let db = opts.data_dir.join("gateway.db");
            for f in [
                state_file.clone(),
                db.clone(),
                db.with_extension("db-wal"),
                db.with_extension("db-shm"),
            ] {
                match std::fs::remove_file(&f) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("removing {}", f.display()));
                    }
                    _ => {}
                }
            }
        }
        let mut sandbox_cfg = cmcc_sandbox::SandboxConfig::default();
        sandbox_cfg.onelink.demo_generate_cards = wiring::GENERATED_CARDS;
        // The gateway keeps its store in the data folder; the sandbox keeps OneLink's beside
        // it, so a restart finds both sides agreeing.
        sandbox_cfg.onelink.state_file = Some(state_file);
        let sandbox = cmcc_sandbox::Running::start(&sandbox_cfg, opts.sandbox)
            .await
            .with_context(|| format!("starting the sandbox on {}", opts.sandbox))?;

        let wired = wiring::wire(&sandbox, &demo_url, &opts.data_dir)?;
        let webhook = match &opts.webhook_url {
            Some(url) => Some(wiring::Webhook::new(url, &opts.data_dir)?),
            None => None,
        };
        let mut gateway_cfg =
            wiring::gateway_config(&wired, &sandbox.base_url, opts, webhook.as_ref())?;
        gateway_cfg.related_links = wiring::gateway_links(&demo_url, &sandbox.base_url);
        let push_path = gateway_cfg.push_path.clone();
        let gateway = cmcc_gateway::Running::start(gateway_cfg)
            .await
            .with_context(|| format!("starting the gateway on {}", opts.gateway))?;
        let push = format!("{}{push_path}", gateway.base_url);
        wiring::set_callback(&sandbox, &push)?;
        sandbox
            .sandbox
            .set_links(wiring::sandbox_links(&demo_url, &gateway.base_url));

        let urls = Urls {
            demo: format!("{demo_url}/"),
            sandbox: sandbox.base_url.clone(),
            gateway: gateway.base_url.clone(),
            console: format!("{}/_sandbox/", sandbox.base_url),
            push,
        };
        let demo = demo::serve(
            demo_listener,
            demo::Site {
                sandbox: urls.sandbox.clone(),
                gateway: urls.gateway.clone(),
                app_id: wired.app_id.clone(),
                api_key: wired.api_key.clone(),
            },
        );
        let mut text = wiring::describe(&urls, &wired, webhook.as_ref(), &sandbox);
        text.push_str(&write_key_files(&sandbox, &opts.data_dir)?);
        private_file::write_private(&opts.data_dir.join("credentials.txt"), &text)?;
        let json = serde_json::to_string_pretty(&urls)?;
        std::fs::write(opts.data_dir.join("up.json"), json)
            .with_context(|| format!("writing {}", opts.data_dir.join("up.json").display()))?;
        Ok((
            Self {
                urls,
                sandbox,
                gateway,
                demo,
            },
            text,
        ))
    }

    /// Graceful stop: the demo site, then the gateway (in-flight pushes are committed), then the
    /// sandbox.
    pub async fn shutdown(self) {
        self.demo.shutdown().await;
        self.gateway.shutdown().await;
        self.sandbox.stop();
    }
}
