//! Resolves credentials, region, endpoint and scheme from the provider config, the environment
//! and the Alibaba Cloud CLI profile file, in that order.
//!
//! Resolution rules (decisions documented here because the sources differ in detail):
//!
//! - **Credentials are taken as a unit** from the first place that has an AccessKey id: the
//!   provider config (`accessKey`, `secretKey`, `securityToken`), then the environment
//!   (`ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` /
//!   `ALIBABA_CLOUD_SECURITY_TOKEN`, each falling back to the older `ALICLOUD_ACCESS_KEY` /
//!   `ALICLOUD_SECRET_KEY` / `ALICLOUD_SECURITY_TOKEN`), then the profile file. A security token
//!   never comes from a different place than the key pair it belongs to, and a place that has
//!   only half a pair is an error, not skipped: mixing the halves of two pairs would fail later
//!   with a confusing signature error.
//! - **Region** is taken field by field: config, then `ALIBABA_CLOUD_REGION` / `ALICLOUD_REGION`,
//!   then the profile's `region_id`. It is required unless an endpoint is given.
//! - **Endpoint**: config, then `ALIBABA_CLOUD_ENDPOINT_KMS`, else `kms.<region>.aliyuncs.com`.
//!   It is a host with an optional port; an `http://` or `https://` prefix is accepted and sets
//!   the scheme (it must then agree with `protocol` if that is also given).
//! - **Protocol**: config `protocol`, `HTTPS` (default) or `HTTP`, case-insensitive.
//! - **Profile**: `ALIBABA_CLOUD_PROFILE` (or the older `ALICLOUD_PROFILE`), else the file's
//!   `current`, else `default`; modes `AK` and `StsToken` (see `profile`).
//! - An empty value counts as unset, everywhere.
//!
//! `Debug` of every type here redacts the secret key and the security token.

use std::cell::OnceCell;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::kms::endpoint::Scheme;
use crate::kms::endpoint::{parse_endpoint, parse_protocol, regional_host, validate_region};
pub use crate::kms::environment::{
    Environment, ProcessEnvironment, ACCESS_KEY_ID_VARIABLES, ACCESS_KEY_SECRET_VARIABLES,
    ENDPOINT_VARIABLES, PROFILE_VARIABLES, REGION_VARIABLES, SECURITY_TOKEN_VARIABLES,
};
use crate::kms::profile::{load_profile, ProfileLookup, SelectedProfile};
use crate::kms::secret::SecretString;

/// The explicit provider configuration (from `configure`); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// Region id, e.g. `cn-hangzhou`.
    pub region: Option<String>,
    /// AccessKey id.
    pub access_key: Option<String>,
    /// AccessKey secret.
    pub secret_key: Option<SecretString>,
    /// STS security token (with temporary credentials).
    pub security_token: Option<SecretString>,
    /// Host (optionally `host:port`, optionally with a scheme) of the KMS endpoint.
    pub endpoint: Option<String>,
    /// `HTTPS` (default) or `HTTP`.
    pub protocol: Option<String>,
}

/// An AccessKey pair, with the STS token when the pair is temporary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// AccessKey id (not a secret; it appears in every signed URL).
    pub access_key_id: String,
    /// AccessKey secret.
    pub access_key_secret: SecretString,
    /// STS security token.
    pub security_token: Option<SecretString>,
}

/// Where the credentials were found, for a log line (never the values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// The provider configuration.
    ProviderConfig,
    /// The environment; names the variable the AccessKey id came from.
    Environment {
        /// e.g. `ALIBABA_CLOUD_ACCESS_KEY_ID`.
        variable: &'static str,
    },
    /// A profile of the CLI profile file.
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// The profile name.
        profile: String,
    },
}

impl fmt::Display for CredentialsSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsSource::ProviderConfig => formatter.write_str("the provider config"),
            CredentialsSource::Environment { variable } => {
                write!(formatter, "the environment ({variable})")
            }
            CredentialsSource::ProfileFile { path, profile } => {
                write!(formatter, "profile {profile:?} of {}", path.display())
            }
        }
    }
}

/// Everything the client needs, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they came from.
    pub credentials_source: CredentialsSource,
    /// The region, when known (it is not needed when an endpoint is given).
    pub region: Option<String>,
    /// Host, optionally with `:port`, without scheme or path.
    pub endpoint: String,
    /// The scheme to speak.
    pub scheme: Scheme,
}

