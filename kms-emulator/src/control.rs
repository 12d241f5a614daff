//! The HTTP control endpoint under `/__emulator/`: the same fault and state hooks as the library
//! handle, for scripts and benchmarks that drive a standalone emulator. It is off the KMS path
//! (KMS requests go to `/`) and unauthenticated: the emulator is meant for loopback use.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::faults::FaultSpec;
use crate::shared::{AccessPointPatch, NetworkRulePatch, PolicyPatch, Shared};

/// Where the control endpoint lives.
pub const PREFIX: &str = "/__emulator";

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/faults", get(list_faults).delete(clear_faults))
        .route(
            "/faults/{target}",
            put(set_fault).post(set_fault).delete(clear_fault),
        )
        .route("/calls", get(call_counts))
        .route("/client-keys", get(client_keys))
        .route("/client-keys/{id}", delete(delete_client_key))
        .route("/application-access-points", get(access_points))
        .route(
            "/application-access-points/{name}",
            delete(delete_access_point).patch(update_access_point),
        )
        .route("/policies", get(policies))
        .route(
            "/policies/{name}",
            delete(delete_policy).patch(update_policy),
        )
        .route("/network-rules", get(network_rules))
        .route(
            "/network-rules/{name}",
            delete(delete_network_rule).patch(update_network_rule),
        )
        .merge(crate::control_sts::router())
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|error| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            format!("invalid JSON body: {error}"),
        ))
    })
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "faults": shared.faults() })).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    Json(json!({ "faults": shared.faults() })).into_response()
}

async fn set_fault(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    body: Bytes,
) -> Response {
    let spec: FaultSpec = match parse_json(&body) {
        Ok(spec) => spec,
        Err(response) => return *response,
    };
    match shared.set_fault(&target, spec) {
        Ok(()) => Json(json!({ "faults": shared.faults() })).into_response(),
        Err(error) => problem(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn clear_fault(State(shared): State<Arc<Shared>>, Path(target): Path<String>) -> Response {
    match shared.clear_fault(&target) {
        Ok(cleared) => {
            Json(json!({ "cleared": cleared, "faults": shared.faults() })).into_response()
        }
        Err(error) => problem(StatusCode::BAD_REQUEST, error.to_string()),
    }
}

async fn call_counts(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "calls": shared.call_counts() })).into_response()
}

async fn client_keys(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "client_keys": shared.client_keys() })).into_response()
}

async fn delete_client_key(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if shared.delete_client_key(&id) {
        Json(json!({ "deleted": id })).into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no client key {id:?}"))
    }
}

async fn access_points(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "application_access_points": shared.access_points() })).into_response()
}

async fn delete_access_point(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    if shared.delete_access_point(&name) {
        Json(json!({ "deleted": name })).into_response()
    } else {
        problem(
            StatusCode::NOT_FOUND,
            format!("no application access point {name:?}"),
        )
    }
}

async fn update_access_point(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let patch: AccessPointPatch = match parse_json(&body) {
        Ok(patch) => patch,
        Err(response) => return *response,
    };
    if shared.update_access_point(&name, patch) {
        let updated = shared
            .access_points()
            .into_iter()
            .find(|access_point| access_point.name == name);
        Json(json!({ "updated": updated })).into_response()
    } else {
        problem(
            StatusCode::NOT_FOUND,
            format!("no application access point {name:?}"),
        )
    }
}

async fn policies(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "policies": shared.policies() })).into_response()
}

async fn network_rules(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({ "network_rules": shared.network_rules() })).into_response()
}

async fn delete_policy(State(shared): State<Arc<Shared>>, Path(name): Path<String>) -> Response {
    if shared.delete_policy(&name) {
        Json(json!({ "deleted": name })).into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no policy {name:?}"))
    }
}

async fn update_policy(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let patch: PolicyPatch = match parse_json(&body) {
        Ok(patch) => patch,
        Err(response) => return *response,
    };
    if shared.update_policy(&name, patch) {
        let updated = shared
            .policies()
            .into_iter()
            .find(|policy| policy.name == name);
        Json(json!({ "updated": updated })).into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no policy {name:?}"))
    }
}

async fn delete_network_rule(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    if shared.delete_network_rule(&name) {
        Json(json!({ "deleted": name })).into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no network rule {name:?}"))
    }
}

async fn update_network_rule(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let patch: NetworkRulePatch = match parse_json(&body) {
        Ok(patch) => patch,
        Err(response) => return *response,
    };
    if shared.update_network_rule(&name, patch) {
        let updated = shared
            .network_rules()
            .into_iter()
            .find(|rule| rule.name == name);
        Json(json!({ "updated": updated })).into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no network rule {name:?}"))
    }
}
