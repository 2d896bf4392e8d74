//! Reading the configuration the way every command does: the file (if any) found by the
//! search order, checked, and merged with the command line and the environment.

use std::net::SocketAddr;
use std::path::Path;

use bitrouter_config::ConfigFile;
use bitrouter_server::{Gateway, ServerConfig};

use crate::home;

/// The configuration file in force, checked; `None` means zero-config.
pub fn load(explicit: Option<&Path>, listen: SocketAddr) -> Result<Option<ConfigFile>, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let home = home::dir()?;
    let file =
        bitrouter_config::discover(explicit, &cwd, Some(&home)).map_err(|e| e.to_string())?;
    if let Some(file) = &file {
        if let Err(errors) = file.validate(listen) {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(format!(
                "{} problem(s) in the configuration:\n{}",
                text.len(),
                text.join("\n")
            ));
        }
    }
    Ok(file)
}

/// The listen address: the flag, else the file's `server.listen`, else the default.
pub fn listen(flag: Option<SocketAddr>, explicit: Option<&Path>) -> Result<SocketAddr, String> {
    if let Some(addr) = flag {
        return Ok(addr);
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = home::dir()?;
    let file =
        bitrouter_config::discover(explicit, &cwd, Some(&home)).map_err(|e| e.to_string())?;
    Ok(file.map_or_else(
        || {
            bitrouter_config::DEFAULT_LISTEN
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 4356)))
        },
        |f| f.config.server.listen_or_default(),
    ))
}

/// The gateway the configuration describes, not yet bound.
pub fn gateway(file: Option<&ConfigFile>, listen: SocketAddr) -> Result<Gateway, String> {
    let mut server = ServerConfig {
        listen,
        ..ServerConfig::default()
    };
    if let Some(f) = file {
        let s = &f.config.server;
        server.body_limit = usize::try_from(s.body_limit_or_default()).unwrap_or(usize::MAX);
        server.drain_timeout = s.drain_timeout_or_default();
    }
    Gateway::from_config(server, file, &|k| std::env::var(k).ok()).map_err(|e| e.to_string())
}
