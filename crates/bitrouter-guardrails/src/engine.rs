//! The guardrail itself: walks a canonical request or answer, runs the rules that apply to
//! the call on each place they look, and redacts, blocks or records.

use std::sync::Arc;

use async_trait::async_trait;
use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, GuardContext, Guardrail, Role, StreamGuard, Verdict,
};

use crate::config::{Action, GuardrailsConfig, Location, Way};
use crate::error::GuardrailError;
use crate::finding::{Finding, FindingSink};
use crate::ruleset::RuleSet;
use crate::scope::{Caller, applies};
use crate::stream::GuardStream;

/// The configured guardrails, compiled once and shared by every call.
#[derive(Debug, Clone)]
pub struct GuardrailEngine {
    rules: Arc<RuleSet>,
    sink: Arc<dyn FindingSink>,
}

impl GuardrailEngine {
    /// Compiles the `guardrails:` section; findings go to `sink`.
    pub fn new(
        config: &GuardrailsConfig,
        sink: Arc<dyn FindingSink>,
    ) -> Result<Self, GuardrailError> {
        Ok(Self {
            rules: Arc::new(RuleSet::compile(&config.rules)?),
            sink,
        })
    }

    /// The compiled rules.
    pub fn rule_set(&self) -> &RuleSet {
        &self.rules
    }

    /// The guardrail for one call by API key `key` for end user `user`, so that rules scoped
    /// to keys or users apply. (Used as a [`Guardrail`] directly, the engine knows neither, and
    /// takes the user from the request's `user` field.)
    pub fn for_call(&self, key: Option<&str>, user: Option<&str>) -> CallGuard {
        CallGuard {
            engine: self.clone(),
            key: key.map(str::to_owned),
            user: user.map(str::to_owned),
        }
    }

    /// Which rules apply to a call going `way` by `caller`.
    pub(crate) fn active(&self, way: Way, caller: Caller<'_>) -> Vec<bool> {
        self.rules
            .rules()
            .iter()
            .map(|r| r.direction.covers(way) && applies(&r.applies_to, caller))
            .collect()
    }
}

/// The engine bound to one caller's key and user.
#[derive(Debug, Clone)]
pub struct CallGuard {
    engine: GuardrailEngine,
    key: Option<String>,
    user: Option<String>,
}

/// One pass over one request or answer.
pub(crate) struct Pass<'a> {
    pub(crate) rules: &'a RuleSet,
    pub(crate) sink: &'a dyn FindingSink,
    pub(crate) active: &'a [bool],
    pub(crate) request_id: &'a str,
    pub(crate) way: Way,
    pub(crate) changed: bool,
}

impl Pass<'_> {
    /// Checks one text at `location`; `Err` carries a block's reason.
    fn text(&mut self, text: &mut String, location: Location) -> Result<(), String> {
        let rules = self.rules;
        let active = |i: usize| {
            self.active.get(i).copied().unwrap_or(false) && rules.rules()[i].looks_in(location)
        };
        let matches = rules.resolve(rules.scan_where(text, &active));
        if matches.is_empty() {
            return Ok(());
        }
        for m in &matches {
            self.sink
                .record(finding(rules, m, self.request_id, self.way, location));
        }
        if let Some(m) = matches
            .iter()
            .find(|m| rules.action(m.rule) == Action::Block)
        {
            return Err(block_reason(rules, m.rule, m.label, self.way, location));
        }
        if matches
            .iter()
            .any(|m| rules.action(m.rule) == Action::Redact)
        {
            *text = rules.apply(text, &matches);
            self.changed = true;
        }
        Ok(())
    }

    fn parts(&mut self, parts: &mut [ContentPart], text_at: Location) -> Result<(), String> {
        for part in parts {
            match part {
                ContentPart::Text { text } => self.text(text, text_at)?,
                ContentPart::ToolCall(call) => {
                    self.text(&mut call.arguments, Location::ToolArguments)?
                }
                ContentPart::ToolResult(result) => {
                    for inner in &mut result.content {
                        if let ContentPart::Text { text } = inner {
                            self.text(text, Location::ToolResults)?;
                        }
                    }
                }
                // Images are not text; reasoning is signed by the upstream, and changing it
                // would make the next turn rejected.
                ContentPart::Image { .. } | ContentPart::Reasoning(_) => {}
            }
        }
        Ok(())
    }

    fn verdict(self, walked: Result<(), String>) -> Verdict {
        match walked {
            Err(reason) => Verdict::Block { reason },
            Ok(()) if self.changed => Verdict::Modified,
            Ok(()) => Verdict::Allow,
        }
    }
}

