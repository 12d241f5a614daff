//! The binary's command line: `--version` and `--help` answer and exit 0 without reading stdin
//! (stdin closed, a pipe that never ends, or a terminal), and any other argument is a usage error
//! (exit 2, the usage on stderr, nothing on stdout).

use crate::common;

use std::process::ExitStatus;
use std::time::Duration;

use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use common::process::{Input, Output};
use common::ProviderProcess;

/// Long enough for a loaded machine; a binary that waits on stdin never exits at all.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `arguments` and `stdin` (a pipe is kept open and never written to; a
/// terminal never has anything typed on it), failing if it does not exit by itself: it would be
/// reading stdin. No test hook is on, as for a user.
fn run(arguments: &[&str], stdin: Input) -> Finished {
    let what = match stdin {
        Input::Pipe => "with stdin an open pipe",
        Input::Terminal => "with stdin a terminal",
        Input::Closed => "with stdin closed",
    };
    let mut command = ProviderProcess::command();
    command.env_remove(TEST_HOOKS_VARIABLE).args(arguments);
    let mut provider = ProviderProcess::start_with(command, stdin, Output::Whole);
    let status = provider.wait_for_exit(EXIT_TIMEOUT).unwrap_or_else(|| {
        panic!(
            "{arguments:?} {what}: the binary did not exit within {EXIT_TIMEOUT:?}: it waits on stdin"
        )
    });
    Finished {
        status,
        stdout: String::from_utf8(provider.stdout_bytes()).expect("stdout is UTF-8"),
        stderr: provider.stderr_text(),
    }
}

fn run_with_open_pipe(arguments: &[&str]) -> Finished {
    run(arguments, Input::Pipe)
}

fn run_in_a_terminal(arguments: &[&str]) -> Finished {
    run(arguments, Input::Terminal)
}

fn run_with_stdin_closed(arguments: &[&str]) -> Finished {
    run(arguments, Input::Closed)
}

#[test]
fn version_prints_the_version_and_exits_0_without_reading_stdin() {
    let expected = format!("alicloud-kms-provider {}\n", env!("CARGO_PKG_VERSION"));
    for flag in ["--version", "-V"] {
        for finished in [
            run_with_open_pipe(&[flag]),
            run_in_a_terminal(&[flag]),
            run_with_stdin_closed(&[flag]),
        ] {
            assert!(finished.status.success(), "{flag}: {:?}", finished.status);
            assert_eq!(finished.stdout, expected);
            assert_eq!(finished.stderr, "");
        }
    }
}

#[test]
fn help_says_what_the_binary_is_how_it_runs_its_environment_and_its_docs() {
    for flag in ["--help", "-h"] {
        for finished in [
            run_with_open_pipe(&[flag]),
            run_in_a_terminal(&[flag]),
            run_with_stdin_closed(&[flag]),
        ] {
            assert!(finished.status.success(), "{flag}: {:?}", finished.status);
            let help = &finished.stdout;
            for expected in [
                "usage: alicloud-kms-provider [--version | --help]",
                "Alibaba Cloud KMS",
                "start it with no arguments and speak JSON-RPC 2.0",
                "RUST_LOG",
                "ALICLOUD_KMS_PROVIDER_SHUTDOWN_GRACE_SECONDS",
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                "ALIBABA_CLOUD_REGION",
                "Docs: https://",
            ] {
                assert!(
                    help.contains(expected),
                    "{flag}: {expected:?} missing from:\n{help}"
                );
            }
            assert_eq!(finished.stderr, "");
        }
    }
}

#[test]
fn any_other_argument_is_a_usage_error_with_exit_code_2() {
    for arguments in [
        &["127.0.0.1:50051"][..],
        &["--verbose"],
        &["serve"],
        &["--version", "extra"],
    ] {
        for finished in [run_with_open_pipe(arguments), run_in_a_terminal(arguments)] {
            assert_eq!(finished.status.code(), Some(2), "{arguments:?}");
            assert_eq!(
                finished.stdout, "",
                "{arguments:?}: stdout is protocol only"
            );
            assert!(
                finished.stderr.contains("unexpected argument")
                    && finished
                        .stderr
                        .contains("usage: alicloud-kms-provider [--version | --help]"),
                "{arguments:?}: {}",
                finished.stderr
            );
        }
    }
}

#[test]
fn no_argument_still_serves_stdin_until_it_closes() {
    let finished = run_with_stdin_closed(&[]);
    assert!(finished.status.success(), "{:?}", finished.status);
    assert_eq!(finished.stdout, "");
}
