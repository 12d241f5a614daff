//! Temporary credentials from the ECS instance metadata service and from a credentials URL.
//!
//! The metadata service (`http://100.100.100.200`, or `ClientOptions::metadata_endpoint`):
//! `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` (IMDSv2) first; then
//! `GET /latest/meta-data/ram/security-credentials/<role>` with the token in
//! `X-aliyun-ecs-metadata-token`. Without a token (the `PUT` failed) the `GET` is sent plain
//! (IMDSv1), unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`. A credentials URL is fetched with `GET`
//! and answers `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` (and, from some
//! services, `Code: "Success"`). Both are retried by `fetch::with_retries`.

use std::time::Duration;

use serde_json::Value;

use super::error::CredentialsError;
use super::fetch::{credentials_error, with_retries, FetchContext};
use super::plan::Credentials;
use crate::kms::endpoint::redact_url;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::secret::redact_secrets;
use crate::kms::sts::{parse_expiration, TemporaryCredentials};
use crate::kms::transport::{HttpMethod, WireRequest};

/// How long one metadata request may take (the service answers in milliseconds on an instance;
/// off an instance nothing answers at all, so waiting longer only delays the error).
const METADATA_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts at the metadata service: off an instance every one times out, and the SDKs do not
/// retry at all.
const METADATA_ATTEMPTS: u32 = 3;
/// How long one credentials-URL request may take.
const URI_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The lifetime asked for an IMDSv2 token (the SDKs' value).
const METADATA_TOKEN_TTL_SECONDS: &str = "21600";
/// The path of the role credentials.
const METADATA_CREDENTIALS_PATH: &str = "latest/meta-data/ram/security-credentials/";

/// Reads `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` (and an optional `Code`
/// that must be `Success`) from the metadata service or a credentials URL. Never quotes the body.
fn parse_credentials_document(
    action: &'static str,
    status: u16,
    body: &[u8],
) -> Result<TemporaryCredentials, KmsError> {
    let invalid = |problem: &str| KmsError::InvalidResponse {
        action,
        request_id: None,
        http_status: status,
        problem: problem.to_owned(),
    };
    if !(200..300).contains(&status) {
        return Err(invalid("the answer is not a success"));
    }
    let document: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the body is not a JSON object"))?;
    let field = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    if let Some(code) = document.get("Code") {
        if code.as_str() != Some("Success") {
            return Err(invalid("its Code is not Success"));
        }
    }
    let (Some(access_key_id), Some(secret), Some(token), Some(expiration)) = (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
        field("Expiration"),
    ) else {
        return Err(invalid(
            "it lacks one of AccessKeyId, AccessKeySecret, SecurityToken, Expiration",
        ));
    };
    let expiration =
        parse_expiration(&expiration).ok_or_else(|| invalid("its Expiration is not a time"))?;
    Ok(TemporaryCredentials {
        credentials: Credentials {
            access_key_id,
            access_key_secret: secret.into(),
            security_token: Some(token.into()),
        },
        expiration,
    })
}

/// The role's credentials from the instance metadata service.
pub(crate) async fn ecs_role_credentials(
    context: &FetchContext,
    role_name: &str,
    allow_imds_v1: bool,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    const ACTION: &str = "GetEcsRamRoleCredentials";
    let host = context.metadata.host().to_owned();
    let result = with_retries(
        ACTION,
        context,
        Some(METADATA_ATTEMPTS),
        options,
        ToString::to_string,
        || async {
            let token = match metadata_token(context).await {
                Ok(token) => Some(token),
                Err(_) if allow_imds_v1 => None,
                Err(error) => return Err(error),
            };
            let mut headers = Vec::new();
            if let Some(token) = token {
                headers.push(("x-aliyun-ecs-metadata-token", token));
            }
            let reply = context
                .metadata
                .send(WireRequest {
                    action: ACTION,
                    method: HttpMethod::Get,
                    path: format!("{METADATA_CREDENTIALS_PATH}{}", percent_path(role_name)),
                    query: String::new(),
                    form_body: None,
                    headers,
                    timeout: Some(METADATA_REQUEST_TIMEOUT),
                })
                .await?;
            parse_credentials_document(ACTION, reply.status, &reply.body)
        },
    )
    .await;
    result.map_err(|error| match error {
        KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } => error,
        KmsError::InvalidResponse {
            http_status: 404, ..
        } => credentials_error(CredentialsError::Unavailable {
            credential: format!("the credentials of the ECS instance role {role_name:?}"),
            problem: "the metadata service has no such role (http 404)".to_owned(),
            advice: "check ecsRoleName (or ALIBABA_CLOUD_ECS_METADATA): it must name the RAM role attached to this instance".to_owned(),
        }),
        other => credentials_error(CredentialsError::Unavailable {
            credential: format!("the credentials of the ECS instance role {role_name:?} from the metadata service at {host}"),
            problem: describe_fetch_failure(&other),
            advice: "this works only on an ECS instance with that RAM role attached; elsewhere use another credential".to_owned(),
        }),
    })
}

