//! The STS stand-in (version 2015-04-01), served on the same listener as KMS and told apart by
//! `Version`: `AssumeRole` (signed with the caller's key, V2 or V3, through the same gateway as
//! KMS), `AssumeRoleWithOIDC` (unsigned; the OIDC token is the proof) and `GetCallerIdentity`.
//! Both `AssumeRole*` issue `STS.` credentials that the gateway accepts until they expire.

pub mod config;
pub mod oidc;
mod parameters;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::actions::{Action, ActionOutput};
use crate::error::ApiError;
use crate::gateway::{Caller, Principal};
use crate::issued::{format_api_time, IssuedBy, IssuedCredential};
use crate::params::Params;
use crate::rules;
use crate::shared::Shared;
use parameters::{duration_error, invalid, optional, required, role_not_found, session_request};

pub use config::{OidcProvider, Role, StsConfig};

/// Runs an STS action for `caller` (`None` for `AssumeRoleWithOIDC`).
pub(crate) fn dispatch(
    shared: &Shared,
    action: Action,
    params: &Params,
    caller: Option<&Caller>,
    now: DateTime<Utc>,
) -> Result<ActionOutput, ApiError> {
    let body = match (action, caller) {
        (Action::AssumeRole, Some(caller)) => assume_role(shared, params, caller, now)?,
        (Action::AssumeRoleWithOIDC, _) => assume_role_with_oidc(shared, params, now)?,
        (Action::GetCallerIdentity, Some(caller)) => get_caller_identity(shared, caller),
        _ => return Err(ApiError::api_not_found()),
    };
    Ok(ActionOutput {
        body: match body {
            Value::Object(map) => map,
            _ => unreachable!("STS answers are JSON objects"),
        },
        mutated: false,
    })
}

fn lookup_role(shared: &Shared, arn: &str) -> Result<Role, ApiError> {
    shared
        .read_sts(|config| config.role(arn).cloned())
        .ok_or_else(|| role_not_found(arn))
}

fn assume_role(
    shared: &Shared,
    params: &Params,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let request = session_request(params, true)?;
    let external_id = optional(params, "ExternalId");
    if let Some(external_id) = external_id {
        let (min_length, max_length) = rules::EXTERNAL_ID_LENGTH;
        let ok = (min_length..=max_length).contains(&external_id.len())
            && external_id
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"=,.@:/_-".contains(&byte));
        if !ok {
            return Err(invalid("ExternalId"));
        }
    }
    let role = lookup_role(shared, request.role_arn)?;
    let principal = match &caller.principal {
        Principal::AccessKey(id) => id.as_str(),
        Principal::RoleSession { role_arn, .. } => role_arn.as_str(),
    };
    if !role.trusts(principal) {
        return Err(ApiError::new(
            403,
            "NoPermission",
            "No permission perform sts:AssumeRole on this Role. The role's trust policy does not name the caller.",
        ));
    }
    if role
        .external_id
        .as_deref()
        .is_some_and(|expected| external_id != Some(expected))
    {
        return Err(ApiError::new(
            403,
            "NoPermission",
            "No permission perform sts:AssumeRole on this Role. The role's trust policy requires another ExternalId.",
        ));
    }
    if request.duration_seconds > role.max_session_duration_seconds {
        return Err(duration_error(role.max_session_duration_seconds));
    }
    let issued = issue(
        shared,
        &role.arn,
        request.session_name,
        request.duration_seconds,
        IssuedBy::AssumeRole,
        now,
    );
    Ok(session_answer(&role.arn, request.session_name, &issued))
}

