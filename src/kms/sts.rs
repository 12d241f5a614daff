//! The STS client: `AssumeRole` (RPC, signed like a KMS request with the caller's key) and
//! `AssumeRoleWithOIDC` (unsigned: the OIDC token is the proof), as the official credential
//! libraries send them (`credentials-go`): `POST`, the common parameters in the query, the
//! action's parameters in a form body, `Version=2015-04-01`, `Format=JSON`.
//!
//! The request builders are pure (time and nonce passed in), so a property test compares their
//! signatures with the official Python code. The network side (`fetch_temporary_credentials`)
//! retries like the KMS client (transient failures only, `retry`), under the calling operation's
//! deadline and cancellation, and turns a refusal into a message that names the role, the
//! RequestId and what to fix. No message carries a secret, a token or the OIDC token.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::kms::credentials::{AssumeRole, Credentials, CredentialsError, OidcRole, StsRefusal};
use crate::kms::error::KmsError;
use crate::kms::response::KmsResponse;
use crate::kms::secret::SecretString;
use crate::kms::signer::{canonical_query, encode_pairs, signature, string_to_sign};

/// The STS API version.
pub const STS_API_VERSION: &str = "2015-04-01";

/// `AssumeRole`.
pub const ASSUME_ROLE: &str = "AssumeRole";
/// `AssumeRoleWithOIDC`.
pub const ASSUME_ROLE_WITH_OIDC: &str = "AssumeRoleWithOIDC";

/// One STS request, ready to send: `POST /?<query>` with `<body>` as a form.
#[derive(Clone, PartialEq, Eq)]
pub struct StsRequest {
    /// `AssumeRole` or `AssumeRoleWithOIDC`.
    pub action: &'static str,
    /// The query parameters (with `Signature` last, for a signed request).
    pub query: Vec<(String, String)>,
    /// The form body parameters.
    pub body: Vec<(String, String)>,
}

/// The query and body hold the caller's security token or the OIDC token: never printed.
impl std::fmt::Debug for StsRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StsRequest")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

impl StsRequest {
    /// The value of a query or body parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(&self.body)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The query, percent-encoded as on the wire.
    pub fn encoded_query(&self) -> String {
        encode_pairs(&self.query)
    }

    /// The body, percent-encoded as on the wire.
    pub fn encoded_body(&self) -> String {
        encode_pairs(&self.body)
    }
}

fn pair(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_owned(), value.into())
}

/// `AssumeRole`, signed (`SignatureVersion=1.0`, HMAC-SHA1) with `caller` over the query and
/// body parameters together. `timestamp` is `YYYY-MM-DDTHH:MM:SSZ`; `nonce` is fresh.
pub fn assume_role_request(
    role: &AssumeRole,
    caller: &Credentials,
    timestamp: &str,
    nonce: &str,
) -> StsRequest {
    let mut query = vec![
        pair("Action", ASSUME_ROLE),
        pair("Version", STS_API_VERSION),
        pair("Format", "JSON"),
        pair("Timestamp", timestamp),
        pair("SignatureMethod", "HMAC-SHA1"),
        pair("SignatureVersion", "1.0"),
        pair("SignatureNonce", nonce),
        pair("AccessKeyId", caller.access_key_id.clone()),
    ];
    if let Some(token) = caller
        .security_token
        .as_ref()
        .filter(|token| !token.is_empty())
    {
        query.push(pair("SecurityToken", token.expose_secret()));
    }
    let mut body = vec![
        pair("RoleArn", role.role_arn.clone()),
        pair("RoleSessionName", role.session_name.clone()),
        pair("DurationSeconds", role.duration_seconds.to_string()),
    ];
    if let Some(policy) = role.policy.as_ref().filter(|policy| !policy.is_empty()) {
        body.push(pair("Policy", policy.clone()));
    }
    if let Some(external_id) = role.external_id.as_ref().filter(|id| !id.is_empty()) {
        body.push(pair("ExternalId", external_id.expose_secret()));
    }
    let signed: Vec<(&str, &str)> = query
        .iter()
        .chain(&body)
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let signature = signature(
        caller.access_key_secret.expose_secret(),
        &string_to_sign("POST", &canonical_query(&signed)),
    );
    query.push(pair("Signature", signature));
    StsRequest {
        action: ASSUME_ROLE,
        query,
        body,
    }
}

