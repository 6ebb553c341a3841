//! Configuration in layers: defaults → TOML file → `CMCC_` environment (`__` nests:
//! `CMCC_PASSPORT__APP_ID`) → command-line flags. Unknown keys are an error. Every secret
//! can come from a file instead (`app_key_file`, `CMCC_PASSPORT__APP_KEY_FILE`, …), so it need
//! not sit in the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cmcc_proto::Secret;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Figment(Box<figment::Error>),
    #[error("reading {path}: {err}")]
    File { path: String, err: std::io::Error },
    #[error("configuration: {0}")]
    Invalid(String),
}

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        ConfigError::Figment(Box::new(e))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    /// `sqlite:path` (default, a file next to the process) or `postgres://…`.
    pub database_url: String,
    /// Set to share counters and the OneLink token across instances.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// Where OneLink pushes registration results (registered as the callback URL).
    pub push_path: String,
    /// The business's own webhook for registration results (at-least-once, from an outbox).
    pub forward_url: Option<String>,
    /// A registration without a push after this long is settled by a 23A23 query.
    pub reconcile_after_secs: u64,
    /// Origins allowed to call the browser-facing API (CORS).
    pub cors_origins: Vec<String>,
    /// Keys for the server-facing API (`Authorization: Bearer <key>`).
    pub api_keys: Vec<Secret>,
    pub api_keys_file: Option<PathBuf>,
    pub limits: Limits,
    pub passport: Option<PassportSection>,
    pub onelink: Option<OneLinkSection>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8802)),
            database_url: "sqlite:cmcc-gateway.db".into(),
            redis_url: None,
            redis_prefix: "cmcc:".into(),
            push_path: "/onelink/push".into(),
            forward_url: None,
            reconcile_after_secs: 900,
            cors_origins: Vec::new(),
            api_keys: Vec::new(),
            api_keys_file: None,
            limits: Limits::default(),
            passport: None,
            onelink: None,
        }
    }
}

/// Cost and abuse limits, applied before the carrier is called.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Billed verifications per number per China-time day (the carrier's default cap is 10).
    pub daily_cap_per_number: u64,
    /// Browser-facing calls per client IP per minute.
    pub per_ip_per_minute: u64,
    /// How old a preSign may be when the page asks us to sign it.
    pub presign_max_age_secs: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            daily_cap_per_number: 10,
            per_ip_per_minute: 60,
            presign_max_age_secs: 300,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// The auth platform app (number verification, UAID).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassportSection {
    /// `production`, `test` (the carrier's test environment) or a URL (the sandbox).
    pub base_url: String,
    pub app_id: String,
    #[serde(default)]
    pub app_key: Option<Secret>,
    #[serde(default)]
    pub app_key_file: Option<PathBuf>,
    /// Customer private key (base64 PKCS#8 or PEM).
    #[serde(default)]
    pub private_key: Option<Secret>,
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// The platform public key from the open platform.
    #[serde(default)]
    pub platform_public_key: Option<String>,
    #[serde(default)]
    pub platform_public_key_file: Option<PathBuf>,
    /// Extra headers on every call to the platform (e.g. the sandbox's device header in tests).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// The OneLink account (IoT-card real-name registration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneLinkSection {
    /// `production` or a URL (the sandbox).
    pub base_url: String,
    pub appid: String,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// The top-level fields of [`Config`], as environment keys may name them.
const FIELDS: &[&str] = &[
    "listen",
    "database_url",
    "redis_url",
    "redis_prefix",
    "push_path",
    "forward_url",
    "reconcile_after_secs",
    "cors_origins",
    "api_keys",
    "api_keys_file",
    "limits",
    "passport",
    "onelink",
];

fn is_config_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let top = key.split("__").next().unwrap_or_default();
    FIELDS.contains(&top)
}

fn read_secret(path: &Path) -> Result<Secret, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| Secret::new(s.trim()))
        .map_err(|err| ConfigError::File {
            path: path.display().to_string(),
            err,
        })
}

