//! Resolves credentials, region, endpoints, scheme and signature version from the provider
//! config, the environment and the credential files, without touching the network; and, at run
//! time, obtains and refreshes the credentials that need the network (`cache`, `fetch`).
//!
//! # Which credential
//!
//! The **base credential** is the first source of the chain that is present (`chain` has the
//! order: the provider config, pulumi-alicloud's config as `configure` merged it, the
//! environment's keys and OIDC role, the CLI file, the credentials file, a named instance role, a
//! credentials URL, and last the instance role the metadata service names; docs/credentials.md
//! has the table, side by side with the official tools', and the source of every name). Setting
//! two kinds in the provider config is an error (`checkConfig` reports it as a failure).
//!
//! Then `assumeRole`, when set, is applied on top of the base credential, whatever it is.
//!
//! A place that has only part of a credential (a key id without its secret, an OIDC provider
//! without a token file) is an error, not skipped: mixing the halves of two credentials fails
//! later with a confusing signature error. An empty value counts as unset, everywhere.
//!
//! # Where to send requests
//!
//! - **Region**: config, then `ALIBABA_CLOUD_REGION` / `ALICLOUD_REGION` /
//!   `ALIBABA_CLOUD_REGION_ID`, then the selected CLI profile's `region_id`. Required unless an
//!   endpoint is given.
//! - **KMS endpoint**: config `endpoint`, then `ALIBABA_CLOUD_ENDPOINT_KMS`, then `KMS_ENDPOINT`,
//!   else `kms.<region>.aliyuncs.com`.
//! - **STS endpoint**: config `stsEndpoint`, then `ALIBABA_CLOUD_STS_ENDPOINT`, else
//!   `sts.<region>.aliyuncs.com` (`sts-vpc` with `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`; the
//!   region is `ALIBABA_CLOUD_STS_REGION` or the KMS region), else `sts.aliyuncs.com`.
//! - **Protocol**: config `protocol`, `HTTPS` (default) or `HTTP`; it applies to both endpoints,
//!   unless an endpoint's own `http://` or `https://` says otherwise (they must then agree).
//!
//! `Debug` of every type here redacts secrets.

mod cache;
mod chain;
mod error;
pub(crate) mod fetch;
mod plan;
mod settings;

use std::path::Path;

pub use self::cache::{refresh_time, CredentialProvider, SigningCredentials};
pub use self::chain::presence::missing_credential_sources;
pub use self::chain::variables::{
    Environment, KeyVariables, ProcessEnvironment, ACCESS_KEY_FAMILIES,
    ECS_METADATA_DISABLED_VARIABLE, ENDPOINT_VARIABLES, PROFILE_VARIABLES, REGION_VARIABLES,
};
use self::chain::variables::{
    STS_ENDPOINT_VARIABLE, STS_REGION_VARIABLE, VPC_ENDPOINT_ENABLED_VARIABLE,
};
pub use self::error::{CredentialsError, StsRefusal};
pub use self::plan::{
    AssumeRole, CloudSsoLogin, CredentialPlan, Credentials, CredentialsSource, OAuthLogin,
    OidcRole, OidcToken, StoredSts,
};
pub use self::settings::{
    is_oidc_provider_arn, is_role_arn, is_valid_session_name, AssumeRoleSettings, ClientSettings,
    CredentialSettings, OidcRoleSettings, SignatureAlgorithm, DEFAULT_SESSION_NAME,
    DEFAULT_SESSION_SECONDS, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SESSION_NAME_RULE,
};
pub use crate::kms::endpoint::Scheme;
use crate::kms::endpoint::{endpoint_with_scheme, is_valid_region, parse_protocol, regional_host};
use crate::kms::secret::SecretString;
use chain::base_credential;
use chain::profiles::ProfileFiles;
use chain::roles::RoleDefaults;

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
    /// What the user should hear about (a credentials file other users may read).
    pub warnings: Vec<String>,
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
            warnings: Vec::new(),
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

pub(super) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|value| !value.is_empty()).map(str::to_owned)
}

/// Resolves the configuration: `settings` first, then `environment`, then the credential files
/// under `home_dir` (see the module docs for the rules). Reads files; never the network.
pub fn resolve(
    settings: &ClientSettings,
    environment: &dyn Environment,
    home_dir: Option<&Path>,
) -> Result<ResolvedConfig, CredentialsError> {
    let defaults = RoleDefaults::new(settings, environment);
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
            let role = chain::roles::assume_role(
                &place,
                "assumeRole.roleArn",
                chain::roles::RoleParts {
                    role_arn,
                    session_name: non_empty(assume.session_name.as_deref()),
                    duration: assume.session_expiration,
                    policy: non_empty(assume.policy.as_deref()),
                    sts_endpoint: None,
                },
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
        warnings: files.warnings,
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
