//! `${VAR}` and `${VAR:-default}` substitution on the file's text, before YAML parsing.
//!
//! Rules: `$$` is a literal `$`; a `$` not followed by `{` or `$` stays as it is; `:-` uses the
//! default when the variable is unset or empty; a variable without default must be set (to
//! anything, even empty). Comments are left alone, so commented-out examples may name unset
//! variables. Inside a quoted scalar the value is escaped for that quoting, so a key holding
//! `"` or `\` cannot break the file; unquoted, it is inserted verbatim. Lines never move: a
//! value with a line break is only accepted inside double quotes (where it becomes `\n`).

use crate::error::{ConfigError, ErrorKind};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Replaces the placeholders in `text`, reading variables through `env`.
pub fn substitute(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    for (line_index, line) in text.split_inclusive('\n').enumerate() {
        substitute_line(line, line_index + 1, env, &mut out)?;
    }
    Ok(out)
}

fn substitute_line(
    line: &str,
    line_no: usize,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
) -> Result<(), ConfigError> {
    let mut quote = Quote::None;
    let mut prev: Option<char> = None;
    let mut iter = line.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match (quote, c) {
            (Quote::None, '#') if prev.is_none_or(char::is_whitespace) => {
                out.push_str(&line[i..]);
                return Ok(());
            }
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::Double, '"') if prev != Some('\\') => quote = Quote::None,
            (Quote::Single, '\'') => quote = Quote::None,
            (_, '$') => {
                match iter.peek().map(|(_, n)| *n) {
                    Some('$') => {
                        iter.next();
                        out.push('$');
                    }
                    Some('{') => {
                        let column = line[..i].chars().count() + 1;
                        let rest = &line[i + 2..];
                        let Some(close) = rest.find('}') else {
                            return Err(ConfigError::new(
                                ErrorKind::Variable,
                                "unclosed `${`: a placeholder is `${NAME}` or `${NAME:-default}` on one line",
                            )
                            .at(line_no, column)
                            .with_hint("write `$$` for a literal `$`"));
                        };
                        let body = &rest[..close];
                        let value = resolve(body, env).map_err(|e| e.at(line_no, column))?;
                        push_quoted(out, &value, quote, body).map_err(|e| e.at(line_no, column))?;
                        // Skip `{`, the body and `}`.
                        let end = i + 2 + close + 1;
                        while iter.peek().is_some_and(|(j, _)| *j < end) {
                            iter.next();
                        }
                        prev = Some('}');
                        continue;
                    }
                    _ => out.push('$'),
                }
                prev = Some('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
        // A backslash escaping a backslash must not escape the next quote.
        prev = if prev == Some('\\') && c == '\\' {
            None
        } else {
            Some(c)
        };
    }
    Ok(())
}

fn resolve(body: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let (name, default) = match body.split_once(":-") {
        Some((n, d)) => (n, Some(d)),
        None => (body, None),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(ConfigError::new(
            ErrorKind::Variable,
            format!("bad placeholder `${{{body}}}`: a variable name is letters, digits and `_`"),
        )
        .with_hint("write `${NAME}` or `${NAME:-default}`; `$$` is a literal `$`"));
    }
    match (env(name), default) {
        (Some(v), Some(d)) if v.is_empty() => Ok(d.to_owned()),
        (Some(v), _) => Ok(v),
        (None, Some(d)) => Ok(d.to_owned()),
        (None, None) => Err(ConfigError::new(
            ErrorKind::Variable,
            format!("environment variable `{name}` is not set"),
        )
        .with_hint(format!(
            "set {name}, or give a default: `${{{name}:-value}}`"
        ))),
    }
}

fn push_quoted(out: &mut String, value: &str, quote: Quote, body: &str) -> Result<(), ConfigError> {
    match quote {
        Quote::Double => {
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
            return Ok(());
        }
        _ if value.contains(['\n', '\r']) => {
            return Err(ConfigError::new(
                ErrorKind::Variable,
                format!("the value of `${{{body}}}` contains a line break"),
            )
            .with_hint("put the placeholder in double quotes: \"${...}\""));
        }
        Quote::Single => out.push_str(&value.replace('\'', "''")),
        Quote::None => out.push_str(value),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "EMPTY" => Some(String::new()),
            "Q" => Some("x\"y\\z".into()),
            "NL" => Some("a\nb".into()),
            _ => None,
        }
    }

    #[test]
    fn replaces_defaults_and_escapes() {
        let text = "a: ${A}\nb: \"${MISSING:-none}\"\nc: ${EMPTY:-dflt}\nd: $$HOME and $5\n";
        assert_eq!(
            substitute(text, &env).unwrap(),
            "a: alpha\nb: \"none\"\nc: dflt\nd: $HOME and $5\n"
        );
    }

    #[test]
    fn quoting_is_respected() {
        assert_eq!(
            substitute("k: \"${Q}\"", &env).unwrap(),
            "k: \"x\\\"y\\\\z\""
        );
        assert_eq!(substitute("k: '${Q}'", &env).unwrap(), "k: 'x\"y\\z'");
        assert_eq!(substitute("k: \"${NL}\"", &env).unwrap(), "k: \"a\\nb\"");
        let e = substitute("k: ${NL}", &env).unwrap_err();
        assert!(e.message.contains("line break"));
    }

    #[test]
    fn comments_are_skipped() {
        let text = "# api_key: ${UNSET}\nk: v # ${UNSET}\nurl: \"http://x/#${A}\"\n";
        assert_eq!(
            substitute(text, &env).unwrap(),
            "# api_key: ${UNSET}\nk: v # ${UNSET}\nurl: \"http://x/#alpha\"\n"
        );
    }

    #[test]
    fn unset_variable_names_it_and_its_position() {
        let e = substitute("x: 1\n  key: \"${KEY_B}\"\n", &env).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Variable);
        assert_eq!((e.line, e.column), (Some(2), Some(9)));
        assert_eq!(e.message, "environment variable `KEY_B` is not set");
    }

    #[test]
    fn malformed_placeholders() {
        assert!(
            substitute("k: ${A", &env)
                .unwrap_err()
                .message
                .contains("unclosed")
        );
        assert!(
            substitute("k: ${A-B}", &env)
                .unwrap_err()
                .message
                .contains("bad placeholder")
        );
    }
}
