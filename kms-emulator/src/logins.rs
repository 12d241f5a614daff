//! Stand-ins for the two services behind the Alibaba Cloud CLI's logins, served on the
//! emulator's listener, as the official credentials library calls them:
//!
//! - **CloudSSO portal** (`provider/cloud_sso.py` of alibabacloud-credentials; aliyun-cli's
//!   `cloudsso` package): `POST /cloud-credentials` with `Authorization: Bearer <access token>`
//!   and the JSON body `{"AccountId", "AccessConfigurationId"}` → `{"CloudCredential":
//!   {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}, "RequestId"}`.
//! - **OAuth service** (`provider/oauth.py`): `POST /v1/token` with the form
//!   `grant_type=refresh_token&refresh_token=..&client_id=..` → `{"access_token",
//!   "refresh_token", "expires_in", "token_type"}`, the old refresh token no longer accepted
//!   (rotation); `POST /v1/exchange` with `Authorization: Bearer <access token>` →
//!   `{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "RequestId"}`.
//!
//! The credentials are `STS.` credentials the KMS gateway accepts until they expire, for the
//! roles `acs:ram::<account>:role/cloudsso-<access configuration>` and
//! `acs:ram::<account>:role/oauth-user`. Refusals answer 401 (an unknown token), 403 (an
//! account or access configuration the token may not use) or 400 (`invalid_grant`), with a
//! `RequestId`; they never echo a token.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::issued::{random_text, IssuedBy};
use crate::metadata::MetadataEndpoint;
use crate::shared::Shared;

/// The OAuth application ids of the CLI (its CN and INTL sites), accepted by default.
pub const CLI_OAUTH_CLIENT_IDS: [&str; 2] = ["4038181954557748008", "4103531455503354461"];

/// What the login stand-ins accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginConfig {
    /// Access tokens the CloudSSO portal accepts.
    pub cloud_sso_access_tokens: Vec<String>,
    /// The account those tokens may get credentials for (empty: the emulator's account).
    pub cloud_sso_account_id: String,
    /// The access configurations those tokens may use.
    pub cloud_sso_access_configurations: Vec<String>,
    /// Access tokens the OAuth exchange accepts (refreshed ones are added).
    pub oauth_access_tokens: Vec<String>,
    /// Refresh tokens the OAuth token endpoint accepts (each once: a refresh replaces it).
    pub oauth_refresh_tokens: Vec<String>,
    /// The OAuth client ids accepted.
    pub oauth_client_ids: Vec<String>,
    /// How long the credentials issued here live, in seconds.
    pub credential_lifetime_seconds: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            cloud_sso_access_tokens: Vec::new(),
            cloud_sso_account_id: String::new(),
            cloud_sso_access_configurations: Vec::new(),
            oauth_access_tokens: Vec::new(),
            oauth_refresh_tokens: Vec::new(),
            oauth_client_ids: CLI_OAUTH_CLIENT_IDS.map(str::to_owned).to_vec(),
            credential_lifetime_seconds: 3600,
        }
    }
}

/// The stand-ins' run-time state.
#[derive(Debug)]
pub(crate) struct LoginState {
    config: Mutex<LoginConfig>,
}

impl LoginState {
    pub(crate) fn new(config: LoginConfig) -> Self {
        LoginState {
            config: Mutex::new(config),
        }
    }

