//! Resolves credentials, region, endpoints, scheme and signature version from the provider
//! config, the environment and the credential files, without touching the network; and, at run
//! time, obtains and refreshes the credentials that need the network (`provider`).
//!
//! # Which credential
//!
//! The **base credential** is the first of these that is present (docs/credentials.md has the
//! table and the sources of every name):
//!
//! 1. the provider config: `accessKey` + `secretKey` (+ `securityToken`), `assumeRoleWithOidc`,
//!    `ecsRoleName`, `credentialsUri`, or `profile` / `sharedCredentialsFile`. Setting two of
//!    these kinds is an error (`checkConfig` reports it as a failure);
//! 2. the environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` + `..._SECRET` (+ `..._SECURITY_TOKEN`), each
//!    falling back to the older `ALICLOUD_*` name;
//! 3. the environment: `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` + `ALIBABA_CLOUD_OIDC_TOKEN_FILE` +
//!    `ALIBABA_CLOUD_ROLE_ARN` (as ACK RRSA sets them);
//! 4. the CLI profile file `~/.aliyun/config.json` (unless
//!    `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`), then the credentials INI file
//!    (`ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials`), each with the
//!    profile named by `ALIBABA_CLOUD_PROFILE` (or `ALICLOUD_PROFILE`), else the CLI file's
//!    `current`, else `default`;
//! 5. `ALIBABA_CLOUD_ECS_METADATA` (the instance's role name; not with
//!    `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`);
//! 6. `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! Then `assumeRole`, when set, is applied on top of the base credential, whatever it is.
//!
//! A place that has only part of a credential (a key id without its secret, an OIDC provider
//! without a token file) is an error, not skipped: mixing the halves of two credentials fails
//! later with a confusing signature error. An empty value counts as unset, everywhere.
//!
//! # Where to send requests
//!
//! - **Region**: config, then `ALIBABA_CLOUD_REGION` / `ALICLOUD_REGION`, then the selected CLI
//!   profile's `region_id`. Required unless an endpoint is given.
//! - **KMS endpoint**: config `endpoint`, then `ALIBABA_CLOUD_ENDPOINT_KMS`, then `KMS_ENDPOINT`,
//!   else `kms.<region>.aliyuncs.com`.
//! - **STS endpoint**: config `stsEndpoint`, then `ALIBABA_CLOUD_STS_ENDPOINT`, else
//!   `sts.<region>.aliyuncs.com` (`sts-vpc` with `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`; the
//!   region is `ALIBABA_CLOUD_STS_REGION` or the KMS region), else `sts.aliyuncs.com`.
//! - **Protocol**: config `protocol`, `HTTPS` (default) or `HTTP`; it applies to both endpoints,
//!   unless an endpoint's own `http://` or `https://` says otherwise (they must then agree).
//!
//! `Debug` of every type here redacts secrets.

mod cli_profile;
mod error;
pub(crate) mod fetch;
mod ini_file;
mod plan;
mod refresh;
mod roles;
mod settings;

use std::path::{Path, PathBuf};

pub use self::error::{CredentialsError, StsRefusal};
pub use self::plan::{AssumeRole, CredentialPlan, Credentials, CredentialsSource, OidcRole};
pub use self::refresh::{refresh_time, CredentialProvider, SigningCredentials};
pub use self::settings::{
    is_oidc_provider_arn, is_role_arn, is_valid_session_name, AssumeRoleSettings, ClientSettings,
    CredentialSettings, OidcRoleSettings, SignatureAlgorithm, DEFAULT_SESSION_NAME,
    DEFAULT_SESSION_SECONDS, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SESSION_NAME_RULE,
};
pub use crate::kms::endpoint::Scheme;
use crate::kms::endpoint::{endpoint_with_scheme, is_valid_region, parse_protocol, regional_host};
pub use crate::kms::environment::{
    Environment, ProcessEnvironment, ACCESS_KEY_ID_VARIABLES, ACCESS_KEY_SECRET_VARIABLES,
    ENDPOINT_VARIABLES, PROFILE_VARIABLES, REGION_VARIABLES, SECURITY_TOKEN_VARIABLES,
};
use crate::kms::environment::{
    CLI_PROFILE_DISABLED_VARIABLE, CREDENTIALS_FILE_VARIABLE, CREDENTIALS_URI_VARIABLE,
    ECS_METADATA_DISABLED_VARIABLE, ECS_METADATA_VARIABLE, OIDC_PROVIDER_ARN_VARIABLE,
    OIDC_TOKEN_FILE_VARIABLE, ROLE_ARN_VARIABLE, STS_ENDPOINT_VARIABLE, STS_REGION_VARIABLE,
    VPC_ENDPOINT_ENABLED_VARIABLE,
};
use crate::kms::secret::SecretString;
use roles::RoleDefaults;