/// `AssumeRoleWithOIDC` (unsigned). `token` is the content of the OIDC token file.
pub fn assume_role_with_oidc_request(role: &OidcRole, token: &str, timestamp: &str) -> StsRequest {
    let query = vec![
        pair("Action", ASSUME_ROLE_WITH_OIDC),
        pair("Version", STS_API_VERSION),
        pair("Format", "JSON"),
        pair("Timestamp", timestamp),
    ];
    let mut body = vec![
        pair("RoleArn", role.role_arn.clone()),
        pair("OIDCProviderArn", role.oidc_provider_arn.clone()),
        pair("OIDCToken", token),
        pair("RoleSessionName", role.session_name.clone()),
        pair("DurationSeconds", role.duration_seconds.to_string()),
    ];
    if let Some(policy) = role.policy.as_ref().filter(|policy| !policy.is_empty()) {
        body.push(pair("Policy", policy.clone()));
    }
    StsRequest {
        action: ASSUME_ROLE_WITH_OIDC,
        query,
        body,
    }
}

/// Temporary credentials, with the instant they expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// The key and token.
    pub credentials: Credentials,
    /// When STS (or the metadata service) says they stop working.
    pub expiration: DateTime<Utc>,
}

/// The success reply of both actions (the parts used).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StsReply {
    #[serde(default)]
    #[allow(dead_code)] // kept for the log line of a refresh
    pub request_id: Option<String>,
    pub credentials: StsReplyCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StsReplyCredentials {
    pub access_key_id: String,
    pub access_key_secret: SecretString,
    pub security_token: SecretString,
    pub expiration: String,
}

impl KmsResponse for StsReply {
    fn empty_required_field(&self) -> Option<&'static str> {
        let credentials = &self.credentials;
        if credentials.access_key_id.is_empty() {
            Some("Credentials.AccessKeyId")
        } else if credentials.access_key_secret.is_empty() {
            Some("Credentials.AccessKeySecret")
        } else if credentials.security_token.is_empty() {
            Some("Credentials.SecurityToken")
        } else {
            None
        }
    }
}

/// Reads an `Expiration` (`2015-04-09T11:52:19Z`; any RFC 3339 time is accepted).
pub(crate) fn parse_expiration(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// What the caller was doing, for the advice of an STS refusal.
pub(crate) struct StsContext<'a> {
    /// The action.
    pub action: &'static str,
    /// The role asked for.
    pub role_arn: &'a str,
    /// Where the role's settings came from.
    pub role_source: String,
    /// The credential that signed `AssumeRole` (described), or the OIDC token file.
    pub proof: String,
    /// Whether the request carried a token (the OIDC token, or the caller's security token):
    /// then the service's message is not quoted, since a service may echo a token re-encoded or
    /// cut short, beyond what scrubbing can recognise. Its code and RequestId still are.
    pub token_sent: bool,
}

/// Turns an STS service error into a refusal that says what to fix.
pub(crate) fn refusal(error: &KmsError, context: &StsContext<'_>) -> Option<CredentialsError> {
    let KmsError::Service {
        code,
        message,
        request_id,
        http_status,
        ..
    } = error
    else {
        return None;
    };
    Some(CredentialsError::StsRefused(Box::new(StsRefusal {
        action: context.action,
        role_arn: context.role_arn.to_owned(),
        code: code.clone(),
        message: if context.token_sent {
            String::new()
        } else {
            message.clone()
        },
        request_id: request_id.clone(),
        http_status: *http_status,
        advice: advice(code, *http_status, context),
    })))
}

