//! Builds the [`AssumeRole`] and [`OidcRole`] of a plan from settings found anywhere (the
//! provider config, a profile, the environment): checks each field and fills in the defaults.
//!
//! Defaults: the session name is the setting, else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else
//! `alicloud-kms-provider`; the session lasts 3,600 seconds unless set (900 to 43,200 allowed).

use std::path::PathBuf;

use crate::kms::credentials::chain::variables::{
    Environment, IMDS_V1_DISABLED_VARIABLE, ROLE_SESSION_NAME_VARIABLE,
};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{AssumeRole, OidcRole};
use crate::kms::credentials::settings::{
    is_oidc_provider_arn, is_role_arn, is_valid_session_name, DEFAULT_SESSION_NAME,
    DEFAULT_SESSION_SECONDS, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SESSION_NAME_RULE,
};
use crate::kms::secret::SecretString;

/// What the environment contributes to every role, wherever its other settings come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoleDefaults {
    /// `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
    pub session_name: Option<String>,
    /// False when `ALIBABA_CLOUD_IMDSV1_DISABLED=true`.
    pub allow_imds_v1: bool,
}

impl RoleDefaults {
    pub fn from_environment(environment: &dyn Environment) -> RoleDefaults {
        RoleDefaults {
            session_name: environment.non_empty(ROLE_SESSION_NAME_VARIABLE),
            allow_imds_v1: !environment.is_true(IMDS_V1_DISABLED_VARIABLE),
        }
    }
}

fn invalid(setting: &str, place: &str, problem: impl Into<String>) -> CredentialsError {
    CredentialsError::InvalidSetting {
        setting: setting.to_owned(),
        place: place.to_owned(),
        problem: problem.into(),
    }
}

fn session_fields(
    place: &str,
    role_setting: &str,
    session_name: Option<String>,
    duration: Option<u32>,
    defaults: &RoleDefaults,
) -> Result<(String, u32), CredentialsError> {
    let session_name = session_name
        .or_else(|| defaults.session_name.clone())
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned());
    if !is_valid_session_name(&session_name) {
        return Err(invalid(
            &format!("session name of {role_setting}"),
            place,
            format!("a session name must {SESSION_NAME_RULE}"),
        ));
    }
    let duration = duration.unwrap_or(DEFAULT_SESSION_SECONDS);
    if !(MIN_SESSION_SECONDS..=MAX_SESSION_SECONDS).contains(&duration) {
        return Err(invalid(
            &format!("session expiration of {role_setting}"),
            place,
            format!(
                "it must be {MIN_SESSION_SECONDS} to {MAX_SESSION_SECONDS} seconds (and at most the role's maximum session duration), not {duration}"
            ),
        ));
    }
    Ok((session_name, duration))
}

fn checked_policy(
    place: &str,
    setting: &str,
    policy: Option<String>,
) -> Result<Option<String>, CredentialsError> {
    if let Some(policy) = &policy {
        if serde_json::from_str::<serde_json::Value>(policy).is_err() {
            return Err(invalid(
                setting,
                place,
                "the policy must be a JSON policy document",
            ));
        }
    }
    Ok(policy)
}

/// An `AssumeRole` role from its parts.
#[allow(clippy::too_many_arguments)] // each part is one setting; a struct would only rename them
pub(crate) fn assume_role(
    place: &str,
    role_setting: &str,
    role_arn: String,
    session_name: Option<String>,
    duration: Option<u32>,
    policy: Option<String>,
    external_id: Option<SecretString>,
    defaults: &RoleDefaults,
) -> Result<AssumeRole, CredentialsError> {
    if !is_role_arn(&role_arn) {
        return Err(invalid(
            role_setting,
            place,
            "a role ARN looks like acs:ram::<account id>:role/<role name>",
        ));
    }
    let (session_name, duration_seconds) =
        session_fields(place, role_setting, session_name, duration, defaults)?;
    Ok(AssumeRole {
        policy: checked_policy(place, &format!("policy of {role_setting}"), policy)?,
        role_arn,
        session_name,
        duration_seconds,
        external_id,
    })
}

/// An `AssumeRoleWithOIDC` role from its parts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn oidc_role(
    place: &str,
    role_setting: &str,
    role_arn: String,
    oidc_provider_arn: String,
    token_file: String,
    session_name: Option<String>,
    duration: Option<u32>,
    policy: Option<String>,
    defaults: &RoleDefaults,
) -> Result<OidcRole, CredentialsError> {
    if !is_role_arn(&role_arn) {
        return Err(invalid(
            role_setting,
            place,
            "a role ARN looks like acs:ram::<account id>:role/<role name>",
        ));
    }
    if !is_oidc_provider_arn(&oidc_provider_arn) {
        return Err(invalid(
            "OIDC provider ARN",
            place,
            "an OIDC provider ARN looks like acs:ram::<account id>:oidc-provider/<name>",
        ));
    }
    let (session_name, duration_seconds) =
        session_fields(place, role_setting, session_name, duration, defaults)?;
    Ok(OidcRole {
        policy: checked_policy(place, &format!("policy of {role_setting}"), policy)?,
        role_arn,
        oidc_provider_arn,
        token_file: PathBuf::from(token_file),
        session_name,
        duration_seconds,
    })
}
