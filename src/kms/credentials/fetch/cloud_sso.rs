//! Credentials of a CloudSSO login of the CLI, as the credentials library and the CLI obtain
//! them (`provider/cloud_sso.py`; aliyun-cli `config/profile.go`):
//!
//! - the temporary key the last login stored in the profile, while it is valid;
//! - else, with the portal's access token (refused when missing or expired: only the CLI can log
//!   in, in a browser), `POST <portal>/cloud-credentials` with `Authorization: Bearer <token>`
//!   and the JSON body `{"AccountId", "AccessConfigurationId"}`, which answers
//!   `{"CloudCredential": {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}`.
//!
//! The provider never writes the CLI's file for CloudSSO: the CLI refreshes its own store.
//! Errors give the HTTP status and the portal's `RequestId`, never its message (the request
//! carried a token).

use serde_json::Value;

use super::{credentials_error, credentials_from_document, with_retries, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::CloudSsoLogin;
use crate::kms::endpoint::url_origin;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::sts::TemporaryCredentials;
use crate::kms::transport::{HttpMethod, WireRequest};

/// The action name in messages and retry events.
const ACTION: &str = "GetCloudSsoCredentials";

/// The login's credentials.
pub(crate) async fn cloud_sso_credentials(
    context: &FetchContext,
    login: &CloudSsoLogin,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let now = context.stamps.utc_now().timestamp();
    if let Some(stored) = login
        .stored
        .as_ref()
        .filter(|stored| stored.expires_at > now)
    {
        if let Some(expiration) = chrono::DateTime::from_timestamp(stored.expires_at, 0) {
            return Ok(TemporaryCredentials {
                credentials: stored.credentials.clone(),
                expiration,
            });
        }
    }
    let relogin = format!(
        "log in again with `aliyun configure --profile {} --mode CloudSSO`, then run again",
        login.profile
    );
    let access_token = match &login.access_token {
        Some(token) if login.access_token_expires_at > now => token.clone(),
        _ => {
            return Err(credentials_error(CredentialsError::LoginExpired {
                login: format!("the CloudSSO login of profile {:?}", login.profile),
                advice: relogin,
            }))
        }
    };
    let origin = url_origin(&login.sign_in_url)
        .filter(|origin| origin.starts_with("http://") || origin.starts_with("https://"))
        .ok_or_else(|| {
            credentials_error(CredentialsError::InvalidSetting {
                setting: "cloud_sso_sign_in_url".to_owned(),
                place: format!("profile {:?}", login.profile),
                problem: "it must be an http:// or https:// URL".to_owned(),
            })
        })?;
    let host = origin
        .split_once("://")
        .map_or("", |(_, host)| host)
        .to_owned();
    let transport = context.elsewhere(format!("{origin}/"), host);
    let body = serde_json::json!({
        "AccountId": login.account_id,
        "AccessConfigurationId": login.access_configuration_id,
    })
    .to_string();
    let result = with_retries(
        ACTION,
        context,
        None,
        options,
        ToString::to_string,
        || async {
            let reply = transport
                .send(WireRequest {
                    action: ACTION,
                    method: HttpMethod::Post,
                    path: "cloud-credentials".to_owned(),
                    query: String::new(),
                    form_body: Some(body.clone()),
                    headers: vec![
                        ("content-type", "application/json".to_owned()),
                        (
                            "authorization",
                            format!("Bearer {}", access_token.expose_secret()),
                        ),
                    ],
                    timeout: None,
                })
                .await?;
            let document: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
            if !(200..300).contains(&reply.status) {
                return Err(KmsError::InvalidResponse {
                    action: ACTION,
                    request_id: request_id(&document),
                    http_status: reply.status,
                    problem: "the portal refused to issue credentials".to_owned(),
                });
            }
            let credential = document.get("CloudCredential").unwrap_or(&Value::Null);
            credentials_from_document(ACTION, reply.status, credential)
        },
    )
    .await;
    result.map_err(|error| match error {
        KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } => error,
        KmsError::InvalidResponse {
            http_status: 401 | 403,
            request_id,
            ..
        } => credentials_error(CredentialsError::LoginExpired {
            login: format!(
                "the CloudSSO login of profile {:?} (the portal refused its access token; request id {})",
                login.profile,
                request_id.as_deref().unwrap_or("unknown")
            ),
            advice: relogin.clone(),
        }),
        other => credentials_error(CredentialsError::Unavailable {
            credential: format!(
                "credentials from the CloudSSO portal {origin} for profile {:?}",
                login.profile
            ),
            problem: super::describe_fetch_failure(&other),
            advice: format!("check the network and any proxy, or {relogin}"),
        }),
    })
}

/// The `RequestId` of a login service's answer, when it names one.
pub(super) fn request_id(document: &Value) -> Option<String> {
    ["RequestId", "requestId", "request_id"]
        .iter()
        .find_map(|name| document.get(*name).and_then(Value::as_str))
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map(str::to_owned)
}