    pub(crate) fn config(&self) -> LoginConfig {
        self.config
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_config(&self, config: LoginConfig) {
        *self.config.lock().unwrap_or_else(PoisonError::into_inner) = config;
    }

    fn change<T>(&self, change: impl FnOnce(&mut LoginConfig) -> T) -> T {
        change(&mut self.config.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/cloud-credentials", post(cloud_credentials))
        .route("/v1/token", post(oauth_token))
        .route("/v1/exchange", post(oauth_exchange))
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "ErrorCode": code,
            "ErrorMessage": message,
            "error": code,
            "RequestId": crate::ids::uuid_v4(),
        })),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

#[derive(Deserialize)]
struct CloudCredentialsBody {
    #[serde(rename = "AccountId")]
    account_id: String,
    #[serde(rename = "AccessConfigurationId")]
    access_configuration_id: String,
}

async fn cloud_credentials(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.metadata.count(MetadataEndpoint::CloudSsoCredentials);
    let config = shared.logins.config();
    if !bearer(&headers).is_some_and(|token| config.cloud_sso_access_tokens.contains(&token)) {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "InvalidAccessToken",
            "the access token is invalid or expired; log in again",
        );
    }
    let Ok(request) = serde_json::from_slice::<CloudCredentialsBody>(&body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "the body must be {\"AccountId\", \"AccessConfigurationId\"}",
        );
    };
    let account = if config.cloud_sso_account_id.is_empty() {
        shared.account_id.clone()
    } else {
        config.cloud_sso_account_id.clone()
    };
    if request.account_id != account
        || !config
            .cloud_sso_access_configurations
            .contains(&request.access_configuration_id)
    {
        return refusal(
            StatusCode::FORBIDDEN,
            "NoPermission",
            "the user may not use this account or access configuration",
        );
    }
    let role_arn = format!(
        "acs:ram::{account}:role/cloudsso-{}",
        request.access_configuration_id
    );
    let issued = crate::sts::issue(
        &shared,
        &role_arn,
        "cloudsso",
        config.credential_lifetime_seconds,
        IssuedBy::CloudSso,
        shared.clock.now(),
    );
    Json(json!({
        "CloudCredential": crate::sts::credentials_json(&issued),
        "RequestId": crate::ids::uuid_v4(),
    }))
    .into_response()
}

async fn oauth_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.metadata.count(MetadataEndpoint::OAuthToken);
    let mut form = crate::params::Params::new();
    if crate::params::decode_form_into(&body, "form body", &mut form).is_err() {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not a form",
        );
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    if field("grant_type") != "refresh_token" {
        return refusal(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=refresh_token is served",
        );
    }
    let refresh_token = field("refresh_token");
    let client_id = field("client_id");
    let issued = shared.logins.change(|config| {
        if !config.oauth_client_ids.contains(&client_id) {
            return Err("invalid_client");
        }
        let Some(position) = config
            .oauth_refresh_tokens
            .iter()
            .position(|known| *known == refresh_token)
        else {
            return Err("invalid_grant");
        };
        config.oauth_refresh_tokens.remove(position);
        let access_token = format!("oauth-access-{}", random_text(24));
        let new_refresh_token = format!("oauth-refresh-{}", random_text(24));
        config.oauth_access_tokens.push(access_token.clone());
        config.oauth_refresh_tokens.push(new_refresh_token.clone());
        Ok((access_token, new_refresh_token))
    });
    match issued {
        Ok((access_token, refresh_token)) => Json(json!({
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": 3600,
            "token_type": "Bearer",
        }))
        .into_response(),
        Err(code) => refusal(
            StatusCode::BAD_REQUEST,
            code,
            "the refresh token or client is not accepted",
        ),
    }
}

async fn oauth_exchange(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.metadata.count(MetadataEndpoint::OAuthExchange);
    let config = shared.logins.config();
    if !bearer(&headers).is_some_and(|token| config.oauth_access_tokens.contains(&token)) {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is invalid or expired",
        );
    }
    let role_arn = format!("acs:ram::{}:role/oauth-user", shared.account_id);
    let issued = crate::sts::issue(
        &shared,
        &role_arn,
        "oauth",
        config.credential_lifetime_seconds,
        IssuedBy::OAuth,
        shared.clock.now(),
    );
    let mut answer = crate::sts::credentials_json(&issued);
    answer["RequestId"] = json!(crate::ids::uuid_v4());
    Json(answer).into_response()
}
