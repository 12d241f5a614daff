//! The binary's command line: `--version` and `--help` answer and exit 0 without reading stdin
//! (stdin closed, a pipe that never ends, or a terminal), and any other argument is a usage error
//! (exit 2, the usage on stderr, nothing on stdout).

use std::fs::OpenOptions;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

const BINARY: &str = env!("CARGO_BIN_EXE_alicloud-kms-provider");

/// Long enough for a loaded machine; a binary that waits on stdin never exits at all.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Waits for the child, killing it (and failing) if it does not exit: it would be reading stdin.
fn finish(mut child: Child, what: &str) -> Finished {
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: the binary did not exit within {EXIT_TIMEOUT:?}: it waits on stdin");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Finished {
        status,
        stdout,
        stderr,
    }
}

/// Runs the binary with `arguments`, stdin a pipe this test keeps open (and never writes to).
fn run_with_open_pipe(arguments: &[&str]) -> Finished {
    let mut child = Command::new(BINARY)
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let finished = finish(child, &format!("{arguments:?} with stdin an open pipe"));
    drop(stdin);
    finished
}

/// Runs the binary with `arguments`, stdin the terminal side of a new pseudo-terminal.
fn run_in_a_terminal(arguments: &[&str]) -> Finished {
    let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&controller).unwrap();
    unlockpt(&controller).unwrap();
    let terminal_path = ptsname(&controller, Vec::new()).unwrap();
    let terminal = OpenOptions::new()
        .read(true)
        .write(true)
        .open(terminal_path.to_str().unwrap())
        .unwrap();
    let child = Command::new(BINARY)
        .args(arguments)
        .stdin(Stdio::from(terminal))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let finished = finish(child, &format!("{arguments:?} with stdin a terminal"));
    drop(controller);
    finished
}

fn run_with_stdin_closed(arguments: &[&str]) -> Finished {
    let child = Command::new(BINARY)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, &format!("{arguments:?} with stdin closed"))
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
