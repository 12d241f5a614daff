//! The plugin's connections: HTTP/2 (gRPC's transport) served by hyper on the loopback listener,
//! each connection a task, every call on it answered by the service. A shutdown stops taking
//! connections, tells each one to take no new calls (HTTP/2's GOAWAY), and waits for the calls in
//! flight, up to the grace period; what is left then is dropped.

use std::convert::Infallible;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::Service;

/// How long to wait before accepting again after the listener failed (out of file descriptors).
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// Serves `service` on `listener` until `shutdown`; returns when every connection is done, or
/// the grace period after the shutdown has passed.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    shutdown: CancellationToken,
    grace_period: Duration,
) where
    S: Service<Request<Incoming>, Response = Response<tonic::body::Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("could not accept a connection: {error}");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
        };
        // Small replies go out at once (the engine waits for each).
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        let stopping = shutdown.clone();
        connections.spawn(async move {
            let connection = http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                () = stopping.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!("a connection ended: {error}");
            }
        });
        // Forget the connections that are done.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace_period, drained).await.is_err() {
        tracing::warn!(
            "calls still running after the grace period of {}s are abandoned",
            grace_period.as_secs()
        );
    }
}
