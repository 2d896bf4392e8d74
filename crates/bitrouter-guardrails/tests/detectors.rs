//! Each built-in detector, user regexes and deny lists: what they find, and look-alikes they
//! must leave alone.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use bitrouter_guardrails::{Action, Builtin, DetectorConfig, RuleConfig, RuleSet};

fn rule(name: &str, detector: DetectorConfig) -> RuleConfig {
    RuleConfig {
        name: name.into(),
        detector,
        direction: Default::default(),
        scope_in: vec![],
        action: Action::Redact,
        placeholder: None,
        applies_to: Default::default(),
    }
}

/// The texts `detector` finds in `text`.
fn found(detector: DetectorConfig, text: &str) -> Vec<String> {
    let set = RuleSet::compile(&[rule("r", detector)]).unwrap();
    set.scan(text)
        .into_iter()
        .map(|m| text[m.range].to_owned())
        .collect()
}

fn builtin(b: Builtin, text: &str) -> Vec<String> {
    found(DetectorConfig::Builtin(b), text)
}

#[test]
fn email() {
    assert_eq!(
        builtin(
            Builtin::Email,
            "write to Jane.Doe+ai@mail.example.co.uk today"
        ),
        ["Jane.Doe+ai@mail.example.co.uk"]
    );
    assert!(builtin(Builtin::Email, "user@localhost and @handle and a @ b.com").is_empty());
}

#[test]
fn phone() {
    assert_eq!(
        builtin(Builtin::Phone, "call +44 20 7946 0958 or (415) 555-2671."),
        ["+44 20 7946 0958", "(415) 555-2671"]
    );
    assert_eq!(
        builtin(Builtin::Phone, "US: 415-555-2671"),
        ["415-555-2671"]
    );
    assert!(builtin(Builtin::Phone, "on 2024-01-15 version 1.2.3 id 4155552671").is_empty());
}

#[test]
fn credit_card_needs_luhn() {
    assert_eq!(
        builtin(
            Builtin::CreditCard,
            "visa 4111 1111 1111 1111, mc 5555555555554444"
        ),
        ["4111 1111 1111 1111", "5555555555554444"]
    );
    assert_eq!(
        builtin(Builtin::CreditCard, "amex 3782 822463 10005"),
        ["3782 822463 10005"]
    );
    // Sixteen digits that fail the Luhn check are not a card.
    assert!(builtin(Builtin::CreditCard, "order 4111 1111 1111 1112").is_empty());
    assert!(builtin(Builtin::CreditCard, "ts 1234567890123456").is_empty());
}

#[test]
fn iban_needs_mod_97() {
    assert_eq!(
        builtin(
            Builtin::Iban,
            "pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432."
        ),
        ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"]
    );
    assert!(builtin(Builtin::Iban, "pay DE89 3704 0044 0532 0130 01").is_empty());
    assert!(builtin(Builtin::Iban, "SHA AB12CDEF34567890").is_empty());
}

#[test]
fn us_ssn_rules() {
    assert_eq!(builtin(Builtin::UsSsn, "ssn 123-45-6789."), ["123-45-6789"]);
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "123-00-4567",
        "123-45-0000",
    ] {
        assert!(builtin(Builtin::UsSsn, bad).is_empty(), "{bad}");
    }
    assert!(builtin(Builtin::UsSsn, "part 9123-45-67890").is_empty());
}

#[test]
fn ip_addresses() {
    assert_eq!(
        builtin(
            Builtin::IpAddress,
            "hosts 10.0.0.12 and 2001:db8:85a3::8a2e:370:7334 up"
        ),
        ["10.0.0.12", "2001:db8:85a3::8a2e:370:7334"]
    );
    assert!(builtin(Builtin::IpAddress, "999.1.1.1 and 1.2.3.4.5 and 12:30:45").is_empty());
    assert!(builtin(Builtin::IpAddress, "use std::io::Read; a::b").is_empty());
}

#[test]
fn secrets() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yOoKb3Lz\n-----END RSA PRIVATE KEY-----";
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    let keys = [
        "AKIAIOSFODNN7EXAMPLE",
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA",
        "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
        "ghp_1A2b3C4d5E6f7G8h9I0j1K2l3M4n5O6p7Q8r",
        pem,
        jwt,
    ];
    for key in keys {
        let text = format!("config: {key}\nmore");
        assert_eq!(builtin(Builtin::Secrets, &text), [key], "{key}");
    }
    let clean = "sk-this-is-a-very-long-slug-name, AKIA lowercase akiaiosfodnn7example, \
                 eyJhbGciOi alone, -----BEGIN PUBLIC KEY-----";
    assert!(builtin(Builtin::Secrets, clean).is_empty());
}

#[test]
fn user_regex() {
    assert_eq!(
        found(
            DetectorConfig::Regex(r"PRJ-[0-9]{4}".into()),
            "see PRJ-1234 and PRJ-12"
        ),
        ["PRJ-1234"]
    );
}

#[test]
fn deny_list_whole_words_any_case() {
    let deny = || DetectorConfig::Deny(vec!["project falcon".into(), "ass".into()]);
    assert_eq!(
        found(deny(), "About Project Falcon: a class"),
        ["Project Falcon"]
    );
    assert!(found(deny(), "classes and passes").is_empty());
}

#[test]
fn bad_rules_are_refused_with_a_reason() {
    let err = RuleSet::compile(&[rule("r", DetectorConfig::Regex("(".into()))]).unwrap_err();
    assert!(
        err.to_string()
            .contains("rule `r`: the regex does not compile"),
        "{err}"
    );
    let err = RuleSet::compile(&[rule("r", DetectorConfig::Regex("a*".into()))]).unwrap_err();
    assert!(err.to_string().contains("matches empty text"), "{err}");
    let err = RuleSet::compile(&[rule("r", DetectorConfig::Deny(vec![]))]).unwrap_err();
    assert!(err.to_string().contains("`deny` needs"), "{err}");
    let twice = [
        rule("r", DetectorConfig::Builtin(Builtin::Email)),
        rule("r", DetectorConfig::Builtin(Builtin::Iban)),
    ];
    assert!(
        RuleSet::compile(&twice)
            .unwrap_err()
            .to_string()
            .contains("two rules are named `r`")
    );
    let mut quoted = rule("q", DetectorConfig::Builtin(Builtin::Email));
    quoted.placeholder = Some("\"x\"".into());
    assert!(
        RuleSet::compile(&[quoted])
            .unwrap_err()
            .to_string()
            .contains("placeholder")
    );
}

#[test]
fn redact_replaces_with_placeholders() {
    let set = RuleSet::compile(&[
        rule("email", DetectorConfig::Builtin(Builtin::Email)),
        rule("ssn", DetectorConfig::Builtin(Builtin::UsSsn)),
    ])
    .unwrap();
    let (text, matches) = set.redact("a@b.io has 123-45-6789");
    assert_eq!(text, "[REDACTED:email] has [REDACTED:ssn]");
    assert_eq!(matches.iter().map(|m| m.rule).collect::<Vec<_>>(), [0, 1]);
}
