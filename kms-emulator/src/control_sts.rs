//! The control endpoint's STS and instance-metadata routes (under `/__emulator/`): roles, OIDC
//! providers, the credential lifetime, issued credentials, test OIDC tokens and the metadata
//! stand-in's configuration. Same conventions as [`crate::control`]: JSON in and out, errors
//! `{"error": "..."}` with 400 or 404.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::logins::LoginConfig;
use crate::metadata::MetadataConfig;
use crate::rules;
use crate::shared::Shared;
use crate::sts::{OidcProvider, Role, StsConfig};

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sts", get(sts_config))
        .route("/sts/roles/{*arn}", put(put_role).delete(delete_role))
        .route(
            "/sts/oidc-providers/{*arn}",
            put(put_oidc_provider).delete(delete_oidc_provider),
        )
        .route("/sts/credential-lifetime", put(set_lifetime))
        .route("/sts/credentials", get(issued_credentials))
        .route("/sts/credentials/expire", post(expire_credentials))
        .route("/sts/credentials/revoke", post(revoke_credentials))
        .route("/sts/oidc-tokens", post(mint_oidc_token))
        .route("/metadata", get(metadata_config).put(set_metadata_config))
        .route("/logins", get(login_config).put(set_login_config))
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Box<Response>> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(text).map_err(|error| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            format!("invalid JSON body: {error}"),
        ))
    })
}

/// The STS configuration as shown: OIDC tokens are counted, never shown.
fn sts_view(config: &StsConfig) -> serde_json::Value {
    json!({
        "roles": config.roles,
        "oidc_providers": config.oidc_providers.iter().map(|provider| json!({
            "arn": provider.arn,
            "issuer": provider.issuer,
            "client_ids": provider.client_ids,
            "accepted_token_count": provider.tokens.len(),
        })).collect::<Vec<_>>(),
        "credential_lifetime_seconds": config.credential_lifetime_seconds,
    })
}

async fn sts_config(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.read_sts(sts_view)).into_response()
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RoleBody {
    trusted: Vec<String>,
    external_id: Option<String>,
    max_session_duration_seconds: u64,
}

impl Default for RoleBody {
    fn default() -> Self {
        RoleBody {
            trusted: Vec::new(),
            external_id: None,
            max_session_duration_seconds: rules::STS_DEFAULT_MAX_SESSION_DURATION_SECONDS,
        }
    }
}

async fn put_role(
    State(shared): State<Arc<Shared>>,
    Path(arn): Path<String>,
    body: Bytes,
) -> Response {
    let body: RoleBody = match parse_json(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let role = Role {
        arn,
        trusted: body.trusted,
        external_id: body.external_id,
        max_session_duration_seconds: body.max_session_duration_seconds,
    };
    match shared.change_sts(|config| config.upsert_role(role)) {
        Ok(config) => Json(sts_view(&config)).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error),
    }
}

async fn delete_role(State(shared): State<Arc<Shared>>, Path(arn): Path<String>) -> Response {
    if shared.read_sts(|config| config.role(&arn).is_none()) {
        return problem(StatusCode::NOT_FOUND, format!("no role {arn:?}"));
    }
    match shared.change_sts(|config| {
        config
            .roles
            .retain(|role| !role.arn.eq_ignore_ascii_case(&arn))
    }) {
        Ok(config) => Json(sts_view(&config)).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcProviderBody {
    issuer: String,
    #[serde(default)]
    client_ids: Option<Vec<String>>,
    #[serde(default)]
    tokens: Vec<String>,
}

async fn put_oidc_provider(
    State(shared): State<Arc<Shared>>,
    Path(arn): Path<String>,
    body: Bytes,
) -> Response {
    let body: OidcProviderBody = match parse_json(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let mut provider = OidcProvider::new(arn, body.issuer).accepting(body.tokens);
    if let Some(client_ids) = body.client_ids {
        provider.client_ids = client_ids;
    }
    match shared.change_sts(|config| config.upsert_oidc_provider(provider)) {
        Ok(config) => Json(sts_view(&config)).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error),
    }
}

async fn delete_oidc_provider(
    State(shared): State<Arc<Shared>>,
    Path(arn): Path<String>,
) -> Response {
    if shared.read_sts(|config| config.oidc_provider(&arn).is_none()) {
        return problem(StatusCode::NOT_FOUND, format!("no OIDC provider {arn:?}"));
    }
    match shared.change_sts(|config| {
        config
            .oidc_providers
            .retain(|provider| !provider.arn.eq_ignore_ascii_case(&arn));
    }) {
        Ok(config) => Json(sts_view(&config)).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LifetimeBody {
    seconds: Option<u64>,
}

async fn set_lifetime(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: LifetimeBody = match parse_json(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    match shared.change_sts(|config| config.credential_lifetime_seconds = body.seconds) {
        Ok(config) => Json(sts_view(&config)).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error),
    }
}

async fn issued_credentials(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "credentials": shared.gateway.issued_credentials() })).into_response()
}

async fn expire_credentials(State(shared): State<Arc<Shared>>) -> Response {
    shared.metadata.forget_credentials();
    let expired = shared.gateway.expire_issued_credentials(shared.clock.now());
    Json(json!({ "expired": expired })).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RevokeBody {
    access_key_id: Option<String>,
}

async fn revoke_credentials(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: RevokeBody = match parse_json(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    shared.metadata.forget_credentials();
    let revoked = shared
        .gateway
        .revoke_issued_credentials(body.access_key_id.as_deref(), shared.clock.now());
    Json(json!({ "revoked": revoked })).into_response()
}

async fn login_config(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.logins.config()).into_response()
}

async fn set_login_config(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let config: LoginConfig = match parse_json(&body) {
        Ok(config) => config,
        Err(response) => return *response,
    };
    shared.logins.set_config(config);
    Json(shared.logins.config()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcTokenBody {
    issuer: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    lifetime_seconds: Option<i64>,
}

async fn mint_oidc_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: OidcTokenBody = match parse_json(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let token = crate::sts::oidc::mint_unsigned_token(
        &body.issuer,
        body.audience
            .as_deref()
            .unwrap_or(rules::OIDC_DEFAULT_CLIENT_ID),
        body.subject
            .as_deref()
            .unwrap_or("system:serviceaccount:default:test"),
        shared.clock.now(),
        body.lifetime_seconds.unwrap_or(3600),
    );
    Json(json!({ "token": token })).into_response()
}

async fn metadata_config(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.metadata.config()).into_response()
}

async fn set_metadata_config(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let config: MetadataConfig = match parse_json(&body) {
        Ok(config) => config,
        Err(response) => return *response,
    };
    shared.metadata.set_config(config);
    Json(shared.metadata.config()).into_response()
}
