//! RPC request signing, `SignatureVersion=1.0` with HMAC-SHA1 (called "V2" in current Alibaba
//! Cloud documents), as a set of pure functions.
//!
//! Invariant: nothing in this module reads the clock or a random source. The timestamp and the
//! nonce are inputs ([`CommonParameters`]); the caller-facing layer (`client`) picks them, fresh
//! for every attempt. That is what lets the test vectors in `tests/fixtures/signing/` pin every
//! stage exactly.
//!
//! The algorithm (docs/kms-api.md §6), stage by stage:
//!
//! 1. every request parameter (query and form body, common and action parameters) except
//!    `Signature`, empty values included;
//! 2. [`percent_encode`] each key and value (RFC 3986 unreserved characters kept, every other
//!    UTF-8 byte as `%XY` upper-case);
//! 3. sort by key (byte order) and join `key=value` with `&`: [`canonical_query`];
//! 4. `METHOD&%2F&percent_encode(canonical query)`: [`string_to_sign`];
//! 5. `base64(HMAC-SHA1(key = secret + "&", string to sign))`: [`signature`].

use base64::Engine as _;
use chrono::{DateTime, Datelike, Timelike, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The API version every KMS action of this client uses.
pub const API_VERSION: &str = "2016-01-20";

/// The value of `SignatureMethod`.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";

/// The value of `SignatureVersion`.
pub const SIGNATURE_VERSION: &str = "1.0";

/// The value of `Format`; tea-rpc (the Terraform provider's client) sends the lower-case form.
pub const RESPONSE_FORMAT: &str = "json";

/// `YYYY-MM-DDTHH:MM:SSZ`, the only `Timestamp` format the gateway accepts (written out by hand:
/// a strftime pattern is re-parsed on every call).
pub fn format_timestamp(time: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// Encodes a string the way every Alibaba Cloud RPC signer does: the UTF-8 bytes, with
/// `A-Z a-z 0-9 - _ . ~` kept and every other byte written `%XY` with upper-case hex.
///
/// So a space is `%20` (never `+`), `*` is `%2A` and `~` stays `~`. The same encoding is valid in
/// a URL query and in an `application/x-www-form-urlencoded` body, so the transport uses it too.
pub fn percent_encode(input: &str) -> String {
    let mut encoded = String::with_capacity(input.len() + input.len() / 2);
    percent_encode_into(&mut encoded, input);
    encoded
}

/// [`percent_encode`], appending to `encoded` (the client builds a whole query this way without
/// an allocation per key and value).
pub fn percent_encode_into(encoded: &mut String, input: &str) {
    const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in input.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(UPPER_HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(UPPER_HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// Builds the canonicalized query string: parameters sorted by key (then value, so the result is
/// deterministic even for a repeated key), each written `percent_encode(key)=percent_encode(value)`,
/// joined with `&`. A parameter named `Signature` is left out: it is the result, not an input.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(parameters: &[(K, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = parameters
        .iter()
        .map(|(key, value)| (key.as_ref(), value.as_ref()))
        .filter(|(key, _)| *key != "Signature")
        .collect();
    // Byte order of UTF-8 equals code point order, which is what the official SDKs sort by.
    sorted.sort_unstable();
    encode_pairs(&sorted)
}

/// `k=v&k=v` in the given order, both sides percent-encoded: a canonical query once sorted, and
/// valid as a URL query and as a form body.
pub fn encode_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let length: usize = pairs
        .iter()
        .map(|(key, value)| key.as_ref().len() + value.as_ref().len() + 2)
        .sum();
    let mut encoded = String::with_capacity(length + length / 2 + 64);
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            encoded.push('&');
        }
        percent_encode_into(&mut encoded, key.as_ref());
        encoded.push('=');
        percent_encode_into(&mut encoded, value.as_ref());
    }
    encoded
}

/// Builds the string to sign: `METHOD&%2F&percent_encode(canonical_query)`. The method is used as
/// given (upper-case on the wire; one upstream test signs with an empty method).
pub fn string_to_sign(http_method: &str, canonical_query: &str) -> String {
    format!("{http_method}&%2F&{}", percent_encode(canonical_query))
}

/// Computes `base64(HMAC-SHA1(key = access_key_secret + "&", string_to_sign))`.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let mut key = Vec::with_capacity(access_key_secret.len() + 1);
    key.extend_from_slice(access_key_secret.as_bytes());
    key.push(b'&');
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).expect("HMAC accepts a key of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Every intermediate stage of one signature, so tests can compare each against its vector.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningStages {
    /// Stage 3: the sorted, encoded `key=value&...` string.
    pub canonical_query: String,
    /// Stage 4: `METHOD&%2F&...`.
    pub string_to_sign: String,
    /// Stage 5: the base64 signature, before any URL encoding.
    pub signature: String,
}

