//! State files of both platforms: read if present, written atomically (a temporary file in the
//! same folder, then a rename) so a crash never leaves half a file, readable by the owner only
//! (they hold keys and passwords).

use std::path::Path;

/// The file's text; `None` when it does not exist yet.
pub fn read(path: &Path) -> Option<anyhow::Result<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(Ok(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(anyhow::anyhow!("reading {}: {e}", path.display()))),
    }
}

/// Replace the file's content in one step.
///
/// # Errors
///
/// When the folder cannot be created, or the temporary file cannot be written, synced or
/// renamed over `path` (the I/O error).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
