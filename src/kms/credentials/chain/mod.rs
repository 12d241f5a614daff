//! Where credentials are found, without the network: the base credential of the chain (before
//! `assumeRole`), in this order:
//!
//! 1. the provider config's one kind (a static key, `assumeRoleWithOidc`, `ecsRoleName`,
//!    `credentialsUri`, or `profile` / `sharedCredentialsFile`);
//! 2. a static key in the environment (`variables::ACCESS_KEY_FAMILIES`);
//! 3. an OIDC role in the environment (`ALIBABA_CLOUD_OIDC_PROVIDER_ARN`, `ALIBABA_CLOUD_ROLE_ARN`
//!    and `ALIBABA_CLOUD_OIDC_TOKEN_FILE` or `ALIBABA_CLOUD_OIDC_TOKEN`);
//! 4. and 5. the CLI file, then the credentials file (`profiles`);
//! 6. the instance role named in the environment;
//! 7. a credentials URL from the environment;
//! 8. the instance role the metadata service names (unless
//!    `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`): asked at run time, once per process.
//!
//! The submodules: `variables` (the names), `profiles` (which file and profile), `cli_file` and
//! `ini_file` (the two formats), `roles` (checks and defaults of every role), `presence` (whether
//! any source is there at all, for a preview's warning, without reading anything).

mod cli_file;
mod ini_file;
pub(crate) mod presence;
pub(crate) mod profiles;
pub(crate) mod roles;
pub(crate) mod variables;

