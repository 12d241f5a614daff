//! [`CredentialsError`]: why the configuration could not be resolved, or why credentials could
//! not be obtained from STS, the instance metadata service or a credentials URL.
//!
//! Every message says what to fix and where the setting came from. None repeats a secret: not a
//! key, a token or the content of an OIDC token file; URLs are quoted redacted (`redact_url`),
//! and service messages are scrubbed of the request's secrets before they are stored.

use std::path::PathBuf;

use crate::kms::endpoint::EndpointProblem;

/// Why the configuration could not be resolved, or credentials not obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No place had credentials.
    #[error("no alibaba cloud credentials found; looked in {}; set accessKey and secretKey (or assumeRoleWithOidc, ecsRoleName, credentialsUri, profile) in the stack config (alicloud-kms:accessKey, or pulumi-alicloud's alicloud:accessKey), or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment, or add a profile to ~/.aliyun/config.json", looked_in.join(", "))]
    MissingCredentials {
        /// Every place looked, in order.
        looked_in: Vec<String>,
    },
    /// A place had only part of a key pair (or of another credential's settings).
    #[error("incomplete credentials in {place}: {problem}; set every part there, or none")]
    IncompleteCredentials {
        /// Where.
        place: String,
        /// What is missing.
        problem: String,
    },
    /// The provider config names more than one kind of base credential.
    #[error("the provider config sets more than one kind of credential ({}); keep one of them (assumeRole can be added on top of any)", kinds.join(", "))]
    ContradictorySettings {
        /// The settings that each name a credential.
        kinds: Vec<&'static str>,
    },
    /// A credential setting is present but unusable (a role ARN that is not one, ...).
    #[error("invalid {setting} in {place}: {problem}")]
    InvalidSetting {
        /// The setting, e.g. `assumeRole.roleArn` or `ram_role_arn`.
        setting: String,
        /// Where it was found.
        place: String,
        /// What is wrong (never the value).
        problem: String,
    },
    /// No region and no endpoint.
    #[error("no region found; looked in {}; set region in the provider config or ALIBABA_CLOUD_REGION in the environment, or set an explicit endpoint", looked_in.join(", "))]
    MissingRegion {
        /// Every place looked, in order.
        looked_in: Vec<String>,
    },
    /// The region cannot be used in a host name.
    #[error(
        "invalid region in {place}: it must {}",
        crate::kms::endpoint::REGION_RULE
    )]
    InvalidRegion {
        /// Where the region came from.
        place: String,
    },
    /// An endpoint setting is not `host[:port]` or `http(s)://host[:port]`.
    #[error("invalid {what} endpoint in {place}: it {problem}")]
    InvalidEndpoint {
        /// `kms` or `sts`.
        what: &'static str,
        /// Where the endpoint came from (a setting or a variable).
        place: String,
        /// What is wrong; quotes only a redacted value.
        problem: EndpointProblem,
    },
    /// The protocol is neither HTTPS nor HTTP.
    #[error("invalid protocol {protocol:?}: use HTTPS (the default) or HTTP")]
    InvalidProtocol {
        /// The value given.
        protocol: String,
    },
    /// A profile file is unreadable, malformed, or lacks the selected profile.
    #[error("the profile file {} {problem}; fix the file, select another profile with the profile setting or ALIBABA_CLOUD_PROFILE, or set credentials in the provider config or environment", path.display())]
    ProfileFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (never a value from the file).
        problem: String,
    },
    /// The selected profile uses a mode this provider cannot use.
    #[error("profile {profile:?} of {} uses {what} {mode:?}, which this provider does not support; use one of {supported}, or set credentials in the provider config or environment", path.display())]
    UnsupportedProfileMode {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// `mode` (CLI file) or `type` (INI file).
        what: &'static str,
        /// Its mode.
        mode: String,
        /// The supported modes, for the message.
        supported: String,
    },
    /// STS refused to issue credentials.
    #[error("{0}")]
    StsRefused(Box<StsRefusal>),
    /// STS, the metadata service or the credentials URL could not be reached, or answered with
    /// something that is not credentials.
    #[error("could not obtain {credential}: {problem}; {advice}")]
    Unavailable {
        /// What was being obtained, e.g. `credentials for role acs:ram::1:role/x from sts at sts.cn-hangzhou.aliyuncs.com`.
        credential: String,
        /// What went wrong (secret-free).
        problem: String,
        /// What to do.
        advice: String,
    },
    /// A CLI login (CloudSSO, OAuth) has no usable token: only the CLI can log in again.
    #[error("{login} has expired or has no token; {advice}")]
    LoginExpired {
        /// Which login, e.g. `the CloudSSO login of profile "sso"`.
        login: String,
        /// What to do (the CLI command to run).
        advice: String,
    },
    /// The OIDC token file cannot be read, or holds no valid token.
    #[error("the OIDC token file {} {problem}; check oidcTokenFile (or ALIBABA_CLOUD_OIDC_TOKEN_FILE) and that the platform writes the token there", path.display())]
    OidcTokenFile {
        /// The file.
        path: PathBuf,
        /// What went wrong, completing "the file ..." (never the content).
        problem: String,
    },
}

/// A refusal by STS, with what to fix.
#[derive(Debug)]
pub struct StsRefusal {
    /// `AssumeRole` or `AssumeRoleWithOIDC`.
    pub action: &'static str,
    /// The role asked for.
    pub role_arn: String,
    /// The service's code.
    pub code: String,
    /// The service's message, scrubbed of the request's secrets.
    pub message: String,
    /// The request id, if the reply had one.
    pub request_id: Option<String>,
    /// The HTTP status.
    pub http_status: u16,
    /// What to do.
    pub advice: String,
}

impl std::fmt::Display for StsRefusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "sts refused {} for role {}: {} (http {}, request id {})",
            self.action,
            self.role_arn,
            self.code,
            self.http_status,
            self.request_id.as_deref().unwrap_or("unknown")
        )?;
        let message = self.message.trim().trim_end_matches('.');
        if !message.is_empty() {
            write!(formatter, ": {message}")?;
        }
        write!(formatter, "; {}", self.advice)
    }
}

impl CredentialsError {
    /// The STS request id the error is about, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            CredentialsError::StsRefused(refusal) => refusal.request_id.as_deref(),
            _ => None,
        }
    }
}
