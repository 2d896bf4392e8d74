//! Which calls a rule applies to: model-name patterns, API keys, end users.

use crate::config::AppliesTo;
use crate::error::GuardrailError;

/// Who is making a call, as far as rule scoping is concerned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// The model the client asked for.
    pub model: &'a str,
    /// The BitRouter API key id, when known.
    pub key: Option<&'a str>,
    /// The end user, when known.
    pub user: Option<&'a str>,
}

/// Checks the model patterns of a rule.
pub(crate) fn check_patterns(rule: &str, applies_to: &AppliesTo) -> Result<(), GuardrailError> {
    for pattern in &applies_to.models {
        if pattern.is_empty() || pattern.contains(['[', ']', '{', '}']) {
            return Err(GuardrailError::BadModelPattern {
                rule: rule.to_owned(),
                pattern: pattern.clone(),
            });
        }
    }
    Ok(())
}

/// Whether a rule scoped by `applies_to` applies to `caller`: every non-empty list must hold
/// the caller's value (an unknown key or user matches no list).
pub(crate) fn applies(applies_to: &AppliesTo, caller: Caller<'_>) -> bool {
    let listed = |list: &[String], value: Option<&str>| {
        list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
    };
    (applies_to.models.is_empty() || applies_to.models.iter().any(|p| glob(p, caller.model)))
        && listed(&applies_to.keys, caller.key)
        && listed(&applies_to.users, caller.user)
}

/// Whether `name` matches `pattern` whole: `*` any run of characters, `?` one.
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("gpt-4o*", "gpt-4o-mini"));
        assert!(glob("*sonnet*", "claude-sonnet-4"));
        assert!(glob("gpt-?o", "gpt-4o"));
        assert!(!glob("gpt-4o", "gpt-4o-mini"));
        assert!(!glob("claude-*", "gpt-4o"));
    }

    #[test]
    fn lists_and_unknowns() {
        let to = AppliesTo {
            models: vec!["gpt-*".into()],
            keys: vec!["team-a".into()],
            users: vec![],
        };
        let caller = |key| Caller {
            model: "gpt-4o",
            key,
            user: None,
        };
        assert!(applies(&to, caller(Some("team-a"))));
        assert!(!applies(&to, caller(Some("team-b"))));
        assert!(!applies(&to, caller(None)));
        assert!(applies(&AppliesTo::default(), caller(None)));
    }
}
