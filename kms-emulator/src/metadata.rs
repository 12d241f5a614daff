//! The ECS instance metadata stand-in (IMDS, normally `http://100.100.100.200`) and a
//! credentials-URI stand-in, served on the emulator's listener:
//!
//! - `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds: N` → a session token
//!   (IMDSv2), valid N seconds;
//! - `GET /latest/meta-data/ram/security-credentials/` → the instance's RAM role name (what the
//!   credentials library asks when no role is named: `provider/ecs_ram_role.py`; Alibaba Cloud's
//!   "Instance metadata" documentation lists the path);
//! - `GET /latest/meta-data/ram/security-credentials/<role>` → JSON `{Code: "Success",
//!   AccessKeyId, AccessKeySecret, SecurityToken, Expiration, LastUpdated}`;
//! - `GET /credentials-uri` → JSON `{Code: "Success", AccessKeyId, AccessKeySecret,
//!   SecurityToken, Expiration}`.
//!
//! The credentials are `STS.` credentials the KMS gateway accepts until they expire. A request
//! carrying `X-aliyun-ecs-metadata-token` must carry a valid token; without one it is served only
//! when tokens are not required (IMDSv1 allowed).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::issued::{format_api_time, IssuedBy, IssuedCredential};
use crate::rules;
use crate::shared::Shared;

/// Header carrying the IMDSv2 session token.
pub const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";
/// Header asking for a session token's lifetime in seconds.
pub const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";

/// What the instance metadata stand-in serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetadataConfig {
    /// The instance's RAM role name; `None` means no role is attached (the role listing answers
    /// 404). Its sessions stand for `acs:ram::<account id>:role/<name>`.
    pub role_name: Option<String>,
    /// Whether IMDSv2 is enforced: requests without a session token are refused (401).
    pub require_token: bool,
}

/// Which stand-in endpoint a counter counts: the instance metadata service, the credentials URI
/// and the CLI login services (`logins`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataEndpoint {
    /// `PUT /latest/api/token`.
    Token,
    /// `GET /latest/meta-data/ram/security-credentials/`.
    RoleName,
    /// `GET /latest/meta-data/ram/security-credentials/<role>`.
    RoleCredentials,
    /// `GET /credentials-uri`.
    CredentialsUri,
    /// `POST /cloud-credentials` (the CloudSSO portal).
    CloudSsoCredentials,
    /// `POST /v1/token` (the OAuth service's refresh).
    OAuthToken,
    /// `POST /v1/exchange` (the OAuth service's exchange).
    OAuthExchange,
}

impl MetadataEndpoint {
    /// Every endpoint, in a stable order.
    pub const ALL: [MetadataEndpoint; 7] = [
        MetadataEndpoint::Token,
        MetadataEndpoint::RoleName,
        MetadataEndpoint::RoleCredentials,
        MetadataEndpoint::CredentialsUri,
        MetadataEndpoint::CloudSsoCredentials,
        MetadataEndpoint::OAuthToken,
        MetadataEndpoint::OAuthExchange,
    ];

