//! The API gateway in front of the actions: method and path, parameter decoding, common
//! parameters, timestamp window, access key, signature (V2 and V3), security token, expiry of
//! issued credentials, and nonce replay.
//!
//! The checks run in the order a client would want to learn about its mistakes: first whether
//! the request can be read at all, then which API it names, then who sent it. Signature V2
//! (`Signature` parameter, HMAC-SHA1) lives here; signature V3 (`Authorization: ACS3-...`) in
//! the `v3` submodule. Both end in the same credential, token and nonce checks.

mod v3;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::actions::Action;
use crate::config::Credential;
use crate::error::ApiError;
use crate::issued::{IssuedCredential, IssuedCredentialView, IssuedCredentials};
use crate::nonce::NonceCache;
use crate::params::{decode_form_into, Params};
use crate::rules;
use crate::signature;
use crate::validation::parse_api_time;

/// The API version of KMS the emulator serves.
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
    /// Every header as (name, value), names in any case; signature V3 signs some of them. Headers
    /// whose value is not visible ASCII may be left out.
    pub headers: &'a [(&'a str, &'a str)],
}

impl RawRequest<'_> {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

/// Who a temporary or long-term credential stands for (what a role's trust names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A configured access key (long-term, or an STS credential given at start).
    AccessKey(String),
    /// A session of a role, from an issued credential.
    RoleSession {
        /// The role.
        role_arn: String,
        /// The session name.
        session_name: String,
    },
}

/// The authenticated sender of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The AccessKey ID that signed it.
    pub access_key_id: String,
    /// Whom it stands for.
    pub principal: Principal,
}

/// A request that passed every gateway check.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The action to run.
    pub action: Action,
    /// All parameters, common ones included.
    pub params: Params,
    /// Who signed it; `None` for an action that takes no signature (`AssumeRoleWithOIDC`).
    pub caller: Option<Caller>,
}

/// The gateway: who may call (configured keys and issued temporary credentials), and which
/// nonces were used.
#[derive(Debug)]
pub struct Gateway {
    credentials: HashMap<String, Credential>,
    issued: RwLock<IssuedCredentials>,
    nonces: Mutex<NonceCache>,
}

/// A credential found for an AccessKey ID, with what the checks after the signature need.
struct Resolved {
    secret: String,
    security_token: Option<String>,
    principal: Principal,
    expiration: Option<DateTime<Utc>>,
}

impl Gateway {
    /// A gateway trusting `credentials` and remembering at most `nonce_capacity` nonces.
    pub fn new(credentials: &[Credential], nonce_capacity: usize) -> Self {
        Gateway {
            credentials: credentials
                .iter()
                .map(|credential| (credential.access_key_id.clone(), credential.clone()))
                .collect(),
            issued: RwLock::new(IssuedCredentials::new(rules::ISSUED_CREDENTIALS_CAPACITY)),
            nonces: Mutex::new(NonceCache::new(
                Duration::from_secs(rules::NONCE_TTL_SECONDS),
                nonce_capacity,
            )),
        }
    }

    /// Accepts `issued` from now on, until it expires.
    pub fn issue(&self, issued: IssuedCredential) {
        self.issued
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(issued);
    }

    /// The issued credentials still remembered, oldest first (no secrets).
    pub fn issued_credentials(&self) -> Vec<IssuedCredentialView> {
        self.issued
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .all()
            .into_iter()
            .map(IssuedCredential::view)
            .collect()
    }

    /// Makes every issued credential expire at `now`; returns how many were still valid.
    pub fn expire_issued_credentials(&self, now: DateTime<Utc>) -> usize {
        self.issued
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .expire_all(now)
    }