impl ResolvedConfig {
    /// The URL every request goes to, e.g. `https://kms.cn-hangzhou.aliyuncs.com/`.
    pub fn base_url(&self) -> String {
        format!("{}://{}/", self.scheme.as_str(), self.endpoint)
    }
}

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No place had credentials.
    #[error("no alibaba cloud credentials found; looked in {}; set accessKey and secretKey in the provider config, or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment, or add an AK profile to ~/.aliyun/config.json", looked_in.join(", "))]
    MissingCredentials {
        /// Every place looked, in order.
        looked_in: Vec<String>,
    },
    /// A place had only part of a key pair.
    #[error("incomplete credentials in {place}: {problem}; set both the access key id and the secret there, or neither")]
    IncompleteCredentials {
        /// Where.
        place: String,
        /// What is missing.
        problem: String,
    },
    /// No region and no endpoint.
    #[error("no region found; looked in {}; set region in the provider config or ALIBABA_CLOUD_REGION in the environment, or set an explicit endpoint", looked_in.join(", "))]
    MissingRegion {
        /// Every place looked, in order.
        looked_in: Vec<String>,
    },
    /// The region cannot be used in a host name.
    #[error("invalid region {region:?}: use a region id such as cn-hangzhou (lower-case letters, digits and hyphens)")]
    InvalidRegion {
        /// The value given.
        region: String,
    },
    /// The endpoint is not a host with an optional port.
    #[error("invalid kms endpoint {endpoint:?}: {problem}; give a host such as kms.cn-hangzhou.aliyuncs.com or 127.0.0.1:8080")]
    InvalidEndpoint {
        /// The value given.
        endpoint: String,
        /// What is wrong.
        problem: String,
    },
    /// The protocol is neither HTTPS nor HTTP.
    #[error("invalid protocol {protocol:?}: use HTTPS (the default) or HTTP")]
    InvalidProtocol {
        /// The value given.
        protocol: String,
    },
    /// The profile file is unreadable, malformed, or lacks the selected profile.
    #[error("the profile file {} {problem}; fix the file, select another profile with ALIBABA_CLOUD_PROFILE, or set credentials in the provider config or environment", path.display())]
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (never a value from the file).
        problem: String,
    },
    /// The selected profile uses a mode this provider cannot use.
    #[error("profile {profile:?} of {} uses mode {mode:?}, which this provider does not support; use a profile with mode AK or StsToken, or set credentials in the provider config or environment", path.display())]
    UnsupportedProfileMode {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// Its mode.
        mode: String,
    },
}

/// Resolves the configuration: `settings` first, then `environment`, then the profile file under
/// `home_dir` (see the module docs for the rules).
pub fn resolve(
    settings: &ClientSettings,
    environment: &dyn Environment,
    home_dir: Option<&Path>,
) -> Result<ResolvedConfig, CredentialsError> {
    // The profile file is read at most once, and only if something is still missing.
    let profile_cell: OnceCell<ProfileLookup> = OnceCell::new();
    let profile = || -> Result<&ProfileLookup, CredentialsError> {
        if let Some(lookup) = profile_cell.get() {
            return Ok(lookup);
        }
        let requested = environment
            .first_non_empty(&PROFILE_VARIABLES)
            .map(|(_, name)| name);
        let lookup = load_profile(home_dir, requested.as_deref())?;
        Ok(profile_cell.get_or_init(|| lookup))
    };

    let mut looked_in = Vec::new();
    let found = match credentials_from_settings(settings, &mut looked_in)? {
        Some(found) => Some(found),
        None => credentials_from_environment(environment, &mut looked_in)?,
    };
    let (credentials, credentials_source) = match found {
        Some(found) => found,
        None => match profile()? {
            ProfileLookup::Found(selected) => credentials_from_profile(selected)?,
            ProfileLookup::Absent { description } => {
                looked_in.push(format!("the profile file {description}"));
                return Err(CredentialsError::MissingCredentials { looked_in });
            }
            ProfileLookup::NoDefaultProfile { path } => {
                looked_in.push(format!(
                    "the profile file {} (no profile selected and none named \"default\")",
                    path.display()
                ));
                return Err(CredentialsError::MissingCredentials { looked_in });
            }
        },
    };

    let region = match non_empty(settings.region.as_deref()).or_else(|| {
        environment
            .first_non_empty(&REGION_VARIABLES)
            .map(|(_, region)| region)
    }) {
        Some(region) => Some(region),
        // A profile file that cannot be read only matters here if the region is really missing,
        // which the error below reports.
        None => match profile() {
            Ok(ProfileLookup::Found(selected)) => selected.region_id.clone(),
            _ => None,
        },
    };
    if let Some(region) = &region {
        validate_region(region)?;
    }

    let protocol_scheme = parse_protocol(non_empty(settings.protocol.as_deref()).as_deref())?;
    let endpoint_setting = non_empty(settings.endpoint.as_deref()).or_else(|| {
        environment
            .first_non_empty(&ENDPOINT_VARIABLES)
            .map(|(_, endpoint)| endpoint)
    });
    let (endpoint, scheme) = match (endpoint_setting, &region) {
        (Some(endpoint), _) => parse_endpoint(&endpoint, protocol_scheme)?,
        (None, Some(region)) => (
            regional_host(region),
            protocol_scheme.unwrap_or(Scheme::Https),
        ),
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
    Ok(ResolvedConfig {
        credentials,
        credentials_source,
        region,
        endpoint,
        scheme,
    })
}

type FoundCredentials = (Credentials, CredentialsSource);

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|value| !value.is_empty()).map(str::to_owned)
}