    /// The name in the control endpoint's call counts.
    pub fn name(self) -> &'static str {
        match self {
            MetadataEndpoint::Token => "MetadataToken",
            MetadataEndpoint::RoleName => "MetadataRoleName",
            MetadataEndpoint::RoleCredentials => "MetadataRoleCredentials",
            MetadataEndpoint::CredentialsUri => "CredentialsUri",
            MetadataEndpoint::CloudSsoCredentials => "CloudSsoCredentials",
            MetadataEndpoint::OAuthToken => "OAuthToken",
            MetadataEndpoint::OAuthExchange => "OAuthExchange",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The stand-in's run-time state: configuration, live session tokens, the credential each role
/// currently hands out, and request counters.
#[derive(Debug)]
pub(crate) struct MetadataState {
    config: Mutex<MetadataConfig>,
    tokens: Mutex<TokenStore>,
    current: Mutex<HashMap<String, IssuedCredential>>,
    calls: [AtomicU64; 7],
}

#[derive(Debug, Default)]
struct TokenStore {
    expiry: HashMap<String, Instant>,
    order: VecDeque<String>,
}

impl MetadataState {
    pub(crate) fn new(config: MetadataConfig) -> Self {
        MetadataState {
            config: Mutex::new(config),
            tokens: Mutex::new(TokenStore::default()),
            current: Mutex::new(HashMap::new()),
            calls: Default::default(),
        }
    }

    pub(crate) fn config(&self) -> MetadataConfig {
        self.config
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_config(&self, config: MetadataConfig) {
        *self.config.lock().unwrap_or_else(PoisonError::into_inner) = config;
    }

    pub(crate) fn call_count(&self, endpoint: MetadataEndpoint) -> u64 {
        self.calls[endpoint.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn count(&self, endpoint: MetadataEndpoint) {
        self.calls[endpoint.index()].fetch_add(1, Ordering::Relaxed);
    }

    fn new_token(&self, ttl: Duration, now: Instant) -> String {
        let token = crate::issued::random_text(rules::METADATA_TOKEN_LENGTH);
        let mut store = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        while store.order.len() >= rules::METADATA_TOKEN_CAPACITY {
            if let Some(oldest) = store.order.pop_front() {
                store.expiry.remove(&oldest);
            }
        }
        store.order.push_back(token.clone());
        store.expiry.insert(token.clone(), now + ttl);
        token
    }

    fn token_is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .expiry
            .get(token)
            .is_some_and(|expiry| now < *expiry)
    }

    /// Forgets every cached role credential, so the next request issues a new one (used when
    /// the lifetime control changes).
    pub(crate) fn forget_credentials(&self) {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/latest/api/token", put(put_token))
        .route(
            "/latest/meta-data/ram/security-credentials/",
            get(role_name),
        )
        .route(
            "/latest/meta-data/ram/security-credentials/{role}",
            get(role_credentials),
        )
        .route("/credentials-uri", get(credentials_uri))
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

async fn put_token(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.metadata.count(MetadataEndpoint::Token);
    let ttl = headers
        .get(TOKEN_TTL_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let (low, high) = rules::METADATA_TOKEN_TTL_RANGE;
    match ttl {
        Some(seconds) if (low..=high).contains(&seconds) => text(
            StatusCode::OK,
            shared
                .metadata
                .new_token(Duration::from_secs(seconds), shared.clock.instant()),
        ),
        _ => text(
            StatusCode::BAD_REQUEST,
            format!("{TOKEN_TTL_HEADER} must be a whole number of seconds from {low} to {high}"),
        ),
    }
}

/// The refusal of a request that may not read metadata: a token, if sent, must be valid; none is
/// needed unless tokens are required.
fn refusal(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|value| value.to_str().ok());
    match token {
        Some(token)
            if shared
                .metadata
                .token_is_valid(token, shared.clock.instant()) =>
        {
            None
        }
        Some(_) => Some(text(
            StatusCode::UNAUTHORIZED,
            "the metadata token is invalid or expired; get a new one with PUT /latest/api/token",
        )),
        None if shared.metadata.config().require_token => Some(text(
            StatusCode::UNAUTHORIZED,
            "a metadata token is required (IMDSv2 is enforced); get one with PUT /latest/api/token",
        )),
        None => None,
    }
}

async fn role_name(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.metadata.count(MetadataEndpoint::RoleName);
    if let Some(response) = refusal(&shared, &headers) {
        return response;
    }
    match shared.metadata.config().role_name {
        Some(role_name) => text(StatusCode::OK, role_name),
        None => text(
            StatusCode::NOT_FOUND,
            "no RAM role is attached to this instance",
        ),
    }
}

async fn role_credentials(
    State(shared): State<Arc<Shared>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    shared.metadata.count(MetadataEndpoint::RoleCredentials);
    if let Some(response) = refusal(&shared, &headers) {
        return response;
    }
    if shared.metadata.config().role_name.as_deref() != Some(role.as_str()) {
        return text(
            StatusCode::NOT_FOUND,
            format!("the RAM role {role} is not attached to this instance"),
        );
    }
    let role_arn = format!("acs:ram::{}:role/{role}", shared.account_id);
    let issued = current_credential(
        &shared,
        &role_arn,
        IssuedBy::InstanceMetadata,
        shared.clock.now(),
    );
    let mut body = crate::sts::credentials_json(&issued);
    body["Code"] = json!("Success");
    body["LastUpdated"] = json!(format_api_time(issued.issued_at));
    axum::Json(body).into_response()
}

async fn credentials_uri(State(shared): State<Arc<Shared>>) -> Response {
    shared.metadata.count(MetadataEndpoint::CredentialsUri);
    let role_arn = format!(
        "acs:ram::{}:role/{}",
        shared.account_id,
        rules::CREDENTIALS_URI_ROLE_NAME
    );
    let issued = current_credential(
        &shared,
        &role_arn,
        IssuedBy::CredentialsUri,
        shared.clock.now(),
    );
    let mut body = crate::sts::credentials_json(&issued);
    body["Code"] = json!("Success");
    axum::Json(body).into_response()
}

/// The credential `role_arn` hands out now: the current one until it is past half its life
/// ([`rules::METADATA_REISSUE_AT_FRACTION`]), then a new one, as the real service rotates
/// instance credentials ahead of their expiry.
fn current_credential(
    shared: &Shared,
    role_arn: &str,
    issued_by: IssuedBy,
    now: DateTime<Utc>,
) -> IssuedCredential {
    let mut current = shared
        .metadata
        .current
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(existing) = current.get(role_arn) {
        let lifetime = existing.expiration - existing.issued_at;
        let reissue_at = existing.issued_at
            + chrono::Duration::milliseconds(
                (lifetime.num_milliseconds() as f64 * rules::METADATA_REISSUE_AT_FRACTION) as i64,
            );
        if now < reissue_at {
            return existing.clone();
        }
    }
    let session_name = match issued_by {
        IssuedBy::CredentialsUri => "credentials-uri",
        _ => "ecs-instance",
    };
    let issued = crate::sts::issue(
        shared,
        role_arn,
        session_name,
        rules::METADATA_CREDENTIAL_LIFETIME_SECONDS,
        issued_by,
        now,
    );
    current.insert(role_arn.to_owned(), issued.clone());
    issued
}
