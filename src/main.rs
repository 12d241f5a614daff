//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.
//!
//! Started under the name `pulumi-resource-alicloud-kms` (its first argument, `argv[0]`), it is
//! the Pulumi resource plugin instead: the same provider over gRPC (`plugin::run`).
//!
//! An engine starts it with no arguments (any arguments are ignored, as a plugin may be handed the
//! engine's address) and talks to it until it closes stdin; the process then finishes every
//! request in flight and exits 0. Nothing but protocol lines is ever written to stdout.
//!
//! SIGTERM or SIGINT stop it: it reads no more requests, cancels the operations waiting on KMS,
//! gives the requests in flight a grace period (`ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS`,
//! default 20) to answer, answers those still running with an error, and exits 0; a second signal
//! exits at once (128 + the signal's number). When stdout is gone, it does the same and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alicloud_kms_provider::lifecycle::{
    grace_period_from_environment, init_logging, run_on_one_thread, shutdown_token,
};
use alicloud_kms_provider::plugin;
use alicloud_kms_provider::protocol::{
    rpc_module, LogParams, ProtocolOptions, TEST_HOOKS_VARIABLE,
};
use alicloud_kms_provider::provider::error::codes;
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use alicloud_kms_provider::rpc::{self, Ending, ServerOptions, ShutdownReply, TransportError};

const DEFAULT_GRACE: Duration = Duration::from_secs(20);

/// After serving ends, how long blocking work (a key file being written) gets before the runtime
/// is torn down.
const BLOCKING_WORK_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    // First, before any argument is read: the plugin's arguments are the engine's.
    if plugin::invoked_as_plugin() {
        return plugin::run();
    }
    // jsonrpsee logs whole requests and replies at debug and trace level.
    init_logging(&["jsonrpsee"]);
    let grace_period = grace_period_from_environment(DEFAULT_GRACE);
    let Some(outcome) = run_on_one_thread(serve_stdio(grace_period), BLOCKING_WORK_GRACE) else {
        return ExitCode::FAILURE;
    };
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
    let shutdown = shutdown_token(provider.cancellation_token(), grace_period);

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
        },
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
