//! The provider's log messages for the engine, sent to its `Engine.Log` (the engine shows them
//! with the resource they are about) and to stderr.
//!
//! The engine's address comes from the command line, from `Handshake`, or from `Attach` (an engine
//! attaching to a plugin already running, `PULUMI_DEBUG_PROVIDERS`); until one is known, messages
//! wait in a bounded queue. Logging never blocks an operation: a message that finds the queue
//! full is dropped (and stderr says so once), and one the engine does not take is lost with a
//! warning on stderr. A call's reply waits (briefly, `delivered`) until the messages logged before
//! it have reached the engine, so that the engine sees them first, as the JSON-RPC protocol writes
//! a request's `log` notifications before its reply.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// How long a reply waits for the messages logged before it to reach the engine.
const DELIVERY_WAIT: Duration = Duration::from_secs(2);

/// The link to the engine's `Engine` service.
#[derive(Clone)]
pub struct EngineLink {
    address: Arc<watch::Sender<Option<String>>>,
    queue: mpsc::Sender<LogEntry>,
    dropped: Arc<AtomicBool>,
    /// Messages queued so far, and (from the forwarder) messages handled so far, sent or not.
    queued: Arc<AtomicU64>,
    handled: watch::Receiver<u64>,
}

impl EngineLink {
    /// Starts the task that forwards messages to the engine at `address` (or at the address
    /// learnt later). Call it inside the runtime.
    pub fn start(address: Option<String>) -> (EngineLink, JoinHandle<()>) {
        let (address_sender, address_receiver) = watch::channel(None);
        let (queue, entries) = mpsc::channel(QUEUE_LENGTH);
        let (handled_sender, handled) = watch::channel(0);
        let link = EngineLink {
            address: Arc::new(address_sender),
            queue,
            dropped: Arc::new(AtomicBool::new(false)),
            queued: Arc::new(AtomicU64::new(0)),
            handled,
        };
        if let Some(address) = address {
            link.set_address(&address);
        }
        let task = tokio::spawn(forward(entries, address_receiver, handled_sender));
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
        if self.queue.try_send(entry).is_ok() {
            self.queued.fetch_add(1, Ordering::SeqCst);
        } else if !self.dropped.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "log messages for the engine are arriving faster than it takes them (or no engine address is \
                 known); some are shown on stderr only"
            );
        }
    }
}

impl EngineLink {
    /// Waits, up to a bound, until the messages logged so far have been handed to the engine
    /// (or found it unreachable); at once when no engine address is known.
    pub async fn delivered(&self) {
        let target = self.queued.load(Ordering::SeqCst);
        if target == 0 || self.address.borrow().is_none() {
            return;
        }
        let mut handled = self.handled.clone();
        let _ =
            tokio::time::timeout(DELIVERY_WAIT, handled.wait_for(|count| *count >= target)).await;
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
    handled: watch::Sender<u64>,
) {
    let mut client: Option<(String, EngineConnection)> = None;
    let mut warned = false;
    while let Some(entry) = entries.recv().await {
        deliver(entry, &mut address, &mut client, &mut warned).await;
        handled.send_modify(|count| *count += 1);
    }
}

/// Sends one message to the engine (connecting first when needed); a failure is said once.
async fn deliver(
    entry: LogEntry,
    address: &mut watch::Receiver<Option<String>>,
    client: &mut Option<(String, EngineConnection)>,
    warned: &mut bool,
) {
    let mut say_once = |problem: String| {
        if !*warned {
            *warned = true;
            tracing::warn!("{problem}; log messages go to stderr only");
        }
    };
    let current = match address.wait_for(Option::is_some).await {
        Ok(current) => current.clone().unwrap_or_default(),
        Err(_) => return,
    };
    if client.as_ref().is_none_or(|(known, _)| *known != current) {
        match connect(&current).await {
            Ok(engine) => *client = Some((current, engine)),
            Err(error) => {
                return say_once(format!("cannot reach the engine at {current:?} ({error})"))
            }
        }
    }
    let Some((_, engine)) = client.as_mut() else {
        return;
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
        *client = None;
        say_once(format!(
            "the engine did not take a log message ({}: {})",
            status.code(),
            status.message()
        ));
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
