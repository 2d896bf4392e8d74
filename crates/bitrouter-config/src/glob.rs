//! Model-name patterns for routing rules: `*` matches any run of characters, `?` one.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// A validated model-name pattern such as `claude-*` or `gpt-4o*`.
#[derive(Clone, PartialEq, Eq)]
pub struct ModelGlob(String);

impl ModelGlob {
    /// Checks a pattern: non-empty, only `*` and `?` as wildcards.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err(
                "empty model pattern: write a name or a pattern like `claude-*`".to_owned(),
            );
        }
        if let Some(c) = pattern.chars().find(|c| matches!(c, '[' | ']' | '{' | '}')) {
            return Err(format!(
                "model pattern `{pattern}` uses `{c}`: only `*` (any run) and `?` (one character) are supported"
            ));
        }
        Ok(ModelGlob(pattern.to_owned()))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let p: Vec<char> = self.0.chars().collect();
        let s: Vec<char> = name.chars().collect();
        // Iterative wildcard match with single-star backtracking: linear in practice.
        let (mut pi, mut si) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
                pi += 1;
                si += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, si));
                pi += 1;
            } else if let Some((sp, ss)) = star {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|c| *c == '*')
    }
}

impl fmt::Debug for ModelGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelGlob({:?})", self.0)
    }
}

impl<'de> Deserialize<'de> for ModelGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ModelGlob::new(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching() {
        let g = ModelGlob::new("claude-*").unwrap();
        assert!(g.matches("claude-sonnet-4-5"));
        assert!(!g.matches("gpt-4o"));
        let g = ModelGlob::new("gpt-4?-mini*").unwrap();
        assert!(g.matches("gpt-4o-mini"));
        assert!(g.matches("gpt-4o-mini-2024"));
        assert!(!g.matches("gpt-4-mini"));
        assert!(ModelGlob::new("*").unwrap().matches(""));
        assert!(ModelGlob::new("a*b*c").unwrap().matches("axxbyyc"));
        assert!(!ModelGlob::new("a*b*c").unwrap().matches("axxbyy"));
        assert!(ModelGlob::new("gpt-[45]").unwrap_err().contains("uses `[`"));
    }
}
