//! `ConfigError`: what went wrong, where (`path:line:column`), and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// The class of a configuration error, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read (or an explicit `-c` path does not exist).
    Read,
    /// A `${VAR}` without a default names an unset variable, or a placeholder is malformed.
    Variable,
    /// The text is not valid YAML.
    Syntax,
    /// A key that the section does not have.
    UnknownKey,
    /// A value outside a fixed set (a protocol, a strategy).
    UnknownValue,
    /// A value of the wrong type or form (a duration, an address, a number).
    Value,
    /// The file parses but says something impossible or unsafe (checked by validation).
    Invalid,
}

/// A configuration error. `Display` is `path:line:column: message`, then an indented
/// `hint:` line when there is a fix to suggest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The class of error.
    pub kind: ErrorKind,
    /// The file, when the text came from one.
    pub path: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl ConfigError {
    /// An error without a position yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConfigError {
            kind,
            path: None,
            line: None,
            column: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a fix hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the 1-based line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the file.
    pub fn in_file(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "<config>".to_owned());
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{path}:{l}:{c}: {}", self.message)?,
            (Some(l), None) => write!(f, "{path}:{l}: {}", self.message)?,
            _ => write!(f, "{path}: {}", self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Levenshtein distance between two short names.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestion() {
        assert_eq!(edit_distance("lisen", "listen"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("api_bse", &["api_key", "api_base"]),
            Some("api_base")
        );
        assert_eq!(did_you_mean("zzzzzz", &["api_key", "api_base"]), None);
    }

    #[test]
    fn display_has_position_and_hint() {
        let e = ConfigError::new(ErrorKind::Invalid, "bad")
            .in_file(Path::new("b.yaml"))
            .at(3, 5)
            .with_hint("do this");
        assert_eq!(e.to_string(), "b.yaml:3:5: bad\n  hint: do this");
    }
}
