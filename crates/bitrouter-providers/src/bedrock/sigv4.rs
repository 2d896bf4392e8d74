//! AWS Signature Version 4 for request headers: the canonical request, the string to sign, the
//! signing key derived with HMAC-SHA256, and the `Authorization` header.
//!
//! Follows "Create a signed AWS API request" in the IAM user guide and is checked against
//! AWS's published `aws-sig-v4-test-suite` (see `tests/bedrock_sigv4.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The algorithm name in the string to sign and the `Authorization` header.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The SHA-256 block size, for HMAC.
const BLOCK: usize = 64;

/// Long-term or temporary AWS credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials; sent (and signed) as
    /// `x-amz-security-token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    // Secrets never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

/// What a signature covers.
#[derive(Debug, Clone)]
pub struct SigV4Request<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The URL path as it is sent. It is URI-encoded once more for the canonical request, as
    /// every service but S3 expects (so a model id sent as `v1%3A0` is signed as `v1%253A0`).
    pub path: &'a str,
    /// The query parameters, decoded; they are encoded and sorted here.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers to sign, `host` and `x-amz-date` included; names in any case, repeated
    /// names joined in order.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The signing name of the service (`bedrock` for the Bedrock runtime).
    pub service: &'a str,
    /// The request time as `YYYYMMDD'T'HHMMSS'Z'`, the value of `x-amz-date`.
    pub amz_date: &'a str,
}

/// A computed signature and the steps that led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedV4 {
    /// Step 1: the canonical request.
    pub canonical_request: String,
    /// Step 2: the string to sign.
    pub string_to_sign: String,
    /// The lower-case, `;`-separated names of the signed headers.
    pub signed_headers: String,
    /// The hex signature.
    pub signature: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

/// Signs `request` with `credentials`' secret. The session token is not added here: put it
/// in `request.headers` as `x-amz-security-token` so that it is signed.
pub fn sign_v4(request: &SigV4Request<'_>, credentials: &AwsCredentials) -> SignedV4 {
    let (canonical_headers, signed_headers) = canonical_headers(request.headers);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        uri_encode(request.path, false),
        canonical_query(request.query),
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(request.body)),
    );
    let date = request.amz_date.get(..8).unwrap_or(request.amz_date);
    let scope = format!("{date}/{}/{}/aws4_request", request.region, request.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        request.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let key = signing_key(
        &credentials.secret_access_key,
        date,
        request.region,
        request.service,
    );
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    );
    SignedV4 {
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
        authorization,
    }
}

/// The hex SHA-256 of `data`, as `x-amz-content-sha256` carries it.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The current time as `x-amz-date` wants it.
pub fn amz_date_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    amz_date(secs)
}

/// Unix seconds as `YYYYMMDD'T'HHMMSS'Z'` (UTC).
pub fn amz_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (the classic era-based conversion).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Percent-encodes every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`), and `/` too
/// unless `encode_slash` is false; hex digits upper case.
pub(crate) fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if b == b'/' && !encode_slash {
            out.push('/');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block (each line ending in `\n`) and the signed header names.
fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut merged: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => merged.push((name, value)),
        }
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let block = merged.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let names = merged
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (block, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn dates_format_as_amz_date() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
    }

    #[test]
    fn model_ids_are_encoded_twice_in_the_canonical_uri() {
        let sent = format!(
            "/model/{}/converse",
            uri_encode("anthropic.claude-v2:1", true)
        );
        assert_eq!(sent, "/model/anthropic.claude-v2%3A1/converse");
        assert_eq!(
            uri_encode(&sent, false),
            "/model/anthropic.claude-v2%253A1/converse"
        );
    }
}
