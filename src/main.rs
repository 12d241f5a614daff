//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.
//!
//! An engine starts it with no arguments (any arguments are ignored, as a plugin may be handed the
//! engine's address) and talks to it until it closes stdin; the process then finishes every
//! request in flight and exits 0. Nothing but protocol lines is ever written to stdout.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use alicloud_kms_provider::protocol::{
    rpc_module, LogParams, ProtocolOptions, TEST_HOOKS_VARIABLE,
};
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use alicloud_kms_provider::rpc::{self, ServerOptions, TransportError};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

fn main() -> ExitCode {
    init_logging();
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
    match runtime.block_on(serve_stdio()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
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

async fn serve_stdio() -> Result<(), TransportError> {
    let (notifier, queue) = rpc::outgoing_queue();
    let engine_log = EngineLog::new(move |entry| notifier.notify("log", &LogParams::from(entry)));
    let working_directory = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let provider = Provider::new(ProviderOptions {
        engine_log,
        working_directory,
    });
    let test_hooks = std::env::var_os(TEST_HOOKS_VARIABLE).is_some_and(|value| value == "1");
    let module = rpc_module(provider, ProtocolOptions { test_hooks });
    rpc::serve(
        std::io::stdin(),
        std::io::stdout(),
        module.into(),
        queue,
        ServerOptions::default(),
    )
    .await
}