/// Everything the client needs, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// How to obtain the credentials.
    pub credentials: CredentialPlan,
    /// The region, when known (it is not needed when an endpoint is given).
    pub region: Option<String>,
    /// KMS host, optionally with `:port`, without scheme or path.
    pub endpoint: String,
    /// The scheme to speak to KMS.
    pub scheme: Scheme,
    /// STS host, optionally with `:port`.
    pub sts_endpoint: String,
    /// The scheme to speak to STS.
    pub sts_scheme: Scheme,
    /// How KMS requests are signed.
    pub signature_algorithm: SignatureAlgorithm,
}

impl ResolvedConfig {
    /// A configuration with a fixed key from the provider config, the central STS endpoint and
    /// V2 signatures (tests and benchmarks point a client at a local server this way).
    pub fn with_static_credentials(
        credentials: Credentials,
        endpoint: &str,
        scheme: Scheme,
    ) -> Self {
        ResolvedConfig {
            credentials: CredentialPlan::Static {
                credentials,
                source: CredentialsSource::ProviderConfig,
            },
            region: None,
            endpoint: endpoint.to_owned(),
            scheme,
            sts_endpoint: CENTRAL_STS_HOST.to_owned(),
            sts_scheme: Scheme::Https,
            signature_algorithm: SignatureAlgorithm::V2,
        }
    }

    /// The URL every KMS request goes to, e.g. `https://kms.cn-hangzhou.aliyuncs.com/`.
    pub fn base_url(&self) -> String {
        format!("{}://{}/", self.scheme.as_str(), self.endpoint)
    }

    /// The URL STS requests go to.
    pub fn sts_base_url(&self) -> String {
        format!("{}://{}/", self.sts_scheme.as_str(), self.sts_endpoint)
    }
}

/// The STS endpoint when no region is known (the SDKs' default).
pub const CENTRAL_STS_HOST: &str = "sts.aliyuncs.com";

/// The names of the base credential kinds the provider config can set, for the contradiction
/// check (`checkConfig` uses the same list).
pub fn configured_base_kinds(settings: &ClientSettings) -> Vec<&'static str> {
    let extra = &settings.credential_settings;
    let mut kinds = Vec::new();
    if set(&settings.access_key)
        || set_secret(&settings.secret_key)
        || set_secret(&settings.security_token)
    {
        kinds.push("accessKey/secretKey");
    }
    if extra.assume_role_with_oidc.is_some() {
        kinds.push("assumeRoleWithOidc");
    }
    if set(&extra.ecs_role_name) {
        kinds.push("ecsRoleName");
    }
    if set_secret(&extra.credentials_uri) {
        kinds.push("credentialsUri");
    }
    if set(&extra.profile) || set(&extra.shared_credentials_file) {
        kinds.push("profile/sharedCredentialsFile");
    }
    kinds
}

fn set(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|value| !value.is_empty())
}

fn set_secret(value: &Option<SecretString>) -> bool {
    value.as_ref().is_some_and(|value| !value.is_empty())
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|value| !value.is_empty()).map(str::to_owned)
}

