//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.
//!
//! An engine starts it with no arguments (any arguments are ignored, as a plugin may be handed the
//! engine's address) and talks to it until it closes stdin; the process then finishes every
//! request in flight and exits 0. Nothing but protocol lines is ever written to stdout.
//!
//! SIGTERM or SIGINT stop it: it reads no more requests, cancels the operations waiting on KMS,
//! gives the requests in flight a grace period (`ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS`,
//! default 20) to answer, answers those still running with an error, and exits 0; a second signal
//! exits at once (128 + the signal's number). When stdout is gone, it does the same and exits 1,
//! and what it could not deliver goes to stderr (secrets redacted).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alicloud_kms_provider::protocol::{
    rpc_module, undeliverable, LogParams, ProtocolOptions, CONTROL_METHODS, TEST_HOOKS_VARIABLE,
};
use alicloud_kms_provider::provider::error::codes;
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use alicloud_kms_provider::rpc::{
    self, Ending, ServerOptions, ShutdownReply, TransportError, UndeliverableLines,
};
use tokio_util::sync::CancellationToken;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The environment variable that sets the grace period of a shutdown, in whole seconds.
const GRACE_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS";
const DEFAULT_GRACE: Duration = Duration::from_secs(20);

/// After serving ends, how long blocking work (a key file being written) gets before the runtime
/// is torn down.
const BLOCKING_WORK_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    init_logging();
    let grace_period = grace_period_from_environment();
    // One runtime thread. The provider is I/O bound: a request is a few microseconds of JSON work
    // and then, for a resource operation, a wait on KMS. A multi-thread runtime spends more CPU
    // than that on waking workers across threads (futex, epoll) for every reply: the KMS client
    // costs 2-3x less CPU per call on a current-thread runtime (BENCHMARKS.md), start-up spawns two
    // fewer threads, and concurrency is unchanged (every request is its own task; stdin and stdout
    // have their own threads, blocking file work goes to tokio's blocking pool).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(serve_stdio(grace_period));
    // Operations that outlived a shutdown's grace period are dropped here, with the runtime and
    // before the process exits: dropping a task runs its destructors, and those remove the staged
    // temporary key files. (`process::exit` with the tasks alive would leave them behind.)
    runtime.shutdown_timeout(BLOCKING_WORK_GRACE);
    match outcome {
        Ok(Ending::EndOfInput) => ExitCode::SUCCESS,
        Ok(Ending::Shutdown { cut_short }) => {
            tracing::info!(cut_short, "stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// The grace period from the environment, or the default (with a warning for a bad value).
fn grace_period_from_environment() -> Duration {
    let Some(value) = std::env::var_os(GRACE_VARIABLE) else {
        return DEFAULT_GRACE;
    };
    match value
        .to_str()
        .and_then(|text| text.trim().parse::<u64>().ok())
    {
        Some(seconds) => Duration::from_secs(seconds),
        None => {
            tracing::warn!(
                "{GRACE_VARIABLE} must be a whole number of seconds; using the default of {}s",
                DEFAULT_GRACE.as_secs()
            );
            DEFAULT_GRACE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `warn`).
fn init_logging() {
    let env_filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .from_env_lossy();
    // jsonrpsee logs whole requests and replies at debug and trace level, secrets included, so
    // nothing below info ever comes through from it, whatever RUST_LOG asks for.
    let no_jsonrpsee_payloads = filter_fn(|metadata| {
        !metadata.target().starts_with("jsonrpsee") || *metadata.level() <= tracing::Level::INFO
    });
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(env_filter.and(no_jsonrpsee_payloads));
    tracing_subscriber::registry().with(stderr_layer).init();
}

async fn serve_stdio(grace_period: Duration) -> Result<Ending, TransportError> {
    let (notifier, queue) = rpc::outgoing_queue();
    let engine_log = EngineLog::new(move |entry| notifier.notify("log", &LogParams::from(entry)));
    let working_directory = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let provider = Provider::new(ProviderOptions {
        engine_log,
        working_directory,
    });
    let test_hooks = std::env::var_os(TEST_HOOKS_VARIABLE).is_some_and(|value| value == "1");

    // A shutdown (a signal, or stdout gone) cancels what waits on KMS, as the engine's `cancel`
    // does.
    let shutdown = CancellationToken::new();
    let operations = provider.cancellation_token();
    let stopping = shutdown.clone();
    tokio::spawn(async move {
        stopping.cancelled().await;
        operations.cancel();
    });
    tokio::spawn(watch_signals(shutdown.clone(), grace_period));

    let module = rpc_module(provider, ProtocolOptions { test_hooks });
    let options = ServerOptions {
        grace_period,
        shutdown_reply: ShutdownReply {
            code: codes::CANCELLED,
            kind: "cancelled",
            message: format!(
                "the provider was stopped (a signal, or its stdout closed) and this request did not finish within \
                 the grace period of {}s; what it changed is unknown: refresh the resources it touches, then run it again",
                grace_period.as_secs()
            ),
            not_started: "the provider was stopped (a signal, or its stdout closed) before this request started (it \
                          waited for one of the 4,096 handler slots); nothing was done: run it again"
                .to_owned(),
        },
        // `cancel` must reach the operations that fill every handler slot.
        control_methods: CONTROL_METHODS.iter().map(|&method| method.to_owned()).collect(),
        // The engine is gone, but what a reply would have said (a key made, the dates of one that
        // may appear) must reach someone: stderr, which the engine's user sees.
        undeliverable: UndeliverableLines::new(|line| {
            if let Some(text) = undeliverable::describe(line) {
                tracing::error!("{text}");
            }
        }),
        ..ServerOptions::default()
    };
    rpc::serve(
        std::io::stdin(),
        std::io::stdout(),
        module.into(),
        queue,
        options,
        shutdown,
    )
    .await
}

/// The first SIGTERM or SIGINT trips `shutdown`; a second exits at once.
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
