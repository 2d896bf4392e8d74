//! The model allow-list of a key: glob patterns where `*` matches any run of characters and `?`
//! one character. An empty list allows every model.

use crate::StorageError;

/// Whether `model` matches any pattern; an empty list allows everything.
pub fn models_allow(patterns: &[String], model: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| glob_match(p, model))
}

/// Matches `text` against `pattern` (`*`, `?`, everything else literal), iteratively with one
/// backtrack point so that it is linear in practice.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Checks patterns before they are stored.
pub(crate) fn validate(patterns: &[String]) -> Result<(), StorageError> {
    for pattern in patterns {
        if pattern.trim().is_empty() || pattern.contains(',') {
            return Err(StorageError::Invalid {
                field: "models",
                reason: format!(
                    "`{pattern}` is not a model pattern: give names or globs like `gpt-4o*`, one per entry"
                ),
            });
        }
    }
    Ok(())
}

/// The stored form: a JSON array of strings, or NULL for "all models".
pub(crate) fn encode(patterns: &[String]) -> Option<String> {
    if patterns.is_empty() {
        return None;
    }
    serde_json::to_string(patterns).ok()
}

pub(crate) fn decode(stored: Option<String>) -> Result<Vec<String>, StorageError> {
    match stored {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| StorageError::Corrupt {
            table: "virtual_keys",
            reason: format!("models is not a JSON array of strings: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_patterns() {
        assert!(glob_match("gpt-4o*", "gpt-4o-mini"));
        assert!(glob_match("gpt-4o*", "gpt-4o"));
        assert!(!glob_match("gpt-4o*", "gpt-4"));
        assert!(glob_match("*sonnet*", "anthropic:claude-sonnet-4"));
        assert!(glob_match("claude-?-haiku", "claude-3-haiku"));
        assert!(!glob_match("claude-?-haiku", "claude-35-haiku"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn empty_list_allows_all() {
        assert!(models_allow(&[], "anything"));
        let list = vec!["gpt-*".to_owned(), "o3".to_owned()];
        assert!(models_allow(&list, "o3"));
        assert!(!models_allow(&list, "o3-mini"));
    }

    #[test]
    fn stored_form_round_trips() {
        let list = vec!["gpt-*".to_owned(), "claude-*".to_owned()];
        assert_eq!(decode(encode(&list)).unwrap(), list);
        assert_eq!(encode(&[]), None);
        assert!(validate(&["a,b".to_owned()]).is_err());
    }
}
