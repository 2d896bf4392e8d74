//! `BITROUTER_HOME` (default `~/.bitrouter`): where the daemon keeps its pid file and log.

use std::path::PathBuf;

/// The home directory, created if missing.
pub fn dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("BITROUTER_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or("neither BITROUTER_HOME nor HOME is set; set BITROUTER_HOME to a writable directory")?;
            PathBuf::from(home).join(".bitrouter")
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// The daemon's state file.
pub fn state_file() -> Result<PathBuf, String> {
    Ok(dir()?.join("bitrouter.pid"))
}

/// The daemon's log.
pub fn log_file() -> Result<PathBuf, String> {
    Ok(dir()?.join("bitrouter.log"))
}
