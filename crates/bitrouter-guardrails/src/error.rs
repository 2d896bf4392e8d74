//! What can be wrong with a `guardrails:` section.

/// A rule that cannot be compiled, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardrailError {
    /// Two rules share a name.
    #[error("guardrails: two rules are named `{0}`; give each rule its own name")]
    DuplicateName(String),
    /// A rule has an empty name.
    #[error("guardrails[{0}]: the rule has an empty `name`; give it a name")]
    EmptyName(usize),
    /// A user regex does not compile.
    #[error("guardrails rule `{rule}`: the regex does not compile: {message}")]
    BadRegex {
        /// The rule.
        rule: String,
        /// The compiler's message.
        message: String,
    },
    /// A user regex matches the empty string, so it would match everywhere.
    #[error(
        "guardrails rule `{0}`: the regex matches empty text; make it require at least one character"
    )]
    EmptyMatch(String),
    /// A deny list is empty or holds an empty entry.
    #[error("guardrails rule `{0}`: `deny` needs at least one non-empty word or phrase")]
    EmptyDenyList(String),
    /// A placeholder would break the JSON of tool arguments it is put into.
    #[error(
        "guardrails rule `{0}`: the placeholder may not contain `\"`, `\\` or control characters (it is put inside JSON strings)"
    )]
    BadPlaceholder(String),
    /// A model pattern is malformed.
    #[error(
        "guardrails rule `{rule}`: model pattern `{pattern}` is empty or uses `[`, `]`, `{{` or `}}`; only `*` and `?` are wildcards"
    )]
    BadModelPattern {
        /// The rule.
        rule: String,
        /// The pattern.
        pattern: String,
    },
    /// The combined pattern set is too large for the regex engine.
    #[error(
        "guardrails: the rules' patterns together are too large to compile ({0}); split or simplify the user regexes"
    )]
    TooLarge(String),
}
