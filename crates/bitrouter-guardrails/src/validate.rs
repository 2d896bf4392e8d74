//! Checks run on a candidate match after its regex hit: checksums (Luhn, IBAN mod-97), number
//! rules (SSN areas, IP octets) and word boundaries the regexes cannot express cheaply.
//!
//! Each check sees the whole text and the candidate's byte range, so it can look at the
//! characters around the match.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// A check on a candidate match.
pub(crate) type Check = fn(&str, Range<usize>) -> bool;

/// Accepts every candidate.
pub(crate) fn any(_: &str, _: Range<usize>) -> bool {
    true
}

fn before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|s| s.chars().next_back())
}

fn after(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|s| s.chars().next())
}

/// Neither neighbour is a letter or a digit (so `x555-123-4567` or `1234-56-78901` do not count).
pub(crate) fn standalone(text: &str, r: Range<usize>) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !word(before(text, r.start)) && !word(after(text, r.end))
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// The Luhn checksum of a digit string is valid.
pub(crate) fn luhn(digits: &[u32]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            *d
        };
    }
    sum % 10 == 0
}

/// A payment card number: 13–19 digits, an issuer prefix (2–6), a valid Luhn checksum.
pub(crate) fn credit_card(text: &str, r: Range<usize>) -> bool {
    let d = digits(&text[r.clone()]);
    standalone(text, r)
        && (13..=19).contains(&d.len())
        && matches!(d.first(), Some(2..=6))
        && luhn(&d)
}

/// An IBAN: country letters, 15–34 characters, and the ISO 13616 mod-97 remainder of 1.
pub(crate) fn iban(text: &str, r: Range<usize>) -> bool {
    if !standalone(text, r.clone()) {
        return false;
    }
    let compact: Vec<char> = text[r].chars().filter(|c| *c != ' ').collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    // Move the first four characters to the end, letters become 10..35, take the number mod 97.
    let mut rem: u32 = 0;
    for c in compact[4..].iter().chain(&compact[..4]) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// A US SSN: one separator style, area not 000, 666 or 9xx, group not 00, serial not 0000.
pub(crate) fn us_ssn(text: &str, r: Range<usize>) -> bool {
    let s = &text[r.clone()];
    let b = s.as_bytes();
    if b.len() != 11 || b[3] != b[6] {
        return false;
    }
    let num = |x: &str| x.parse::<u32>().unwrap_or(0);
    let (area, group, serial) = (num(&s[0..3]), num(&s[4..6]), num(&s[7..11]));
    standalone(text, r) && area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// A phone number with 8–15 digits (E.164 allows at most 15).
pub(crate) fn phone(text: &str, r: Range<usize>) -> bool {
    let n = digits(&text[r.clone()]).len();
    let prev = before(text, r.start);
    let next = after(text, r.end);
    let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '+');
    (8..=15).contains(&n) && !joined(prev) && !joined(next)
}

fn not_in_dotted_run(text: &str, r: &Range<usize>) -> bool {
    let prev = before(text, r.start);
    let next = after(text, r.end);
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == ':');
    let next_continues = next == Some('.')
        && text
            .get(r.end + 1..)
            .and_then(|s| s.chars().next())
            .is_some_and(|c| c.is_ascii_digit());
    !(glued(prev) || next.is_some_and(|c| c.is_alphanumeric() || c == ':') || next_continues)
}

/// An IPv4 address whose octets are 0–255 (no leading zeros), not part of a longer dotted run.
pub(crate) fn ipv4(text: &str, r: Range<usize>) -> bool {
    not_in_dotted_run(text, &r) && text[r].parse::<Ipv4Addr>().is_ok()
}

/// An IPv6 address the standard library parses.
pub(crate) fn ipv6(text: &str, r: Range<usize>) -> bool {
    not_in_dotted_run(text, &r) && text[r].parse::<Ipv6Addr>().is_ok()
}

/// A token that looks generated: it holds both a digit and a letter after its prefix (so
/// `sk-this-is-a-long-slug-name` is not an API key).
pub(crate) fn random_token(text: &str, r: Range<usize>) -> bool {
    let s = &text[r.clone()];
    let body = s.split_once(['-', '_']).map_or(s, |(_, b)| b);
    standalone(text, r)
        && body.chars().any(|c| c.is_ascii_digit())
        && body.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(f: Check, s: &str) -> bool {
        f(s, 0..s.len())
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn(&digits("4111111111111111")));
        assert!(luhn(&digits("79927398713")));
        assert!(!luhn(&digits("4111111111111112")));
    }

    #[test]
    fn iban_known_values() {
        assert!(whole(iban, "DE89370400440532013000"));
        assert!(whole(iban, "GB82 WEST 1234 5698 7654 32"));
        assert!(!whole(iban, "DE89370400440532013001"));
    }

    #[test]
    fn ssn_rules() {
        assert!(whole(us_ssn, "123-45-6789"));
        assert!(!whole(us_ssn, "000-45-6789"));
        assert!(!whole(us_ssn, "666-45-6789"));
        assert!(!whole(us_ssn, "900-45-6789"));
        assert!(!whole(us_ssn, "123-00-6789"));
        assert!(!whole(us_ssn, "123-45-0000"));
        assert!(!whole(us_ssn, "123-45 6789"));
    }

    #[test]
    fn ip_rules() {
        assert!(whole(ipv4, "192.168.1.20"));
        assert!(!whole(ipv4, "999.1.1.1"));
        assert!(!ipv4("1.2.3.4.5", 0..7));
        assert!(whole(ipv6, "2001:db8:85a3::8a2e:370:7334"));
        assert!(!whole(ipv6, "12:30:45"));
    }
}
