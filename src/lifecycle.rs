//! What both entries of the binary do alike as processes, the JSON-RPC provider (`main.rs`) and
//! the gRPC plugin (`plugin`): logs to stderr, the runtime, the grace period of a shutdown, and
//! the signals that start one. It sits outside the layers, as the entries that use it do.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The environment variable that sets the grace period of a shutdown, in whole seconds.
pub const GRACE_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS";

/// The grace period from the environment, or `default` (with a warning for a bad value).
pub fn grace_period_from_environment(default: Duration) -> Duration {
    let Some(value) = std::env::var_os(GRACE_VARIABLE) else {
        return default;
    };
    match value
        .to_str()
        .and_then(|text| text.trim().parse::<u64>().ok())
    {
        Some(seconds) => Duration::from_secs(seconds),
        None => {
            tracing::warn!(
                "{GRACE_VARIABLE} must be a whole number of seconds; using the default of {}s",
                default.as_secs()
            );
            default
        }
    }
}

/// Runs `serve` on a runtime of one thread, then shuts the runtime down within `final_grace`;
/// `None` (said on stderr) when the runtime could not start.
///
/// One runtime thread: the provider is I/O bound, a request being a few microseconds of JSON work
/// and then, for a resource operation, a wait on KMS. A multi-thread runtime spends more CPU than
/// that on waking workers across threads (futex, epoll) for every reply: the KMS client costs 2-3x
/// less CPU per call on a current-thread runtime (BENCHMARKS.md), start-up spawns two fewer
/// threads, and concurrency is unchanged (every request is its own task; stdin and stdout have
/// their own threads, blocking file work goes to tokio's blocking pool).
///
/// Operations that outlived a shutdown's grace period are dropped with the runtime, before the
/// process exits: dropping a task runs its destructors, and those remove the staged temporary key
/// files. (`process::exit` with the tasks alive would leave them behind.)
pub fn run_on_one_thread<T>(serve: impl Future<Output = T>, final_grace: Duration) -> Option<T> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("could not start the async runtime: {error}");
            return None;
        }
    };
    let outcome = runtime.block_on(serve);
    runtime.shutdown_timeout(final_grace);
    Some(outcome)
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `warn`). Nothing below info ever comes
/// through from a target that starts with one of `payload_targets`: the libraries that log whole
/// requests and replies at debug and trace level, secrets included, whatever `RUST_LOG` asks for.
pub fn init_logging(payload_targets: &'static [&'static str]) {
    let env_filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .from_env_lossy();
    let no_payloads = filter_fn(|metadata| {
        let target = metadata.target();
        let carries_payloads = payload_targets
            .iter()
            .any(|prefix| target.starts_with(prefix));
        !carries_payloads || *metadata.level() <= tracing::Level::INFO
    });
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(env_filter.and(no_payloads));
    tracing_subscriber::registry().with(stderr_layer).init();
}

/// The token of a shutdown: tripped by the first SIGTERM or SIGINT (a second exits at once), and
/// when tripped it cancels `operations` (the provider's, so what waits on KMS stops, as the
/// engine's `cancel` makes it). Call it inside the runtime.
pub fn shutdown_token(operations: CancellationToken, grace_period: Duration) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let stopping = shutdown.clone();
    tokio::spawn(async move {
        stopping.cancelled().await;
        operations.cancel();
    });
    tokio::spawn(watch_signals(shutdown.clone(), grace_period));
    shutdown
}

/// The first SIGTERM or SIGINT trips `shutdown`; a second exits at once (128 + the signal's
/// number).
async fn watch_signals(shutdown: CancellationToken, grace_period: Duration) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(
                "cannot handle SIGTERM and SIGINT ({error}); they stop the provider at once"
            );
            return;
        }
    };
    let first = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    // Tripped before it is said, so that whoever reads the line knows nothing more is read.
    shutdown.cancel();
    tracing::warn!(
        "{first} received: reading no more requests, cancelling the operations waiting on KMS, and giving the \
         requests in flight up to {}s to answer before exiting; a second signal exits at once",
        grace_period.as_secs()
    );
    let (second, code) = tokio::select! {
        _ = terminate.recv() => ("SIGTERM", 128 + 15),
        _ = interrupt.recv() => ("SIGINT", 128 + 2),
    };
    tracing::warn!("{second} received again: exiting at once");
    std::process::exit(code);
}
