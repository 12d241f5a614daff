//! RPC request signing, signature version 1.0 (HMAC-SHA1; "v2" in current Alibaba docs), as the
//! server computes it: pure functions, no clock and no randomness.
//!
//! This is written from the algorithm's description (docs/kms-api.md §6), independently of the
//! provider's signer, so that a misreading of the algorithm cannot hide in both.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The name of the parameter that carries the signature; it is never part of the signed set.
pub const SIGNATURE_PARAMETER: &str = "Signature";

/// Percent-encodes `input` the way the RPC signature requires: the UTF-8 bytes, with
/// `A-Z a-z 0-9 - _ . ~` kept and every other byte written as `%XY` in upper-case hex.
pub fn percent_encode(input: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(input.len() * 3 / 2);
    for &byte in input.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push('%');
            encoded.push(HEX[usize::from(byte >> 4)] as char);
            encoded.push(HEX[usize::from(byte & 0x0f)] as char);
        }
    }
    encoded
}

/// The canonicalized query string: every parameter except `Signature`, sorted by key (byte
/// order, which is `BTreeMap<String, _>` order), each `encode(key)=encode(value)`, joined by `&`.
pub fn canonicalized_query_string(params: &BTreeMap<String, String>) -> String {
    let mut canonical = String::new();
    for (key, value) in params {
        if key == SIGNATURE_PARAMETER {
            continue;
        }
        if !canonical.is_empty() {
            canonical.push('&');
        }
        canonical.push_str(&percent_encode(key));
        canonical.push('=');
        canonical.push_str(&percent_encode(value));
    }
    canonical
}

/// `METHOD&%2F&percent_encode(canonicalized query string)`.
pub fn string_to_sign(http_method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{http_method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query_string(params))
    )
}

/// `Base64(HMAC-SHA1(key = secret + "&", data = string_to_sign))`.
pub fn sign(access_key_secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(
        mac_over(access_key_secret, string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `given` (as sent, base64) is the signature of `string_to_sign` under the secret. The
/// comparison is constant-time, as a server's should be.
pub fn verify(access_key_secret: &str, string_to_sign: &str, given: &str) -> bool {
    let Ok(given_bytes) = base64::engine::general_purpose::STANDARD.decode(given) else {
        return false;
    };
    mac_over(access_key_secret, string_to_sign)
        .verify_slice(&given_bytes)
        .is_ok()
}

fn mac_over(access_key_secret: &str, string_to_sign: &str) -> Hmac<Sha1> {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(format!("{access_key_secret}&").as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encode_keeps_unreserved_and_encodes_the_rest_in_upper_case() {
        assert_eq!(percent_encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(
            percent_encode(" *+/=&!'()%"),
            "%20%2A%2B%2F%3D%26%21%27%28%29%25"
        );
        assert_eq!(percent_encode("测"), "%E6%B5%8B");
    }

    #[test]
    fn upstream_unit_vector_with_an_empty_method() {
        let params = BTreeMap::from([("test".to_owned(), "ok".to_owned())]);
        let sts = string_to_sign("", &params);
        assert_eq!(sts, "&%2F&test%3Dok");
        assert_eq!(
            sign("accessKeySecret", &sts),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU="
        );
    }

    #[test]
    fn verify_rejects_other_signatures_and_garbage() {
        let sts = "GET&%2F&a%3Db";
        let good = sign("secret", sts);
        assert!(verify("secret", sts, &good));
        assert!(!verify("other", sts, &good));
        assert!(!verify("secret", sts, "not base64!"));
        assert!(!verify("secret", sts, ""));
    }
}
