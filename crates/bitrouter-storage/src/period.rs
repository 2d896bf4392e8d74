//! Budget periods and the UTC instants they start at.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::StorageError;

/// How often a budget starts over. Periods are calendar periods in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetPeriod {
    /// From 00:00 UTC today.
    Day,
    /// From Monday 00:00 UTC of the current ISO week.
    Week,
    /// From the 1st of the current month, 00:00 UTC.
    Month,
    /// Never resets: all spend ever recorded counts.
    Total,
}

impl BudgetPeriod {
    /// The stable name stored in the database and accepted on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::Day => "day",
            BudgetPeriod::Week => "week",
            BudgetPeriod::Month => "month",
            BudgetPeriod::Total => "total",
        }
    }

    /// The instant the period containing `now` started; the Unix epoch for [`BudgetPeriod::Total`].
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.date_naive();
        let first = match self {
            BudgetPeriod::Day => today,
            BudgetPeriod::Week => {
                today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
            }
            BudgetPeriod::Month => today.with_day(1).unwrap_or(today),
            BudgetPeriod::Total => return DateTime::UNIX_EPOCH,
        };
        midnight(first)
    }
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

impl fmt::Display for BudgetPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BudgetPeriod {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(BudgetPeriod::Day),
            "week" => Ok(BudgetPeriod::Week),
            "month" => Ok(BudgetPeriod::Month),
            "total" => Ok(BudgetPeriod::Total),
            other => Err(StorageError::Invalid {
                field: "budget period",
                reason: format!("`{other}`: expected day, week, month or total"),
            }),
        }
    }
}

/// Milliseconds since the Unix epoch, the form every time column is stored in.
pub(crate) fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The inverse of [`to_millis`]; out-of-range values (never written by this crate) clamp.
pub(crate) fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn periods_start_at_utc_calendar_boundaries() {
        // 2025-03-13 is a Thursday.
        let now = at("2025-03-13T15:04:05Z");
        assert_eq!(BudgetPeriod::Day.start(now), at("2025-03-13T00:00:00Z"));
        assert_eq!(BudgetPeriod::Week.start(now), at("2025-03-10T00:00:00Z"));
        assert_eq!(BudgetPeriod::Month.start(now), at("2025-03-01T00:00:00Z"));
        assert_eq!(BudgetPeriod::Total.start(now), DateTime::UNIX_EPOCH);
        // A Monday is its own week start.
        let monday = at("2025-03-10T00:00:00Z");
        assert_eq!(BudgetPeriod::Week.start(monday), monday);
    }

    #[test]
    fn parses_names_and_rejects_others() {
        for p in [
            BudgetPeriod::Day,
            BudgetPeriod::Week,
            BudgetPeriod::Month,
            BudgetPeriod::Total,
        ] {
            assert_eq!(p.as_str().parse::<BudgetPeriod>().unwrap(), p);
        }
        let err = "yearly".parse::<BudgetPeriod>().unwrap_err().to_string();
        assert!(err.contains("expected day, week, month or total"), "{err}");
    }

    #[test]
    fn millis_round_trip() {
        let t = at("2025-03-13T15:04:05.123Z");
        assert_eq!(from_millis(to_millis(t)), t);
    }
}
