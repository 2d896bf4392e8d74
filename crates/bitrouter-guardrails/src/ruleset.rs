//! The compiled rules: one `RegexSet` pass tells which regexes hit a text, then only those
//! run to find where; one Aho-Corasick automaton finds every deny-list word.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::builtin;
use crate::config::{Action, DetectorConfig, RuleConfig};
use crate::error::GuardrailError;
use crate::validate::{self, Check};

/// The longest text a streamed match may span before it is judged; also the most text a
/// stream holds back for a rule whose regex has no length limit.
pub const STREAM_WINDOW_CAP: usize = 256;

/// One place a rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The rule's position in the rule set.
    pub rule: usize,
    /// Where, in bytes.
    pub range: Range<usize>,
    /// What was found (`email`, `secrets/jwt`, `regex`, `deny`), for findings and metrics.
    pub label: &'static str,
}

#[derive(Debug)]
struct CompiledPattern {
    rule: usize,
    label: &'static str,
    regex: Regex,
    check: Check,
}

/// The rules of a `guardrails:` section, compiled for fast scanning.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<RuleConfig>,
    placeholders: Vec<String>,
    /// The longest match of each rule in bytes, `None` when unbounded.
    max_len: Vec<Option<usize>>,
    set: RegexSet,
    patterns: Vec<CompiledPattern>,
    deny: Option<AhoCorasick>,
    deny_rule: Vec<usize>,
}

fn max_len_of(regex: &str) -> Option<usize> {
    regex_syntax::Parser::new()
        .parse(regex)
        .ok()
        .and_then(|hir| hir.properties().maximum_len())
}

fn longest(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    Some(a?.max(b?))
}

