//! Temporary credentials from the ECS instance metadata service.
//!
//! The metadata service (`http://100.100.100.200`, or `ClientOptions::metadata_endpoint`):
//! `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` (IMDSv2) first; then
//! `GET /latest/meta-data/ram/security-credentials/<role>` with the token in
//! `X-aliyun-ecs-metadata-token`. Without a token (the `PUT` failed) the `GET` is sent plain
//! (IMDSv1), unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`. The exchange is retried by
//! `fetch::with_retries`.

use std::time::Duration;

use super::{
    credentials_error, describe_fetch_failure, parse_credentials_document, with_retries,
    FetchContext,
};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::sts::TemporaryCredentials;
use crate::kms::transport::{HttpMethod, WireRequest};

/// How long one metadata request may take (the service answers in milliseconds on an instance;
/// off an instance nothing answers at all, so waiting longer only delays the error).
const METADATA_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts at the metadata service: off an instance every one times out, and the SDKs do not
/// retry at all.
const METADATA_ATTEMPTS: u32 = 3;
/// The lifetime asked for an IMDSv2 token (the SDKs' value).
const METADATA_TOKEN_TTL_SECONDS: &str = "21600";
/// The path of the role credentials.
const METADATA_CREDENTIALS_PATH: &str = "latest/meta-data/ram/security-credentials/";

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

/// A role name as one path segment.
fn percent_path(segment: &str) -> String {
    crate::kms::signer::percent_encode(segment)
}