/// The inline value, or the file's content; exactly one must be given.
pub fn secret_or_file(
    inline: &Option<Secret>,
    file: &Option<PathBuf>,
    what: &str,
) -> Result<Secret, ConfigError> {
    match (inline, file) {
        (Some(s), None) if !s.is_empty() => Ok(s.clone()),
        (None, Some(p)) => read_secret(p),
        (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
            "{what}: give the value or the _file, not both"
        ))),
        _ => Err(ConfigError::Invalid(format!(
            "{what} is required (or {what}_file)"
        ))),
    }
}

impl Config {
    /// Defaults, then the TOML file (if given), then `CMCC_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    f.display()
                )));
            }
            fig = fig.merge(Toml::file(f));
        }
        // Only variables that name a config field: `CMCC_DATA_DIR`, `CMCC_LOG_FORMAT`,
        // `CMCC_SANDBOX_*` … belong to the CLI and other parts and must not trip the
        // unknown-key check.
        fig = fig.merge(
            Env::prefixed("CMCC_")
                .filter(|k| is_config_key(k.as_str()))
                .split("__"),
        );
        let mut cfg: Config = fig.extract()?;
        if let Some(p) = cfg.api_keys_file.take() {
            let text = std::fs::read_to_string(&p).map_err(|err| ConfigError::File {
                path: p.display().to_string(),
                err,
            })?;
            cfg.api_keys.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(Secret::new),
            );
        }
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.push_path.starts_with('/') {
            return Err(ConfigError::Invalid(format!(
                "push_path must start with / (got {:?})",
                self.push_path
            )));
        }
        if self.limits.daily_cap_per_number == 0 || self.limits.per_ip_per_minute == 0 {
            return Err(ConfigError::Invalid("limits must be positive".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
#[expect(clippy::result_large_err, reason = "figment::Jail's closure signature")]
mod tests {
    use super::*;

    #[test]
    fn layers_defaults_file_env_and_secret_files() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gw.toml",
                r#"
                listen = "127.0.0.1:9100"
                cors_origins = ["https://shop.example"]
                [limits]
                daily_cap_per_number = 4
                [onelink]
                base_url = "production"
                appid = "100059999270000006"
                password_file = "pw.txt"
                "#,
            )?;
            jail.create_file("pw.txt", "s3cret\n")?;
            jail.create_file("keys.txt", "# comment\nkey-one\n\nkey-two\n")?;
            jail.set_env("CMCC_LIMITS__PER_IP_PER_MINUTE", "7");
            jail.set_env("CMCC_API_KEYS_FILE", "keys.txt");
            // The CLI's own variables are not config keys.
            jail.set_env("CMCC_DATA_DIR", ".cmcc");
            jail.set_env("CMCC_LOG_FORMAT", "json");
            jail.set_env("CMCC_GATEWAY_CONFIG", "gw.toml");
            let cfg = Config::load(Some(Path::new("gw.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(cfg.listen.port(), 9100);
            assert_eq!(cfg.limits.daily_cap_per_number, 4);
            assert_eq!(cfg.limits.per_ip_per_minute, 7);
            assert_eq!(cfg.limits.max_body_bytes, Limits::default().max_body_bytes);
            let keys: Vec<&str> = cfg.api_keys.iter().map(Secret::expose).collect();
            assert_eq!(keys, ["key-one", "key-two"]);
            let ol = cfg.onelink.as_ref().expect("onelink");
            let pw = secret_or_file(&ol.password, &ol.password_file, "onelink.password")
                .map_err(|e| e.to_string())?;
            assert_eq!(pw.expose(), "s3cret");
            Ok(())
        });
    }

    #[test]
    fn the_env_filter_knows_every_field() {
        let v = serde_json::to_value(Config::default()).expect("serialize");
        let mut fields: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        let mut known = FIELDS.to_vec();
        known.sort_unstable();
        assert_eq!(fields, known);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "listne = \"127.0.0.1:1\"\n")?;
            assert!(Config::load(Some(Path::new("a.toml"))).is_err());
            jail.create_file("b.toml", "push_path = \"no-slash\"\n")?;
            let e = Config::load(Some(Path::new("b.toml"))).expect_err("invalid");
            assert!(e.to_string().contains("push_path"));
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }
}