impl RuleSet {
    /// Compiles rules, checking names, regexes, deny lists and placeholders.
    pub fn compile(rules: &[RuleConfig]) -> Result<Self, GuardrailError> {
        let mut sources: Vec<String> = Vec::new();
        let mut info: Vec<(usize, &'static str, Check)> = Vec::new();
        let mut max_len = Vec::with_capacity(rules.len());
        let mut words: Vec<String> = Vec::new();
        let mut deny_rule = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.name.trim().is_empty() {
                return Err(GuardrailError::EmptyName(i));
            }
            if rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(GuardrailError::DuplicateName(rule.name.clone()));
            }
            if rule
                .placeholder()
                .chars()
                .any(|c| c == '"' || c == '\\' || c.is_control())
            {
                return Err(GuardrailError::BadPlaceholder(rule.name.clone()));
            }
            crate::scope::check_patterns(&rule.name, &rule.applies_to)?;
            let mut rule_max = Some(0);
            match &rule.detector {
                DetectorConfig::Builtin(b) => {
                    for pat in builtin::patterns(*b) {
                        sources.push(pat.regex.to_owned());
                        info.push((i, pat.label, pat.check));
                        rule_max = longest(rule_max, max_len_of(pat.regex));
                    }
                }
                DetectorConfig::Regex(source) => {
                    let compiled = Regex::new(source).map_err(|e| GuardrailError::BadRegex {
                        rule: rule.name.clone(),
                        message: e.to_string(),
                    })?;
                    if compiled.is_match("") {
                        return Err(GuardrailError::EmptyMatch(rule.name.clone()));
                    }
                    sources.push(source.clone());
                    info.push((i, "regex", validate::any));
                    rule_max = max_len_of(source);
                }
                DetectorConfig::Deny(list) => {
                    if list.is_empty() || list.iter().any(|w| w.trim().is_empty()) {
                        return Err(GuardrailError::EmptyDenyList(rule.name.clone()));
                    }
                    for w in list {
                        words.push(w.trim().to_owned());
                        deny_rule.push(i);
                        rule_max = longest(rule_max, Some(w.trim().len()));
                    }
                }
            }
            max_len.push(rule_max);
        }
        let set = RegexSetBuilder::new(&sources)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| GuardrailError::TooLarge(e.to_string()))?;
        let mut patterns = Vec::with_capacity(sources.len());
        for (source, (rule, label, check)) in sources.iter().zip(info) {
            let regex =
                RegexBuilder::new(source)
                    .build()
                    .map_err(|e| GuardrailError::BadRegex {
                        rule: rules[rule].name.clone(),
                        message: e.to_string(),
                    })?;
            patterns.push(CompiledPattern {
                rule,
                label,
                regex,
                check,
            });
        }
        let deny = if words.is_empty() {
            None
        } else {
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&words)
                .map_err(|e| GuardrailError::TooLarge(e.to_string()))?;
            Some(ac)
        };
        Ok(RuleSet {
            placeholders: rules.iter().map(RuleConfig::placeholder).collect(),
            rules: rules.to_vec(),
            max_len,
            set,
            patterns,
            deny,
            deny_rule,
        })
    }

    /// The rules, in configuration order (a [`Match::rule`] indexes this).
    pub fn rules(&self) -> &[RuleConfig] {
        &self.rules
    }

    /// The placeholder of rule `rule`.
    pub fn placeholder(&self, rule: usize) -> &str {
        self.placeholders
            .get(rule)
            .map_or("[REDACTED]", String::as_str)
    }

    /// The longest text rule `rule` can match, capped at [`STREAM_WINDOW_CAP`], and whether
    /// the cap applied (the rule's regex has no limit or a larger one).
    pub fn window(&self, rule: usize) -> (usize, bool) {
        match self.max_len.get(rule).copied().flatten() {
            Some(n) if n <= STREAM_WINDOW_CAP => (n, false),
            _ => (STREAM_WINDOW_CAP, true),
        }
    }

    /// Every match of every rule in `text`, by start.
    pub fn scan(&self, text: &str) -> Vec<Match> {
        self.scan_where(text, &|_| true)
    }

    /// The matches of the rules `active` accepts, by start; a rule's own matches never overlap.
    pub fn scan_where(&self, text: &str, active: &dyn Fn(usize) -> bool) -> Vec<Match> {
        let mut found = Vec::new();
        if text.is_empty() {
            return found;
        }
        for idx in self.set.matches(text).iter() {
            let pat = &self.patterns[idx];
            if !active(pat.rule) {
                continue;
            }
            let mut at = 0;
            while let Some(m) = pat.regex.find_at(text, at) {
                if (pat.check)(text, m.range()) {
                    found.push(Match {
                        rule: pat.rule,
                        range: m.range(),
                        label: pat.label,
                    });
                    at = m.end().max(m.start() + 1);
                } else {
                    at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
                }
                if at > text.len() {
                    break;
                }
                while !text.is_char_boundary(at) {
                    at += 1;
                }
            }
        }
        if let Some(ac) = &self.deny {
            for m in ac.find_iter(text) {
                let rule = self.deny_rule[m.pattern().as_usize()];
                if active(rule) && whole_word(text, m.range()) {
                    found.push(Match {
                        rule,
                        range: m.range(),
                        label: "deny",
                    });
                }
            }
        }
        // Within a rule keep the earliest, then longest, of overlapping matches (the secrets
        // detector has two regexes for private keys, and `sk-ant-` keys also look like `sk-`).
        found.sort_by(|a, b| {
            (a.rule, a.range.start, b.range.end).cmp(&(b.rule, b.range.start, a.range.end))
        });
        let mut kept: Vec<Match> = Vec::with_capacity(found.len());
        for m in found {
            if kept
                .last()
                .is_some_and(|k| k.rule == m.rule && k.range.end > m.range.start)
            {
                continue;
            }
            kept.push(m);
        }
        kept.sort_by_key(|m| (m.range.start, m.rule));
        kept
    }

    /// Keeps non-overlapping matches, preferring blocks, then redactions, then inspections,
    /// and within one action the earliest, then longest; the result is ordered by start.
    pub fn resolve(&self, matches: Vec<Match>) -> Vec<Match> {
        let mut kept: Vec<Match> = Vec::with_capacity(matches.len());
        for action in [Action::Block, Action::Redact, Action::Inspect] {
            let mut of_action: Vec<&Match> = matches
                .iter()
                .filter(|m| self.action(m.rule) == action)
                .collect();
            of_action
                .sort_by(|a, b| (a.range.start, b.range.end).cmp(&(b.range.start, a.range.end)));
            for m in of_action {
                let clash = kept
                    .iter()
                    .any(|k| k.range.start < m.range.end && m.range.start < k.range.end);
                if !clash {
                    kept.push(m.clone());
                }
            }
        }
        kept.sort_by_key(|m| m.range.start);
        kept
    }

    /// The action of rule `rule`.
    pub fn action(&self, rule: usize) -> Action {
        self.rules.get(rule).map_or(Action::Inspect, |r| r.action)
    }

    /// Replaces the matches of redacting rules with their placeholders; returns the new text
    /// and every resolved match (of any action).
    pub fn redact(&self, text: &str) -> (String, Vec<Match>) {
        self.redact_where(text, &|_| true)
    }

    /// [`RuleSet::redact`] for the rules `active` accepts.
    pub fn redact_where(&self, text: &str, active: &dyn Fn(usize) -> bool) -> (String, Vec<Match>) {
        let matches = self.resolve(self.scan_where(text, active));
        let out = self.apply(text, &matches);
        (out, matches)
    }

    /// `text` with the redacting matches among `matches` (resolved, by start) replaced.
    pub(crate) fn apply(&self, text: &str, matches: &[Match]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in matches {
            if self.action(m.rule) == Action::Redact && m.range.start >= at {
                out.push_str(&text[at..m.range.start]);
                out.push_str(self.placeholder(m.rule));
                at = m.range.end;
            }
        }
        out.push_str(&text[at..]);
        out
    }
}

/// A deny-list hit counts only as a whole word: an alphanumeric edge of the word may not
/// touch another alphanumeric character (so `class` does not hit `ass`).
fn whole_word(text: &str, r: Range<usize>) -> bool {
    let word = &text[r.clone()];
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let starts = alnum(word.chars().next());
    let ends = alnum(word.chars().next_back());
    let prev = text[..r.start].chars().next_back();
    let next = text[r.end..].chars().next();
    !((starts && alnum(prev)) || (ends && alnum(next)))
}