impl std::fmt::Debug for SigningStages {
    // The canonical query carries every parameter value, a client-key password included, so it
    // is never printed; the signature alone reveals nothing.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningStages")
            .field("canonical_query", &crate::kms::secret::REDACTED)
            .field("string_to_sign", &crate::kms::secret::REDACTED)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Runs stages 3 to 5 over `parameters` (the union of query and body parameters).
pub fn sign<K: AsRef<str>, V: AsRef<str>>(
    http_method: &str,
    parameters: &[(K, V)],
    access_key_secret: &str,
) -> SigningStages {
    let canonical_query = canonical_query(parameters);
    let string_to_sign = string_to_sign(http_method, &canonical_query);
    let signature = signature(access_key_secret, &string_to_sign);
    SigningStages {
        canonical_query,
        string_to_sign,
        signature,
    }
}

/// The common parameters of one attempt. The timestamp and nonce come from the caller, never
/// from this module.
#[derive(Clone, Copy)]
pub struct CommonParameters<'a> {
    /// The action name, e.g. `GetClientKey`.
    pub action: &'a str,
    /// The AccessKey ID (an `STS.` id with temporary credentials).
    pub access_key_id: &'a str,
    /// The STS security token; sent and signed only when present and non-empty.
    pub security_token: Option<&'a str>,
    /// UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
    pub timestamp: &'a str,
    /// A value never used before by this AccessKey (the gateway rejects a repeat for 31 minutes).
    pub signature_nonce: &'a str,
}

impl CommonParameters<'_> {
    /// The parameters exactly as tea-rpc sends them (no `RegionId`: the endpoint is regional).
    pub fn to_parameters(&self) -> Vec<(String, String)> {
        let mut parameters = vec![
            ("Action".to_owned(), self.action.to_owned()),
            ("Version".to_owned(), API_VERSION.to_owned()),
            ("Format".to_owned(), RESPONSE_FORMAT.to_owned()),
            ("AccessKeyId".to_owned(), self.access_key_id.to_owned()),
            ("SignatureMethod".to_owned(), SIGNATURE_METHOD.to_owned()),
            ("SignatureVersion".to_owned(), SIGNATURE_VERSION.to_owned()),
            ("SignatureNonce".to_owned(), self.signature_nonce.to_owned()),
            ("Timestamp".to_owned(), self.timestamp.to_owned()),
        ];
        if let Some(token) = self.security_token.filter(|token| !token.is_empty()) {
            parameters.push(("SecurityToken".to_owned(), token.to_owned()));
        }
        parameters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encode_follows_the_alibaba_rules() {
        let cases = [
            ("", ""),
            ("AZaz09-_.~", "AZaz09-_.~"),
            (" ", "%20"),
            ("*", "%2A"),
            ("+/=&%", "%2B%2F%3D%26%25"),
            ("!'()", "%21%27%28%29"),
            ("测", "%E6%B5%8B"),
            ("😀", "%F0%9F%98%80"),
            ("a\nb", "a%0Ab"),
        ];
        for (input, expected) in cases {
            assert_eq!(percent_encode(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn canonical_query_sorts_by_raw_key_and_skips_signature() {
        let parameters = [("b", "2"), ("Signature", "x"), ("B", ""), ("a", "1 1")];
        assert_eq!(canonical_query(&parameters), "B=&a=1%201&b=2");
    }

    #[test]
    fn security_token_is_added_only_when_present() {
        let mut common = CommonParameters {
            action: "GetClientKey",
            access_key_id: "id",
            security_token: None,
            timestamp: "2024-01-02T03:04:05Z",
            signature_nonce: "n",
        };
        let without = common.to_parameters();
        assert!(without.iter().all(|(key, _)| key != "SecurityToken"));
        common.security_token = Some("");
        assert_eq!(common.to_parameters(), without);
        common.security_token = Some("tok");
        assert!(common
            .to_parameters()
            .contains(&("SecurityToken".to_owned(), "tok".to_owned())));
    }

    #[test]
    fn debug_of_stages_hides_the_parameters() {
        let stages = sign("POST", &[("Password", "pw-secret-1")], "secret");
        assert!(!format!("{stages:?}").contains("pw-secret-1"));
    }
}
