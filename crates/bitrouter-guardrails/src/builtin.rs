//! The built-in detectors: each is one or more regexes with a check run on every hit.
//!
//! The regexes use ASCII classes (`[0-9]`, not `\d`) and ASCII word boundaries (`(?-u:\b)`) so
//! that the whole set runs on the regex crate's lazy DFA in one pass; the checks do what a
//! regex cannot (checksums, number ranges, Unicode neighbours).

use crate::config::Builtin;
use crate::validate::{self, Check};

/// One regex of a detector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern {
    /// What it finds, for findings and metrics (`secrets/aws_access_key_id`).
    pub(crate) label: &'static str,
    /// The regex.
    pub(crate) regex: &'static str,
    /// The check every hit must pass.
    pub(crate) check: Check,
}

const fn p(label: &'static str, regex: &'static str, check: Check) -> Pattern {
    Pattern {
        label,
        regex,
        check,
    }
}

const EMAIL: &[Pattern] = &[p(
    "email",
    r"(?i)(?-u:\b)[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,4}\.[a-z]{2,24}(?-u:\b)",
    validate::any,
)];

const PHONE: &[Pattern] = &[
    // International: `+` country code, then digits with optional single separators.
    p(
        "phone/international",
        r"\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}",
        validate::phone,
    ),
    // North American numbers written with separators: (555) 123-4567, 555-123-4567.
    p(
        "phone/nanp",
        r"(?:\([2-9][0-9]{2}\) ?|(?-u:\b)[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}(?-u:\b)",
        validate::phone,
    ),
];

const CREDIT_CARD: &[Pattern] = &[
    p(
        "credit_card",
        r"(?-u:\b)(?:[0-9]{4}[ -]?){3}[0-9]{1,7}(?-u:\b)",
        validate::credit_card,
    ),
    // American Express groups its 15 digits 4-6-5.
    p(
        "credit_card/amex",
        r"(?-u:\b)3[47][0-9]{2}[ -][0-9]{6}[ -][0-9]{5}(?-u:\b)",
        validate::credit_card,
    ),
];

const IBAN: &[Pattern] = &[p(
    "iban",
    r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?-u:\b)",
    validate::iban,
)];

const US_SSN: &[Pattern] = &[p(
    "us_ssn",
    r"(?-u:\b)[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}(?-u:\b)",
    validate::us_ssn,
)];

const IP_ADDRESS: &[Pattern] = &[
    p(
        "ip_address/v4",
        r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)",
        validate::ipv4,
    ),
    // At least three non-empty groups, so `a::b` in code is not an address.
    p(
        "ip_address/v6",
        r"(?-u:\b)(?:[0-9A-Fa-f]{1,4}::?){2,7}[0-9A-Fa-f]{1,4}(?-u:\b)",
        validate::ipv6,
    ),
];

const SECRETS: &[Pattern] = &[
    p(
        "secrets/aws_access_key_id",
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA|AGPA|ANPA|ANVA|AIPA)[0-9A-Z]{16}(?-u:\b)",
        validate::any,
    ),
    p(
        "secrets/aws_secret_access_key",
        r#"(?i)aws_?secret_?access_?key["']?[ \t]*[:=][ \t]*["']?[A-Za-z0-9/+=]{40}"#,
        validate::any,
    ),
    // A whole PEM block, or (while it streams in) its header and the body seen so far.
    p(
        "secrets/private_key",
        r"-----BEGIN[A-Z0-9 ]{0,24} PRIVATE KEY-----(?s:.)*?-----END[A-Z0-9 ]{0,24} PRIVATE KEY-----",
        validate::any,
    ),
    p(
        "secrets/private_key",
        r"-----BEGIN[A-Z0-9 ]{0,24} PRIVATE KEY-----(?:[A-Za-z0-9+/=\r\n \t:,]|-[A-Za-z]|\\[nr])*",
        validate::any,
    ),
    p(
        "secrets/jwt",
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        validate::any,
    ),
    p(
        "secrets/anthropic_api_key",
        r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,200}",
        validate::random_token,
    ),
    p(
        "secrets/openai_api_key",
        r"(?-u:\b)sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_-]{20,200}",
        validate::random_token,
    ),
    p(
        "secrets/google_api_key",
        r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        validate::any,
    ),
    p(
        "secrets/github_token",
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,242})(?-u:\b)",
        validate::any,
    ),
    p(
        "secrets/slack_token",
        r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,100}",
        validate::random_token,
    ),
    p(
        "secrets/stripe_key",
        r"(?-u:\b)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,99}(?-u:\b)",
        validate::any,
    ),
    p(
        "secrets/provider_api_key",
        r"(?-u:\b)(?:gsk_[A-Za-z0-9]{40,60}|xai-[A-Za-z0-9]{60,100}|hf_[A-Za-z0-9]{30,40}|pplx-[A-Za-z0-9]{40,60})(?-u:\b)",
        validate::random_token,
    ),
];

/// The patterns of a built-in detector.
pub(crate) fn patterns(builtin: Builtin) -> &'static [Pattern] {
    match builtin {
        Builtin::Email => EMAIL,
        Builtin::Phone => PHONE,
        Builtin::CreditCard => CREDIT_CARD,
        Builtin::Iban => IBAN,
        Builtin::UsSsn => US_SSN,
        Builtin::IpAddress => IP_ADDRESS,
        Builtin::Secrets => SECRETS,
    }
}
