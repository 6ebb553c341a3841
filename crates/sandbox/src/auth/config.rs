//! `[auth]` of the sandbox configuration, and the settings that can change at run time.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::network::DeviceProfile;
use super::tenant::AppConfig;

fn yes() -> bool {
    true
}
fn ten_minutes() -> u64 {
    600
}

/// `[auth]` of the sandbox configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Refusal bad signatures (103101, 130018). `false`: log-only — the journal records the
    /// failure and the request goes on.
    #[serde(default = "yes")]
    pub strict_signatures: bool,
    /// How far a request `timestamp` may be from platform time (105112).
    #[serde(default = "ten_minutes")]
    pub timestamp_tolerance_secs: u64,
    /// Create the demo app when no app is configured.
    #[serde(default = "yes")]
    pub demo_app: bool,
    /// Keep apps and devices in this file (written atomically after every change).
    pub state_file: Option<PathBuf>,
    pub apps: Vec<AppConfig>,
    /// Device profiles for the device page; the defaults when empty.
    pub devices: Vec<DeviceProfile>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            strict_signatures: true,
            timestamp_tolerance_secs: ten_minutes(),
            demo_app: true,
            state_file: None,
            apps: Vec::new(),
            devices: Vec::new(),
        }
    }
}

/// Settings that can change at run time (admin API).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Settings {
    pub strict_signatures: bool,
    pub timestamp_tolerance_secs: u64,
}
