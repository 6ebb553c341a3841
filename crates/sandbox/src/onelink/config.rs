//! The `[onelink]` section of the sandbox TOML. Every point the seed leaves open is a setting
//! here, with cmcc's default.

use serde::{Deserialize, Serialize};

/// Appid of the built-in demo enterprise (the appid of seed 000's transid example).
pub const DEMO_APPID: &str = "100059999270000006";
/// Its API password.
pub const DEMO_PASSWORD: &str = "onelink-sandbox-pass";
/// A second built-in enterprise; it owns the "not your card" magic card.
pub const OTHER_APPID: &str = "100059999270000007";
pub const OTHER_PASSWORD: &str = "onelink-other-pass";

/// `[onelink]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OneLinkConfig {
    /// Lifetime of a token in seconds (the platform answers `ttl` 3600).
    pub token_ttl_secs: u64,
    /// What issuing a new token does to the enterprise's previous ones.
    pub old_token_policy: OldTokenPolicy,
    /// `false` (default): any non-empty transid is accepted. `true`: only
    /// `appid + yyyyMMddHHmmss + 8 digits` (12003 otherwise).
    pub strict_transid: bool,
    /// 23A12 allows one call per card per urlType within this many seconds (seed: a minute).
    pub rate_limit_secs: u64,
    /// How long a registration link stays usable (not published; cmcc's choice).
    pub link_ttl_secs: u64,
    /// Seconds between a successful registration and its archive time: 23A23 reports the card
    /// as registered only from then on (the seed says the two may differ).
    pub archive_delay_secs: u64,
    /// Fleet APIs: a card's status (23S03/23S06) or data (23M07) may not change again within
    /// this many seconds (12015). Public integrations say 3 minutes (one older copy 30).
    pub change_window_secs: u64,
    /// Fleet APIs: a 23S06 batch job finishes this many seconds after it was asked for
    /// (23M10 says "running" until then). cmcc's choice.
    pub batch_job_delay_secs: u64,
    /// At most this many token-authenticated calls per second per enterprise (12030 beyond);
    /// 0: no limit (no public integration mentions one). cmcc's choice.
    pub calls_per_sec: u32,
    /// Include the demo enterprises and the magic cards (see MAGIC-ONELINK.md).
    pub demo: bool,
    /// Extra generated cards for the demo enterprise (load tests).
    pub demo_generate_cards: u32,
    /// Push callback of the demo enterprise.
    pub demo_callback_url: Option<String>,
    pub push: PushConfig,
    /// More enterprises. An entry with a demo appid replaces the demo settings.
    pub enterprises: Vec<EnterpriseConfig>,
    /// Cards with fixed numbers.
    pub cards: Vec<CardConfig>,
    /// Keep the OneLink state (inventory, registrations, tokens, pushes) in this file, read on
    /// start and written shortly after every change and on stop. Default: in memory only.
    pub state_file: Option<std::path::PathBuf>,
}

impl Default for OneLinkConfig {
    fn default() -> Self {
        Self {
            token_ttl_secs: 3600,
            old_token_policy: OldTokenPolicy::Keep,
            strict_transid: false,
            rate_limit_secs: 60,
            link_ttl_secs: 1800,
            archive_delay_secs: 0,
            change_window_secs: 180,
            batch_job_delay_secs: 2,
            calls_per_sec: 0,
            demo: true,
            demo_generate_cards: 0,
            demo_callback_url: None,
            push: PushConfig::default(),
            enterprises: Vec::new(),
            cards: Vec::new(),
            state_file: None,
        }
    }
}

impl OneLinkConfig {
    /// `change_window_secs` in milliseconds.
    pub fn change_window_ms(&self) -> i64 {
        secs_to_ms(self.change_window_secs)
    }

    /// `batch_job_delay_secs` in milliseconds.
    pub fn batch_job_delay_ms(&self) -> i64 {
        secs_to_ms(self.batch_job_delay_secs)
    }
}

/// Seconds as milliseconds, saturating (a configured window can be any `u64`).
fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs)
        .unwrap_or(i64::MAX / 4)
        .saturating_mul(1000)
}

/// Whether a new token revokes the old one: not published (our choice, docs/PROTOCOL-NOTES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OldTokenPolicy {
    /// Old tokens stay valid until their own expiry.
    Keep,
    /// A newly issued token revokes every earlier token of the enterprise (`refresh=0` still
    /// returns the current token without issuing one).
    Revoke,
}

/// Result push delivery (seed 000 §2.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// An answer slower than this is no answer (seed: 5 s).
    pub timeout_ms: u64,
    /// Resends after the first attempt (seed: 3).
    pub max_resends: u32,
    /// Wait between attempts (not published; cmcc's choice).
    pub resend_interval_ms: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 5000,
            max_resends: 3,
            resend_interval_ms: 10_000,
            concurrency: 256,
        }
    }
}

/// `[[onelink.enterprises]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseConfig {
    pub appid: String,
    pub password: String,
    #[serde(default)]
    pub callback_url: Option<String>,
    /// Cards to generate for it (consistent msisdn/iccid/imsi).
    #[serde(default)]
    pub generate_cards: u32,
}

/// `[[onelink.cards]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardConfig {
    pub appid: String,
    pub msisdn: String,
    pub iccid: String,
    pub imsi: String,
    /// Already registered (type `01`, archive time = sandbox start) unless set below.
    #[serde(default)]
    pub registered: bool,
    #[serde(default)]
    pub registration_type: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`, China time.
    #[serde(default)]
    pub archive_time: Option<String>,
    /// The card's state forbids registration (12014).
    #[serde(default)]
    pub blocked: bool,
    /// Every registration on this card fails (push regStatus "0").
    #[serde(default)]
    pub fail_registration: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_section_with_defaults_and_unknown_keys_refused() {
        let cfg: crate::SandboxConfig = toml::from_str(
            r#"
[onelink]
old_token_policy = "revoke"
strict_transid = true
[onelink.push]
timeout_ms = 200
[[onelink.enterprises]]
appid = "200000000000000001"
password = "p"
callback_url = "http://127.0.0.1:9/push"
generate_cards = 10
[[onelink.cards]]
appid = "200000000000000001"
msisdn = "1441234567890"
iccid = "898604D0000000000009"
imsi = "460041234567899"
registered = true
archive_time = "2024-10-21 10:00:00"
"#,
        )
        .expect("valid config");
        let o = &cfg.onelink;
        assert_eq!(o.old_token_policy, OldTokenPolicy::Revoke);
        assert_eq!(
            (o.push.timeout_ms, o.push.max_resends, o.token_ttl_secs),
            (200, 3, 3600)
        );
        let inv = super::super::inventory::Inventory::from_config(o, chrono::Utc::now())
            .expect("inventory");
        assert_eq!(
            inv.cards.len(),
            super::super::inventory::MAGIC.len() + 10 + 1
        );
        assert!(toml::from_str::<crate::SandboxConfig>("[onelink]\nttl = 1").is_err());
        let dup = OneLinkConfig {
            cards: vec![CardConfig {
                appid: DEMO_APPID.into(),
                msisdn: "1440000000001".into(),
                iccid: "898604D0000000000009".into(),
                imsi: "460041234567899".into(),
                registered: false,
                registration_type: None,
                archive_time: None,
                blocked: false,
                fail_registration: false,
            }],
            ..Default::default()
        };
        assert!(super::super::inventory::Inventory::from_config(&dup, chrono::Utc::now()).is_err());
    }
}