pub(crate) fn finding(
    rules: &RuleSet,
    m: &crate::ruleset::Match,
    request_id: &str,
    way: Way,
    location: Location,
) -> Finding {
    Finding {
        request_id: request_id.to_owned(),
        rule: rules.rules()[m.rule].name.clone(),
        detector: m.label,
        action: rules.action(m.rule),
        direction: way,
        location,
    }
}

pub(crate) fn block_reason(
    rules: &RuleSet,
    rule: usize,
    label: &str,
    way: Way,
    location: Location,
) -> String {
    let what = match way {
        Way::Request => "request",
        Way::Response => "answer",
    };
    format!(
        "guardrail rule `{}` blocked the {what}: it found {label} in {}",
        rules.rules()[rule].name,
        location.as_str()
    )
}

impl CallGuard {
    fn caller<'a>(&'a self, cx: &GuardContext<'a>, fallback_user: Option<&'a str>) -> Caller<'a> {
        Caller {
            model: cx.model,
            key: self.key.as_deref(),
            user: self.user.as_deref().or(fallback_user),
        }
    }

    fn pass<'a>(&'a self, active: &'a [bool], cx: &GuardContext<'a>, way: Way) -> Pass<'a> {
        Pass {
            rules: &self.engine.rules,
            sink: self.engine.sink.as_ref(),
            active,
            request_id: cx.request_id,
            way,
            changed: false,
        }
    }

    fn request(&self, cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
        let caller = self.caller(&cx, request.params.user.as_deref());
        let active = self.engine.active(Way::Request, caller);
        if !active.contains(&true) {
            return Verdict::Allow;
        }
        let mut pass = self.pass(&active, &cx, Way::Request);
        let walked = request.messages.iter_mut().try_for_each(|message| {
            let at = match message.role {
                Role::System => Location::System,
                Role::Tool => Location::ToolResults,
                Role::User | Role::Assistant => Location::Messages,
            };
            pass.parts(&mut message.content, at)
        });
        pass.verdict(walked)
    }

    fn response(&self, cx: GuardContext<'_>, response: &mut ChatResponse) -> Verdict {
        let active = self.engine.active(Way::Response, self.caller(&cx, None));
        if !active.contains(&true) {
            return Verdict::Allow;
        }
        let mut pass = self.pass(&active, &cx, Way::Response);
        let walked = pass.parts(&mut response.content, Location::Messages);
        pass.verdict(walked)
    }

    fn stream(&self, cx: GuardContext<'_>) -> Option<Box<dyn StreamGuard>> {
        let active = self.engine.active(Way::Response, self.caller(&cx, None));
        GuardStream::new(
            self.engine.rules.clone(),
            self.engine.sink.clone(),
            &active,
            cx.request_id,
        )
        .map(|g| Box::new(g) as Box<dyn StreamGuard>)
    }
}

#[async_trait]
impl Guardrail for CallGuard {
    fn name(&self) -> &str {
        "guardrails"
    }

    async fn check_request(&self, cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
        self.request(cx, request)
    }

    async fn check_response(&self, cx: GuardContext<'_>, response: &mut ChatResponse) -> Verdict {
        self.response(cx, response)
    }

    fn stream_guard(&self, cx: GuardContext<'_>) -> Option<Box<dyn StreamGuard>> {
        self.stream(cx)
    }
}

#[async_trait]
impl Guardrail for GuardrailEngine {
    fn name(&self) -> &str {
        "guardrails"
    }

    async fn check_request(&self, cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
        self.for_call(cx.key, cx.user).request(cx, request)
    }

    async fn check_response(&self, cx: GuardContext<'_>, response: &mut ChatResponse) -> Verdict {
        self.for_call(cx.key, cx.user).response(cx, response)
    }

    fn stream_guard(&self, cx: GuardContext<'_>) -> Option<Box<dyn StreamGuard>> {
        self.for_call(cx.key, cx.user).stream(cx)
    }
}
