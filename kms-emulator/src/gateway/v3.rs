//! Admission of signature V3 requests (`Authorization: ACS3-HMAC-SHA256 ...`): the headers the
//! mechanism requires, the payload hash, the timestamp window, then the shared credential,
//! token, expiry and nonce checks.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{check_timestamp, decode_query, resolve_action, Admitted, Gateway, RawRequest};
use crate::error::ApiError;
use crate::params::Params;
use crate::rules;
use crate::signature_v3;

/// Headers every V3 request carries and signs.
const REQUIRED_HEADERS: [&str; 4] = [
    "host",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

pub(super) fn admit(
    gateway: &Gateway,
    request: &RawRequest<'_>,
    params: Params,
    now: DateTime<Utc>,
    instant: Instant,
) -> Result<Admitted, ApiError> {
    let authorization = signature_v3::parse_authorization(request.authorization.unwrap_or(""))
        .map_err(|error| ApiError::incomplete_signature(&format!("{error}.")))?;
    if authorization.algorithm != signature_v3::ALGORITHM {
        return Err(ApiError::invalid_signature_method_named(
            &authorization.algorithm,
        ));
    }
    let action = resolve_action(request, &params)?;
    if action.takes_no_signature() {
        // An anonymous action ignores a signature it does not need, as it ignores any other
        // header.
        return Ok(Admitted {
            action,
            params,
            caller: None,
        });
    }

    for name in REQUIRED_HEADERS {
        if request.header(name).is_none_or(str::is_empty) {
            return Err(ApiError::incomplete_signature(&format!(
                "The header {name} is required by signature V3 (ACS3-HMAC-SHA256)."
            )));
        }
    }
    // Every header the mechanism says must be signed is in SignedHeaders: host, every x-acs-*
    // header sent, and content-type when there is one.
    for (name, _) in request.headers {
        let lower = name.to_ascii_lowercase();
        let must_be_signed = lower == "host"
            || lower.starts_with("x-acs-")
            || (lower == "content-type" && rules::V3_CONTENT_TYPE_MUST_BE_SIGNED);
        if must_be_signed && !authorization.signed_headers.contains(&lower) {
            return Err(ApiError::incomplete_signature(&format!(
                "The header {lower} must be listed in SignedHeaders."
            )));
        }
    }
    for name in &authorization.signed_headers {
        if request.header(name).is_none() {
            return Err(ApiError::incomplete_signature(&format!(
                "SignedHeaders names {name}, which the request does not carry."
            )));
        }
    }

    let header = |name: &str| request.header(name).unwrap_or_default();
    check_timestamp(header("x-acs-date"), now)?;
    let hashed_payload = header("x-acs-content-sha256");
    if !hashed_payload.eq_ignore_ascii_case(&signature_v3::sha256_hex(request.body)) {
        return Err(ApiError::content_hash_mismatch());
    }

    let access_key_id = authorization.credential.as_str();
    let resolved = gateway.resolve(access_key_id)?;
    let query = decode_query(request)?;
    let canonical = signature_v3::canonical_request(
        request.method,
        request.path,
        &query,
        request.headers,
        &authorization.signed_headers,
        hashed_payload,
    );
    let string_to_sign = signature_v3::string_to_sign(&canonical);
    if !signature_v3::verify(&resolved.secret, &string_to_sign, &authorization.signature) {
        return Err(ApiError::signature_does_not_match(&string_to_sign));
    }
    let given_token = request
        .header("x-acs-security-token")
        .or_else(|| params.get("SecurityToken").map(String::as_str))
        .filter(|token| !token.is_empty());
    let nonce = request.header("x-acs-signature-nonce");
    let caller =
        gateway.after_signature(access_key_id, resolved, given_token, nonce, now, instant)?;
    Ok(Admitted {
        action,
        params,
        caller: Some(caller),
    })
}
