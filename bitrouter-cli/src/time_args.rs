//! Times on the command line: durations (`90m`, `12h`, `30d`, `1h30m`) and instants (a
//! duration from now, a date `2026-12-31`, or RFC 3339 `2026-12-31T18:00:00Z`), and how times
//! are printed.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

const DURATION_HELP: &str = "expected a number and a unit like 90s, 90m, 12h, 30d or 2w (units s, m, h, d, w; may be combined: 1h30m)";

/// A duration such as `90m`, `12h`, `30d`, `2w` or `1h30m`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = |why: &str| format!("bad duration `{text}`: {why}; {DURATION_HELP}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.is_empty() {
            return Err(bad(&format!("`{c}` has no number before it")));
        }
        let n: i64 = digits.parse().map_err(|_| bad("the number is too large"))?;
        digits.clear();
        let part = match c {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            other => return Err(bad(&format!("unknown unit `{other}`"))),
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .ok_or_else(|| bad("it is too long"))?;
    }
    if !digits.is_empty() {
        return Err(bad("the last number has no unit"));
    }
    Ok(total)
}

/// An instant: a duration from `now`, a date (00:00 UTC that day) or an RFC 3339 time.
pub fn instant_after(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    absolute(text).map_or_else(
        || {
            let d = duration(text).map_err(|e| instant_error(text, &e))?;
            now.checked_add_signed(d)
                .ok_or_else(|| format!("`{text}` is too far in the future"))
        },
        Ok,
    )
}

/// An instant in the past: a duration before `now`, a date or an RFC 3339 time.
pub fn instant_before(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    absolute(text).map_or_else(
        || {
            let d = duration(text).map_err(|e| instant_error(text, &e))?;
            now.checked_sub_signed(d)
                .ok_or_else(|| format!("`{text}` is too far in the past"))
        },
        Ok,
    )
}

fn instant_error(text: &str, duration_error: &str) -> String {
    let why = duration_error
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map_or("", |(why, _)| why);
    format!(
        "bad time `{text}` ({why}): give a duration (30d, 12h, 90m), a date (2026-12-31, meaning 00:00 UTC) or an RFC 3339 time (2026-12-31T18:00:00Z)"
    )
}

fn absolute(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time in JSON output: RFC 3339 in UTC, whole seconds.
pub fn json(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time in tables: `2026-12-31 18:00Z`.
pub fn human(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%MZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations_with_units_and_combinations() {
        assert_eq!(duration("90m").unwrap(), Duration::minutes(90));
        assert_eq!(duration("12h").unwrap(), Duration::hours(12));
        assert_eq!(duration("30d").unwrap(), Duration::days(30));
        assert_eq!(duration("2w").unwrap(), Duration::days(14));
        assert_eq!(duration("45s").unwrap(), Duration::seconds(45));
        assert_eq!(duration("1h30m").unwrap(), Duration::minutes(90));
    }

    #[test]
    fn bad_durations_say_what_is_accepted() {
        for (text, why) in [
            ("", "empty"),
            ("30", "no unit"),
            ("h", "no number"),
            ("3y", "unknown unit `y`"),
            ("99999999999999999999d", "too large"),
        ] {
            let err = duration(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.contains("90m, 12h, 30d"), "{err}");
        }
    }

    #[test]
    fn instants_from_durations_dates_and_rfc3339() {
        let now = at("2026-01-10T12:00:00Z");
        assert_eq!(
            instant_after("30d", now).unwrap(),
            at("2026-02-09T12:00:00Z")
        );
        assert_eq!(
            instant_before("24h", now).unwrap(),
            at("2026-01-09T12:00:00Z")
        );
        assert_eq!(
            instant_after("2026-12-31", now).unwrap(),
            at("2026-12-31T00:00:00Z")
        );
        assert_eq!(
            instant_after("2026-12-31T18:00:00+02:00", now).unwrap(),
            at("2026-12-31T16:00:00Z")
        );
        let err = instant_after("tomorrow", now).unwrap_err();
        assert!(err.contains("2026-12-31"), "{err}");
        let err = instant_before("3y", now).unwrap_err();
        assert!(err.starts_with("bad time `3y` (unknown unit `y`)"), "{err}");
    }

    #[test]
    fn formats() {
        let t = at("2026-12-31T18:05:09.250Z");
        assert_eq!(json(t), "2026-12-31T18:05:09Z");
        assert_eq!(human(t), "2026-12-31 18:05Z");
    }
}
