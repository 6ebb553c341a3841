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
    /// The business's own webhook for registration results (Standard Webhooks, at-least-once,
    /// from an outbox).
    pub forward_url: Option<String>,
    /// The `whsec_…` secret webhooks are signed with (or `webhook_secret_file`); required with
    /// `forward_url`.
    pub webhook_secret: Option<Secret>,
    pub webhook_secret_file: Option<PathBuf>,
    /// Seconds to wait after each failed delivery; after the last, the event is given up (it can
    /// still be redelivered by hand).
    pub webhook_retry_secs: Vec<u64>,
    /// Confirm a push that claims success with 23A23 before the card counts as registered.
    pub confirm_pushes: bool,
    /// How long one instance holds a queued confirmation or webhook before another may take it.
    pub lease_secs: u64,
    /// Adopt pushes for registrations this gateway did not issue (links issued elsewhere);
    /// adopted results start unconfirmed. Off: such pushes are quarantined.
    pub adopt_unknown_pushes: bool,
    /// At most this many quarantined pushes are kept; the oldest are dropped past it, so a
    /// flood of forged pushes cannot fill the disk.
    pub quarantine_max_rows: u64,
    /// If not empty, only these networks (CIDRs) may post to `push_path`; others get 403.
    pub push_allowed_cidrs: Vec<String>,
    /// Proxies (CIDRs) whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<String>,
    /// preSign versions accepted for signing, exactly as the JSSDK writes them.
    pub presign_versions: Vec<String>,
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
    /// Other parts of the system the index page at `/` links to (set by an embedding process
    /// such as `cmcc up`: its demo site and sandbox console); not read from files.
    #[serde(skip)]
    pub related_links: Vec<RelatedLink>,
}

/// A link on the index page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedLink {
    pub label: String,
    pub url: String,
    pub note: String,
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
            webhook_secret: None,
            webhook_secret_file: None,
            webhook_retry_secs: vec![5, 300, 1_800, 7_200, 18_000, 36_000, 36_000],
            confirm_pushes: true,
            lease_secs: 30,
            adopt_unknown_pushes: false,
            quarantine_max_rows: 100_000,
            push_allowed_cidrs: Vec::new(),
            trusted_proxies: Vec::new(),
            presign_versions: vec!["1.0".into()],
            reconcile_after_secs: 900,
            cors_origins: Vec::new(),
            api_keys: Vec::new(),
            api_keys_file: None,
            limits: Limits::default(),
            passport: None,
            onelink: None,
            related_links: Vec::new(),
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
    "webhook_secret",
    "webhook_secret_file",
    "webhook_retry_secs",
    "confirm_pushes",
    "lease_secs",
    "adopt_unknown_pushes",
    "quarantine_max_rows",
    "push_allowed_cidrs",
    "trusted_proxies",
    "presign_versions",
    "reconcile_after_secs",
    "cors_origins",
    "api_keys",
    "api_keys_file",
    "limits",
    "passport",
    "onelink",
];

/// Keys whose values are not strings: figment parses these from the environment. Every other
/// key takes the variable's text verbatim (an appId `0008` stays `0008`, an all-digit password
/// stays a string).
const TYPED_KEYS: &[&str] = &[
    "listen",
    "reconcile_after_secs",
    "cors_origins",
    "api_keys",
    "webhook_retry_secs",
    "confirm_pushes",
    "lease_secs",
    "adopt_unknown_pushes",
    "quarantine_max_rows",
    "push_allowed_cidrs",
    "trusted_proxies",
    "presign_versions",
    "limits",
];

