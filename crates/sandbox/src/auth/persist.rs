//! The optional state file: apps and devices as JSON, written atomically (a temporary file in
//! the same folder, then a rename) so a crash never leaves half a file.

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
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(anyhow::anyhow!("reading {}: {e}", path.display()))),
    };
    Some(
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("parsing state file {}: {e}", path.display())),
    )
}

/// Write the snapshot atomically; the file holds keys, so only its owner may read it.
pub fn save(path: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(serde_json::to_string_pretty(snapshot)?.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
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
