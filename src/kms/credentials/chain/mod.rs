//! The base credential of the chain (before `assumeRole`): the provider config's one kind, else
//! the environment's key, the environment's OIDC variables, the credential files, the instance
//! role named in the environment, and a credentials URL from the environment, in that order.

mod cli_file;
mod ini_file;
pub(super) mod profiles;
pub(super) mod roles;
pub(crate) mod variables;

use self::profiles::ProfileFiles;
use self::roles::RoleDefaults;
use super::{configured_base_kinds, non_empty, ClientSettings, CredentialsError};
use crate::kms::credentials::chain::variables::{
    Environment, ACCESS_KEY_ID_VARIABLES, ACCESS_KEY_SECRET_VARIABLES, CREDENTIALS_URI_VARIABLE,
    ECS_METADATA_DISABLED_VARIABLE, ECS_METADATA_VARIABLE, OIDC_PROVIDER_ARN_VARIABLE,
    OIDC_TOKEN_FILE_VARIABLE, ROLE_ARN_VARIABLE, SECURITY_TOKEN_VARIABLES,
};
use crate::kms::credentials::plan::{CredentialPlan, Credentials, CredentialsSource};
use crate::kms::secret::SecretString;

/// The base credential (before `assumeRole`).
pub(super) fn base_credential(
    settings: &ClientSettings,
    environment: &dyn Environment,
    files: &mut ProfileFiles<'_>,
    defaults: &RoleDefaults,
) -> Result<CredentialPlan, CredentialsError> {
    let extra = &settings.credential_settings;
    let kinds = configured_base_kinds(settings);
    if kinds.len() > 1 {
        return Err(CredentialsError::ContradictorySettings { kinds });
    }
    let config = CredentialsSource::ProviderConfig;
    let config_place = config.to_string();
    match kinds.first().copied() {
        Some("accessKey/secretKey") => return static_from_settings(settings),
        Some("assumeRoleWithOidc") => {
            let oidc = extra
                .assume_role_with_oidc
                .as_ref()
                .expect("the kind says it is set");
            let from_environment = |value: &Option<String>, variable: &'static str| {
                non_empty(value.as_deref()).or_else(|| environment.non_empty(variable))
            };
            let role_arn = from_environment(&oidc.role_arn, ROLE_ARN_VARIABLE);
            let provider_arn =
                from_environment(&oidc.oidc_provider_arn, OIDC_PROVIDER_ARN_VARIABLE);
            let token_file = from_environment(&oidc.oidc_token_file, OIDC_TOKEN_FILE_VARIABLE);
            let (Some(role_arn), Some(provider_arn), Some(token_file)) =
                (role_arn.clone(), provider_arn.clone(), token_file.clone())
            else {
                let mut missing = Vec::new();
                if role_arn.is_none() {
                    missing.push(format!("roleArn (or {ROLE_ARN_VARIABLE})"));
                }
                if provider_arn.is_none() {
                    missing.push(format!("oidcProviderArn (or {OIDC_PROVIDER_ARN_VARIABLE})"));
                }
                if token_file.is_none() {
                    missing.push(format!("oidcTokenFile (or {OIDC_TOKEN_FILE_VARIABLE})"));
                }
                return Err(CredentialsError::IncompleteCredentials {
                    place: config_place,
                    problem: format!("assumeRoleWithOidc needs {}", missing.join(", ")),
                });
            };
            let role = roles::oidc_role(
                &config_place,
                "assumeRoleWithOidc.roleArn",
                role_arn,
                provider_arn,
                token_file,
                non_empty(oidc.role_session_name.as_deref()),
                oidc.session_expiration,
                non_empty(oidc.policy.as_deref()),
                defaults,
            )?;
            return Ok(CredentialPlan::Oidc {
                role,
                source: config,
            });
        }
        Some("ecsRoleName") => {
            return Ok(CredentialPlan::EcsRamRole {
                role_name: extra
                    .ecs_role_name
                    .clone()
                    .expect("the kind says it is set"),
                allow_imds_v1: defaults.allow_imds_v1,
                source: config,
            });
        }
        Some("credentialsUri") => {
            return Ok(CredentialPlan::CredentialsUri {
                uri: extra
                    .credentials_uri
                    .clone()
                    .expect("the kind says it is set"),
                source: config,
            });
        }
        Some(_) => return files.explicit_profile_plan(defaults),
        None => {}
    }

    let mut looked_in = vec!["the provider config (accessKey, secretKey, assumeRoleWithOidc, ecsRoleName, credentialsUri, profile)".to_owned()];
    if let Some(found) = static_from_environment(environment, &mut looked_in)? {
        return Ok(found);
    }
    if let Some(found) = oidc_from_environment(environment, defaults, &mut looked_in)? {
        return Ok(found);
    }
    if let Some(found) = files.environment_profile_plan(defaults, &mut looked_in)? {
        return Ok(found);
    }
    if !environment.is_true(ECS_METADATA_DISABLED_VARIABLE) {
        if let Some(role_name) = environment.non_empty(ECS_METADATA_VARIABLE) {
            return Ok(CredentialPlan::EcsRamRole {
                role_name,
                allow_imds_v1: defaults.allow_imds_v1,
                source: CredentialsSource::Environment {
                    variable: ECS_METADATA_VARIABLE,
                },
            });
        }
    }
    looked_in.push(format!("the environment ({ECS_METADATA_VARIABLE})"));
    if let Some(uri) = environment.non_empty(CREDENTIALS_URI_VARIABLE) {
        return Ok(CredentialPlan::CredentialsUri {
            uri: SecretString::new(uri),
            source: CredentialsSource::Environment {
                variable: CREDENTIALS_URI_VARIABLE,
            },
        });
    }
    looked_in.push(format!("the environment ({CREDENTIALS_URI_VARIABLE})"));
    Err(CredentialsError::MissingCredentials { looked_in })
}

