//! Builds the [`AssumeRole`] and [`OidcRole`] of a plan from settings found anywhere (the
//! provider config, a profile, the environment): checks each field and fills in the defaults.
//!
//! Defaults: the session name is the setting, else `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else
//! `alicloud-kms-provider`; the session lasts 3,600 seconds unless set (900 to 43,200 allowed).

use crate::kms::credentials::chain::variables::{
    Environment, IMDS_V1_DISABLED_VARIABLE, ROLE_SESSION_NAME_VARIABLE, STS_ENDPOINT_VARIABLE,
    STS_REGION_VARIABLE, VPC_ENDPOINT_ENABLED_VARIABLE,
};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{AssumeRole, Credentials, OidcRole, OidcToken};
use crate::kms::credentials::settings::{
    is_oidc_provider_arn, is_role_arn, is_valid_session_name, DEFAULT_SESSION_NAME,
    DEFAULT_SESSION_SECONDS, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SESSION_NAME_RULE,
};
use crate::kms::credentials::ClientSettings;
use crate::kms::secret::SecretString;

/// What the environment (and the explicit STS endpoint) contributes to every role, wherever its
/// other settings come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoleDefaults {
    /// `ALIBABA_CLOUD_ROLE_SESSION_NAME`.
    pub session_name: Option<String>,
    /// False when `ALIBABA_CLOUD_IMDSV1_DISABLED=true`.
    pub allow_imds_v1: bool,
    /// Whether `stsEndpoint` or `ALIBABA_CLOUD_STS_ENDPOINT` names the STS host (it then wins
    /// over a profile's `sts_region`).
    pub explicit_sts_endpoint: bool,
    /// `ALIBABA_CLOUD_STS_REGION`.
    pub sts_region: Option<String>,
    /// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`.
    pub vpc_sts: bool,
}

impl RoleDefaults {
    pub fn new(settings: &ClientSettings, environment: &dyn Environment) -> RoleDefaults {
        RoleDefaults {
            session_name: environment.non_empty(ROLE_SESSION_NAME_VARIABLE),
            allow_imds_v1: !environment.is_true(IMDS_V1_DISABLED_VARIABLE),
            explicit_sts_endpoint: settings
                .credential_settings
                .sts_endpoint
                .as_deref()
                .is_some_and(|endpoint| !endpoint.is_empty())
                || environment.non_empty(STS_ENDPOINT_VARIABLE).is_some(),
            sts_region: environment.non_empty(STS_REGION_VARIABLE),
            vpc_sts: environment.is_true(VPC_ENDPOINT_ENABLED_VARIABLE),
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

/// The parts of a role as a place gives them, before checks and defaults.
#[derive(Debug, Default)]
pub(crate) struct RoleParts {
    /// The role ARN.
    pub role_arn: String,
    /// The session name, if the place sets one.
    pub session_name: Option<String>,
    /// The session length, if the place sets one.
    pub duration: Option<u32>,
    /// A narrowing policy (JSON).
    pub policy: Option<String>,
    /// The STS host of this role, if the place names one.
    pub sts_endpoint: Option<String>,
}

/// What every role has, checked and with the defaults filled in.
struct CheckedParts {
    role_arn: String,
    session_name: String,
    duration_seconds: u32,
    policy: Option<String>,
    sts_endpoint: Option<String>,
}

/// Checks the role ARN, the session name and length and the policy of `parts`.
fn checked_parts(
    place: &str,
    role_setting: &str,
    parts: RoleParts,
    defaults: &RoleDefaults,
) -> Result<CheckedParts, CredentialsError> {
    if !is_role_arn(&parts.role_arn) {
        return Err(invalid(
            role_setting,
            place,
            "a role ARN looks like acs:ram::<account id>:role/<role name>",
        ));
    }
    let (session_name, duration_seconds) = session_fields(
        place,
        role_setting,
        parts.session_name,
        parts.duration,
        defaults,
    )?;
    Ok(CheckedParts {
        policy: checked_policy(place, &format!("policy of {role_setting}"), parts.policy)?,
        role_arn: parts.role_arn,
        session_name,
        duration_seconds,
        sts_endpoint: parts.sts_endpoint,
    })
}

/// An `AssumeRole` role from its parts.
pub(crate) fn assume_role(
    place: &str,
    role_setting: &str,
    parts: RoleParts,
    external_id: Option<SecretString>,
    defaults: &RoleDefaults,
) -> Result<AssumeRole, CredentialsError> {
    let checked = checked_parts(place, role_setting, parts, defaults)?;
    Ok(AssumeRole {
        role_arn: checked.role_arn,
        session_name: checked.session_name,
        duration_seconds: checked.duration_seconds,
        policy: checked.policy,
        external_id,
        sts_endpoint: checked.sts_endpoint,
    })
}

/// An `AssumeRoleWithOIDC` role from its parts.
pub(crate) fn oidc_role(
    place: &str,
    role_setting: &str,
    parts: RoleParts,
    oidc_provider_arn: String,
    token: OidcToken,
    defaults: &RoleDefaults,
) -> Result<OidcRole, CredentialsError> {
    if let OidcToken::Inline(token) = &token {
        check_secret(place, "OIDC token", token.expose_secret())?;
    }
    let checked = checked_parts(place, role_setting, parts, defaults)?;
    if !is_oidc_provider_arn(&oidc_provider_arn) {
        return Err(invalid(
            "OIDC provider ARN",
            place,
            "an OIDC provider ARN looks like acs:ram::<account id>:oidc-provider/<name>",
        ));
    }
    Ok(OidcRole {
        role_arn: checked.role_arn,
        oidc_provider_arn,
        token,
        session_name: checked.session_name,
        duration_seconds: checked.duration_seconds,
        policy: checked.policy,
        sts_endpoint: checked.sts_endpoint,
    })
}

/// Refuses a credential value with a control character (a line break, say) inside: it would
/// break the header or the signature it goes into, and fail later with an error that blames the
/// endpoint. The message names the value's kind and place, never the value.
pub(crate) fn check_secret(place: &str, what: &str, value: &str) -> Result<(), CredentialsError> {
    match crate::kms::secret::value_problem(value) {
        None => Ok(()),
        Some(problem) => Err(invalid(
            what,
            place,
            format!("it {problem}, so it is not a valid {what}; set it again without it"),
        )),
    }
}

/// A static key from its parts, trimmed of surrounding white space (as the Terraform provider
/// does) and checked with [`check_secret`].
pub(crate) fn static_key(
    place: &str,
    access_key_id: &str,
    access_key_secret: &str,
    security_token: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let access_key_id = access_key_id.trim();
    let access_key_secret = access_key_secret.trim();
    check_secret(place, "access key id", access_key_id)?;
    check_secret(place, "access key secret", access_key_secret)?;
    let security_token = security_token
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(|token| {
            check_secret(place, "security token", token).map(|()| SecretString::new(token))
        })
        .transpose()?;
    Ok(Credentials {
        access_key_id: access_key_id.to_owned(),
        access_key_secret: SecretString::new(access_key_secret),
        security_token,
    })
}
