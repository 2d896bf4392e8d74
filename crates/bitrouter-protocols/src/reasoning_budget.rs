//! One table for mapping reasoning effort levels to token budgets and back, shared by every
//! protocol so that a round trip through two translators lands where it started.

use bitrouter_core::ReasoningEffort;

/// The thinking-token budget used for an effort level when the upstream wants a budget
/// (Anthropic `thinking.budget_tokens`, Gemini `thinkingBudget`).
pub(crate) fn budget_for(effort: ReasoningEffort) -> u32 {
    match effort {
        ReasoningEffort::None => 0,
        ReasoningEffort::Minimal => 1024,
        ReasoningEffort::Low => 2048,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 24576,
    }
}

/// The effort level for a budget, when the upstream wants a level (OpenAI
/// `reasoning_effort`): the highest level whose budget does not exceed it.
pub(crate) fn effort_for(budget: u32) -> ReasoningEffort {
    [
        ReasoningEffort::High,
        ReasoningEffort::Medium,
        ReasoningEffort::Low,
        ReasoningEffort::Minimal,
    ]
    .into_iter()
    .find(|e| budget >= budget_for(*e))
    .unwrap_or(ReasoningEffort::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip() {
        for e in [
            ReasoningEffort::None,
            ReasoningEffort::Minimal,
            ReasoningEffort::Low,
            ReasoningEffort::Medium,
            ReasoningEffort::High,
        ] {
            assert_eq!(effort_for(budget_for(e)), e);
        }
        assert_eq!(effort_for(5000), ReasoningEffort::Low);
        assert_eq!(effort_for(100), ReasoningEffort::None);
    }
}
