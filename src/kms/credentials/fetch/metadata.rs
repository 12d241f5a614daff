//! Temporary credentials of the ECS instance role, from the instance metadata service.
//!
//! The service (`http://100.100.100.200`, or `ClientOptions::metadata_endpoint`):
//! `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` (IMDSv2) first; then
//! `GET /latest/meta-data/ram/security-credentials/` (the attached role's name, when no setting
//! names it) and `GET /latest/meta-data/ram/security-credentials/<role>`, each with the token in
//! `X-aliyun-ecs-metadata-token`. Without a token (the `PUT` was refused) the `GET`s are sent
//! plain (IMDSv1), unless `ALIBABA_CLOUD_IMDSV1_DISABLED=true`.
//!
//! These requests never go through a proxy (their transport is built without one) and connect
//! within 1 second, as the SDKs do. Asking for the role's name is done once per process: the
//! answer, a name or "no instance role here", is remembered, so that off ECS the chain's last
//! step costs one connect timeout, once.

use std::collections::BTreeMap;
use std::sync::Mutex;
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

/// How long to wait for a connection to the metadata service: the SDKs' 1 second (on an
/// instance it answers in milliseconds; off one nothing answers at all).
pub(crate) const METADATA_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one metadata request may take in all.
const METADATA_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a request of the role's discovery may take: the SDKs' 1-second read timeout, so
/// that even a service that accepts connections and never answers costs about a second.
const DISCOVERY_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// Attempts at the credentials of a role: the service may be briefly busy; the SDKs do not
/// retry at all.
const METADATA_ATTEMPTS: u32 = 3;
/// The lifetime asked for an IMDSv2 token (the SDKs' value).
const METADATA_TOKEN_TTL_SECONDS: &str = "21600";
/// The path of the role credentials (and, without a role, of the role's name).
const METADATA_CREDENTIALS_PATH: &str = "latest/meta-data/ram/security-credentials/";

/// The instance role to get credentials for.
#[derive(Debug, Clone)]
pub(crate) struct EcsRole {
    /// Its name; `None`: asked of the service.
    pub role_name: Option<String>,
    /// Whether plain requests may be sent when no IMDSv2 token can be had.
    pub allow_imds_v1: bool,
    /// When the role is the default chain's last resort: every place looked in before, for the
    /// "no credentials" error.
    pub default_chain: Option<Vec<String>>,
}

/// What the service said about the attached role, remembered per service for the process.
#[derive(Debug, Clone)]
enum Discovery {
    Role(String),
    NoRole(String),
}

/// The answers of role discovery, by the service's base URL.
static DISCOVERIES: Mutex<BTreeMap<String, Discovery>> = Mutex::new(BTreeMap::new());

fn remembered(service: &str) -> Option<Discovery> {
    DISCOVERIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(service)
        .cloned()
}

fn remember(service: &str, discovery: Discovery) {
    DISCOVERIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(service.to_owned(), discovery);
}

/// The role's credentials.
pub(crate) async fn ecs_role_credentials(
    context: &FetchContext,
    role: &EcsRole,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let role_name = match &role.role_name {
        Some(name) => name.clone(),
        None => discovered_role_name(context, role, options).await?,
    };
    role_credentials(context, &role_name, role.allow_imds_v1, options).await
}

/// The attached role's name: remembered, or asked once.
async fn discovered_role_name(
    context: &FetchContext,
    role: &EcsRole,
    options: &CallOptions,
) -> Result<String, KmsError> {
    let service = context.metadata.base_url().to_owned();
    let discovery = match remembered(&service) {
        Some(discovery) => discovery,
        None => {
            let asked = ask_role_name(context, role.allow_imds_v1, options).await?;
            remember(&service, asked.clone());
            tracing::info!(answer = ?asked, "asked the instance metadata service for the instance role");
            asked
        }
    };
    match discovery {
        Discovery::Role(name) => Ok(name),
        Discovery::NoRole(problem) => {
            let host = context.metadata.host();
            let place = format!(
                "the ECS instance metadata service at {host} ({problem}; it is asked once per process)"
            );
            Err(credentials_error(match &role.default_chain {
                Some(looked_in) => {
                    let mut looked_in = looked_in.clone();
                    looked_in.push(place);
                    CredentialsError::MissingCredentials { looked_in }
                }
                None => CredentialsError::Unavailable {
                    credential: format!("the name of the ECS instance role from {place}"),
                    problem: "no role is attached to this machine".to_owned(),
                    advice: "name the role (ram_role_name in the profile, role_name in the credentials file, ecsRoleName, or ALIBABA_CLOUD_ECS_METADATA), or run on an ECS instance with a RAM role attached".to_owned(),
                },
            }))
        }
    }
}