fn incomplete(place: &str, problem: &str) -> CredentialsError {
    CredentialsError::IncompleteCredentials {
        place: place.to_owned(),
        problem: problem.to_owned(),
    }
}

fn credentials_from_settings(
    settings: &ClientSettings,
    looked_in: &mut Vec<String>,
) -> Result<Option<FoundCredentials>, CredentialsError> {
    let secret = settings
        .secret_key
        .clone()
        .filter(|secret| !secret.is_empty());
    let token = settings
        .security_token
        .clone()
        .filter(|token| !token.is_empty());
    match (non_empty(settings.access_key.as_deref()), secret) {
        (Some(access_key_id), Some(access_key_secret)) => Ok(Some((
            Credentials {
                access_key_id,
                access_key_secret,
                security_token: token,
            },
            CredentialsSource::ProviderConfig,
        ))),
        (Some(_), None) => Err(incomplete(
            "the provider config",
            "accessKey is set but secretKey is not",
        )),
        (None, Some(_)) => Err(incomplete(
            "the provider config",
            "secretKey is set but accessKey is not",
        )),
        (None, None) => {
            looked_in.push("the provider config (accessKey, secretKey)".to_owned());
            Ok(None)
        }
    }
}

fn credentials_from_environment(
    environment: &dyn Environment,
    looked_in: &mut Vec<String>,
) -> Result<Option<FoundCredentials>, CredentialsError> {
    let access_key_id = environment.first_non_empty(&ACCESS_KEY_ID_VARIABLES);
    let secret = environment.first_non_empty(&ACCESS_KEY_SECRET_VARIABLES);
    match (access_key_id, secret) {
        (Some((variable, access_key_id)), Some((_, secret))) => {
            let security_token = environment
                .first_non_empty(&SECURITY_TOKEN_VARIABLES)
                .map(|(_, token)| SecretString::new(token));
            Ok(Some((
                Credentials {
                    access_key_id,
                    access_key_secret: SecretString::new(secret),
                    security_token,
                },
                CredentialsSource::Environment { variable },
            )))
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

fn credentials_from_profile(
    selected: &SelectedProfile,
) -> Result<FoundCredentials, CredentialsError> {
    let place = format!("profile {:?} of {}", selected.name, selected.path.display());
    let wants_token = match selected.mode.as_str() {
        "AK" => false,
        "StsToken" => true,
        _ => {
            return Err(CredentialsError::UnsupportedProfileMode {
                path: selected.path.clone(),
                profile: selected.name.clone(),
                mode: selected.mode.clone(),
            });
        }
    };
    let access_key_id = selected
        .access_key_id
        .clone()
        .ok_or_else(|| incomplete(&place, "access_key_id is missing"))?;
    let access_key_secret = selected
        .access_key_secret
        .clone()
        .ok_or_else(|| incomplete(&place, "access_key_secret is missing"))?;
    let security_token =
        if wants_token {
            let token = selected.sts_token.clone();
            Some(token.ok_or_else(|| {
                incomplete(&place, "mode StsToken needs sts_token, which is missing")
            })?)
        } else {
            None
        };
    let source = CredentialsSource::ProfileFile {
        path: selected.path.clone(),
        profile: selected.name.clone(),
    };
    Ok((
        Credentials {
            access_key_id,
            access_key_secret,
            security_token,
        },
        source,
    ))
}
