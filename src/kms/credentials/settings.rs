//! The explicit provider configuration the resolver starts from: the original six settings
//! ([`ClientSettings`]) and the ways to log in beyond a static key ([`CredentialSettings`]).
//!
//! Every field is optional; an empty string counts as unset. Nothing here has been checked
//! against the environment or the files yet: that is `resolve`'s job.

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
    /// Roles, instance metadata, credential files and the signature version.
    pub credential_settings: CredentialSettings,
}

/// The settings of issue 13: how to obtain credentials other than a static key, and how to sign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialSettings {
    /// `assumeRole`: a RAM role assumed on top of whatever base credential resolves.
    pub assume_role: Option<AssumeRoleSettings>,
    /// `assumeRoleWithOidc`: an OIDC token exchanged for a role's credentials.
    pub assume_role_with_oidc: Option<OidcRoleSettings>,
    /// `ecsRoleName`: the RAM role of the ECS instance, from the instance metadata service.
    pub ecs_role_name: Option<String>,
    /// `credentialsUri`: a URL that returns temporary credentials. May carry a token in its
    /// query, so it is kept as a secret.
    pub credentials_uri: Option<SecretString>,
    /// `profile`: the profile of the CLI file or the credentials file.
    pub profile: Option<String>,
    /// `sharedCredentialsFile`: a credentials file (the CLI's JSON or the INI file).
    pub shared_credentials_file: Option<String>,
    /// `stsEndpoint`: the STS host, `host[:port]` or `http(s)://host[:port]`.
    pub sts_endpoint: Option<String>,
    /// `signatureAlgorithm`: how KMS requests are signed.
    pub signature_algorithm: Option<SignatureAlgorithm>,
}

/// `assumeRole`, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleSettings {
    /// `roleArn`, e.g. `acs:ram::123456789012:role/deployer`.
    pub role_arn: Option<String>,
    /// `sessionName`.
    pub session_name: Option<String>,
    /// `sessionExpiration`, in seconds.
    pub session_expiration: Option<u32>,
    /// `policy`: a JSON policy that narrows the role's permissions.
    pub policy: Option<String>,
    /// `externalId`.
    pub external_id: Option<SecretString>,
}

/// `assumeRoleWithOidc`, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcRoleSettings {
    /// `oidcProviderArn`.
    pub oidc_provider_arn: Option<String>,
    /// `oidcTokenFile`: the file holding the OIDC token; read again at every refresh.
    pub oidc_token_file: Option<String>,
    /// `oidcToken`: the token itself (pulumi-alicloud's and Terraform's `oidcToken`); wins over
    /// the file.
    pub oidc_token: Option<SecretString>,
    /// `roleArn`.
    pub role_arn: Option<String>,
    /// `roleSessionName`.
    pub role_session_name: Option<String>,
    /// `sessionExpiration`, in seconds.
    pub session_expiration: Option<u32>,
    /// `policy`.
    pub policy: Option<String>,
}

/// How KMS requests are signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// `SignatureVersion=1.0` with HMAC-SHA1 in the query (the default).
    #[default]
    V2,
    /// `ACS3-HMAC-SHA256` in the `Authorization` header.
    V3,
}

impl SignatureAlgorithm {
    /// Reads the setting: `v2` or `v3`, in any case.
    pub fn parse(text: &str) -> Option<SignatureAlgorithm> {
        if text.eq_ignore_ascii_case("v2") {
            Some(SignatureAlgorithm::V2)
        } else if text.eq_ignore_ascii_case("v3") {
            Some(SignatureAlgorithm::V3)
        } else {
            None
        }
    }

    /// `"v2"` or `"v3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::V2 => "v2",
            SignatureAlgorithm::V3 => "v3",
        }
    }
}

/// The shortest session STS grants, in seconds.
pub const MIN_SESSION_SECONDS: u32 = 900;
/// The longest session a role can allow (its `MaxSessionDuration` is at most 12 hours).
pub const MAX_SESSION_SECONDS: u32 = 43_200;
/// The session length asked for when the settings give none (the SDKs' default).
pub const DEFAULT_SESSION_SECONDS: u32 = 3_600;
/// The session name used when the settings and `ALIBABA_CLOUD_ROLE_SESSION_NAME` give none.
pub const DEFAULT_SESSION_NAME: &str = "alicloud-kms-provider";

/// Whether `name` is a valid STS session name: 2 to 64 of letters, digits, `.`, `@`, `-`, `_`.
pub fn is_valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'@' | b'-' | b'_'))
}

/// The reason for an invalid session name, completing "<name> must ...".
pub const SESSION_NAME_RULE: &str = "be 2 to 64 characters of letters, digits and . @ - _";

/// Whether `arn` looks like a RAM role ARN (`acs:ram::<account>:role/<name>`).
pub fn is_role_arn(arn: &str) -> bool {
    arn.strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, name)| !account.is_empty() && !name.is_empty())
        && !arn.chars().any(char::is_whitespace)
}

/// Whether `arn` looks like the ARN of an OIDC provider (`acs:ram::<account>:oidc-provider/<name>`).
pub fn is_oidc_provider_arn(arn: &str) -> bool {
    arn.strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(":oidc-provider/"))
        .is_some_and(|(account, name)| !account.is_empty() && !name.is_empty())
        && !arn.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_session_names() {
        assert!(is_role_arn("acs:ram::123456789012:role/deployer"));
        assert!(!is_role_arn("acs:ram::123:user/x"));
        assert!(!is_role_arn("arn:aws:iam::1:role/x"));
        assert!(!is_role_arn("acs:ram:::role/x"));
        assert!(is_oidc_provider_arn("acs:ram::1:oidc-provider/ack-rrsa-c1"));
        assert!(!is_oidc_provider_arn("acs:ram::1:role/x"));
        assert!(is_valid_session_name("ci.run-42@main_x"));
        assert!(!is_valid_session_name("a"));
        assert!(!is_valid_session_name("has space"));
        assert!(!is_valid_session_name(&"x".repeat(65)));
        assert_eq!(
            SignatureAlgorithm::parse("V3"),
            Some(SignatureAlgorithm::V3)
        );
        assert_eq!(SignatureAlgorithm::parse("ACS3-HMAC-SHA256"), None);
    }
}
