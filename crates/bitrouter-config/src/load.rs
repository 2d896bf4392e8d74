//! Finding, reading and parsing `bitrouter.yaml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{ConfigError, ErrorKind, did_you_mean};
use crate::locate::{Seg, locate};
use crate::substitute::substitute;

/// The file name looked for in the working directory and in `BITROUTER_HOME`.
pub const FILE_NAME: &str = "bitrouter.yaml";

/// A parsed configuration and where it came from.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The file it was read from.
    pub path: PathBuf,
    /// The parsed configuration.
    pub config: Config,
    /// The text after `${VAR}` substitution, kept to point validation errors at lines.
    text: String,
}

impl ConfigFile {
    /// Checks everything parsing cannot, with each error pointing at the offending key.
    /// `listen` is the address BitRouter will listen on (the file's, or a `--listen` flag's).
    pub fn validate(&self, listen: SocketAddr) -> Result<(), Vec<ConfigError>> {
        let problems = self.config.problems(listen);
        if problems.is_empty() {
            return Ok(());
        }
        Err(problems
            .into_iter()
            .map(|p| {
                let mut e = p.error.in_file(&self.path);
                if let Some((line, column)) = locate(&self.text, &p.path) {
                    e = e.at(line, column);
                }
                e
            })
            .collect())
    }

    /// The 1-based line and column of a key path in the file, for callers reporting their own
    /// errors about the configuration.
    pub fn position_of(&self, path: &[Seg]) -> Option<(usize, usize)> {
        locate(&self.text, path)
    }
}

/// Parses configuration text. `path` is only used in error messages and kept in the result.
pub fn parse(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ConfigFile, ConfigError> {
    let text = substitute(text, env).map_err(|e| e.in_file(path))?;
    let blank = text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    });
    let config = if blank {
        Config::default()
    } else {
        yaml_serde::from_str::<Config>(&text).map_err(|e| from_yaml(&e).in_file(path))?
    };
    Ok(ConfigFile {
        path: path.to_path_buf(),
        config,
        text,
    })
}

/// Reads and parses a file, substituting from the process environment.
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    load_with(path, &|name| std::env::var(name).ok())
}

/// Reads and parses a file, substituting through `env`.
pub fn load_with(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(ErrorKind::Read, format!("cannot read the file: {e}"))
            .in_file(path)
            .with_hint("check the path and its permissions")
    })?;
    parse(path, &text, env)
}

/// Which file applies: `explicit` (`-c <path>`, which must exist), else `./bitrouter.yaml`
/// in `cwd`, else `bitrouter.yaml` in `bitrouter_home`; `None` means zero-config.
pub fn find_config_path(
    explicit: Option<&Path>,
    cwd: &Path,
    bitrouter_home: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = explicit {
        if !path.is_file() {
            return Err(ConfigError::new(ErrorKind::Read, "no such config file")
                .in_file(path)
                .with_hint("check the -c path, or run `bitrouter init` to write one"));
        }
        return Ok(Some(path.to_path_buf()));
    }
    let candidates = [
        Some(cwd.join(FILE_NAME)),
        bitrouter_home.map(|h| h.join(FILE_NAME)),
    ];
    Ok(candidates.into_iter().flatten().find(|p| p.is_file()))
}

/// Finds ([`find_config_path`]) and loads the configuration from the process environment.
pub fn discover(
    explicit: Option<&Path>,
    cwd: &Path,
    bitrouter_home: Option<&Path>,
) -> Result<Option<ConfigFile>, ConfigError> {
    discover_with(explicit, cwd, bitrouter_home, &|name| {
        std::env::var(name).ok()
    })
}

/// [`discover`] with variables read through `env`.
pub fn discover_with(
    explicit: Option<&Path>,
    cwd: &Path,
    bitrouter_home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ConfigFile>, ConfigError> {
    match find_config_path(explicit, cwd, bitrouter_home)? {
        Some(path) => load_with(&path, env).map(Some),
        None => Ok(None),
    }
}

/// Turns a YAML/serde error into a `ConfigError` with a position, a plain message and a hint.
fn from_yaml(err: &yaml_serde::Error) -> ConfigError {
    let full = err.to_string();
    let body = match full.rfind(" at line ") {
        Some(i) if err.location().is_some() => &full[..i],
        _ => full.as_str(),
    };
    // Deserialization errors are prefixed with the key path (`providers.local: ...`).
    let (path, msg) = match body.split_once(": ") {
        Some((p, m)) if !p.contains(char::is_whitespace) => (Some(p), m),
        _ => (None, body),
    };
    let place = match path {
        Some(p) => format!(" in `{p}`"),
        None => " at the top level".to_owned(),
    };
    let mut e = if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (key, expected) = split_expected(rest);
        let mut message = format!("unknown key `{key}`{place}");
        if let Some(s) = did_you_mean(key, &expected) {
            message.push_str(&format!(": did you mean `{s}`?"));
        }
        ConfigError::new(ErrorKind::UnknownKey, message)
            .with_hint(format!("valid keys here: {}", expected.join(", ")))
    } else if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let (value, expected) = split_expected(rest);
        let mut message = format!("unknown value `{value}`{place}");
        if let Some(s) = did_you_mean(value, &expected) {
            message.push_str(&format!(": did you mean `{s}`?"));
        }
        ConfigError::new(ErrorKind::UnknownValue, message)
            .with_hint(format!("expected one of: {}", expected.join(", ")))
    } else if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        ConfigError::new(ErrorKind::Value, format!("missing key `{key}`{place}"))
            .with_hint(format!("add `{key}:`; see docs/config.md"))
    } else if path.is_some() || msg.starts_with("invalid ") {
        ConfigError::new(ErrorKind::Value, format!("{msg}{place}"))
            .with_hint("see docs/config.md for the accepted forms")
    } else {
        ConfigError::new(ErrorKind::Syntax, format!("invalid YAML: {msg}"))
            .with_hint("check indentation (spaces, not tabs) and quoting around `:` and `#`")
    };
    if let Some(loc) = err.location() {
        e = e.at(loc.line(), loc.column());
    }
    e
}

/// Splits "`name`, expected one of `a`, `b`" into the name and the candidates.
fn split_expected(rest: &str) -> (&str, Vec<&str>) {
    let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    (name, expected)
}
