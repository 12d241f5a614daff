//! What `resolve` decides without touching the network: which credential to use and how to
//! obtain it ([`CredentialPlan`]), and where each part came from ([`CredentialsSource`]).
//!
//! A plan is a small tree: a static key, the instance metadata service, a credentials URL, an
//! OIDC token exchange, an external program, or a CLI login (CloudSSO, OAuth) at the leaves, and
//! any number of role assumptions on top. The runtime side (`cache`) turns it into credentials,
//! cached and refreshed.

use std::fmt;
use std::path::PathBuf;

use crate::kms::secret::SecretString;

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

/// Where a credential (or the setting behind it) was found, for messages (never the values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// The provider configuration.
    ProviderConfig,
    /// The environment; names the variable the credential's main setting came from.
    Environment {
        /// e.g. `ALIBABA_CLOUD_ACCESS_KEY_ID`.
        variable: &'static str,
    },
    /// A profile of the CLI profile file (`~/.aliyun/config.json`).
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// The profile name.
        profile: String,
    },
    /// A section of the credentials INI file (`~/.alibabacloud/credentials`).
    CredentialsFile {
        /// The file.
        path: PathBuf,
        /// The section (profile) name.
        profile: String,
    },
    /// Nothing named a credential, so the instance role is asked of the metadata service, as the
    /// official chain does last.
    DefaultChain {
        /// Every place looked in before, in order, for the error if that fails too.
        looked_in: Vec<String>,
    },
}

impl fmt::Display for CredentialsSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsSource::ProviderConfig => formatter.write_str("the provider config"),
            CredentialsSource::Environment { variable } => {
                write!(formatter, "the environment ({variable})")
            }
            CredentialsSource::ProfileFile { path, profile }
            | CredentialsSource::CredentialsFile { path, profile } => {
                write!(formatter, "profile {profile:?} of {}", path.display())
            }
            CredentialsSource::DefaultChain { .. } => {
                formatter.write_str("the end of the default chain")
            }
        }
    }
}

/// A RAM role to assume with `AssumeRole`, signed with the credentials beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `DurationSeconds`.
    pub duration_seconds: u32,
    /// `Policy`, when narrowing the role.
    pub policy: Option<String>,
    /// `ExternalId`, when the role's trust policy asks for one.
    pub external_id: Option<SecretString>,
    /// The STS host of this role, when its profile names one (`sts_region`, `enable_vpc`);
    /// otherwise the configuration's.
    pub sts_endpoint: Option<String>,
}

/// Where the OIDC token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcToken {
    /// A file, read again at every refresh (the platform rotates it).
    File(PathBuf),
    /// The token itself (`oidcToken`, `ALIBABA_CLOUD_OIDC_TOKEN`).
    Inline(SecretString),
}

/// A role to assume with `AssumeRoleWithOIDC` (unsigned: the OIDC token is the proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcRole {
    /// `RoleArn`.
    pub role_arn: String,
    /// `OIDCProviderArn`.
    pub oidc_provider_arn: String,
    /// The token.
    pub token: OidcToken,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `DurationSeconds`.
    pub duration_seconds: u32,
    /// `Policy`.
    pub policy: Option<String>,
    /// The STS host of this role, when its profile names one.
    pub sts_endpoint: Option<String>,
}

/// Temporary credentials a CLI profile keeps from its last login (`access_key_id`,
/// `access_key_secret`, `sts_token`, `sts_expiration`), used while they are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSts {
    /// The key and token.
    pub credentials: Credentials,
    /// When they expire, in seconds since the epoch.
    pub expires_at: i64,
}

/// A CloudSSO login of the CLI (`aliyun configure --mode CloudSSO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudSsoLogin {
    /// The portal, `cloud_sso_sign_in_url`.
    pub sign_in_url: String,
    /// `cloud_sso_account_id`.
    pub account_id: String,
    /// `cloud_sso_access_config`.
    pub access_configuration_id: String,
    /// The portal's access token (`access_token`).
    pub access_token: Option<SecretString>,
    /// When it expires (`cloud_sso_access_token_expire`), in seconds since the epoch.
    pub access_token_expires_at: i64,
    /// What the last login left.
    pub stored: Option<StoredSts>,
    /// The profile, for messages (`aliyun configure --profile <name>`).
    pub profile: String,
}

/// An OAuth login of the CLI (`aliyun configure --mode OAuth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthLogin {
    /// `https://oauth.aliyun.com` or `https://oauth.alibabacloud.com` (`oauth_site_type`).
    pub sign_in_url: String,
    /// The CLI's OAuth application for that site.
    pub client_id: &'static str,
    /// `oauth_access_token`.
    pub access_token: Option<SecretString>,
    /// `oauth_access_token_expire`, in seconds since the epoch.
    pub access_token_expires_at: i64,
    /// `oauth_refresh_token`.
    pub refresh_token: Option<SecretString>,
    /// What the last exchange left.
    pub stored: Option<StoredSts>,
    /// The CLI file and profile the refreshed tokens are written back to, as the CLI does (a
    /// refresh may replace the refresh token; keeping the old one would log the CLI out).
    pub profile_file: PathBuf,
    /// The profile.
    pub profile: String,
}