/// An IMDSv2 session token.
async fn metadata_token(context: &FetchContext) -> Result<String, KmsError> {
    const ACTION: &str = "GetEcsMetadataToken";
    let reply = context
        .metadata
        .send(WireRequest {
            action: ACTION,
            method: HttpMethod::Put,
            path: "latest/api/token".to_owned(),
            query: String::new(),
            form_body: None,
            headers: vec![(
                "x-aliyun-ecs-metadata-token-ttl-seconds",
                METADATA_TOKEN_TTL_SECONDS.to_owned(),
            )],
            timeout: Some(METADATA_REQUEST_TIMEOUT),
        })
        .await?;
    let token = String::from_utf8(reply.body).unwrap_or_default();
    if (200..300).contains(&reply.status) && !token.trim().is_empty() {
        Ok(token.trim().to_owned())
    } else {
        Err(KmsError::InvalidResponse {
            action: ACTION,
            request_id: None,
            http_status: reply.status,
            problem: "no metadata token was issued".to_owned(),
        })
    }
}

/// Credentials from a credentials URL.
pub(crate) async fn uri_credentials(
    context: &FetchContext,
    uri: &str,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    const ACTION: &str = "GetCredentialsFromUri";
    let redacted = redact_url(uri);
    let transport = context.sts.sibling(uri.to_owned(), redacted.clone());
    let result = with_retries(
        ACTION,
        context,
        None,
        options,
        |error| redact_secrets(&error.to_string(), &[uri]),
        || async {
            let reply = transport
                .send(WireRequest {
                    action: ACTION,
                    method: HttpMethod::Get,
                    path: String::new(),
                    query: String::new(),
                    form_body: None,
                    headers: Vec::new(),
                    timeout: Some(URI_REQUEST_TIMEOUT),
                })
                .await?;
            parse_credentials_document(ACTION, reply.status, &reply.body)
        },
    )
    .await;
    result.map_err(|error| match error {
        KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } => error,
        other => credentials_error(CredentialsError::Unavailable {
            credential: format!("credentials from the credentials URI {redacted}"),
            problem: describe_fetch_failure(&other),
            advice:
                "check credentialsUri (or ALIBABA_CLOUD_CREDENTIALS_URI) and the service behind it"
                    .to_owned(),
        }),
    })
}

fn describe_fetch_failure(error: &KmsError) -> String {
    match error {
        KmsError::Transport { reason, .. } => reason.clone(),
        KmsError::InvalidResponse {
            problem,
            http_status,
            ..
        } => format!("the answer (http {http_status}) is not usable: {problem}"),
        other => other.to_string(),
    }
}

/// A role name as one path segment.
fn percent_path(segment: &str) -> String {
    crate::kms::signer::percent_encode(segment)
}