fn incomplete(place: &str, problem: &str) -> CredentialsError {
    CredentialsError::IncompleteCredentials {
        place: place.to_owned(),
        problem: problem.to_owned(),
    }
}

fn static_from_settings(settings: &ClientSettings) -> Result<CredentialPlan, CredentialsError> {
    let secret = settings
        .secret_key
        .clone()
        .filter(|secret| !secret.is_empty());
    let token = settings
        .security_token
        .clone()
        .filter(|token| !token.is_empty());
    match (non_empty(settings.access_key.as_deref()), secret) {
        (Some(access_key_id), Some(access_key_secret)) => Ok(CredentialPlan::Static {
            credentials: Credentials {
                access_key_id,
                access_key_secret,
                security_token: token,
            },
            source: CredentialsSource::ProviderConfig,
        }),
        (Some(_), None) => Err(incomplete(
            "the provider config",
            "accessKey is set but secretKey is not",
        )),
        (None, Some(_)) => Err(incomplete(
            "the provider config",
            "secretKey is set but accessKey is not",
        )),
        (None, None) => Err(incomplete(
            "the provider config",
            "securityToken is set but accessKey and secretKey are not",
        )),
    }
}

fn static_from_environment(
    environment: &dyn Environment,
    looked_in: &mut Vec<String>,
) -> Result<Option<CredentialPlan>, CredentialsError> {
    let access_key_id = environment.first_non_empty(&ACCESS_KEY_ID_VARIABLES);
    let secret = environment.first_non_empty(&ACCESS_KEY_SECRET_VARIABLES);
    match (access_key_id, secret) {
        (Some((variable, access_key_id)), Some((_, secret))) => {
            let security_token = environment
                .first_non_empty(&SECURITY_TOKEN_VARIABLES)
                .map(|(_, token)| SecretString::new(token));
            Ok(Some(CredentialPlan::Static {
                credentials: Credentials {
                    access_key_id,
                    access_key_secret: SecretString::new(secret),
                    security_token,
                },
                source: CredentialsSource::Environment { variable },
            }))
        }
        (Some((variable, _)), None) => Err(incomplete(
            "the environment",
            &format!(
                "{variable} is set but not {}",
                ACCESS_KEY_SECRET_VARIABLES.join(" or ")
            ),
        )),
        (None, Some((variable, _))) => Err(incomplete(
            "the environment",
            &format!(
                "{variable} is set but not {}",
                ACCESS_KEY_ID_VARIABLES.join(" or ")
            ),
        )),
        (None, None) => {
            looked_in.push(format!(
                "the environment ({}, {})",
                ACCESS_KEY_ID_VARIABLES.join(", "),
                ACCESS_KEY_SECRET_VARIABLES.join(", ")
            ));
            Ok(None)
        }
    }
}

/// The OIDC variables count as a credential only all together; the provider ARN or the token
/// file without the rest is an error (the role ARN alone is ignored: it is also read as a
/// default by other tools).
fn oidc_from_environment(
    environment: &dyn Environment,
    defaults: &RoleDefaults,
    looked_in: &mut Vec<String>,
) -> Result<Option<CredentialPlan>, CredentialsError> {
    let provider_arn = environment.non_empty(OIDC_PROVIDER_ARN_VARIABLE);
    let token_file = environment.non_empty(OIDC_TOKEN_FILE_VARIABLE);
    let role_arn = environment.non_empty(ROLE_ARN_VARIABLE);
    match (provider_arn, token_file, role_arn) {
        (Some(provider_arn), Some(token_file), Some(role_arn)) => {
            let source = CredentialsSource::Environment {
                variable: OIDC_PROVIDER_ARN_VARIABLE,
            };
            let role = roles::oidc_role(
                &source.to_string(),
                ROLE_ARN_VARIABLE,
                role_arn,
                provider_arn,
                token_file,
                None,
                None,
                None,
                defaults,
            )?;
            Ok(Some(CredentialPlan::Oidc { role, source }))
        }
        (None, None, _) => {
            looked_in.push(format!(
                "the environment ({OIDC_PROVIDER_ARN_VARIABLE}, {OIDC_TOKEN_FILE_VARIABLE}, {ROLE_ARN_VARIABLE})"
            ));
            Ok(None)
        }
        (provider_arn, token_file, role_arn) => {
            let missing: Vec<&str> = [
                (provider_arn.is_none(), OIDC_PROVIDER_ARN_VARIABLE),
                (token_file.is_none(), OIDC_TOKEN_FILE_VARIABLE),
                (role_arn.is_none(), ROLE_ARN_VARIABLE),
            ]
            .into_iter()
            .filter(|(is_missing, _)| *is_missing)
            .map(|(_, name)| name)
            .collect();
            Err(incomplete(
                "the environment",
                &format!("the OIDC credential also needs {}", missing.join(" and ")),
            ))
        }
    }
}