/// How to obtain the credentials that sign KMS requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialPlan {
    /// A fixed key (with a token for fixed temporary credentials).
    Static {
        /// The key.
        credentials: Credentials,
        /// Where it was found.
        source: CredentialsSource,
    },
    /// The RAM role of the ECS instance, from the instance metadata service.
    EcsRamRole {
        /// The role's name; `None`: asked of the metadata service.
        role_name: Option<String>,
        /// Whether plain (IMDSv1) requests may be used when no IMDSv2 token can be had.
        allow_imds_v1: bool,
        /// Where the role name was found.
        source: CredentialsSource,
    },
    /// A URL that answers with temporary credentials.
    CredentialsUri {
        /// The URL (a secret: it may carry a token in its query).
        uri: SecretString,
        /// Where it was found.
        source: CredentialsSource,
    },
    /// An OIDC token exchanged with `AssumeRoleWithOIDC`.
    Oidc {
        /// The role and token.
        role: OidcRole,
        /// Where the settings were found.
        source: CredentialsSource,
    },
    /// A program that prints credentials (a CLI profile in `External` mode).
    External {
        /// `process_command`, split into words as a shell would (never quoted in messages: it
        /// may carry a secret).
        command: Vec<String>,
        /// Where it was found.
        source: CredentialsSource,
    },
    /// A CloudSSO login of the CLI.
    CloudSso {
        /// The login.
        login: Box<CloudSsoLogin>,
        /// Where it was found.
        source: CredentialsSource,
    },
    /// An OAuth login of the CLI.
    OAuth {
        /// The login.
        login: Box<OAuthLogin>,
        /// Where it was found.
        source: CredentialsSource,
    },
    /// A role assumed with the credentials of `base`.
    AssumeRole {
        /// The credentials that sign the `AssumeRole` request.
        base: Box<CredentialPlan>,
        /// The role.
        role: AssumeRole,
        /// Where the role settings were found.
        source: CredentialsSource,
    },
}

impl CredentialPlan {
    /// Where the outermost part of the plan was found.
    pub fn source(&self) -> &CredentialsSource {
        match self {
            CredentialPlan::Static { source, .. }
            | CredentialPlan::EcsRamRole { source, .. }
            | CredentialPlan::CredentialsUri { source, .. }
            | CredentialPlan::Oidc { source, .. }
            | CredentialPlan::External { source, .. }
            | CredentialPlan::CloudSso { source, .. }
            | CredentialPlan::OAuth { source, .. }
            | CredentialPlan::AssumeRole { source, .. } => source,
        }
    }

    /// Whether the credentials never change (no network is needed to use them).
    pub fn is_static(&self) -> bool {
        matches!(self, CredentialPlan::Static { .. })
    }

    /// The fixed key of a static plan.
    pub fn static_credentials(&self) -> Option<&Credentials> {
        match self {
            CredentialPlan::Static { credentials, .. } => Some(credentials),
            _ => None,
        }
    }
}

/// One line for a log or a message: the chain of kinds and where each came from, never a
/// secret (`role acs:ram::1:role/x, assumed with a static key from the environment (...)`).
impl fmt::Display for CredentialPlan {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialPlan::Static {
                credentials,
                source,
            } => {
                let kind = if credentials.security_token.is_some() {
                    "an STS token"
                } else {
                    "a static access key"
                };
                write!(formatter, "{kind} from {source}")
            }
            CredentialPlan::EcsRamRole {
                role_name: Some(role_name),
                source,
                ..
            } => write!(
                formatter,
                "the ECS instance role {role_name:?} (named in {source})"
            ),
            CredentialPlan::EcsRamRole {
                role_name: None,
                source,
                ..
            } => write!(
                formatter,
                "the ECS instance role the metadata service names (from {source})"
            ),
            CredentialPlan::CredentialsUri { source, .. } => {
                write!(formatter, "the credentials URI of {source}")
            }
            CredentialPlan::Oidc { role, source } => match &role.token {
                OidcToken::File(path) => write!(
                    formatter,
                    "role {} assumed with the OIDC token in {} (from {source})",
                    role.role_arn,
                    path.display()
                ),
                OidcToken::Inline(_) => write!(
                    formatter,
                    "role {} assumed with an OIDC token (from {source})",
                    role.role_arn
                ),
            },
            CredentialPlan::External { source, .. } => {
                write!(formatter, "the external program of {source}")
            }
            CredentialPlan::CloudSso { source, .. } => {
                write!(formatter, "the CloudSSO login of {source}")
            }
            CredentialPlan::OAuth { source, .. } => {
                write!(formatter, "the OAuth login of {source}")
            }
            CredentialPlan::AssumeRole { base, role, source } => write!(
                formatter,
                "role {} (from {source}) assumed with {base}",
                role.role_arn
            ),
        }
    }
}
