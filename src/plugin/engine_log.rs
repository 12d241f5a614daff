//! The provider's log messages for the engine, sent to its `Engine.Log` (the engine shows them
//! with the resource they are about) and to stderr.
//!
//! The engine's address comes from the command line, from `Handshake`, or from `Attach` (an engine
//! attaching to a plugin already running, `PULUMI_DEBUG_PROVIDERS`); until one is known, messages
//! wait in a bounded queue. Sending never blocks an operation: a message that finds the queue
//! full is dropped (and stderr says so once), and one the engine does not take is lost with a
//! warning on stderr.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::Incoming;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tonic::codegen::http::{Request, Response, Uri};
use tonic::codegen::Service;

use super::generated::pulumirpc::engine_client::EngineClient;
use super::generated::pulumirpc::{LogRequest, LogSeverity as ProtoSeverity};
use crate::resources::{EngineLog, LogEntry, LogSeverity};

/// Messages waiting for the engine; a burst past this drops the newest.
const QUEUE_LENGTH: usize = 1024;

/// The link to the engine's `Engine` service.
#[derive(Clone)]
pub struct EngineLink {
    address: Arc<watch::Sender<Option<String>>>,
    queue: mpsc::Sender<LogEntry>,
    dropped: Arc<AtomicBool>,
}

impl EngineLink {
    /// Starts the task that forwards messages to the engine at `address` (or at the address
    /// learnt later). Call it inside the runtime.
    pub fn start(address: Option<String>) -> (EngineLink, JoinHandle<()>) {
        let (address_sender, address_receiver) = watch::channel(None);
        let (queue, entries) = mpsc::channel(QUEUE_LENGTH);
        let link = EngineLink {
            address: Arc::new(address_sender),
            queue,
            dropped: Arc::new(AtomicBool::new(false)),
        };
        if let Some(address) = address {
            link.set_address(&address);
        }
        let task = tokio::spawn(forward(entries, address_receiver));
        (link, task)
    }

    /// The engine's address, from `Handshake` or `Attach`; an empty one is no address.
    pub fn set_address(&self, address: &str) {
        if address.is_empty() {
            return;
        }
        let address = address.to_owned();
        self.address.send_if_modified(|current| {
            let changed = current.as_deref() != Some(address.as_str());
            *current = Some(address);
            changed
        });
    }

    /// The provider's log: each message to stderr (through `tracing`) and to the engine.
    pub fn engine_log(&self) -> EngineLog {
        let link = self.clone();
        EngineLog::new(move |entry| link.send(entry))
    }

    fn send(&self, entry: LogEntry) {
        // Log messages never carry a secret (the provider's contract), so stderr may show them.
        let urn = entry.urn.as_deref().unwrap_or("");
        match entry.severity {
            LogSeverity::Debug => tracing::debug!(urn, "{}", entry.message),
            LogSeverity::Info => tracing::info!(urn, "{}", entry.message),
            LogSeverity::Warning => tracing::warn!(urn, "{}", entry.message),
            LogSeverity::Error => tracing::error!(urn, "{}", entry.message),
        }
        if self.queue.try_send(entry).is_err() && !self.dropped.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "log messages for the engine are arriving faster than it takes them (or no engine address is \
                 known); some are shown on stderr only"
            );
        }
    }
}

/// Waits, up to `limit`, for the messages already queued to reach the engine.
pub async fn flush(forwarder: JoinHandle<()>, limit: Duration) {
    // The task ends when every sender is gone; one may still be held by an operation that
    // outlived the shutdown, hence the limit.
    let _ = tokio::time::timeout(limit, forwarder).await;
}

/// The engine's `Engine` service over one HTTP/2 connection.
type EngineConnection = EngineClient<EngineChannel>;

/// An HTTP/2 connection to the engine, as the service the generated client calls through.
#[derive(Clone)]
struct EngineChannel(http2::SendRequest<tonic::body::Body>);

impl Service<Request<tonic::body::Body>> for EngineChannel {
    type Response = Response<Incoming>;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(context)
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        Box::pin(self.0.send_request(request))
    }
}

/// Connects to the engine at `address` (`host:port`, or a URL).
async fn connect(address: &str) -> Result<EngineConnection, String> {
    let origin = if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}")
    };
    let origin: Uri = origin
        .parse()
        .map_err(|error| format!("not an address: {error}"))?;
    let authority = origin
        .authority()
        .ok_or_else(|| "not an address: it names no host and port".to_owned())?
        .as_str()
        .to_owned();
    let stream = TcpStream::connect(&authority)
        .await
        .map_err(|error| format!("cannot connect: {error}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .map_err(|error| format!("no HTTP/2 there: {error}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!("the connection to the engine ended: {error}");
        }
    });
    Ok(EngineClient::with_origin(EngineChannel(sender), origin))
}

async fn forward(
    mut entries: mpsc::Receiver<LogEntry>,
    mut address: watch::Receiver<Option<String>>,
) {
    let mut client: Option<(String, EngineConnection)> = None;
    let mut warned = false;
    while let Some(entry) = entries.recv().await {
        let current = match address.wait_for(Option::is_some).await {
            Ok(current) => current.clone().unwrap_or_default(),
            Err(_) => return,
        };
        if client.as_ref().is_none_or(|(known, _)| *known != current) {
            match connect(&current).await {
                Ok(engine) => client = Some((current, engine)),
                Err(error) => {
                    if !warned {
                        warned = true;
                        tracing::warn!(
                            "cannot reach the engine at {current:?} ({error}); log messages go to stderr only"
                        );
                    }
                    continue;
                }
            }
        }
        let Some((_, engine)) = client.as_mut() else {
            continue;
        };
        let request = LogRequest {
            severity: severity_of(entry.severity) as i32,
            message: entry.message,
            urn: entry.urn.unwrap_or_default(),
            stream_id: 0,
            ephemeral: false,
        };
        if let Err(status) = engine.log(request).await {
            // The next message connects again.
            client = None;
            if !warned {
                warned = true;
                tracing::warn!(
                    "the engine did not take a log message ({}: {}); they go to stderr only",
                    status.code(),
                    status.message()
                );
            }
        }
    }
}

fn severity_of(severity: LogSeverity) -> ProtoSeverity {
    match severity {
        LogSeverity::Debug => ProtoSeverity::Debug,
        LogSeverity::Info => ProtoSeverity::Info,
        LogSeverity::Warning => ProtoSeverity::Warning,
        LogSeverity::Error => ProtoSeverity::Error,
    }
}
