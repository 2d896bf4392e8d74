//! Guarding a streamed answer with a carry window.
//!
//! Text and tool-call arguments arrive in fragments, and a secret may be split across two or
//! more of them. The guard holds the tail of the current channel (the answer text, or one tool
//! call's arguments) that a match could still start in: with `W` the longest match of the
//! active rules (capped at [`STREAM_WINDOW_CAP`]), every byte more than `W + 1` from the end is
//! safe to judge, because any match starting there is complete and its right neighbour (for
//! word boundaries) is known. So the guard emits all but the last `W + 1` bytes at once,
//! redacted, and holds the rest. Exceptions:
//!
//! - A match of a rule without a length limit (e.g. a PEM private key block) that reaches the
//!   end of what has arrived may still grow: the guard holds from its start, up to
//!   [`HOLD_LIMIT`] bytes, then judges what it has.
//! - A block rule ends the stream as soon as its match is complete, wherever it is.
//!
//! Any other part (tool-call start, reasoning, usage, finish) and a switch to another channel
//! first release the held text, judged as complete, so parts keep their order.

use std::sync::Arc;

use bitrouter_core::{StreamGuard, StreamPart, Verdict};

use crate::config::{Action, Location, Way};
use crate::engine::{block_reason, finding};
use crate::finding::FindingSink;
use crate::ruleset::{Match, RuleSet, STREAM_WINDOW_CAP};

/// The most text held for a match that may still grow (a PEM block with a 4096-bit key is
/// about 3.3 KB).
pub const HOLD_LIMIT: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Text,
    Arguments(u32),
}

impl Channel {
    fn location(self) -> Location {
        match self {
            Channel::Text => Location::Messages,
            Channel::Arguments(_) => Location::ToolArguments,
        }
    }

    fn part(self, text: String) -> StreamPart {
        match self {
            Channel::Text => StreamPart::TextDelta { text },
            Channel::Arguments(index) => StreamPart::ToolCallDelta {
                index,
                arguments: text,
            },
        }
    }
}

/// Per-stream state: the held tail of the current channel.
#[derive(Debug)]
pub struct GuardStream {
    rules: Arc<RuleSet>,
    sink: Arc<dyn FindingSink>,
    request_id: String,
    /// Rules active on answer text and on tool-call arguments.
    text_rules: Vec<bool>,
    argument_rules: Vec<bool>,
    /// The window (longest match + 1) of each channel kind; 0 when no rule looks there.
    text_window: usize,
    argument_window: usize,
    channel: Channel,
    held: String,
}

fn window(rules: &RuleSet, active: &[bool]) -> usize {
    let longest = (0..active.len())
        .filter(|i| active[*i])
        .map(|i| rules.window(i).0)
        .max();
    longest.map_or(0, |w| w.min(STREAM_WINDOW_CAP) + 1)
}

impl GuardStream {
    /// The guard for one stream, or `None` when no active rule looks at answer text or
    /// tool-call arguments. `active[i]` says whether rule `i` applies to this call's answers.
    pub fn new(
        rules: Arc<RuleSet>,
        sink: Arc<dyn FindingSink>,
        active: &[bool],
        request_id: &str,
    ) -> Option<Self> {
        let at = |location: Location| -> Vec<bool> {
            rules
                .rules()
                .iter()
                .enumerate()
                .map(|(i, r)| active.get(i).copied().unwrap_or(false) && r.looks_in(location))
                .collect()
        };
        let text_rules = at(Location::Messages);
        let argument_rules = at(Location::ToolArguments);
        let text_window = window(&rules, &text_rules);
        let argument_window = window(&rules, &argument_rules);
        if text_window == 0 && argument_window == 0 {
            return None;
        }
        Some(Self {
            rules,
            sink,
            request_id: request_id.to_owned(),
            text_rules,
            argument_rules,
            text_window,
            argument_window,
            channel: Channel::Text,
            held: String::new(),
        })
    }

    fn window_of(&self, channel: Channel) -> usize {
        match channel {
            Channel::Text => self.text_window,
            Channel::Arguments(_) => self.argument_window,
        }
    }

    fn feed(&mut self, channel: Channel, fragment: String, out: &mut Vec<StreamPart>) -> Verdict {
        if self.window_of(channel) == 0 {
            let verdict = self.release(out);
            out.push(channel.part(fragment));
            return verdict;
        }
        if channel != self.channel {
            let verdict = self.release(out);
            if verdict != Verdict::Allow {
                return verdict;
            }
            self.channel = channel;
        }
        self.held.push_str(&fragment);
        self.judge(false, out)
    }

    /// Judges all held text as complete and emits it.
    fn release(&mut self, out: &mut Vec<StreamPart>) -> Verdict {
        if self.held.is_empty() {
            return Verdict::Allow;
        }
        self.judge(true, out)
    }

    /// Emits what is safe of the held text; `complete` when no more will come.
    fn judge(&mut self, complete: bool, out: &mut Vec<StreamPart>) -> Verdict {
        let rules = Arc::clone(&self.rules);
        let location = self.channel.location();
        let active = match self.channel {
            Channel::Text => &self.text_rules,
            Channel::Arguments(_) => &self.argument_rules,
        };
        let len = self.held.len();
        let matches = rules
            .resolve(rules.scan_where(&self.held, &|i| active.get(i).copied().unwrap_or(false)));
        let over_limit = len >= HOLD_LIMIT;
        let is_final = |m: &Match| {
            let (w, capped) = rules.window(m.rule);
            complete || over_limit || (m.range.start + w < len && !(capped && m.range.end == len))
        };
        if let Some(m) = matches
            .iter()
            .find(|m| rules.action(m.rule) == Action::Block && is_final(m))
        {
            self.record(m);
            self.held.clear();
            return Verdict::Block {
                reason: block_reason(&rules, m.rule, m.label, Way::Response, location),
            };
        }
        let mut emit_to = if complete {
            len
        } else {
            let mut cut = len.saturating_sub(self.window_of(self.channel));
            while !self.held.is_char_boundary(cut) {
                cut -= 1;
            }
            cut
        };
        let mut judged = Vec::new();
        for m in matches {
            if m.range.start >= emit_to {
                break;
            }
            if !is_final(&m) {
                emit_to = m.range.start;
                break;
            }
            emit_to = emit_to.max(m.range.end);
            judged.push(m);
        }
        for m in &judged {
            self.record(m);
        }
        if emit_to > 0 {
            let safe = rules.apply(&self.held[..emit_to], &judged);
            self.held.drain(..emit_to);
            out.push(self.channel.part(safe));
        }
        Verdict::Allow
    }

    fn record(&self, m: &Match) {
        self.sink.record(finding(
            &self.rules,
            m,
            &self.request_id,
            Way::Response,
            self.channel.location(),
        ));
    }
}

impl StreamGuard for GuardStream {
    fn on_part(&mut self, part: StreamPart, out: &mut Vec<StreamPart>) -> Verdict {
        match part {
            StreamPart::TextDelta { text } => self.feed(Channel::Text, text, out),
            StreamPart::ToolCallDelta { index, arguments } => {
                self.feed(Channel::Arguments(index), arguments, out)
            }
            other => {
                let verdict = self.release(out);
                if verdict == Verdict::Allow {
                    out.push(other);
                }
                verdict
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<StreamPart>) -> Verdict {
        self.release(out)
    }
}
