//! Digests as text: the SHA-256 of an archive, and the short keys that
//! name msp's lock and record files after a client or a database.

use sha2::{Digest, Sha256};

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A file-name-safe key for `text` (stable across runs): the first `bytes`
/// bytes of its SHA-256, in hexadecimal.
pub(crate) fn key(text: &str, bytes: usize) -> String {
    hex(&Sha256::digest(text.as_bytes())[..bytes])
}

/// Standard base64 with padding (HTTP Basic, HubEE's `digest` header).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The SHA-256 of `bytes` in base64, as HubEE's `digest` header gives it.
pub fn base64_sha256(bytes: &[u8]) -> String {
    base64(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_digest_is_standard() {
        // echo -n abc | sha256sum | xxd -r -p | base64
        assert_eq!(
            base64_sha256(b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }

    #[test]
    fn a_key_is_the_digest_cut() {
        assert_eq!(key("Paris", 6).len(), 12);
        assert!(hex(&Sha256::digest(b"Paris")).starts_with(&key("Paris", 6)));
    }
}
