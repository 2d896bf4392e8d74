//! What is limited (a subject and its `Limits`) and what a call is expected to use.

use std::fmt;

/// Money is counted in whole micro-dollars inside the limiters, so that sums of many small
/// costs neither drift (as `f64` sums do) nor disagree between the memory and Redis limiters.
pub(crate) const MICROS_PER_USD: f64 = 1_000_000.0;

/// Converts dollars to micro-dollars, rounding up so that an estimate is never under-counted.
/// Negative and non-finite amounts count as zero.
pub(crate) fn usd_to_micros(usd: f64) -> i64 {
    if usd.is_finite() && usd > 0.0 {
        // A thousandth of a micro-dollar of slack absorbs binary rounding (0.3 * 1e6 may come
        // out a hair above 300000); the cast saturates at i64::MAX, far above any budget.
        (usd * MICROS_PER_USD - 0.001).ceil() as i64
    } else {
        0
    }
}

pub(crate) fn micros_to_usd(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_USD
}

/// Whose limits these are: a virtual key or the user that owns keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    /// A virtual key (`brvk_…`).
    Key,
    /// A user; every call made with one of the user's keys counts against the user too.
    User,
}

/// Names one subject of limits, e.g. key `k1` or user `alice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId {
    kind: SubjectKind,
    name: String,
}

impl SubjectId {
    /// A virtual key's limits, named by the key's id (not its secret).
    pub fn key(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::Key,
            name: name.into(),
        }
    }

    /// A user's limits, named by the user's id.
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            kind: SubjectKind::User,
            name: name.into(),
        }
    }

    /// Whether this is a key or a user.
    pub fn kind(&self) -> SubjectKind {
        self.kind
    }

    /// The key's or user's id.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SubjectKind::Key => write!(f, "key `{}`", self.name),
            SubjectKind::User => write!(f, "user `{}`", self.name),
        }
    }
}

/// The calendar period a budget covers. Periods follow UTC calendar boundaries: a day starts at
/// 00:00 UTC, a week on Monday 00:00 UTC, a month on its first day; `Total` never resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetPeriod {
    /// From 00:00 UTC to the next 00:00 UTC.
    Day,
    /// From Monday 00:00 UTC to the next Monday 00:00 UTC.
    Week,
    /// From the first of the month 00:00 UTC to the first of the next month.
    Month,
    /// All time.
    Total,
}

impl BudgetPeriod {
    /// The word used in messages: "daily", "weekly", "monthly", "total".
    pub fn adjective(self) -> &'static str {
        match self {
            Self::Day => "daily",
            Self::Week => "weekly",
            Self::Month => "monthly",
            Self::Total => "total",
        }
    }
}

/// A spend budget in US dollars for one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The most that may be spent in one period, in US dollars.
    pub usd: f64,
    /// The period the budget covers.
    pub period: BudgetPeriod,
}

/// The limits of one subject; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    /// Requests per minute (`--rpm`).
    pub rpm: Option<u64>,
    /// Tokens per minute (`--tpm`), input and output together.
    pub tpm: Option<u64>,
    /// Calls in flight at once (`--max-concurrency`).
    pub max_concurrency: Option<u64>,
    /// Spend budget (`--budget-usd` with `--budget-period`).
    pub budget: Option<Budget>,
}

impl Limits {
    /// True when nothing is limited, so a limiter may skip the subject entirely.
    pub fn is_unlimited(&self) -> bool {
        self.rpm.is_none()
            && self.tpm.is_none()
            && self.max_concurrency.is_none()
            && self.budget.is_none()
    }
}

/// One subject a call counts against, with its limits and its settled spend in the budget's
/// current period as the spend ledger knows it (0 when it has no budget or no spend).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Who.
    pub id: &'a SubjectId,
    /// Their limits.
    pub limits: &'a Limits,
    /// Settled spend in the current budget period according to the ledger, in US dollars.
    pub ledger_spent_usd: f64,
}

impl<'a> Subject<'a> {
    /// A subject whose ledger shows no spend in the current period yet.
    pub fn new(id: &'a SubjectId, limits: &'a Limits) -> Self {
        Self {
            id,
            limits,
            ledger_spent_usd: 0.0,
        }
    }

    /// Sets the settled spend the ledger reports for the budget's current period.
    pub fn with_ledger_spent(mut self, usd: f64) -> Self {
        self.ledger_spent_usd = usd;
        self
    }
}

/// What a call is expected to use, reserved before it is sent upstream.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    /// Input tokens plus the output limit (or a guess of the output).
    pub tokens: u64,
    /// The estimated cost in US dollars.
    pub cost_usd: f64,
}

/// What a call actually used, known once it has finished.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Actual {
    /// Input plus output tokens as the upstream reported them.
    pub tokens: u64,
    /// The actual cost in US dollars.
    pub cost_usd: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_round_up_to_whole_micros() {
        assert_eq!(usd_to_micros(0.30), 300_000);
        assert_eq!(usd_to_micros(0.000_000_1), 1);
        assert_eq!(usd_to_micros(-1.0), 0);
        assert_eq!(usd_to_micros(f64::NAN), 0);
        assert_eq!(micros_to_usd(120_000), 0.12);
    }

    #[test]
    fn subjects_name_themselves_for_messages() {
        assert_eq!(SubjectId::key("k1").to_string(), "key `k1`");
        assert_eq!(SubjectId::user("alice").to_string(), "user `alice`");
    }
}
