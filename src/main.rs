//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.
//!
//! An engine starts it with no arguments and talks to it until it closes stdin; the process then
//! finishes every request in flight and exits 0. Nothing but protocol lines is ever written to
//! stdout. `--version` and `--help` answer and exit 0 without reading stdin; any other argument is
//! a usage error (exit 2). `parse_arguments` is the one place that reads the command line.
//!
//! SIGTERM or SIGINT stop it: it reads no more requests, cancels the operations waiting on KMS,
//! gives the requests in flight a grace period (`ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS`,
//! default 20) to answer, answers those still running with an error, and exits 0; a second signal
//! exits at once (128 + the signal's number). When stdout is gone, it does the same and exits 1,
//! and what it could not deliver goes to stderr (secrets redacted).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alicloud_kms_provider::kms::credentials::{
    ACCESS_KEY_FAMILIES, ENDPOINT_VARIABLES, PROFILE_VARIABLES, REGION_VARIABLES,
};
use alicloud_kms_provider::protocol::{
    rpc_module, undeliverable, LogParams, ProtocolOptions, CONTROL_METHODS, TEST_HOOKS_VARIABLE,
};
use alicloud_kms_provider::provider::error::codes;
use alicloud_kms_provider::provider::schema::SCHEMA_TEXT;
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

/// The exit code of a command line the binary does not understand (as getopt-style tools use).
const USAGE_ERROR: u8 = 2;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    /// No arguments: serve JSON-RPC on stdin/stdout, as an engine or an SDK runs it.
    Serve,
    /// `--version` / `-V`.
    Version,
    /// `--help` / `-h`.
    Help,
}

/// Reads the command line (without the program name). Anything but nothing, `--version`/`-V` or
/// `--help`/`-h` is an error, whose text names the argument; a new way to start the binary (the
/// gRPC plugin's engine address, for one) is a new `Invocation` here.
fn parse_arguments(arguments: impl IntoIterator<Item = OsString>) -> Result<Invocation, String> {
    let arguments: Vec<OsString> = arguments.into_iter().collect();
    let Some(first) = arguments.first() else {
        return Ok(Invocation::Serve);
    };
    let invocation = match first.to_str() {
        Some("--version" | "-V") => Invocation::Version,
        Some("--help" | "-h") => Invocation::Help,
        _ => return Err(format!("unexpected argument {:?}", first.to_string_lossy())),
    };
    match arguments.get(1) {
        None => Ok(invocation),
        Some(extra) => Err(format!(
            "unexpected argument {:?} after {}",
            extra.to_string_lossy(),
            first.to_string_lossy()
        )),
    }
}

const USAGE: &str = "usage: alicloud-kms-provider [--version | --help]";

/// `--help`: what the binary is, how an engine runs it, the environment it reads, where the docs are.
fn help_text() -> String {
    let docs = serde_json::from_str::<serde_json::Value>(SCHEMA_TEXT)
        .ok()
        .and_then(|schema| schema["homepage"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "the README.md of the provider's repository".to_owned());
    let list = |names: &[&str]| names.join(", ");
    format!(
        "alicloud-kms-provider {version}: a Pulumi-style resource provider for Alibaba Cloud KMS application access
(network rules, permission policies, application access points and client keys).

{USAGE}

An engine, or the pulumi-alicloud-kms SDKs, start it with no arguments and speak JSON-RPC 2.0 to
it, one JSON value per line: requests on stdin, replies and log notifications on stdout (nothing
else), human-readable logs on stderr. Closing stdin ends the session once every request in
flight is answered; SIGTERM or SIGINT stop it after a grace period.

Environment:
  RUST_LOG                  what goes to stderr (default warn)
  {GRACE_VARIABLE}
                            the grace period of a shutdown, in seconds (default {grace})
  {access_key}
                            an AccessKey ID, with the secret of the same family
                            ({secret_key}); the first family set is used
  {security_token}
                            an STS token that goes with a temporary AccessKey
  {region}
                            the region
  {endpoint}
                            another KMS endpoint, such as a local emulator
  {profile}
                            the profile of ~/.aliyun/config.json or ~/.alibabacloud/credentials
  The provider config (configure) wins over these; RAM roles, OIDC, CLI profiles, the ECS
  instance role and a credentials URL are read as the official Alibaba Cloud tools read them,
  in the order docs/credentials.md gives with every variable's source.

Options:
  -h, --help                this text
  -V, --version             the version

Docs: {docs} (README.md, docs/protocol.md, docs/credentials.md)
",
        version = env!("CARGO_PKG_VERSION"),
        grace = DEFAULT_GRACE.as_secs(),
        access_key = list(&ACCESS_KEY_FAMILIES.map(|family| family.id)),
        secret_key = list(&ACCESS_KEY_FAMILIES.map(|family| family.secret)),
        security_token = list(&ACCESS_KEY_FAMILIES.map(|family| family.token)),
        region = list(&REGION_VARIABLES),
        endpoint = list(&ENDPOINT_VARIABLES),
        profile = list(&PROFILE_VARIABLES),
    )
}

/// Prints `text` on stdout; a closed stdout (`--help | head`) is not an error worth a panic.
fn print_and_exit(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn main() -> ExitCode {
    // Answered before anything else, so that `--help` in a terminal never waits on stdin.
    match parse_arguments(std::env::args_os().skip(1)) {
        Ok(Invocation::Serve) => {}
        Ok(Invocation::Version) => {
            return print_and_exit(&format!(
                "alicloud-kms-provider {}\n",
                env!("CARGO_PKG_VERSION")
            ))
        }
        Ok(Invocation::Help) => return print_and_exit(&help_text()),
        Err(problem) => {
            eprintln!("alicloud-kms-provider: {problem}\n{USAGE}\n(run alicloud-kms-provider --help for more; engines start it with no arguments)");
            return ExitCode::from(USAGE_ERROR);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arguments: &[&str]) -> Result<Invocation, String> {
        parse_arguments(arguments.iter().map(OsString::from))
    }

    #[test]
    fn no_argument_serves_and_the_two_flags_answer() {
        assert_eq!(parse(&[]), Ok(Invocation::Serve));
        assert_eq!(parse(&["--version"]), Ok(Invocation::Version));
        assert_eq!(parse(&["-V"]), Ok(Invocation::Version));
        assert_eq!(parse(&["--help"]), Ok(Invocation::Help));
        assert_eq!(parse(&["-h"]), Ok(Invocation::Help));
    }

    #[test]
    fn anything_else_is_an_error_naming_the_argument() {
        assert_eq!(
            parse(&["127.0.0.1:4242"]),
            Err("unexpected argument \"127.0.0.1:4242\"".to_owned())
        );
        assert_eq!(
            parse(&["--version", "--help"]),
            Err("unexpected argument \"--help\" after --version".to_owned())
        );
        assert!(parse(&["--verbose"]).is_err());
        assert!(parse(&[""]).is_err());
    }

    #[test]
    fn the_help_names_the_environment_and_the_docs() {
        let help = help_text();
        for name in [
            GRACE_VARIABLE,
            "RUST_LOG",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_REGION",
        ] {
            assert!(help.contains(name), "{name} missing from:\n{help}");
        }
        assert!(help.contains("https://github.com/"), "{help}");
        assert!(help.contains(USAGE));
    }
}
