//! Tenants: the apps registered on the emulated open platform (seed 002 appendix A), from the
//! TOML configuration, the admin API or the state file.

use chrono::{DateTime, Utc};
use cmcc_proto::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

use super::Refusal;

/// A capability an app can be entitled to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Product {
    /// H5 本机号码校验 (seed 004): JSSDK getToken + verifyVmMobileApi.
    H5,
    /// 本机号码校验 in a WeChat mini-program (seed 001): getTokenInfo (businessType 5) + verify.
    Mini,
    /// UAID (seed 002): getMobile (businessType 3) + imeiTokenValidate.
    Uaid,
}

impl Product {
    pub fn as_u8(self) -> u8 {
        match self {
            Self::H5 => 0,
            Self::Mini => 1,
            Self::Uaid => 2,
        }
    }
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::H5,
            1 => Self::Mini,
            _ => Self::Uaid,
        }
    }
}

fn all_products() -> Vec<Product> {
    vec![Product::H5, Product::Mini, Product::Uaid]
}
fn ten() -> u32 {
    10
}
fn sixty() -> u64 {
    60
}
fn three_hundred() -> u64 {
    300
}
fn per_minute() -> u32 {
    10_000
}
fn yes() -> bool {
    true
}

/// One app as configured (`[[auth.apps]]`). Every point docs/PROTOCOL-NOTES.md marks "our choice" is a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub app_id: String,
    /// The appKey of the MD5 getToken sign and of the `phoneNum` plaintext.
    pub app_key: String,
    #[serde(default)]
    pub name: String,
    /// The customer's registered public key (base64 X.509 DER or PEM). Without one, server
    /// APIs answer 103605 (加密方式或密钥值为空).
    #[serde(default)]
    pub customer_public_key: String,
    /// Only for the demo app: the customer's private key, printed so an integrator can start at
    /// once. A real platform never knows it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_private_key: String,
    /// The platform key pair's private half (base64 PKCS#8). Generated when empty.
    #[serde(default)]
    pub platform_private_key: String,
    /// Capabilities this app may use (`h5`, `mini`, `uaid`); others answer 110023.
    #[serde(default = "all_products")]
    pub entitlements: Vec<Product>,
    /// Server IPs allowed to call verifyVmMobileApi / imeiTokenValidate (110004). Empty: any.
    #[serde(default)]
    pub server_ips: Vec<String>,
    /// Registered 集成页面地址 (referer): full page URLs ending in `/` (seed 004 §2.3.1).
    #[serde(default)]
    pub referers: Vec<String>,
    /// Registered 请求来源 (origin): `scheme://host[:port]`, no trailing `/` (seed 004 §2.3.2).
    #[serde(default)]
    pub origins: Vec<String>,
    /// WeChat mini-program appids reported for this app. Empty: any.
    #[serde(default)]
    pub wxappids: Vec<String>,
    /// Start of the validity window (上线时间); before it the capability is not effective yet.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// End of the validity window (下线时间); after it: 110025 权益已失效.
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// Billable verifications left (000/001 count); `None`: unlimited. 0 answers 111075.
    #[serde(default)]
    pub usage_limit: Option<u64>,
    /// Verifications per number per China-time day (121011).
    #[serde(default = "ten")]
    pub daily_cap: u32,
    /// getToken calls per appId per minute (140005).
    #[serde(default = "per_minute")]
    pub rate_limit_per_minute: u32,
    /// Lifetime of H5 / mini-program tokens (seed 004 appendix: one minute).
    #[serde(default = "sixty")]
    pub verify_token_ttl_secs: u64,
    /// Lifetime of UAID tokens (seed 002: five minutes).
    #[serde(default = "three_hundred")]
    pub uaid_token_ttl_secs: u64,
    /// Test-environment app: tokens are simulated from `expandParams` `phoneNum=` (seed 004
    /// appendix).
    #[serde(default = "yes")]
    pub test_mode: bool,
    /// Whether the capability is usable at all (contract bound, balance left); false: 110027.
    #[serde(default = "yes")]
    pub available: bool,
    /// Legacy keyType 0: `phoneNum` is the uppercase hex SHA-256 of phone + appKey + timestamp
    /// instead of RSA ciphertext (the scheme of seed 004's example value).
    #[serde(default)]
    pub legacy_phone_num: bool,
}

impl AppConfig {
    /// A minimal app with the documented defaults.
    pub fn new(app_id: &str, app_key: &str) -> Self {
        Self {
            app_id: app_id.into(),
            app_key: app_key.into(),
            name: String::new(),
            customer_public_key: String::new(),
            customer_private_key: String::new(),
            platform_private_key: String::new(),
            entitlements: all_products(),
            server_ips: Vec::new(),
            referers: Vec::new(),
            origins: Vec::new(),
            wxappids: Vec::new(),
            valid_from: None,
            valid_until: None,
            usage_limit: None,
            daily_cap: ten(),
            rate_limit_per_minute: per_minute(),
            verify_token_ttl_secs: sixty(),
            uaid_token_ttl_secs: three_hundred(),
            test_mode: true,
            available: true,
            legacy_phone_num: false,
        }
    }
}

/// An app ready to serve: keys parsed once.
#[derive(Debug)]
pub struct App {
    /// Index used by compact token records.
    pub idx: u32,
    pub cfg: AppConfig,
    pub customer_key: Option<PublicKey>,
    pub platform_key: PrivateKey,
    /// Base64 X.509 DER of the platform public key, what the open platform shows.
    pub platform_public_b64: String,
}

