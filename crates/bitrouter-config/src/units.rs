//! Human-written durations (`10s`, `1m30s`, `500ms`) and byte sizes (`16MiB`, `1048576`).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// Parses a duration written as one or more `<number><unit>` groups, units `ms`, `s`, `m`, `h`
/// (`"10s"`, `"1m30s"`, `"250ms"`). A bare number or zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration: write a number with a unit, e.g. `10s`".to_owned());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "duration `{s}` has no unit: write e.g. `{s}s` (units: ms, s, m, h)"
        ));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if digits == 0 || unit_len == 0 {
            return Err(format!(
                "bad duration `{s}`: write groups like `10s`, `1m30s` or `500ms` (units: ms, s, m, h)"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad duration `{s}`: the number is too large"))?;
        let unit = &rest[digits..digits + unit_len];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            other => {
                return Err(format!(
                    "bad duration `{s}`: unknown unit `{other}` (units: ms, s, m, h)"
                ));
            }
        };
        total = total.saturating_add(part);
        rest = &rest[digits + unit_len..];
    }
    if total.is_zero() {
        return Err(format!(
            "duration `{s}` is zero: leave the key out instead of disabling it"
        ));
    }
    Ok(total)
}

/// Parses a byte size: a plain integer (bytes) or a number with a unit
/// `B`, `KB`, `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let digits = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(format!(
            "bad size `{s}`: write a number with an optional unit, e.g. `16MiB` or `1000000`"
        ));
    }
    let n: u64 = s[..digits]
        .parse()
        .map_err(|_| format!("bad size `{s}`: the number is too large"))?;
    let factor: u64 = match s[digits..].trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "bad size `{s}`: unknown unit `{other}` (units: B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("bad size `{s}`: too large"))
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"10s\", \"5m\" or \"500ms\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Err(E::custom(format!(
            "duration `{v}` has no unit: write e.g. \"{v}s\" (units: ms, s, m, h)"
        )))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        Err(E::custom(format!(
            "duration `{v}` has no unit: write e.g. \"{v}s\" (units: ms, s, m, h)"
        )))
    }
}

/// `deserialize_with` for an optional human duration.
pub(crate) fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    d.deserialize_any(DurationVisitor).map(Some)
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"16MiB\" or a number of bytes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse_byte_size(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("size `{v}` is negative")))
    }
}

/// `deserialize_with` for an optional byte size.
pub(crate) fn opt_byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(SizeVisitor).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10 sec").is_err());
        assert!(
            parse_duration("5d")
                .unwrap_err()
                .contains("unknown unit `d`")
        );
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_byte_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_byte_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_byte_size("512"), Ok(512));
        assert_eq!(parse_byte_size("2 KiB"), Ok(2048));
        assert!(
            parse_byte_size("16mb")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_byte_size("MiB").is_err());
    }
}