fn advice(code: &str, http_status: u16, context: &StsContext<'_>) -> String {
    let role = &context.role_source;
    if code.contains("Throttling") {
        return "the STS request rate limit was hit; try again later or run fewer operations in parallel".to_owned();
    }
    if code.starts_with("AuthenticationFail.OIDCToken.Expired") {
        return format!("the OIDC token in {} has expired; the platform that writes it must refresh it (check that the token file is rotated)", context.proof);
    }
    if code.starts_with("AuthenticationFail.OIDCToken") {
        return format!("the OIDC token in {} was not accepted; check that the file holds the token the OIDC provider issued and that oidcProviderArn names that provider", context.proof);
    }
    if code.contains("OIDCProvider") {
        return format!(
            "check the OIDC provider ARN of {role}: the provider must exist in the role's account"
        );
    }
    if code.starts_with("EntityNotExist.Role") || code.starts_with("InvalidParameter.RoleArn") {
        return format!(
            "check the role ARN of {role}: the role must exist (acs:ram::<account id>:role/<name>)"
        );
    }
    if code.contains("NoPermission") || code.starts_with("Forbidden") {
        return format!("the caller ({}) may not assume this role: grant it sts:AssumeRole and make the role's trust policy trust it", context.proof);
    }
    if code.contains("DurationSeconds") || code.contains("Duration") {
        return format!("the session expiration of {role} must be from 900 seconds up to the role's maximum session duration");
    }
    if code.contains("RoleSessionName") {
        return format!(
            "the session name of {role} must be 2 to 64 characters of letters, digits and . @ - _"
        );
    }
    if code.contains("Policy") {
        return format!("check the policy of {role}: it must be a valid policy document");
    }
    if code.contains("ExternalId") {
        return format!("check the external id of {role}: it must match the role's trust policy");
    }
    if code.starts_with("InvalidAccessKeyId")
        || code == "SignatureDoesNotMatch"
        || code == "IncompleteSignature"
        || code.starts_with("InvalidSecurityToken")
    {
        return format!(
            "STS did not accept the credentials that sign the request ({}); check them",
            context.proof
        );
    }
    if code.starts_with("InvalidTimeStamp") || code == "IllegalTimestamp" {
        return "check that this machine's clock is correct".to_owned();
    }
    if code.starts_with("ServiceUnavailable") || http_status >= 500 {
        return "STS had a temporary problem; try again later".to_owned();
    }
    format!("check the settings of {role} and the STS documentation for this code")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> AssumeRole {
        AssumeRole {
            role_arn: "acs:ram::1:role/deployer".into(),
            session_name: "s".into(),
            duration_seconds: 900,
            policy: Some("{\"Version\":\"1\"}".into()),
            external_id: Some(SecretString::new("ext")),
            sts_endpoint: None,
        }
    }

    #[test]
    fn assume_role_puts_role_fields_in_the_body_and_signs_everything() {
        let caller = Credentials {
            access_key_id: "id".into(),
            access_key_secret: SecretString::new("secret"),
            security_token: Some(SecretString::new("tok")),
        };
        let request = assume_role_request(&role(), &caller, "2024-01-02T03:04:05Z", "n-1");
        assert_eq!(request.parameter("Action"), Some("AssumeRole"));
        assert_eq!(request.parameter("SecurityToken"), Some("tok"));
        assert!(request.body.iter().any(|(key, _)| key == "ExternalId"));
        assert_eq!(request.query.last().unwrap().0, "Signature");
        let printed = format!("{request:?}");
        assert!(
            !printed.contains("tok") && !printed.contains("ext"),
            "{printed}"
        );
    }

    #[test]
    fn advice_names_what_to_fix() {
        let context = StsContext {
            action: ASSUME_ROLE,
            role_arn: "acs:ram::1:role/x",
            role_source: "assumeRole in the provider config".into(),
            proof: "a static key from the environment".into(),
            token_sent: false,
        };
        assert!(advice("EntityNotExist.Role", 404, &context).contains("role ARN"));
        assert!(advice("NoPermission", 403, &context).contains("trust policy"));
        assert!(advice("Throttling.User", 400, &context).contains("rate limit"));
        assert!(advice("AuthenticationFail.OIDCToken.Expired", 401, &context).contains("expired"));
        assert!(parse_expiration("2015-04-09T11:52:19Z").is_some());
        assert!(parse_expiration("soon").is_none());
    }
}