/// Resolves the configuration: `settings` first, then `environment`, then the credential files
/// under `home_dir` (see the module docs for the rules). Reads files; never the network.
pub fn resolve(
    settings: &ClientSettings,
    environment: &dyn Environment,
    home_dir: Option<&Path>,
) -> Result<ResolvedConfig, CredentialsError> {
    let defaults = RoleDefaults::from_environment(environment);
    let mut files = ProfileFiles::new(settings, environment, home_dir);
    let base = base_credential(settings, environment, &mut files, &defaults)?;
    let credentials = match &settings.credential_settings.assume_role {
        Some(assume) => {
            let place = CredentialsSource::ProviderConfig.to_string();
            let role_arn = non_empty(assume.role_arn.as_deref()).ok_or_else(|| {
                CredentialsError::IncompleteCredentials {
                    place: place.clone(),
                    problem: "assumeRole needs roleArn".to_owned(),
                }
            })?;
            let role = roles::assume_role(
                &place,
                "assumeRole.roleArn",
                role_arn,
                non_empty(assume.session_name.as_deref()),
                assume.session_expiration,
                non_empty(assume.policy.as_deref()),
                assume.external_id.clone().filter(|id| !id.is_empty()),
                &defaults,
            )?;
            CredentialPlan::AssumeRole {
                base: Box::new(base),
                role,
                source: CredentialsSource::ProviderConfig,
            }
        }
        None => base,
    };

    let region = match non_empty(settings.region.as_deref()) {
        Some(region) => Some((region, "the provider config (region)".to_owned())),
        None => match environment.first_non_empty(&REGION_VARIABLES) {
            Some((variable, region)) => Some((region, format!("the environment ({variable})"))),
            // A profile file that cannot be read only matters here if the region is really
            // missing, which the error below reports.
            None => files.cli_region(),
        },
    };
    if let Some((region, place)) = &region {
        if !is_valid_region(region) {
            return Err(CredentialsError::InvalidRegion {
                place: place.clone(),
            });
        }
    }
    let region = region.map(|(region, _)| region);

    let protocol = match non_empty(settings.protocol.as_deref()) {
        Some(protocol) => {
            Some(parse_protocol(&protocol).ok_or(CredentialsError::InvalidProtocol { protocol })?)
        }
        None => None,
    };
    let endpoint_setting = match non_empty(settings.endpoint.as_deref()) {
        Some(endpoint) => Some((endpoint, "the provider config (endpoint)".to_owned())),
        None => environment
            .first_non_empty(&ENDPOINT_VARIABLES)
            .map(|(variable, endpoint)| (endpoint, format!("the environment ({variable})"))),
    };
    let (endpoint, scheme) = match (endpoint_setting, &region) {
        (Some((endpoint, place)), _) => {
            endpoint_with_scheme(&endpoint, protocol).map_err(|problem| {
                CredentialsError::InvalidEndpoint {
                    what: "kms",
                    place,
                    problem,
                }
            })?
        }
        (None, Some(region)) => (regional_host(region), protocol.unwrap_or(Scheme::Https)),
        (None, None) => {
            return Err(CredentialsError::MissingRegion {
                looked_in: vec![
                    "the provider config (region)".to_owned(),
                    format!("the environment ({})", REGION_VARIABLES.join(", ")),
                    "the selected profile of ~/.aliyun/config.json (region_id)".to_owned(),
                ],
            });
        }
    };
    let (sts_endpoint, sts_scheme) =
        sts_endpoint(settings, environment, region.as_deref(), protocol)?;
    Ok(ResolvedConfig {
        credentials,
        region,
        endpoint,
        scheme,
        sts_endpoint,
        sts_scheme,
        signature_algorithm: settings
            .credential_settings
            .signature_algorithm
            .unwrap_or_default(),
    })
}