    /// Revokes one issued credential (`None`: every one) at `now`; returns how many were still
    /// valid.
    pub fn revoke_issued_credentials(
        &self,
        access_key_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> usize {
        self.issued
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .revoke(access_key_id, now)
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

        let is_v3 = !params.contains_key(signature::SIGNATURE_PARAMETER)
            && request
                .authorization
                .is_some_and(|value| value.trim_start().starts_with("ACS3-"));
        if is_v3 {
            return v3::admit(self, request, params, now, instant);
        }

        let action = resolve_action(request, &params)?;
        if action.takes_no_signature() {
            check_optional_timestamp(&params, now)?;
            return Ok(Admitted {
                action,
                params,
                caller: None,
            });
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
        check_timestamp(timestamp, now)?;

        let resolved = self.resolve(access_key_id)?;
        let string_to_sign = signature::string_to_sign(request.method, &params);
        if !signature::verify(&resolved.secret, &string_to_sign, given_signature) {
            return Err(ApiError::signature_does_not_match(&string_to_sign));
        }
        let given_token = params
            .get("SecurityToken")
            .map(String::as_str)
            .filter(|token| !token.is_empty());
        let caller =
            self.after_signature(access_key_id, resolved, given_token, nonce, now, instant)?;
        Ok(Admitted {
            action,
            params,
            caller: Some(caller),
        })
    }

    /// The credential for `access_key_id`: a configured one, or an issued one (expired or not).
    fn resolve(&self, access_key_id: &str) -> Result<Resolved, ApiError> {
        if let Some(credential) = self.credentials.get(access_key_id) {
            return Ok(Resolved {
                secret: credential.access_key_secret.clone(),
                security_token: credential.security_token.clone(),
                principal: Principal::AccessKey(access_key_id.to_owned()),
                expiration: None,
            });
        }
        let issued = self.issued.read().unwrap_or_else(PoisonError::into_inner);
        let found = issued
            .get(access_key_id)
            .ok_or_else(ApiError::access_key_not_found)?;
        Ok(Resolved {
            secret: found.credential.access_key_secret.clone(),
            security_token: found.credential.security_token.clone(),
            principal: Principal::RoleSession {
                role_arn: found.role_arn.clone(),
                session_name: found.session_name.clone(),
            },
            expiration: Some(found.expiration),
        })
    }

    /// The checks after a verified signature, common to V2 and V3: the security token, the
    /// expiry of an issued credential, and the nonce.
    fn after_signature(
        &self,
        access_key_id: &str,
        resolved: Resolved,
        given_token: Option<&str>,
        nonce: Option<&str>,
        now: DateTime<Utc>,
        instant: Instant,
    ) -> Result<Caller, ApiError> {
        match (&resolved.security_token, given_token) {
            (Some(_), None) => return Err(ApiError::security_token_missing()),
            (Some(expected), Some(given)) if expected != given => {
                return Err(ApiError::security_token_mismatch())
            }
            (None, Some(_)) => return Err(ApiError::security_token_mismatch()),
            _ => {}
        }
        if resolved
            .expiration
            .is_some_and(|expiration| now >= expiration)
        {
            return Err(ApiError::security_token_expired());
        }
        // Only a request that passed every other check uses up its nonce, so a mistake cannot
        // burn a nonce that a corrected retry still needs.
        if let Some(nonce) = nonce {
            let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
            if !nonces.check_and_insert(access_key_id, nonce, instant) {
                return Err(ApiError::nonce_used());
            }
        }
        Ok(Caller {
            access_key_id: access_key_id.to_owned(),
            principal: resolved.principal,
        })
    }
}

/// The action named by `Action` + `Version` (parameters, or the `x-acs-action` /
/// `x-acs-version` headers that signature V3 and anonymous V3 requests use).
fn resolve_action(request: &RawRequest<'_>, params: &Params) -> Result<Action, ApiError> {
    let named = |parameter: &str, header: &str| {
        params
            .get(parameter)
            .map(String::as_str)
            .or_else(|| request.header(header))
            .filter(|value| !value.is_empty())
            .ok_or_else(|| ApiError::missing_common_parameter(parameter))
    };
    let action_name = named("Action", "x-acs-action")?;
    let version = named("Version", "x-acs-version")?;
    Action::from_name(action_name)
        .filter(|action| action.api_version() == version)
        .ok_or_else(ApiError::api_not_found)
}

fn check_timestamp(timestamp: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let request_time = parse_api_time(timestamp).ok_or_else(ApiError::timestamp_format)?;
    if (now - request_time).num_seconds().abs() > rules::TIMESTAMP_WINDOW_SECONDS {
        return Err(ApiError::timestamp_expired());
    }
    Ok(())
}

/// An unsigned action's `Timestamp` is optional; when given it must still be well-formed and
/// recent ([`rules::CHECK_TIMESTAMP_OF_UNSIGNED_ACTIONS`]).
fn check_optional_timestamp(params: &Params, now: DateTime<Utc>) -> Result<(), ApiError> {
    match params.get("Timestamp").filter(|value| !value.is_empty()) {
        Some(timestamp) if rules::CHECK_TIMESTAMP_OF_UNSIGNED_ACTIONS => {
            check_timestamp(timestamp, now)
        }
        _ => Ok(()),
    }
}

fn common<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    match params.get(name).map(String::as_str) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(ApiError::missing_common_parameter(name)),
    }
}

fn unparsable(error: crate::params::ParamError) -> ApiError {
    ApiError::unparsable_request(400, &format!("{error}."))
}

/// The query string alone (signature V3 signs it, not the body).
fn decode_query(request: &RawRequest<'_>) -> Result<Params, ApiError> {
    let mut query = Params::new();
    if let Some(text) = request.query {
        decode_form_into(text.as_bytes(), "query string", &mut query).map_err(unparsable)?;
    }
    Ok(query)
}

/// The query string and the form body, merged (a name may appear only once across both).
fn decode_params(request: &RawRequest<'_>) -> Result<Params, ApiError> {
    let mut params = decode_query(request)?;
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
