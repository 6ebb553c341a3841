//! The sandbox's configuration: one TOML file with a section per platform.

use serde::{Deserialize, Serialize};

/// `cmcc sandbox --config sandbox.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// The auth platform (seeds 001, 002, 004).
    pub auth: crate::auth::AuthConfig,
    /// OneLink (seed 000).
    pub onelink: crate::onelink::OneLinkConfig,
}

impl SandboxConfig {
    /// Parse a TOML document.
    ///
    /// # Errors
    ///
    /// When the text is not TOML of this configuration (unknown keys included).
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }
}