fn sts_endpoint(
    settings: &ClientSettings,
    environment: &dyn Environment,
    region: Option<&str>,
    protocol: Option<Scheme>,
) -> Result<(String, Scheme), CredentialsError> {
    let explicit = match non_empty(settings.credential_settings.sts_endpoint.as_deref()) {
        Some(endpoint) => Some((endpoint, "the provider config (stsEndpoint)".to_owned())),
        None => environment
            .non_empty(STS_ENDPOINT_VARIABLE)
            .map(|endpoint| {
                (
                    endpoint,
                    format!("the environment ({STS_ENDPOINT_VARIABLE})"),
                )
            }),
    };
    if let Some((endpoint, place)) = explicit {
        return endpoint_with_scheme(&endpoint, protocol).map_err(|problem| {
            CredentialsError::InvalidEndpoint {
                what: "sts",
                place,
                problem,
            }
        });
    }
    let scheme = protocol.unwrap_or(Scheme::Https);
    let sts_region = match environment.non_empty(STS_REGION_VARIABLE) {
        Some(sts_region) => {
            if !is_valid_region(&sts_region) {
                return Err(CredentialsError::InvalidRegion {
                    place: format!("the environment ({STS_REGION_VARIABLE})"),
                });
            }
            Some(sts_region)
        }
        None => region.map(str::to_owned),
    };
    let prefix = if environment.is_true(VPC_ENDPOINT_ENABLED_VARIABLE) {
        "sts-vpc"
    } else {
        "sts"
    };
    Ok(match sts_region {
        Some(sts_region) => (format!("{prefix}.{sts_region}.aliyuncs.com"), scheme),
        None => (CENTRAL_STS_HOST.to_owned(), scheme),
    })
}

/// The base credential (before `assumeRole`).
fn base_credential(
    settings: &ClientSettings,
    environment: &dyn Environment,
    files: &mut ProfileFiles,
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

/// The credential files, each read at most once and only when needed.
struct ProfileFiles<'a> {
    settings: &'a ClientSettings,
    environment: &'a dyn Environment,
    home_dir: Option<&'a Path>,
    cli: Option<Option<cli_profile::CliProfileFile>>,
}

/// The format of a file, guessed from its first character: the CLI file is JSON.
fn looks_like_json(path: &Path) -> bool {
    std::fs::read(path).ok().and_then(|bytes| {
        bytes
            .iter()
            .copied()
            .find(|byte| !byte.is_ascii_whitespace())
    }) == Some(b'{')
}

