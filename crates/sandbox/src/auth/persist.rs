//! The optional state file: apps and devices as JSON (written with [`crate::state_file`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::network::DeviceProfile;
use super::tenant::AppConfig;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub apps: Vec<AppConfig>,
    pub devices: Vec<DeviceProfile>,
}

/// Read the state file; `None` when it does not exist yet.
pub fn load(path: &Path) -> Option<anyhow::Result<Snapshot>> {
    let text = crate::state_file::read(path)?;
    Some(text.and_then(|t| {
        serde_json::from_str(&t)
            .map_err(|e| anyhow::anyhow!("parsing state file {}: {e}", path.display()))
    }))
}

/// Write the snapshot atomically; the file holds keys, so only its owner may read it.
///
/// # Errors
///
/// When serialising fails or the file cannot be written (see
/// [`write_atomic`](crate::state_file::write_atomic)).
pub fn save(path: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    crate::state_file::write_atomic(path, serde_json::to_string_pretty(snapshot)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing() {
        let dir = tempfile::tempdir().unwrap_or_else(|_| unreachable!());
        let p = dir.path().join("sub/state.json");
        assert!(load(&p).is_none());
        let s = Snapshot {
            apps: vec![AppConfig::new("1", "k")],
            devices: super::super::network::default_devices(),
        };
        save(&p, &s).unwrap_or_else(|_| unreachable!());
        let back = load(&p).and_then(Result::ok).unwrap_or_default();
        assert_eq!(back.apps, s.apps);
        assert_eq!(back.devices, s.devices);
    }
}
