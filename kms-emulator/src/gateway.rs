//! The API gateway in front of the actions: method and path, parameter decoding, common
//! parameters, timestamp window, access key, signature, security token and nonce replay.
//!
//! The checks run in the order a client would want to learn about its mistakes: first whether
//! the request can be read at all, then which API it names, then who sent it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::actions::Action;
use crate::config::Credential;
use crate::error::ApiError;
use crate::nonce::NonceCache;
use crate::params::{decode_form_into, Params};
use crate::rules;
use crate::signature;
use crate::validation::parse_api_time;

/// The API version the emulator serves.
pub const API_VERSION: &str = "2016-01-20";

/// A request as it arrived, before any check.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// HTTP method, upper-case as sent.
    pub method: &'a str,
    /// URL path.
    pub path: &'a str,
    /// Raw query string (without `?`).
    pub query: Option<&'a str>,
    /// `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// Request body.
    pub body: &'a [u8],
    /// The `Authorization` header, if any (signature V3 puts its signature there).
    pub authorization: Option<&'a str>,
}

/// A request that passed every gateway check.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The action to run.
    pub action: Action,
    /// All parameters, common ones included.
    pub params: Params,
}

/// The gateway: who may call, and which nonces were used.
#[derive(Debug)]
pub struct Gateway {
    credentials: HashMap<String, Credential>,
    nonces: Mutex<NonceCache>,
}

impl Gateway {
    /// A gateway trusting `credentials` and remembering at most `nonce_capacity` nonces.
    pub fn new(credentials: &[Credential], nonce_capacity: usize) -> Self {
        Gateway {
            credentials: credentials
                .iter()
                .map(|credential| (credential.access_key_id.clone(), credential.clone()))
                .collect(),
            nonces: Mutex::new(NonceCache::new(
                Duration::from_secs(rules::NONCE_TTL_SECONDS),
                nonce_capacity,
            )),
        }
    }

    /// Runs every gateway check; `now` is the wall clock, `instant` the monotonic one.
    pub fn admit(
        &self,
        request: &RawRequest<'_>,
        now: DateTime<Utc>,
        instant: Instant,
    ) -> Result<Admitted, ApiError> {
        if request.path != "/" {
            return Err(ApiError::api_not_found());
        }
        if request.method != "GET" && request.method != "POST" {
            return Err(ApiError::unsupported_method());
        }
        let params = decode_params(request)?;
        if !params.contains_key(signature::SIGNATURE_PARAMETER)
            && request
                .authorization
                .is_some_and(|value| value.trim_start().starts_with("ACS3-"))
        {
            return Err(ApiError::incomplete_signature(
                "This endpoint accepts only signature version 1.0 (HMAC-SHA1, the SDKs' \"v2\"): set signature_algorithm=\"v2\".",
            ));
        }

        let action_name = common(&params, "Action")?;
        let version = common(&params, "Version")?;
        let action = Action::from_name(action_name).ok_or_else(ApiError::api_not_found)?;
        if version != API_VERSION {
            return Err(ApiError::api_not_found());
        }

        let access_key_id = common(&params, "AccessKeyId")?;
        let given_signature = common(&params, signature::SIGNATURE_PARAMETER)?;
        if common(&params, "SignatureMethod")? != "HMAC-SHA1" {
            return Err(ApiError::invalid_signature_method());
        }
        if common(&params, "SignatureVersion")? != "1.0" {
            return Err(ApiError::incomplete_signature(
                "SignatureVersion must be 1.0.",
            ));
        }
        let timestamp = common(&params, "Timestamp")?;
        let nonce = if rules::NONCE_REQUIRED {
            Some(common(&params, "SignatureNonce")?)
        } else {
            params
                .get("SignatureNonce")
                .map(String::as_str)
                .filter(|nonce| !nonce.is_empty())
        };

        let request_time = parse_api_time(timestamp).ok_or_else(ApiError::timestamp_format)?;
        if (now - request_time).num_seconds().abs() > rules::TIMESTAMP_WINDOW_SECONDS {
            return Err(ApiError::timestamp_expired());
        }

        let credential = self
            .credentials
            .get(access_key_id)
            .ok_or_else(ApiError::access_key_not_found)?;
        let string_to_sign = signature::string_to_sign(request.method, &params);
        if !signature::verify(
            &credential.access_key_secret,
            &string_to_sign,
            given_signature,
        ) {
            return Err(ApiError::signature_does_not_match(&string_to_sign));
        }
        let given_token = params
            .get("SecurityToken")
            .map(String::as_str)
            .filter(|token| !token.is_empty());
        match (&credential.security_token, given_token) {
            (Some(_), None) => return Err(ApiError::security_token_missing()),
            (Some(expected), Some(given)) if expected != given => {
                return Err(ApiError::security_token_mismatch())
            }
            (None, Some(_)) => return Err(ApiError::security_token_mismatch()),
            _ => {}
        }

        // Only a request that passed every other check uses up its nonce, so a mistake cannot
        // burn a nonce that a corrected retry still needs.
        if let Some(nonce) = nonce {
            let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
            if !nonces.check_and_insert(access_key_id, nonce, instant) {
                return Err(ApiError::nonce_used());
            }
        }
        Ok(Admitted { action, params })
    }
}

fn common<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    match params.get(name).map(String::as_str) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ApiError::missing_common_parameter(name)),
    }
}

fn decode_params(request: &RawRequest<'_>) -> Result<Params, ApiError> {
    let mut params = Params::new();
    let unparsable =
        |error: crate::params::ParamError| ApiError::unparsable_request(400, &format!("{error}."));
    if let Some(query) = request.query {
        decode_form_into(query.as_bytes(), "query string", &mut params).map_err(unparsable)?;
    }
    if !request.body.is_empty() {
        let is_form = request.content_type.is_some_and(|value| {
            value.split(';').next().is_some_and(|media_type| {
                media_type
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
        if !is_form {
            return Err(ApiError::unparsable_request(
                400,
                "A request body must be application/x-www-form-urlencoded.",
            ));
        }
        decode_form_into(request.body, "form body", &mut params).map_err(unparsable)?;
    }
    Ok(params)
}