impl<'a> ProfileFiles<'a> {
    fn new(
        settings: &'a ClientSettings,
        environment: &'a dyn Environment,
        home_dir: Option<&'a Path>,
    ) -> ProfileFiles<'a> {
        ProfileFiles {
            settings,
            environment,
            home_dir,
            cli: None,
        }
    }

    /// The profile asked for by name: the `profile` setting, else the environment.
    fn requested_profile(&self) -> Option<String> {
        non_empty(self.settings.credential_settings.profile.as_deref()).or_else(|| {
            self.environment
                .first_non_empty(&PROFILE_VARIABLES)
                .map(|(_, name)| name)
        })
    }

    fn explicit_file(&self) -> Option<PathBuf> {
        non_empty(
            self.settings
                .credential_settings
                .shared_credentials_file
                .as_deref(),
        )
        .map(|path| expand_home(&path, self.home_dir))
    }

    /// The CLI file: `sharedCredentialsFile` when it is JSON, else the default one.
    fn cli_file(&mut self) -> Result<Option<&cli_profile::CliProfileFile>, CredentialsError> {
        if self.cli.is_none() {
            let path = match self.explicit_file() {
                Some(path) if looks_like_json(&path) => Some(path),
                Some(_) => None,
                None => self.home_dir.map(cli_profile::default_path),
            };
            let file = match path {
                Some(path) => cli_profile::read_file(&path)?,
                None => None,
            };
            self.cli = Some(file);
        }
        Ok(self.cli.as_ref().and_then(Option::as_ref))
    }

    fn ini_path(&self) -> Option<PathBuf> {
        if let Some(path) = self.explicit_file() {
            return (!looks_like_json(&path)).then_some(path);
        }
        if let Some(path) = self.environment.non_empty(CREDENTIALS_FILE_VARIABLE) {
            return Some(expand_home(&path, self.home_dir));
        }
        let home = self.home_dir?;
        let primary = home.join(ini_file::CREDENTIALS_FILE_RELATIVE_PATH);
        if primary.exists() {
            return Some(primary);
        }
        let python_name = home.join(ini_file::CREDENTIALS_INI_FILE_RELATIVE_PATH);
        Some(if python_name.exists() {
            python_name
        } else {
            primary
        })
    }

    /// `profile` / `sharedCredentialsFile` from the provider config: the profile must exist in
    /// the named file, or else in the CLI file or the INI file.
    fn explicit_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
    ) -> Result<CredentialPlan, CredentialsError> {
        let requested = self.requested_profile();
        let explicit_file = self.explicit_file();
        if let Some(cli) = self.cli_file()? {
            let (name, _) = cli.selected_name(requested.as_deref());
            if cli.has_profile(&name) || explicit_file.is_some() {
                return cli.plan(&name, defaults);
            }
        }
        let name = requested
            .clone()
            .unwrap_or_else(|| cli_profile::DEFAULT_PROFILE_NAME.to_owned());
        if let Some(path) = self.ini_path() {
            match ini_file::read_file(&path)? {
                Some(file) => return file.plan(&name, defaults),
                None if explicit_file.is_some() => {
                    return Err(CredentialsError::ProfileFile {
                        path,
                        problem: "does not exist".to_owned(),
                    });
                }
                None => {}
            }
        }
        Err(CredentialsError::MissingCredentials {
            looked_in: vec![format!(
                "profile {name:?} of ~/{} and ~/{}",
                cli_profile::PROFILE_FILE_RELATIVE_PATH,
                ini_file::CREDENTIALS_FILE_RELATIVE_PATH
            )],
        })
    }

    /// Step 4 of the chain: the CLI file, then the INI file, with the profile the environment
    /// names (a profile asked for by name must exist in one of them).
    fn environment_profile_plan(
        &mut self,
        defaults: &RoleDefaults,
        looked_in: &mut Vec<String>,
    ) -> Result<Option<CredentialPlan>, CredentialsError> {
        let requested = self.requested_profile();
        let cli_disabled = self.environment.is_true(CLI_PROFILE_DISABLED_VARIABLE);
        let mut asked_for: Option<(String, PathBuf)> = None;
        if cli_disabled {
            looked_in.push(format!(
                "the CLI profile file (skipped: {CLI_PROFILE_DISABLED_VARIABLE}=true)"
            ));
        } else {
            match self.cli_file()? {
                Some(cli) => {
                    let (name, explicitly) = cli.selected_name(requested.as_deref());
                    if cli.has_profile(&name) {
                        return cli.plan(&name, defaults).map(Some);
                    }
                    looked_in.push(format!(
                        "the profile file {} (no profile named {name:?})",
                        cli.path.display()
                    ));
                    if explicitly {
                        asked_for = Some((name, cli.path.clone()));
                    }
                }
                None => looked_in.push(match self.home_dir {
                    Some(home) => {
                        format!("{} (not found)", cli_profile::default_path(home).display())
                    }
                    None => format!(
                        "~/{} (no home directory is known)",
                        cli_profile::PROFILE_FILE_RELATIVE_PATH
                    ),
                }),
            }
        }
        let name = requested
            .clone()
            .unwrap_or_else(|| cli_profile::DEFAULT_PROFILE_NAME.to_owned());
        if let Some(path) = self.ini_path() {
            match ini_file::read_file(&path)? {
                Some(file) if file.has_profile(&name) => {
                    return file.plan(&name, defaults).map(Some)
                }
                Some(_) => {
                    looked_in.push(format!("{} (no profile named {name:?})", path.display()));
                    if requested.is_some() && asked_for.is_none() {
                        asked_for = Some((name.clone(), path));
                    }
                }
                None => looked_in.push(format!("{} (not found)", path.display())),
            }
        }
        if let Some((name, path)) = asked_for {
            return Err(CredentialsError::ProfileFile {
                path,
                problem: format!("has no profile named {name:?}"),
            });
        }
        Ok(None)
    }

    /// The `region_id` of the selected CLI profile, with where it came from.
    fn cli_region(&mut self) -> Option<(String, String)> {
        let requested = self.requested_profile();
        let Ok(Some(cli)) = self.cli_file() else {
            return None;
        };
        let (name, _) = cli.selected_name(requested.as_deref());
        cli.region_of(&name).map(|region| {
            let place = format!("profile {name:?} of {} (region_id)", cli.path.display());
            (region, place)
        })
    }
}

/// `~` or `~/...` is the home directory, as a shell would read it.
fn expand_home(path: &str, home_dir: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home_dir) {
        (Some(""), Some(home)) => home.to_owned(),
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}
