//! Key secrets: generation from the OS CSPRNG, the stored SHA-256 hash, the display prefix and
//! the constant-time comparison.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::StorageError;

/// Every virtual key starts with this.
pub const SECRET_PREFIX: &str = "brvk_";

/// How many characters of the secret are kept for display (`brvk_` and 8 hex digits).
pub(crate) const DISPLAY_PREFIX_LEN: usize = SECRET_PREFIX.len() + 8;

/// `n` random bytes from the operating system's CSPRNG, as lowercase hex.
pub(crate) fn random_hex(n: usize) -> Result<String, StorageError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| StorageError::Invalid {
        field: "random source",
        reason: format!("the operating system's random generator failed: {e}"),
    })?;
    Ok(hex(&bytes))
}

/// A new secret: `brvk_` and 256 random bits as 64 hex digits.
pub(crate) fn new_secret() -> Result<String, StorageError> {
    Ok(format!("{SECRET_PREFIX}{}", random_hex(32)?))
}

/// The SHA-256 of the secret as 64 lowercase hex digits: the only form that is stored.
pub(crate) fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The characters kept for display, `brvk_ab12cd34`.
pub(crate) fn display_prefix(secret: &str) -> String {
    secret.chars().take(DISPLAY_PREFIX_LEN).collect()
}

/// Compares two hashes without leaking through timing where they differ.
pub(crate) fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_256_bit_hex_and_distinct() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with("brvk_"));
        assert_eq!(a.len(), 5 + 64);
        assert!(a[5..].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_equality() {
        assert!(hashes_equal("abcd", "abcd"));
        assert!(!hashes_equal("abcd", "abce"));
        assert!(!hashes_equal("abcd", "abc"));
    }

    #[test]
    fn display_prefix_keeps_thirteen_characters() {
        assert_eq!(display_prefix("brvk_0123456789abcdef"), "brvk_01234567");
    }
}
