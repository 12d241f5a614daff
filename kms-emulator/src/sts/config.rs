//! What the STS stand-in knows: roles (and whom each trusts), OIDC identity providers, and the
//! test control that shortens every issued credential's life.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules;

/// The STS stand-in's configuration. `StsConfig::default()` has no role and no OIDC provider, so
/// every `AssumeRole*` fails with `EntityNotExist.Role` until a role is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StsConfig {
    /// Roles that can be assumed.
    pub roles: Vec<Role>,
    /// OIDC identity providers `AssumeRoleWithOIDC` accepts tokens from.
    pub oidc_providers: Vec<OidcProvider>,
    /// When set, every credential issued (STS, instance metadata, credentials URI) expires this
    /// many seconds after issue, whatever `DurationSeconds` asked for: the test hook that makes
    /// refreshes happen within a test.
    pub credential_lifetime_seconds: Option<u64>,
}

/// A RAM role of the emulated account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// `acs:ram::<account id>:role/<role name>`.
    pub arn: String,
    /// Whom the role's trust policy names: AccessKey IDs of configured credentials, role ARNs
    /// (their sessions may assume this role: role chaining, ECS instance roles) and OIDC
    /// provider ARNs. Empty: every authenticated caller and every configured OIDC provider.
    #[serde(default)]
    pub trusted: Vec<String>,
    /// When set, `AssumeRole` must pass exactly this `ExternalId` (the trust policy's
    /// `sts:ExternalId` condition).
    #[serde(default)]
    pub external_id: Option<String>,
    /// The role's `MaxSessionDuration` (3600 to 43200 seconds; default 3600): the largest
    /// `DurationSeconds` accepted.
    #[serde(default = "default_max_session_duration")]
    pub max_session_duration_seconds: u64,
}

fn default_max_session_duration() -> u64 {
    rules::STS_DEFAULT_MAX_SESSION_DURATION_SECONDS
}

impl Role {
    /// A role trusting every caller, with the default maximum session duration.
    pub fn new(arn: impl Into<String>) -> Self {
        Role {
            arn: arn.into(),
            trusted: Vec::new(),
            external_id: None,
            max_session_duration_seconds: default_max_session_duration(),
        }
    }

    /// The same role trusting only `trusted` (AccessKey IDs, role ARNs, OIDC provider ARNs).
    pub fn trusting<I, S>(mut self, trusted: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted = trusted.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the trust policy names `principal` (or names no one, which trusts everyone).
    pub fn trusts(&self, principal: &str) -> bool {
        self.trusted.is_empty()
            || self
                .trusted
                .iter()
                .any(|entry| entry.eq_ignore_ascii_case(principal))
    }

    /// Checks the ARN and the session duration bound.
    pub fn validate(&self) -> Result<(), String> {
        if parse_role_arn(&self.arn).is_none() {
            return Err(format!(
                "role ARN {:?} must look like acs:ram::<account id>:role/<role name>",
                self.arn
            ));
        }
        let (low, high) = rules::STS_MAX_SESSION_DURATION_RANGE;
        if !(low..=high).contains(&self.max_session_duration_seconds) {
            return Err(format!(
                "max_session_duration_seconds of {} must be between {low} and {high}",
                self.arn
            ));
        }
        Ok(())
    }
}

/// An OIDC identity provider registered in RAM.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// `acs:ram::<account id>:oidc-provider/<name>`.
    pub arn: String,
    /// The issuer URL a token's `iss` claim must equal.
    pub issuer: String,
    /// The client IDs (audiences); a token's `aud` must name one. Default: `sts.aliyuncs.com`.
    #[serde(default = "default_client_ids")]
    pub client_ids: Vec<String>,
    /// When not empty, the only tokens accepted (exact strings): the stand-in for the IdP's
    /// signature check, which the emulator cannot do. When empty, any unexpired token with the
    /// right issuer and audience is accepted.
    #[serde(default)]
    pub tokens: Vec<String>,
}

fn default_client_ids() -> Vec<String> {
    vec![rules::OIDC_DEFAULT_CLIENT_ID.to_owned()]
}

impl OidcProvider {
    /// A provider for `issuer` with the default client ID and no fixed token list.
    pub fn new(arn: impl Into<String>, issuer: impl Into<String>) -> Self {
        OidcProvider {
            arn: arn.into(),
            issuer: issuer.into(),
            client_ids: default_client_ids(),
            tokens: Vec::new(),
        }
    }

    /// The same provider accepting only `token`s.
    pub fn accepting<I, S>(mut self, tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the ARN, issuer and client IDs.
    pub fn validate(&self) -> Result<(), String> {
        let shape_ok = self
            .arn
            .strip_prefix("acs:ram::")
            .and_then(|rest| rest.split_once(":oidc-provider/"))
            .is_some_and(|(account, name)| {
                !account.is_empty()
                    && account.bytes().all(|byte| byte.is_ascii_digit())
                    && !name.is_empty()
            });
        if !shape_ok {
            return Err(format!(
                "OIDC provider ARN {:?} must look like acs:ram::<account id>:oidc-provider/<name>",
                self.arn
            ));
        }
        if self.issuer.is_empty() {
            return Err(format!("the OIDC provider {} needs an issuer", self.arn));
        }
        if self.client_ids.is_empty() {
            return Err(format!("the OIDC provider {} needs a client ID", self.arn));
        }
        Ok(())
    }
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are credentials: they never reach a log line.
        f.debug_struct("OidcProvider")
            .field("arn", &self.arn)
            .field("issuer", &self.issuer)
            .field("client_ids", &self.client_ids)
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .finish()
    }
}