impl App {
    /// Parse keys; generate the platform key pair when the config has none (and store it back
    /// into the config so the state file keeps it).
    ///
    /// # Errors
    ///
    /// When `app_id` or `app_key` is empty, a configured key does not parse, or generating or
    /// encoding the platform key fails.
    pub fn build(idx: u32, mut cfg: AppConfig) -> anyhow::Result<Self> {
        if cfg.app_id.trim().is_empty() || cfg.app_key.is_empty() {
            anyhow::bail!("an app needs app_id and app_key");
        }
        let customer_key = if cfg.customer_public_key.trim().is_empty() {
            None
        } else {
            Some(
                PublicKey::parse(&cfg.customer_public_key)
                    .map_err(|e| anyhow::anyhow!("app {}: customer_public_key: {e}", cfg.app_id))?,
            )
        };
        let platform_key = if cfg.platform_private_key.trim().is_empty() {
            let k = PrivateKey::generate(1024)?;
            cfg.platform_private_key = k.to_base64()?;
            k
        } else {
            PrivateKey::parse(&cfg.platform_private_key)
                .map_err(|e| anyhow::anyhow!("app {}: platform_private_key: {e}", cfg.app_id))?
        };
        let platform_public_b64 = platform_key.public_key()?.to_base64()?;
        Ok(Self {
            idx,
            cfg,
            customer_key,
            platform_key,
            platform_public_b64,
        })
    }

    pub fn entitled(&self, p: Product) -> bool {
        self.cfg.entitlements.contains(&p)
    }

    pub fn token_ttl_ms(&self, p: Product) -> i64 {
        let secs = match p {
            Product::Uaid => self.cfg.uaid_token_ttl_secs,
            Product::H5 | Product::Mini => self.cfg.verify_token_ttl_secs,
        };
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Where `now` is in the validity window.
    pub fn validity(&self, now: DateTime<Utc>) -> Validity {
        if self.cfg.valid_until.is_some_and(|u| now > u) {
            Validity::Expired
        } else if self.cfg.valid_from.is_some_and(|f| now < f) {
            Validity::NotYet
        } else {
            Validity::Valid
        }
    }

    /// JSON view for the admin API and console (the platform private key is left out).
    pub fn view(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.cfg).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("platform_private_key");
            o.insert(
                "platform_public_key".into(),
                self.platform_public_b64.clone().into(),
            );
        }
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Valid,
    NotYet,
    Expired,
}

/// Which document's code table an endpoint answers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeTable {
    /// H5 getToken, mini-program getTokenInfo, UAID getMobile (seeds 001, 002 §3.1.3).
    GetToken,
    /// verifyVmMobileApi (seed 004 appendix).
    Verify,
    /// imeiTokenValidate (seed 002 §3.2.3).
    ImeiValidate,
}

impl App {
    /// The app's validity window, the one check for every endpoint, answered with the code of
    /// the endpoint's own document: ended → 110025 (权益已失效) except imeiTokenValidate, whose
    /// table has only 110022; not yet effective → 110027 for verification (seed 004: 能力不可用,
    /// "新申请的配置未生效"), 110022 权益已失效 for the getToken family and imeiTokenValidate
    /// (seed 002: "在能力平台配置的生效时间").
    ///
    /// # Errors
    ///
    /// The [`Refusal`] with that code when `now` is outside the app's validity window.
    pub fn check_validity(&self, now: DateTime<Utc>, table: CodeTable) -> Result<(), Refusal> {
        let state = self.validity(now);
        let (code, desc, reason) = match (state, table) {
            (Validity::Valid, _) => return Ok(()),
            (Validity::Expired, CodeTable::ImeiValidate)
            | (Validity::NotYet, CodeTable::ImeiValidate) => (
                "110022",
                Some("权益已失效"),
                "outside the app's validity window",
            ),
            (Validity::Expired, CodeTable::GetToken) => (
                "110025",
                Some("权益已失效"),
                "the validity window has ended (valid_until)",
            ),
            (Validity::Expired, CodeTable::Verify) => (
                "110025",
                None,
                "the validity window has ended (valid_until)",
            ),
            (Validity::NotYet, CodeTable::GetToken) => (
                "110022",
                Some("权益已失效"),
                "the capability is not effective yet (valid_from)",
            ),
            (Validity::NotYet, CodeTable::Verify) => (
                "110027",
                None,
                "the configuration is not effective yet (valid_from)",
            ),
        };
        let r = Refusal::new(code, reason);
        Err(match desc {
            Some(d) => r.desc(d),
            None => r,
        })
    }
}

#[derive(Deserialize)]
struct DemoKeys {
    customer_private_key: String,
    customer_public_key: String,
    platform_private_key: String,
}

/// appId of the demo app created on a first start without configuration.
pub const DEMO_APP_ID: &str = "300011800001";
/// Its appKey (demo only).
pub const DEMO_APP_KEY: &str = "5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D";

/// The demo app: fixed ids and fixed, published key pairs, so every fresh start prints the same
/// credentials and a configured gateway keeps working across restarts.
pub fn demo_app(base_url: &str) -> AppConfig {
    let keys: Option<DemoKeys> =
        toml::from_str(include_str!("../../assets/auth/demo_keys.toml")).ok();
    let mut app = AppConfig::new(DEMO_APP_ID, DEMO_APP_KEY);
    app.name = "cmcc sandbox demo".into();
    if let Some(k) = keys {
        app.customer_public_key = k.customer_public_key;
        app.customer_private_key = k.customer_private_key;
        app.platform_private_key = k.platform_private_key;
    }
    let base = base_url.trim_end_matches('/');
    app.referers = vec![format!("{base}/"), "http://localhost/".into()];
    app.origins = vec![base.to_owned()];
    if let Some(rest) = base.strip_prefix("http://127.0.0.1") {
        app.origins.push(format!("http://localhost{rest}"));
    }
    app
}