fn is_typed_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let top = key.split("__").next().unwrap_or_default();
    TYPED_KEYS.contains(&top)
}

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
                .filter(|k| is_config_key(k.as_str()) && is_typed_key(k.as_str()))
                .split("__"),
        );
        for (key, value) in std::env::vars() {
            let Some(name) = key.strip_prefix("CMCC_") else {
                continue;
            };
            if is_config_key(name) && !is_typed_key(name) {
                let path = name.to_ascii_lowercase().replace("__", ".");
                fig = fig.merge(Serialized::default(&path, value));
            }
        }
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
        if let Some(p) = cfg.webhook_secret_file.take() {
            cfg.webhook_secret = Some(read_secret(&p)?);
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The webhook signing key: the bytes of a `whsec_<base64>` secret.
    pub fn webhook_key(&self) -> Result<Option<Vec<u8>>, ConfigError> {
        use base64::Engine as _;
        let Some(s) = &self.webhook_secret else {
            return Ok(None);
        };
        let b64 = s
            .expose()
            .strip_prefix("whsec_")
            .ok_or_else(|| ConfigError::Invalid("webhook_secret must start with whsec_".into()))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| ConfigError::Invalid("webhook_secret: not base64 after whsec_".into()))?;
        if key.len() < 24 {
            return Err(ConfigError::Invalid(
                "webhook_secret: at least 24 bytes of key after whsec_".into(),
            ));
        }
        Ok(Some(key))
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
        if self.forward_url.is_some() && self.webhook_secret.is_none() {
            return Err(ConfigError::Invalid(
                "forward_url needs webhook_secret (or webhook_secret_file): webhooks are signed"
                    .into(),
            ));
        }
        self.webhook_key()?;
        for (what, list) in [
            ("push_allowed_cidrs", &self.push_allowed_cidrs),
            ("trusted_proxies", &self.trusted_proxies),
        ] {
            crate::net::parse_cidrs(list)
                .map_err(|e| ConfigError::Invalid(format!("{what}: {e}")))?;
        }
        if self.presign_versions.is_empty() {
            return Err(ConfigError::Invalid(
                "presign_versions must name at least one version".into(),
            ));
        }
        if self.lease_secs == 0 {
            return Err(ConfigError::Invalid("lease_secs must be positive".into()));
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
    fn string_fields_take_environment_values_verbatim() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CMCC_PASSPORT__BASE_URL", "test");
            jail.set_env("CMCC_PASSPORT__APP_ID", "0008");
            jail.set_env("CMCC_PASSPORT__APP_KEY", "000123456789");
            jail.set_env("CMCC_ONELINK__BASE_URL", "production");
            jail.set_env("CMCC_ONELINK__APPID", "100059999270000006");
            jail.set_env("CMCC_ONELINK__PASSWORD", "00112233");
            jail.set_env("CMCC_REDIS_PREFIX", "007");
            jail.set_env("CMCC_LIMITS__DAILY_CAP_PER_NUMBER", "4");
            jail.set_env("CMCC_CONFIRM_PUSHES", "false");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            let p = cfg.passport.as_ref().expect("passport");
            assert_eq!(p.app_id, "0008");
            assert_eq!(p.app_key.as_ref().map(Secret::expose), Some("000123456789"));
            let o = cfg.onelink.as_ref().expect("onelink");
            assert_eq!(o.appid, "100059999270000006");
            assert_eq!(o.password.as_ref().map(Secret::expose), Some("00112233"));
            assert_eq!(cfg.redis_prefix, "007");
            assert_eq!(cfg.limits.daily_cap_per_number, 4);
            assert!(!cfg.confirm_pushes);
            Ok(())
        });
    }

    #[test]
    fn webhook_secrets_are_whsec_and_required_with_a_webhook() {
        let mut cfg = Config {
            forward_url: Some("http://127.0.0.1:1/hook".into()),
            ..Config::default()
        };
        assert!(cfg.validate().is_err(), "a webhook without a secret");
        cfg.webhook_secret = Some(Secret::new("not-whsec"));
        assert!(cfg.validate().is_err());
        cfg.webhook_secret = Some(Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        cfg.validate().expect("valid");
        assert_eq!(cfg.webhook_key().expect("key").expect("some").len(), 24);
        cfg.trusted_proxies = vec!["10.0.0.0/33".into()];
        assert!(cfg.validate().is_err());
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
