//! Finds the line and column of a key path (`providers.local.api_base`) in the file's text, so
//! that validation errors point at the offending key.
//!
//! It reads block-style YAML by indentation. Inside a flow collection (`[ ... ]`, `{ ... }`)
//! it points at the collection's key, or at the first occurrence of the wanted key on that
//! line; that is exact for the usual one-entry-per-line files.

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl Seg {
    /// A mapping key step.
    pub fn key(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }
}

/// Renders a key path as `providers.local.accounts[1].api_key`.
pub fn dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    /// 1-based line number.
    line: usize,
    /// 0-based column where the content starts.
    indent: usize,
    content: &'a str,
}

/// The 1-based line and column of the deepest part of `path` found in `text`.
pub fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let entries: Vec<Entry<'_>> = text
        .lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let content = raw.trim_start_matches(' ');
            let trimmed = content.trim_end();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
                return None;
            }
            Some(Entry {
                line: i + 1,
                indent: raw.len() - content.len(),
                content: trimmed,
            })
        })
        .collect();
    let mut region: Vec<Entry<'_>> = entries;
    let mut found: Option<(usize, usize)> = None;
    for (depth, seg) in path.iter().enumerate() {
        let Some(child_indent) = region.iter().map(|e| e.indent).min() else {
            return found;
        };
        let at_level = |e: &&Entry<'_>| e.indent == child_indent;
        let pos = match seg {
            Seg::Key(k) => region
                .iter()
                .position(|e| at_level(&e) && key_of(e.content) == Some(k.as_str())),
            Seg::Index(i) => region
                .iter()
                .enumerate()
                .filter(|(_, e)| at_level(e) && is_item(e.content))
                .nth(*i)
                .map(|(p, _)| p),
        };
        let Some(pos) = pos else {
            return found;
        };
        let entry = region[pos];
        found = Some((entry.line, entry.indent + 1));
        let mut children: Vec<Entry<'_>> = Vec::new();
        match seg {
            Seg::Index(_) => {
                let rest = entry.content[1..].trim_start();
                // Point at the item itself, after `- `.
                let item_col = entry.indent + (entry.content.len() - rest.len()) + 1;
                found = Some((entry.line, item_col));
                if !rest.is_empty() {
                    children.push(Entry {
                        line: entry.line,
                        indent: entry.indent + (entry.content.len() - rest.len()),
                        content: rest,
                    });
                }
            }
            Seg::Key(_) => {
                let value = value_of(entry.content);
                if !value.is_empty() && !value.starts_with('#') {
                    // An inline value: look for the last wanted key on this line.
                    return Some(
                        inline_position(entry, &path[depth + 1..])
                            .unwrap_or((entry.line, entry.indent + 1)),
                    );
                }
            }
        }
        let mut after = region[pos + 1..].iter();
        // A sequence may sit at the same indentation as its key.
        let indentless = matches!(seg, Seg::Key(_))
            && region
                .get(pos + 1)
                .is_some_and(|n| n.indent == entry.indent && is_item(n.content));
        for e in after.by_ref() {
            let belongs = e.indent > entry.indent
                || (indentless && e.indent == entry.indent && is_item(e.content));
            if !belongs {
                break;
            }
            children.push(*e);
        }
        region = children;
    }
    found
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// The key of a `key: value` line, unquoted.
fn key_of(content: &str) -> Option<&str> {
    let (key, _) = split_key(content)?;
    Some(key)
}

fn value_of(content: &str) -> &str {
    split_key(content).map(|(_, v)| v.trim()).unwrap_or("")
}

fn split_key(content: &str) -> Option<(&str, &str)> {
    for q in ['"', '\''] {
        if let Some(rest) = content.strip_prefix(q) {
            let end = rest.find(q)?;
            let after = rest[end + 1..].trim_start();
            return after.strip_prefix(':').map(|v| (&rest[..end], v));
        }
    }
    let colon = content
        .char_indices()
        .find(|(i, c)| *c == ':' && content[i + 1..].chars().next().is_none_or(|n| n == ' '))
        .map(|(i, _)| i)?;
    Some((content[..colon].trim_end(), &content[colon + 1..]))
}

fn inline_position(entry: Entry<'_>, rest: &[Seg]) -> Option<(usize, usize)> {
    if let [Seg::Index(i)] = rest {
        // `route: [ a, b ]`: the i-th item of a one-line flow sequence.
        let value = value_of(entry.content);
        let inner = value.strip_prefix('[')?;
        let mut offset = entry.content.len() - value.len() + 1;
        for (n, item) in inner.split(',').enumerate() {
            if n == *i {
                let lead = item.len() - item.trim_start().len();
                return Some((entry.line, entry.indent + offset + lead + 1));
            }
            offset += item.len() + 1;
        }
        return None;
    }
    let Seg::Key(last) = rest.iter().rev().find(|s| matches!(s, Seg::Key(_)))? else {
        return None;
    };
    let needle = format!("{last}:");
    let at = entry.content.find(&needle)?;
    Some((
        entry.line,
        entry.indent + entry.content[..at].chars().count() + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
server:
  listen: \"127.0.0.1:4356\"
providers:
  # a comment
  local:
    protocol: openai_chat
    accounts:
      - api_key: a
        name: first
      - name: second
        api_key: b
    models: [ \"llama\" ]
  inline: { api_base: \"x\", api_key: y }
models:
  fast:
    route:
    - a:b
    - c:d
";

    fn keys(path: &str) -> Vec<Seg> {
        path.split('.').map(Seg::key).collect()
    }

    #[test]
    fn finds_nested_keys_and_items() {
        assert_eq!(locate(TEXT, &keys("server.listen")), Some((2, 3)));
        assert_eq!(
            locate(TEXT, &keys("providers.local.protocol")),
            Some((6, 5))
        );
        let acc = |i, k: &str| {
            vec![
                Seg::key("providers"),
                Seg::key("local"),
                Seg::key("accounts"),
                Seg::Index(i),
                Seg::key(k),
            ]
        };
        assert_eq!(locate(TEXT, &acc(0, "name")), Some((9, 9)));
        assert_eq!(locate(TEXT, &acc(1, "api_key")), Some((11, 9)));
        assert_eq!(locate(TEXT, &acc(0, "api_key")), Some((8, 9)));
        assert_eq!(
            locate(TEXT, &keys("providers.inline.api_key")),
            Some((13, 28))
        );
        let route1 = vec![
            Seg::key("models"),
            Seg::key("fast"),
            Seg::key("route"),
            Seg::Index(1),
        ];
        assert_eq!(locate(TEXT, &route1), Some((18, 7)));
        let models0 = vec![
            Seg::key("providers"),
            Seg::key("local"),
            Seg::key("models"),
            Seg::Index(0),
        ];
        assert_eq!(locate(TEXT, &models0), Some((12, 15)));
    }

    #[test]
    fn falls_back_to_the_deepest_found() {
        assert_eq!(locate(TEXT, &keys("providers.local.nothing")), Some((5, 3)));
        assert_eq!(locate(TEXT, &keys("nothing")), None);
        assert_eq!(
            dotted(&[Seg::key("a"), Seg::Index(2), Seg::key("b")]),
            "a[2].b"
        );
    }
}