use self::profiles::ProfileFiles;
use self::roles::{RoleDefaults, RoleParts};
use self::variables::{
    Environment, ACCESS_KEY_FAMILIES, CREDENTIALS_URI_VARIABLES, ECS_METADATA_DISABLED_VARIABLE,
    ECS_ROLE_NAME_VARIABLES, OIDC_PROVIDER_ARN_VARIABLE, OIDC_TOKEN_FILE_VARIABLE,
    OIDC_TOKEN_VARIABLE, ROLE_ARN_VARIABLE,
};
use super::{configured_base_kinds, non_empty, ClientSettings, CredentialsError};
use crate::kms::credentials::plan::{CredentialPlan, CredentialsSource, OidcToken};
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
            // An inline token wins over a file, as in the Terraform provider.
            let token = match oidc.oidc_token.clone().filter(|token| !token.is_empty()) {
                Some(token) => Some(OidcToken::Inline(token)),
                None => oidc_token_from_environment(
                    non_empty(oidc.oidc_token_file.as_deref()),
                    environment,
                ),
            };
            let (Some(role_arn), Some(provider_arn), Some(token)) =
                (role_arn.clone(), provider_arn.clone(), token.clone())
            else {
                let mut missing = Vec::new();
                if role_arn.is_none() {
                    missing.push(format!("roleArn (or {ROLE_ARN_VARIABLE})"));
                }
                if provider_arn.is_none() {
                    missing.push(format!("oidcProviderArn (or {OIDC_PROVIDER_ARN_VARIABLE})"));
                }
                if token.is_none() {
                    missing.push(format!(
                        "oidcTokenFile or oidcToken (or {OIDC_TOKEN_FILE_VARIABLE} or {OIDC_TOKEN_VARIABLE})"
                    ));
                }
                return Err(CredentialsError::IncompleteCredentials {
                    place: config_place,
                    problem: format!("assumeRoleWithOidc needs {}", missing.join(", ")),
                });
            };
            let role = roles::oidc_role(
                &config_place,
                "assumeRoleWithOidc.roleArn",
                RoleParts {
                    role_arn,
                    session_name: non_empty(oidc.role_session_name.as_deref()),
                    duration: oidc.session_expiration,
                    policy: non_empty(oidc.policy.as_deref()),
                    sts_endpoint: None,
                },
                provider_arn,
                token,
                defaults,
            )?;
            return Ok(CredentialPlan::Oidc {
                role,
                source: config,
            });
        }
        Some("ecsRoleName") => {
            return Ok(CredentialPlan::EcsRamRole {
                role_name: extra.ecs_role_name.clone(),
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
    let metadata_disabled = environment.is_true(ECS_METADATA_DISABLED_VARIABLE);
    if !metadata_disabled {
        if let Some((variable, role_name)) = environment.first_non_empty(&ECS_ROLE_NAME_VARIABLES) {
            return Ok(CredentialPlan::EcsRamRole {
                role_name: Some(role_name),
                allow_imds_v1: defaults.allow_imds_v1,
                source: CredentialsSource::Environment { variable },
            });
        }
    }
    looked_in.push(format!(
        "the environment ({})",
        ECS_ROLE_NAME_VARIABLES.join(", ")
    ));
    if let Some((variable, uri)) = environment.first_non_empty(&CREDENTIALS_URI_VARIABLES) {
        return Ok(CredentialPlan::CredentialsUri {
            uri: SecretString::new(uri),
            source: CredentialsSource::Environment { variable },
        });
    }
    looked_in.push(format!(
        "the environment ({})",
        CREDENTIALS_URI_VARIABLES.join(", ")
    ));
    if metadata_disabled {
        looked_in.push(format!(
            "the ECS instance metadata service (skipped: {ECS_METADATA_DISABLED_VARIABLE}=true)"
        ));
        return Err(CredentialsError::MissingCredentials { looked_in });
    }
    Ok(CredentialPlan::EcsRamRole {
        role_name: None,
        allow_imds_v1: defaults.allow_imds_v1,
        source: CredentialsSource::DefaultChain { looked_in },
    })
}

fn incomplete(place: &str, problem: &str) -> CredentialsError {
    CredentialsError::IncompleteCredentials {
        place: place.to_owned(),
        problem: problem.to_owned(),
    }
}

fn static_from_settings(settings: &ClientSettings) -> Result<CredentialPlan, CredentialsError> {
    let place = "the provider config";
    let secret = settings
        .secret_key
        .clone()
        .filter(|secret| !secret.is_empty());
    match (non_empty(settings.access_key.as_deref()), secret) {
        (Some(access_key_id), Some(access_key_secret)) => Ok(CredentialPlan::Static {
            credentials: roles::static_key(
                place,
                &access_key_id,
                access_key_secret.expose_secret(),
                settings
                    .security_token
                    .as_ref()
                    .map(SecretString::expose_secret),
            )?,
            source: CredentialsSource::ProviderConfig,
        }),
        (Some(_), None) => Err(incomplete(place, "accessKey is set but secretKey is not")),
        (None, Some(_)) => Err(incomplete(place, "secretKey is set but accessKey is not")),
        (None, None) => Err(incomplete(
            place,
            "securityToken is set but accessKey and secretKey are not",
        )),
    }
}

/// The first family of variables that sets any part of a key gives the whole key.
fn static_from_environment(
    environment: &dyn Environment,
    looked_in: &mut Vec<String>,
) -> Result<Option<CredentialPlan>, CredentialsError> {
    for family in ACCESS_KEY_FAMILIES {
        let id = environment.non_empty(family.id);
        let secret = environment.non_empty(family.secret);
        let token = environment.non_empty(family.token);
        match (id, secret) {
            (Some(id), Some(secret)) => {
                let place = format!("the environment ({})", family.id);
                return Ok(Some(CredentialPlan::Static {
                    credentials: roles::static_key(&place, &id, &secret, token.as_deref())?,
                    source: CredentialsSource::Environment {
                        variable: family.id,
                    },
                }));
            }
            (Some(_), None) => {
                return Err(incomplete(
                    "the environment",
                    &format!("{} is set but not {}", family.id, family.secret),
                ))
            }
            (None, Some(_)) => {
                return Err(incomplete(
                    "the environment",
                    &format!("{} is set but not {}", family.secret, family.id),
                ))
            }
            // A token alone belongs to no key; other tools may read it for other purposes.
            (None, None) => {}
        }
    }
    looked_in.push(format!(
        "the environment ({})",
        ACCESS_KEY_FAMILIES
            .iter()
            .flat_map(|family| [family.id, family.secret])
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(None)
}

/// The OIDC token of the environment: the file, else the token itself. `file` (a setting) wins
/// over both variables.
fn oidc_token_from_environment(
    file: Option<String>,
    environment: &dyn Environment,
) -> Option<OidcToken> {
    file.or_else(|| environment.non_empty(OIDC_TOKEN_FILE_VARIABLE))
        .map(|path| OidcToken::File(path.into()))
        .or_else(|| {
            environment
                .non_empty(OIDC_TOKEN_VARIABLE)
                .map(|token| OidcToken::Inline(SecretString::new(token)))
        })
}

/// The OIDC variables count as a credential only all together; the provider ARN or a token
/// without the rest is an error (the role ARN alone is ignored: it is also read as a default by
/// other tools).
fn oidc_from_environment(
    environment: &dyn Environment,
    defaults: &RoleDefaults,
    looked_in: &mut Vec<String>,
) -> Result<Option<CredentialPlan>, CredentialsError> {
    let provider_arn = environment.non_empty(OIDC_PROVIDER_ARN_VARIABLE);
    let token = oidc_token_from_environment(None, environment);
    let role_arn = environment.non_empty(ROLE_ARN_VARIABLE);
    match (provider_arn, token, role_arn) {
        (Some(provider_arn), Some(token), Some(role_arn)) => {
            let source = CredentialsSource::Environment {
                variable: OIDC_PROVIDER_ARN_VARIABLE,
            };
            let role = roles::oidc_role(
                &source.to_string(),
                ROLE_ARN_VARIABLE,
                RoleParts {
                    role_arn,
                    ..RoleParts::default()
                },
                provider_arn,
                token,
                defaults,
            )?;
            Ok(Some(CredentialPlan::Oidc { role, source }))
        }
        (None, None, _) => {
            looked_in.push(format!(
                "the environment ({OIDC_PROVIDER_ARN_VARIABLE}, {OIDC_TOKEN_FILE_VARIABLE} or {OIDC_TOKEN_VARIABLE}, {ROLE_ARN_VARIABLE})"
            ));
            Ok(None)
        }
        (provider_arn, token, role_arn) => {
            let token_names = format!("{OIDC_TOKEN_FILE_VARIABLE} (or {OIDC_TOKEN_VARIABLE})");
            let missing: Vec<&str> = [
                (provider_arn.is_none(), OIDC_PROVIDER_ARN_VARIABLE),
                (token.is_none(), token_names.as_str()),
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
