//! The Pulumi resource plugin: the same provider served over Pulumi's gRPC `ResourceProvider`
//! service, as the Pulumi engine runs a resource plugin (`pulumi-resource-alicloud-kms
//! [flags] <engine address>`). A sibling of `rpc` and `protocol`: it decodes, calls the same
//! `provider`, encodes, and owns no behaviour of its own. `docs/grpc-plugin.md` is its contract.
//!
//! - `arguments`: the command line the engine writes;
//! - `connections`: HTTP/2 served on the loopback port, and the shutdown of the connections;
//! - `service`: the methods, each a call of the provider between `requests` (protobuf in, the
//!   provider's typed requests out) and `replies` (outcomes in, protobuf out), with `values`
//!   (property bags) and `status` (errors) — the only code that knows both the protocol's types
//!   and the provider's;
//! - `engine_log`: the provider's log messages to the engine's `Engine.Log` and stderr;
//! - `generated`: the protocol's types and services, generated from Pulumi's descriptors.
//!
//! The process: it listens on a free loopback port, writes that port alone as the first line of
//! stdout (and nothing else, ever), and serves until SIGTERM or SIGINT (the engine interrupts
//! its plugins when it is done, and kills them 5 s later). A shutdown stops taking calls, cancels
//! the operations waiting on KMS (as `Cancel` does), and gives the calls in flight a grace period
//! (`ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS`, default 4 s: within the engine's 5 s).

mod arguments;
mod connections;
mod engine_log;
pub mod generated;
mod replies;
mod requests;
mod service;
mod status;
mod values;

use std::ffi::OsStr;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::lifecycle::{
    grace_period_from_environment, init_logging, run_on_one_thread, shutdown_token,
};
use crate::provider::{Provider, ProviderOptions};
use arguments::Arguments;
use engine_log::EngineLink;
use generated::pulumirpc::resource_provider_server::ResourceProviderServer;
use service::PluginService;

/// The name the engine runs the plugin by: `pulumi-resource-<package>`.
pub const PLUGIN_NAME: &str = "pulumi-resource-alicloud-kms";

/// The default grace period of a shutdown: below the 5 s the engine waits after interrupting a
/// plugin before it kills it, so that the staged key files of unfinished creates are removed.
const DEFAULT_GRACE: Duration = Duration::from_secs(4);

/// After serving ends, how long blocking work (a key file being written) gets before the runtime
/// is torn down, and how long log messages get to reach the engine.
const FINAL_GRACE: Duration = Duration::from_secs(1);

/// The largest request taken, as the JSON-RPC protocol takes a line of at most 16 MiB.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// The libraries that log whole requests (frames, headers) below info level.
const PAYLOAD_TARGETS: [&str; 3] = ["tonic", "h2", "hyper"];

/// True when the process was started as the plugin (its `argv[0]` is `PLUGIN_NAME`, whatever
/// the directory): the engine runs it by that name, and the launcher of the Python package execs
/// the binary under it.
pub fn invoked_as_plugin() -> bool {
    std::env::args_os()
        .next()
        .is_some_and(|program| Path::new(&program).file_name() == Some(OsStr::new(PLUGIN_NAME)))
}

/// Runs the plugin until a shutdown; the exit code of the process.
pub fn run() -> ExitCode {
    init_logging(&PAYLOAD_TARGETS);
    let arguments = Arguments::parse(std::env::args_os().skip(1));
    let grace_period = grace_period_from_environment(DEFAULT_GRACE);
    let Some(outcome) = run_on_one_thread(serve(arguments, grace_period), FINAL_GRACE) else {
        return ExitCode::FAILURE;
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(arguments: Arguments, grace_period: Duration) -> Result<(), String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|error| format!("cannot listen on a loopback port: {error}"))?;
    let port = listener
        .local_addr()
        .map_err(|error| format!("cannot read the port listened on: {error}"))?
        .port();

    let (engine, log_forwarder) = EngineLink::start(arguments.engine_address);
    let working_directory = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let provider = Arc::new(Provider::new(ProviderOptions {
        engine_log: engine.engine_log(),
        working_directory,
    }));

    let shutdown = shutdown_token(provider.cancellation_token(), grace_period);

    // The port alone on the first line of stdout: the engine reads it and nothing else.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{port}")
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write the port to stdout: {error}"))?;
    drop(stdout);

    let service = ResourceProviderServer::new(PluginService::new(provider, engine))
        .max_decoding_message_size(MAX_REQUEST_BYTES);
    connections::serve(listener, service, shutdown, grace_period).await;
    engine_log::flush(log_forwarder, FINAL_GRACE).await;
    Ok(())
}