/// Asks the service for the attached role. An answer that proves there is no instance role here
/// (no connection, no answer, no role) is a [`Discovery::NoRole`]; anything that may pass (a
/// server error) is an error, asked again next time.
async fn ask_role_name(
    context: &FetchContext,
    allow_imds_v1: bool,
    options: &CallOptions,
) -> Result<Discovery, KmsError> {
    const ACTION: &str = "GetEcsRamRoleName";
    let no_answer = |error: &KmsError| {
        matches!(error, KmsError::Transport { .. }).then(|| {
            format!(
                "no answer within {} s: this is not an ECS instance",
                DISCOVERY_REQUEST_TIMEOUT.as_secs()
            )
        })
    };
    let attempt = async {
        let token = match metadata_token(context, DISCOVERY_REQUEST_TIMEOUT).await {
            Ok(token) => Some(token),
            Err(error) => {
                if let Some(problem) = no_answer(&error) {
                    return Ok(Discovery::NoRole(problem));
                }
                if !allow_imds_v1 {
                    return Err(error);
                }
                None
            }
        };
        let reply = match context
            .metadata
            .send(metadata_get(
                ACTION,
                METADATA_CREDENTIALS_PATH.to_owned(),
                token,
                DISCOVERY_REQUEST_TIMEOUT,
            ))
            .await
        {
            Ok(reply) => reply,
            Err(error) => {
                return match no_answer(&error) {
                    Some(problem) => Ok(Discovery::NoRole(problem)),
                    None => Err(error),
                }
            }
        };
        let name = String::from_utf8(reply.body).unwrap_or_default();
        let name = name.lines().next().unwrap_or_default().trim().to_owned();
        match reply.status {
            200..=299 if !name.is_empty() && !name.contains(['/', '\\']) => {
                Ok(Discovery::Role(name))
            }
            200..=299 | 404 => Ok(Discovery::NoRole(
                "no RAM role is attached to this instance".to_owned(),
            )),
            status => Err(KmsError::InvalidResponse {
                action: ACTION,
                request_id: None,
                http_status: status,
                problem: "the metadata service did not name the instance role".to_owned(),
            }),
        }
    };
    tokio::select! {
        biased;
        () = options.cancellation.cancelled() => Err(KmsError::Cancelled { action: ACTION, attempts: 1, request_in_flight: true }),
        () = tokio::time::sleep_until(options.deadline) => Err(KmsError::DeadlineExceeded { action: ACTION, attempts: 1, request_in_flight: true, last_failure: None, last_request_id: None }),
        result = attempt => result,
    }
}

/// The credentials of a named role.
async fn role_credentials(
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
            let token = match metadata_token(context, METADATA_REQUEST_TIMEOUT).await {
                Ok(token) => Some(token),
                Err(_) if allow_imds_v1 => None,
                Err(error) => return Err(error),
            };
            let path = format!("{METADATA_CREDENTIALS_PATH}{}", percent_path(role_name));
            let reply = context
                .metadata
                .send(metadata_get(ACTION, path, token, METADATA_REQUEST_TIMEOUT))
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
            advice: "check the role's name (ecsRoleName, ALIBABA_CLOUD_ECS_METADATA, ALICLOUD_ECS_ROLE_NAME or the profile): it must name the RAM role attached to this instance".to_owned(),
        }),
        other => credentials_error(CredentialsError::Unavailable {
            credential: format!("the credentials of the ECS instance role {role_name:?} from the metadata service at {host}"),
            problem: describe_fetch_failure(&other),
            advice: "this works only on an ECS instance with that RAM role attached; elsewhere use another credential".to_owned(),
        }),
    })
}

fn metadata_get(
    action: &'static str,
    path: String,
    token: Option<String>,
    timeout: Duration,
) -> WireRequest {
    WireRequest {
        action,
        method: HttpMethod::Get,
        path,
        query: String::new(),
        form_body: None,
        headers: token
            .map(|token| ("x-aliyun-ecs-metadata-token", token))
            .into_iter()
            .collect(),
        timeout: Some(timeout),
    }
}

/// An IMDSv2 session token, asked within `timeout`.
async fn metadata_token(context: &FetchContext, timeout: Duration) -> Result<String, KmsError> {
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
            timeout: Some(timeout),
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
