//! Request signing with `ACS3-HMAC-SHA256` ("signature V3"), as pure functions. Nothing here
//! reads the clock or a random source: `x-acs-date` and `x-acs-signature-nonce` arrive as
//! headers chosen by the caller (`client`), fresh for every attempt.
//!
//! The algorithm (docs/credentials.md has the sources), stage by stage:
//!
//! 1. [`hashed_payload`]: lower-case hex of SHA-256 of the body (of the empty string when there
//!    is none), sent as `x-acs-content-sha256`;
//! 2. [`canonical_query`]: the query parameters sorted by key, each `percent_encode(key)=
//!    percent_encode(value)` (RFC 3986, as in V2), joined with `&` (empty when there are none);
//! 3. [`canonical_headers`]: the signed headers with lower-case names, sorted, each
//!    `name:trimmed value\n`; the signed-header list is the names joined with `;`;
//! 4. [`canonical_request`]: `METHOD\nPATH\nquery\nheaders\nsigned names\nhashed payload`;
//! 5. [`string_to_sign`]: `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request));
//! 6. [`signature`]: hex(HMAC-SHA256(key = AccessKey secret, string to sign));
//! 7. [`authorization`]: `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<sig>`.
//!
//! The client signs `host`, `content-type` (with a body), and every `x-acs-*` header it sends.

use crate::kms::signer::encode_pairs;

/// The algorithm's name, the first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(LOWER_HEX[usize::from(byte >> 4)]));
        text.push(char::from(LOWER_HEX[usize::from(byte & 0x0F)]));
    }
    text
}

/// Stage 1: hex(SHA-256(body)).
pub fn hashed_payload(body: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, body).as_ref())
}

/// Stage 2: the canonical query (sorted by key, then value, so a repeated key is deterministic).
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(parameters: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(key, value)| (key.as_ref(), value.as_ref()))
        .collect();
    sorted.sort_unstable();
    encode_pairs(&sorted)
}

/// Stage 3: `(canonical headers, signed header names)`. Names are lower-cased and values trimmed;
/// the values of a name given twice are sorted and joined with `,`.
pub fn canonical_headers<K: AsRef<str>, V: AsRef<str>>(headers: &[(K, V)]) -> (String, String) {
    let mut grouped: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for (name, value) in headers {
        grouped
            .entry(name.as_ref().to_ascii_lowercase())
            .or_default()
            .push(value.as_ref().trim());
    }
    let mut canonical = String::new();
    let mut names = Vec::with_capacity(grouped.len());
    for (name, mut values) in grouped {
        values.sort_unstable();
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
        names.push(name);
    }
    (canonical, names.join(";"))
}

/// Stage 4.
pub fn canonical_request(
    http_method: &str,
    path: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!("{http_method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}")
}

/// Stage 5.
pub fn string_to_sign(canonical_request: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical_request.as_bytes());
    format!("{ALGORITHM}\n{}", hex(digest.as_ref()))
}

/// Stage 6: hex(HMAC-SHA256(secret, string to sign)).
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, access_key_secret.as_bytes());
    hex(ring::hmac::sign(&key, string_to_sign.as_bytes()).as_ref())
}

/// Stage 7.
pub fn authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}")
}

/// Every stage of one V3 signature, so tests can compare each.
#[derive(Clone, PartialEq, Eq)]
pub struct V3Stages {
    /// Stage 4.
    pub canonical_request: String,
    /// Stage 5.
    pub string_to_sign: String,
    /// Stage 6.
    pub signature: String,
    /// The signed header names.
    pub signed_headers: String,
    /// Stage 7.
    pub authorization: String,
}

impl std::fmt::Debug for V3Stages {
    // The canonical request carries every query value and the security token header.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("V3Stages")
            .field("canonical_request", &crate::kms::secret::REDACTED)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// What one V3 signature is computed over.
#[derive(Clone, Copy)]
pub struct V3Request<'a> {
    /// `GET`, `POST`, ...
    pub http_method: &'a str,
    /// `/` for RPC actions.
    pub path: &'a str,
    /// The query parameters (not encoded).
    pub query: &'a [(&'a str, &'a str)],
    /// The headers to sign.
    pub headers: &'a [(&'a str, &'a str)],
    /// Stage 1 of the body.
    pub hashed_payload: &'a str,
}

/// Runs stages 2 to 7.
pub fn sign(request: &V3Request<'_>, access_key_id: &str, access_key_secret: &str) -> V3Stages {
    let query = canonical_query(request.query);
    let (headers, signed_headers) = canonical_headers(request.headers);
    let canonical_request = canonical_request(
        request.http_method,
        request.path,
        &query,
        &headers,
        &signed_headers,
        request.hashed_payload,
    );
    let string_to_sign = string_to_sign(&canonical_request);
    let signature = signature(access_key_secret, &string_to_sign);
    let authorization = authorization(access_key_id, &signed_headers, &signature);
    V3Stages {
        canonical_request,
        string_to_sign,
        signature,
        signed_headers,
        authorization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_payload_hash_is_the_sha256_of_nothing() {
        assert_eq!(
            hashed_payload(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn headers_are_lower_cased_sorted_and_trimmed() {
        let (canonical, names) = canonical_headers(&[
            ("X-Acs-Date", " 2024 "),
            ("host", "h"),
            ("x-acs-action", "A"),
        ]);
        assert_eq!(canonical, "host:h\nx-acs-action:A\nx-acs-date:2024\n");
        assert_eq!(names, "host;x-acs-action;x-acs-date");
    }

    #[test]
    fn query_encoding_follows_rfc_3986() {
        assert_eq!(
            canonical_query(&[("b", "a b*~"), ("a", "")]),
            "a=&b=a%20b%2A~"
        );
    }
}
