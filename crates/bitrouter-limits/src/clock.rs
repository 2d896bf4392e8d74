//! Time: the clock the limiters read, the fixed one-minute rate windows, and the UTC calendar
//! periods of budgets.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::spec::BudgetPeriod;

/// Length of a rate-limit window: requests and tokens are counted per fixed minute.
pub(crate) const WINDOW_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Where the limiters read the time, in milliseconds since the Unix epoch (UTC).
///
/// Instances sharing Redis each read their own clock, so their clocks should be kept in sync
/// (NTP); a skew of `s` seconds only shifts that instance's window and period boundaries by `s`.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            // A clock set before 1970 is broken; count from the epoch rather than fail calls.
            Err(_) => 0,
        }
    }
}

/// A clock that only moves when told to, for tests of anything that uses a limiter.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `now_ms` milliseconds since the epoch.
    pub fn new(now_ms: i64) -> Self {
        Self {
            now_ms: AtomicI64::new(now_ms),
        }
    }

    /// Moves the clock forward (or back, with a negative `ms`).
    pub fn advance_ms(&self, ms: i64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set_ms(&self, now_ms: i64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

/// The index of the fixed one-minute window `now_ms` falls in.
pub(crate) fn window_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(WINDOW_MS)
}

/// Milliseconds from `now_ms` to the start of the next window.
pub(crate) fn ms_to_next_window(now_ms: i64) -> i64 {
    WINDOW_MS - now_ms.rem_euclid(WINDOW_MS)
}

/// One occurrence of a budget period: a name unique to it, and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeriodWindow {
    /// `d2025-01-31`, `w2025-01-27` (the Monday), `m2025-01` or `total`.
    pub key: String,
    /// When the period ends, ms since the epoch; `None` for `Total`.
    pub ends_ms: Option<i64>,
}

/// The occurrence of `period` that contains `now_ms`.
pub(crate) fn period_window(period: BudgetPeriod, now_ms: i64) -> PeriodWindow {
    let day = now_ms.div_euclid(DAY_MS);
    match period {
        BudgetPeriod::Day => {
            let (y, m, d) = civil_from_days(day);
            PeriodWindow {
                key: format!("d{y:04}-{m:02}-{d:02}"),
                ends_ms: Some((day + 1) * DAY_MS),
            }
        }
        BudgetPeriod::Week => {
            // 1970-01-01 was a Thursday, three days after a Monday.
            let monday = day - (day + 3).rem_euclid(7);
            let (y, m, d) = civil_from_days(monday);
            PeriodWindow {
                key: format!("w{y:04}-{m:02}-{d:02}"),
                ends_ms: Some((monday + 7) * DAY_MS),
            }
        }
        BudgetPeriod::Month => {
            let (y, m, _) = civil_from_days(day);
            let (next_y, next_m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            PeriodWindow {
                key: format!("m{y:04}-{m:02}"),
                ends_ms: Some(days_from_civil(next_y, next_m, 1) * DAY_MS),
            }
        }
        BudgetPeriod::Total => PeriodWindow {
            key: "total".to_owned(),
            ends_ms: None,
        },
    }
}

/// (year, month 1–12, day 1–31) of the day `days` after 1970-01-01, proleptic Gregorian.
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days from 1970-01-01 to (year, month 1–12, day), proleptic Gregorian; Hinnant's inverse.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-02-29T13:45:00Z, a Thursday in a leap year.
    const LEAP_DAY: i64 = 1_709_214_300_000;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        for day in [-800_000, -1, 0, 59, 10_000, 19_782, 400_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn day_week_and_month_follow_utc_calendar() {
        let day = period_window(BudgetPeriod::Day, LEAP_DAY);
        assert_eq!(day.key, "d2024-02-29");
        assert_eq!(day.ends_ms, Some(1_709_251_200_000)); // 2024-03-01T00:00Z

        let week = period_window(BudgetPeriod::Week, LEAP_DAY);
        assert_eq!(week.key, "w2024-02-26"); // the Monday before
        assert_eq!(week.ends_ms, Some(1_709_510_400_000)); // Monday 2024-03-04T00:00Z

        let month = period_window(BudgetPeriod::Month, LEAP_DAY);
        assert_eq!(month.key, "m2024-02");
        assert_eq!(month.ends_ms, Some(1_709_251_200_000));

        let december = period_window(BudgetPeriod::Month, 1_735_603_200_000); // 2024-12-31
        assert_eq!(december.key, "m2024-12");
        assert_eq!(december.ends_ms, Some(1_735_689_600_000)); // 2025-01-01T00:00Z

        let total = period_window(BudgetPeriod::Total, LEAP_DAY);
        assert_eq!(
            total,
            PeriodWindow {
                key: "total".into(),
                ends_ms: None
            }
        );
    }

    #[test]
    fn a_monday_starts_its_own_week() {
        let monday_midnight = 1_709_510_400_000; // 2024-03-04T00:00Z
        assert_eq!(
            period_window(BudgetPeriod::Week, monday_midnight).key,
            "w2024-03-04"
        );
        assert_eq!(
            period_window(BudgetPeriod::Week, monday_midnight - 1).key,
            "w2024-02-26"
        );
    }

    #[test]
    fn windows_are_whole_minutes() {
        assert_eq!(window_of(LEAP_DAY), LEAP_DAY / 60_000);
        assert_eq!(ms_to_next_window(LEAP_DAY), 60_000);
        assert_eq!(ms_to_next_window(LEAP_DAY + 45_500), 14_500);
    }
}
