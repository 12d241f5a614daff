//! What the CLI's CloudSSO and OAuth logins share (`cloud_sso`, `oauth`): the key the last login
//! stored, the login service at the scheme and host of a URL, one request to it and its JSON
//! answer, and how a failure reads.

use serde_json::Value;

use super::{credentials_error, describe_fetch_failure, with_retries, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::StoredSts;
use crate::kms::endpoint::url_origin;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::secret::SecretString;
use crate::kms::sts::TemporaryCredentials;
use crate::kms::transport::{HttpMethod, Transport, WireRequest};

/// The key a login stored, while it is valid at `now` (seconds since the epoch).
pub(super) fn stored_while_valid(
    stored: Option<&StoredSts>,
    now: i64,
) -> Option<TemporaryCredentials> {
    let stored = stored.filter(|stored| stored.expires_at > now)?;
    Some(TemporaryCredentials {
        credentials: stored.credentials.clone(),
        expiration: chrono::DateTime::from_timestamp(stored.expires_at, 0)?,
    })
}

/// What to do when a login has no usable token: only the CLI can log in again.
pub(super) fn relogin_advice(profile: &str, mode: &str) -> String {
    format!(
        "log in again with `aliyun configure --profile {profile} --mode {mode}`, then run again"
    )
}

/// The login's token while it is live at `now`, else the error that says to log in again.
pub(super) fn live_token(
    token: Option<&SecretString>,
    expires_at: i64,
    now: i64,
    login: &str,
    relogin: &str,
) -> Result<SecretString, KmsError> {
    match token {
        Some(token) if expires_at > now => Ok(token.clone()),
        _ => Err(credentials_error(CredentialsError::LoginExpired {
            login: login.to_owned(),
            advice: relogin.to_owned(),
        })),
    }
}

/// The headers of a request a token authorises, with a JSON body.
pub(super) fn bearer_headers(token: &SecretString) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".to_owned()),
        ("authorization", format!("Bearer {}", token.expose_secret())),
    ]
}

/// A login service: its origin (the only part of its URL a message quotes) and a transport to it.
pub(super) struct LoginService {
    pub origin: String,
    transport: Transport,
}

impl LoginService {
    /// The service at the scheme and host of `url`; `None` unless it is an http(s) URL.
    pub fn at(context: &FetchContext, url: &str) -> Option<LoginService> {
        let origin = url_origin(url)
            .filter(|origin| origin.starts_with("http://") || origin.starts_with("https://"))?;
        let host = origin
            .split_once("://")
            .map_or("", |(_, host)| host)
            .to_owned();
        let transport = context.elsewhere(format!("{origin}/"), host);
        Some(LoginService { origin, transport })
    }

    /// `POST <origin>/<path>` with `body` (a form unless `headers` name a content type), retried
    /// like every credentials fetch; the status and the answer's JSON (`Null` when it is not).
    pub async fn post(
        &self,
        context: &FetchContext,
        options: &CallOptions,
        action: &'static str,
        path: &str,
        body: String,
        headers: Vec<(&'static str, String)>,
    ) -> Result<(u16, Value), KmsError> {
        with_retries(
            action,
            context,
            None,
            options,
            ToString::to_string,
            || async {
                let reply = self
                    .transport
                    .send(WireRequest {
                        action,
                        method: HttpMethod::Post,
                        path: path.to_owned(),
                        query: String::new(),
                        form_body: Some(body.clone()),
                        headers: headers.clone(),
                        timeout: None,
                    })
                    .await?;
                let document = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
                if (200..300).contains(&reply.status) {
                    Ok((reply.status, document))
                } else {
                    Err(KmsError::InvalidResponse {
                        action,
                        request_id: request_id(&document),
                        http_status: reply.status,
                        problem: "the service refused the request".to_owned(),
                    })
                }
            },
        )
        .await
    }

    /// The error a failure at this service becomes: a refused token (400, 401, 403) means the
    /// login must be done again with the CLI; anything else names the service and the problem.
    pub fn failure(&self, login: &str, relogin: &str, error: KmsError) -> KmsError {
        match error {
            KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } => error,
            KmsError::InvalidResponse {
                http_status: 400 | 401 | 403,
                request_id,
                ..
            } => credentials_error(CredentialsError::LoginExpired {
                login: format!(
                    "{login} (the service refused its token; request id {})",
                    request_id.as_deref().unwrap_or("unknown")
                ),
                advice: relogin.to_owned(),
            }),
            other => credentials_error(CredentialsError::Unavailable {
                credential: format!("credentials for {login} from {}", self.origin),
                problem: describe_fetch_failure(&other),
                advice: format!("check the network and any proxy, or {relogin}"),
            }),
        }
    }
}

/// The `RequestId` of a login service's answer, when it names one.
pub(super) fn request_id(document: &Value) -> Option<String> {
    ["RequestId", "requestId", "request_id"]
        .iter()
        .find_map(|name| document.get(*name).and_then(Value::as_str))
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map(str::to_owned)
}
