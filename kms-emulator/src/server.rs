//! The HTTP/1.1 server: accepts connections, routes `/__emulator/…` to the control endpoint and
//! everything else to the KMS gateway, and writes the API's JSON answers.
//!
//! Connections are served by hyper directly (not `axum::serve`) because "commit then drop the
//! connection" needs a way to close a connection without writing a response: the service
//! returns an error for such a request, and hyper then drops the connection.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::actions::{Action, ActionOutput};
use crate::error::ApiError;
use crate::faults::FaultOutcome;
use crate::gateway::{Caller, RawRequest};
use crate::params::Params;
use crate::shared::Shared;
use crate::{control, ids, rules};

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose by fault injection")
    }
}

impl std::error::Error for ConnectionDropped {}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    if shared.control_endpoint {
        router = router.nest(control::PREFIX, control::router());
    }
    router
        .merge(crate::metadata::router())
        .merge(crate::logins::router())
        .fallback(kms_gateway)
        .with_state(shared)
}

/// Serves connections from `listener` until `shutdown` turns true; open connections are then
/// aborted.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    warn_if_control_is_exposed(&listener, &shared);
    let header_read_timeout = shared.header_read_timeout;
    let router = router(shared);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Typically too many open files; back off briefly instead of spinning.
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    async move {
                        let response = match router.oneshot(request.map(Body::new)).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<DropConnection>().is_some() {
                            Err(ConnectionDropped)
                        } else {
                            Ok::<_, ConnectionDropped>(response)
                        }
                    }
                });
                connections.spawn(async move {
                    // hyper starts this timer whenever it waits for a request head, from the
                    // connection's start and again after each response: it is the header-read and
                    // the idle timeout in one, and it also ends connections that never send
                    // anything (half-open ones included).
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// The control endpoint changes state and answers without authentication: on an address other
/// machines can reach, anyone there can read and reset the emulator. Say so.
fn warn_if_control_is_exposed(listener: &TcpListener, shared: &Shared) {
    let Ok(address) = listener.local_addr() else {
        return;
    };
    if shared.control_endpoint && !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "the unauthenticated control endpoint {} is served on a non-loopback address: anyone who can reach \
             it can read, change and reset the emulator; listen on 127.0.0.1 or pass --no-control",
            control::PREFIX
        );
    }
}

async fn kms_gateway(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let request_id = ids::uuid_v4();
    let (parts, body) = request.into_parts();
    // The body gets the header-read timeout too: a client that sends a head and then trickles
    // (or never sends) its body does not hold the connection.
    let body = match tokio::time::timeout(
        shared.header_read_timeout,
        axum::body::to_bytes(body, rules::MAX_BODY_BYTES),
    )
    .await
    {
        Err(_elapsed) => {
            tracing::debug!(%request_id, "the request body did not arrive in time; closing the connection");
            return dropped_connection();
        }
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            let why = format!(
                "The request body is larger than {} bytes.",
                rules::MAX_BODY_BYTES
            );
            return error_response(
                &shared,
                &request_id,
                &ApiError::unparsable_request(413, &why),
            );
        }
    };
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let raw = RawRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: header_text(header::CONTENT_TYPE),
        body: &body,
        authorization: header_text(header::AUTHORIZATION),
        headers: &headers,
    };
    let admitted = match shared
        .gateway
        .admit(&raw, shared.clock.now(), shared.clock.instant())
    {
        Ok(admitted) => admitted,
        Err(error) => return error_response(&shared, &request_id, &error),
    };
    let action = admitted.action;
    shared.count_call(action);

    let decision = shared.decide_fault(action);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.outcome {
        FaultOutcome::Hang(duration) => {
            tokio::time::sleep(duration).await;
            tracing::debug!(action = action.name(), %request_id, "hang fault: closing the connection without an answer");
            return dropped_connection();
        }
        FaultOutcome::Throttle => {
            return error_response(&shared, &request_id, &ApiError::throttled())
        }
        FaultOutcome::ServerError(status) => {
            return error_response(&shared, &request_id, &ApiError::server_error(status))
        }
        FaultOutcome::DeliverLate(delay) => {
            tracing::debug!(action = action.name(), %request_id, "late-delivery fault: the connection is closed, the action runs later");
            let late_shared = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = run_action(&late_shared, action, admitted.params, admitted.caller).await;
            });
            return dropped_connection();
        }
        FaultOutcome::Proceed | FaultOutcome::DropAfterCommit => {}
    }

    let result = run_action(&shared, action, admitted.params, admitted.caller).await;
    if decision.outcome == FaultOutcome::DropAfterCommit {
        tracing::debug!(action = action.name(), %request_id, "drop-after-commit fault: the action ran, the answer is dropped");
        return dropped_connection();
    }
    match result {
        Ok(output) => success_response(&request_id, output.body),
        Err(error) => error_response(&shared, &request_id, &error),
    }
}

/// Runs an admitted action (off the async threads when it is CPU-heavy) and saves the state
/// file when it changed something.
async fn run_action(
    shared: &Arc<Shared>,
    action: Action,
    params: Params,
    caller: Option<Caller>,
) -> Result<ActionOutput, ApiError> {
    let result = if action.is_cpu_heavy() {
        let worker_shared = shared.clone();
        match tokio::task::spawn_blocking(move || {
            let now = worker_shared.clock.now();
            worker_shared.dispatch(action, &params, caller.as_ref(), now)
        })
        .await
        {
            Ok(result) => result,
            Err(error) => {
                tracing::error!(action = action.name(), %error, "action handler failed");
                Err(ApiError::server_error(500))
            }
        }
    } else {
        shared.dispatch(action, &params, caller.as_ref(), shared.clock.now())
    };
    if result.as_ref().is_ok_and(|output| output.mutated) {
        shared.persist();
    }
    result
}

fn dropped_connection() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(DropConnection);
    response
}

fn json_response(status: StatusCode, request_id: &str, body: &Map<String, Value>) -> Response {
    let bytes =
        serde_json::to_vec(body).unwrap_or_else(|_| unreachable!("a JSON map always serialises"));
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", value);
    }
    response
}

fn success_response(request_id: &str, mut body: Map<String, Value>) -> Response {
    body.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    json_response(StatusCode::OK, request_id, &body)
}

pub(crate) fn error_response(shared: &Shared, request_id: &str, error: &ApiError) -> Response {
    tracing::debug!(code = %error.code, status = error.status, %request_id, "answering with an error");
    let mut body = Map::new();
    body.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    body.insert("HostId".to_owned(), Value::String(shared.host_id.clone()));
    body.insert("Code".to_owned(), Value::String(error.code.to_string()));
    body.insert("Message".to_owned(), Value::String(error.message.clone()));
    body.insert(
        "Recommend".to_owned(),
        Value::String(format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Kms&requestId={request_id}",
            error.code
        )),
    );
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, request_id, &body)
}
