//! Shared by the examples (not an example itself): where the sandbox is and its published demo
//! credentials (crates/sandbox/MAGIC.md, MAGIC-ONELINK.md). Demo only: never use these keys
//! anywhere but `cmcc sandbox`.

#![allow(dead_code, reason = "each example uses a part")]

/// The sandbox's base URL: first argument, else `CMCC_SANDBOX_URL`, else `cmcc sandbox`'s default.
pub(crate) fn sandbox_url() -> String {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("CMCC_SANDBOX_URL").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8700".into())
}

/// The demo auth app.
pub(crate) const APP_ID: &str = "300011800001";
pub(crate) const APP_KEY: &str = "5A3D7C1E9B2F4A6C8E0D1F3B5A7C9E1D";
/// The demo OneLink enterprise.
pub(crate) const ONELINK_APPID: &str = "100059999270000006";
pub(crate) const ONELINK_PASSWORD: &str = "onelink-sandbox-pass";

const KEYS: &str = include_str!("../../../sandbox/assets/auth/demo_keys.toml");

/// A base64 key of the demo app's key file (`customer_private_key`, `platform_public_key`).
pub(crate) fn demo_key(name: &str) -> String {
    KEYS.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

/// The header the sandbox reads the calling device from (a real page gets its number from the
/// cellular gateway instead).
pub(crate) const DEVICE_HEADER: &str = "X-Cmcc-Sandbox-Device";