impl StsConfig {
    /// Checks every role and provider.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(0) = self.credential_lifetime_seconds {
            return Err("credential_lifetime_seconds must be at least 1".to_owned());
        }
        for role in &self.roles {
            role.validate()?;
        }
        for provider in &self.oidc_providers {
            provider.validate()?;
        }
        Ok(())
    }

    /// The role with this ARN ([`rules::ROLE_ARN_CASE_INSENSITIVE`]).
    pub fn role(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|role| same_arn(&role.arn, arn))
    }

    /// The OIDC provider with this ARN.
    pub fn oidc_provider(&self, arn: &str) -> Option<&OidcProvider> {
        self.oidc_providers
            .iter()
            .find(|provider| same_arn(&provider.arn, arn))
    }

    /// Adds `role`, replacing one with the same ARN.
    pub fn upsert_role(&mut self, role: Role) {
        self.roles
            .retain(|existing| !same_arn(&existing.arn, &role.arn));
        self.roles.push(role);
    }

    /// Adds `provider`, replacing one with the same ARN.
    pub fn upsert_oidc_provider(&mut self, provider: OidcProvider) {
        self.oidc_providers
            .retain(|existing| !same_arn(&existing.arn, &provider.arn));
        self.oidc_providers.push(provider);
    }
}

fn same_arn(left: &str, right: &str) -> bool {
    if rules::ROLE_ARN_CASE_INSENSITIVE {
        left.eq_ignore_ascii_case(right)
    } else {
        left == right
    }
}

/// Splits `acs:ram::<account id>:role/<role name>` into account id and role name.
pub fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let (account, name) = arn.strip_prefix("acs:ram::")?.split_once(":role/")?;
    let name_ok = !name.is_empty()
        && name.len() <= rules::ROLE_NAME_MAX_LENGTH
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".@_-".contains(&byte));
    (!account.is_empty() && account.bytes().all(|byte| byte.is_ascii_digit()) && name_ok)
        .then_some((account, name))
}

/// Parses the command-line form of a role: `ARN` (trusting everyone) or
/// `ARN=TRUSTED[,TRUSTED...]`.
pub fn parse_role_flag(text: &str) -> Result<Role, String> {
    let (arn, trusted) = match text.split_once('=') {
        Some((arn, trusted)) => (arn, Some(trusted)),
        None => (text, None),
    };
    let mut role = Role::new(arn);
    if let Some(trusted) = trusted {
        role.trusted = trusted
            .split(',')
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect();
    }
    role.validate()?;
    Ok(role)
}

/// Parses the command-line form of an OIDC provider: `ARN=ISSUER`.
pub fn parse_oidc_provider_flag(text: &str) -> Result<OidcProvider, String> {
    let (arn, issuer) = text
        .split_once('=')
        .ok_or_else(|| format!("--oidc-provider {text:?} must be ARN=ISSUER"))?;
    let provider = OidcProvider::new(arn, issuer);
    provider.validate()?;
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse_and_flags_read_trust() {
        assert_eq!(
            parse_role_arn("acs:ram::123:role/ci-deployer"),
            Some(("123", "ci-deployer"))
        );
        assert_eq!(parse_role_arn("acs:ram::abc:role/x"), None);
        assert_eq!(parse_role_arn("acs:ram::123:user/x"), None);
        assert_eq!(parse_role_arn("acs:ram::123:role/a b"), None);
        let role = parse_role_flag("acs:ram::123:role/r=ak1,acs:ram::123:role/base").unwrap();
        assert_eq!(role.trusted, ["ak1", "acs:ram::123:role/base"]);
        assert!(role.trusts("AK1"));
        assert!(!role.trusts("ak2"));
        assert!(parse_role_flag("acs:ram::123:role/r")
            .unwrap()
            .trusts("anyone"));
        assert!(parse_role_flag("not-an-arn").is_err());
    }

    #[test]
    fn oidc_provider_flags_and_redacted_debug() {
        let provider =
            parse_oidc_provider_flag("acs:ram::123:oidc-provider/ack=https://oidc.example")
                .unwrap()
                .accepting(["secret-token"]);
        assert_eq!(provider.issuer, "https://oidc.example");
        assert_eq!(provider.client_ids, ["sts.aliyuncs.com"]);
        assert!(!format!("{provider:?}").contains("secret-token"));
        assert!(parse_oidc_provider_flag("acs:ram::123:oidc-provider/ack").is_err());
        assert!(parse_oidc_provider_flag("acs:ram::123:role/x=https://i").is_err());
    }

    #[test]
    fn upserts_replace_by_arn() {
        let mut config = StsConfig::default();
        config.upsert_role(Role::new("acs:ram::1:role/a"));
        config.upsert_role(Role::new("acs:ram::1:role/A").trusting(["k"]));
        assert_eq!(config.roles.len(), 1);
        assert_eq!(config.role("acs:ram::1:role/a").unwrap().trusted, ["k"]);
    }
}
