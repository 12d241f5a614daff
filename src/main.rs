//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.
//!
//! Started under the name `pulumi-resource-alicloud-kms` (its first argument, `argv[0]`), it is
//! the Pulumi resource plugin instead: the same provider over gRPC (`plugin::run`), whose
//! arguments are the engine's (the command line below is not read then).
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
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alicloud_kms_provider::kms::credentials::{
    ACCESS_KEY_FAMILIES, ENDPOINT_VARIABLES, PROFILE_VARIABLES, REGION_VARIABLES,
};
use alicloud_kms_provider::lifecycle::{
    grace_period_from_environment, init_logging, run_on_one_thread, shutdown_token, GRACE_VARIABLE,
};
use alicloud_kms_provider::plugin;
use alicloud_kms_provider::protocol::{
    rpc_module, undeliverable, LogParams, ProtocolOptions, CONTROL_METHODS, TEST_HOOKS_VARIABLE,
};
use alicloud_kms_provider::provider::error::codes;
use alicloud_kms_provider::provider::schema::SCHEMA_TEXT;
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use jsonrpc_stdio::{
    self as rpc, Ending, ServerOptions, ShutdownReply, TransportError, UndeliverableLines,
};

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
/// `--help`/`-h` is an error, whose text names the argument; a new way to start the binary is a new
/// `Invocation` here. (The gRPC plugin is not one: it is told by the program's name, before this,
/// since its arguments are the Pulumi engine's.)
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
flight is answered; SIGTERM or SIGINT stop it after a grace period. Started under the name
pulumi-resource-alicloud-kms (as the packages install it), it is the Pulumi resource plugin instead,
serving the same provider over Pulumi's gRPC protocol (docs/grpc-plugin.md).

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

Docs: {docs} (README.md, docs/protocol.md, docs/credentials.md, docs/grpc-plugin.md)
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
    // First of all: the plugin's arguments are the engine's, not this command line.
    if plugin::invoked_as_plugin() {
        return plugin::run();
    }
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
    // No library here logs a whole request: the transport hands jsonrpsee's method table the
    // message it read itself (jsonrpsee's own entry, `raw_json_request`, would log it at trace).
    init_logging(&[]);
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
