//! Request signing, signature V3 (`ACS3-HMAC-SHA256`, the current SDKs' default), as the server
//! computes it: pure functions, no clock and no randomness.
//!
//! Written from Alibaba Cloud's public description of the V3 mechanism, independently of any
//! client: the canonical request is
//! `METHOD\nCANONICAL_URI\nCANONICAL_QUERY\nCANONICAL_HEADERS\nSIGNED_HEADERS\nHASHED_PAYLOAD`,
//! the string to sign is `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)), and the
//! signature is hex(HMAC-SHA256(secret, string to sign)). Hashing uses `ring`, which the crate
//! already links for its key material.

use std::collections::BTreeMap;

use crate::signature::percent_encode;

/// The only V3 algorithm the emulator verifies.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...`
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The algorithm named before the first space, e.g. `ACS3-HMAC-SHA256`.
    pub algorithm: String,
    /// The AccessKey ID.
    pub credential: String,
    /// The signed header names, lower-case, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature as sent.
    pub signature: String,
}

/// Why an `Authorization` header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// No space between the algorithm and its fields.
    #[error("the Authorization header must be \"ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...\"")]
    Shape,
    /// A field is absent or empty.
    #[error("the Authorization header has no {0}")]
    MissingField(&'static str),
}

/// Parses the `Authorization` header of a V3 request. Field order is free; unknown fields are
/// refused as a malformed header would be.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthorizationError> {
    let value = value.trim();
    let (algorithm, fields) = value.split_once(' ').ok_or(AuthorizationError::Shape)?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in fields.split(',') {
        let (name, field_value) = field
            .trim()
            .split_once('=')
            .ok_or(AuthorizationError::Shape)?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(AuthorizationError::Shape),
        };
        *slot = Some(field_value.to_owned());
    }
    let non_empty = |value: Option<String>, name: &'static str| {
        value
            .filter(|value| !value.is_empty())
            .ok_or(AuthorizationError::MissingField(name))
    };
    let credential = non_empty(credential, "Credential")?;
    let signed_headers = non_empty(signed_headers, "SignedHeaders")?
        .split(';')
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let signature = non_empty(signature, "Signature")?;
    Ok(Authorization {
        algorithm: algorithm.to_owned(),
        credential,
        signed_headers,
        signature,
    })
}

/// The canonical query string: parameters sorted by name (byte order), each
/// `encode(name)=encode(value)` with the RFC 3986 encoding of [`percent_encode`], joined by `&`.
pub fn canonical_query_string(query: &BTreeMap<String, String>) -> String {
    let mut canonical = String::new();
    for (name, value) in query {
        if !canonical.is_empty() {
            canonical.push('&');
        }
        canonical.push_str(&percent_encode(name));
        canonical.push('=');
        canonical.push_str(&percent_encode(value));
    }
    canonical
}

/// The canonical headers block and the signed-headers line. `headers` holds the request's
/// headers as (name, value) pairs, names in any case; only the names in `signed` are used, each
/// once, lower-case, sorted, with its values trimmed and (when repeated) sorted and joined by `,`.
pub fn canonical_headers<N: AsRef<str>, V: AsRef<str>>(
    headers: &[(N, V)],
    signed: &[String],
) -> (String, String) {
    let mut names: Vec<String> = signed
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let mut block = String::new();
    for name in &names {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(header, _)| header.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref().trim())
            .collect();
        values.sort_unstable();
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    (block, names.join(";"))
}

/// The canonical request. `path` is the URL path as sent (already percent-encoded; `/` for RPC
/// APIs), `hashed_payload` the lower-case hex SHA-256 of the body.
pub fn canonical_request<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    headers: &[(N, V)],
    signed: &[String],
    hashed_payload: &str,
) -> String {
    let (header_block, signed_line) = canonical_headers(headers, signed);
    let canonical_uri = if path.is_empty() { "/" } else { path };
    format!(
        "{method}\n{canonical_uri}\n{}\n{header_block}\n{signed_line}\n{hashed_payload}",
        canonical_query_string(query)
    )
}

/// `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request)).
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// Lower-case hex of SHA-256 of `bytes`, as in `x-acs-content-sha256`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// hex(HMAC-SHA256(key = secret, data = string to sign)).
pub fn sign(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, access_key_secret.as_bytes());
    hex(ring::hmac::sign(&key, string_to_sign.as_bytes()).as_ref())
}

/// Whether `given` (hex, either case) is the signature of `string_to_sign`; constant-time.
pub fn verify(access_key_secret: &str, string_to_sign: &str, given: &str) -> bool {
    let Some(given_bytes) = unhex(given) else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, access_key_secret.as_bytes());
    ring::hmac::verify(&key, string_to_sign.as_bytes(), &given_bytes).is_ok()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            u8::try_from(high << 4 | low).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_fields_in_any_order() {
        let parsed = parse_authorization(
            "ACS3-HMAC-SHA256 SignedHeaders=host;x-acs-date,Credential=ak,Signature=ab01",
        )
        .unwrap();
        assert_eq!(parsed.algorithm, "ACS3-HMAC-SHA256");
        assert_eq!(parsed.credential, "ak");
        assert_eq!(parsed.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(parsed.signature, "ab01");
        assert_eq!(
            parse_authorization("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host"),
            Err(AuthorizationError::MissingField("Signature"))
        );
        assert_eq!(
            parse_authorization("ACS3-HMAC-SHA256"),
            Err(AuthorizationError::Shape)
        );
        assert_eq!(
            parse_authorization("ACS3-HMAC-SHA256 Credential=ak,Bogus=1,Signature=a"),
            Err(AuthorizationError::Shape)
        );
    }

    #[test]
    fn canonical_headers_lower_case_sort_trim_and_join_repeats() {
        let headers = vec![
            ("X-Acs-Date".to_owned(), " 2024-01-02T03:04:05Z ".to_owned()),
            ("host".to_owned(), "example.com".to_owned()),
            ("x-multi".to_owned(), "b".to_owned()),
            ("x-multi".to_owned(), "a".to_owned()),
            ("user-agent".to_owned(), "not signed".to_owned()),
        ];
        let (block, signed) = canonical_headers(
            &headers,
            &["x-multi".into(), "Host".into(), "x-acs-date".into()],
        );
        assert_eq!(
            block,
            "host:example.com\nx-acs-date:2024-01-02T03:04:05Z\nx-multi:a,b\n"
        );
        assert_eq!(signed, "host;x-acs-date;x-multi");
    }

    #[test]
    fn empty_payload_hash_and_hex_round_trip() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let signature = sign("secret", "ACS3-HMAC-SHA256\nabc");
        assert_eq!(signature.len(), 64);
        assert!(verify("secret", "ACS3-HMAC-SHA256\nabc", &signature));
        assert!(verify(
            "secret",
            "ACS3-HMAC-SHA256\nabc",
            &signature.to_ascii_uppercase()
        ));
        assert!(!verify("other", "ACS3-HMAC-SHA256\nabc", &signature));
        assert!(!verify("secret", "ACS3-HMAC-SHA256\nabc", "zz"));
        assert!(!verify("secret", "ACS3-HMAC-SHA256\nabc", "abc"));
    }
}