fn assume_role_with_oidc(
    shared: &Shared,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let provider_arn = required(params, "OIDCProviderArn")?;
    let token = required(params, "OIDCToken")?;
    let request = session_request(params, rules::OIDC_ROLE_SESSION_NAME_REQUIRED)?;
    let (min_length, max_length) = rules::OIDC_TOKEN_LENGTH;
    if !(min_length..=max_length).contains(&token.chars().count()) {
        return Err(invalid("OIDCToken"));
    }
    let provider = shared
        .read_sts(|config| config.oidc_provider(provider_arn).cloned())
        .ok_or_else(|| {
            ApiError::new(
                403,
                "AuthenticationFail.NoPermission",
                "No such OIDC Provider registered.",
            )
        })?;
    let role = lookup_role(shared, request.role_arn)?;
    let token_error = |code: &'static str, message: &str| {
        ApiError::new(rules::OIDC_TOKEN_ERROR_STATUS, code, message)
    };
    let claims = oidc::parse_claims(token).ok_or_else(|| {
        token_error(
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDC token is not a well-formed JSON Web Token with iss, aud and exp claims.",
        )
    })?;
    if claims.issuer != provider.issuer {
        return Err(token_error(
            "AuthenticationFail.OIDCToken.IssuerNotMatch",
            "The issuer in the OIDC Token doesn't match the OIDC Provider registered.",
        ));
    }
    if !claims
        .audiences
        .iter()
        .any(|audience| provider.client_ids.contains(audience))
    {
        return Err(token_error(
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
            "Invalid audience.",
        ));
    }
    if claims.expires_at <= now.timestamp() {
        return Err(token_error(
            "AuthenticationFail.OIDCToken.Expired",
            "This JsonWebToken is expired.",
        ));
    }
    if !provider.tokens.is_empty() && !provider.tokens.iter().any(|accepted| accepted == token) {
        return Err(token_error(
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDC token's signature cannot be verified with the OIDC Provider's keys.",
        ));
    }
    if !role.trusts(&provider.arn) {
        return Err(ApiError::new(
            403,
            "AuthenticationFail.NoPermission",
            "There is no permission",
        ));
    }
    if request.duration_seconds > role.max_session_duration_seconds {
        return Err(duration_error(role.max_session_duration_seconds));
    }
    let issued = issue(
        shared,
        &role.arn,
        request.session_name,
        request.duration_seconds,
        IssuedBy::AssumeRoleWithOidc,
        now,
    );
    let mut answer = session_answer(&role.arn, request.session_name, &issued);
    answer["OIDCTokenInfo"] = json!({
        "Subject": claims.subject.unwrap_or_default(),
        "Issuer": claims.issuer,
        "ClientIds": claims.audiences.join(","),
        "ExpirationTime": epoch_to_api_time(claims.expires_at),
        "IssuanceTime": claims.issued_at.map(epoch_to_api_time).unwrap_or_default(),
        "VerificationInfo": "Success",
    });
    Ok(answer)
}

fn get_caller_identity(shared: &Shared, caller: &Caller) -> Value {
    match &caller.principal {
        Principal::AccessKey(id) => json!({
            "AccountId": shared.account_id,
            "Arn": format!("acs:ram::{}:user/{id}", shared.account_id),
            "IdentityType": "RAMUser",
            "PrincipalId": numeric_id(id),
            "UserId": numeric_id(id),
        }),
        Principal::RoleSession {
            role_arn,
            session_name,
        } => {
            let (account, role_name) =
                config::parse_role_arn(role_arn).unwrap_or((&shared.account_id, role_arn));
            let role_id = numeric_id(role_arn);
            json!({
                "AccountId": account,
                "Arn": format!("acs:ram::{account}:assumed-role/{role_name}/{session_name}"),
                "IdentityType": "AssumedRoleUser",
                "PrincipalId": format!("{role_id}:{session_name}"),
                "RoleId": role_id,
            })
        }
    }
}

/// Issues and registers a credential for a session of `role_arn`. Its lifetime is
/// `requested_seconds`, unless the test control [`StsConfig::credential_lifetime_seconds`] is
/// set.
pub(crate) fn issue(
    shared: &Shared,
    role_arn: &str,
    session_name: &str,
    requested_seconds: u64,
    issued_by: IssuedBy,
    now: DateTime<Utc>,
) -> IssuedCredential {
    let lifetime = shared
        .read_sts(|config| config.credential_lifetime_seconds)
        .unwrap_or(requested_seconds);
    let issued = IssuedCredential::mint(role_arn, session_name, now, lifetime, issued_by);
    shared.gateway.issue(issued.clone());
    issued
}

fn session_answer(role_arn: &str, session_name: &str, issued: &IssuedCredential) -> Value {
    let role_id = numeric_id(role_arn);
    json!({
        "Credentials": credentials_json(issued),
        "AssumedRoleUser": {
            "Arn": format!("{role_arn}/{session_name}"),
            "AssumedRoleId": format!("{role_id}:{session_name}"),
        },
    })
}

/// `{"AccessKeyId","AccessKeySecret","SecurityToken","Expiration"}` of an issued credential.
pub(crate) fn credentials_json(issued: &IssuedCredential) -> Value {
    json!({
        "AccessKeyId": issued.credential.access_key_id,
        "AccessKeySecret": issued.credential.access_key_secret,
        "SecurityToken": issued.credential.security_token.clone().unwrap_or_default(),
        "Expiration": format_api_time(issued.expiration),
    })
}

fn epoch_to_api_time(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(format_api_time)
        .unwrap_or_default()
}

/// A stable 17-digit id for a name (role and user ids in answers), so that the same role always
/// gets the same id.
fn numeric_id(name: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("3{:016}", hash % 10_000_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_are_stable_and_seventeen_digits() {
        assert_eq!(
            numeric_id("acs:ram::1:role/a"),
            numeric_id("acs:ram::1:role/a")
        );
        assert_ne!(
            numeric_id("acs:ram::1:role/a"),
            numeric_id("acs:ram::1:role/b")
        );
        assert_eq!(numeric_id("x").len(), 17);
    }
}
