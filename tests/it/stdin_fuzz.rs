//! The seeded, structure-aware fuzzer of stdin frames (`tests/it/fuzz/`) against the real
//! binary, with a local emulator behind it: 50,000 frames (valid JSON-RPC with mutated params of
//! every method, notifications, batches, raw byte mutations) must give no panic, no stdout line
//! that is not a JSON-RPC message, no internal error, and a reply to every request whose envelope
//! was left intact. `KMS_FUZZ_FRAMES` and `KMS_FUZZ_SEED` change the run (to explore); the
//! benchmark harness runs 1,000,000 frames and reports frames per second.

#[path = "fuzz/frames.rs"]
mod frames;
#[path = "fuzz/replies.rs"]
mod replies;

use crate::common;

use std::time::{Duration, Instant};

use common::process::{Input, Output};
use common::ProviderProcess;
use frames::{write_session, REMOVED_VARIABLES};
use replies::ReplyChecker;

const DEFAULT_FRAMES: usize = 50_000;
const DEFAULT_SEED: u64 = 0x5eed_f022;
/// A failure detector: once stdin closes, the provider answers what it read and exits in seconds.
const EXIT_TIMEOUT: Duration = Duration::from_secs(300);

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[test]
fn fuzzed_frames_get_no_panic_only_json_lines_and_every_request_an_answer() {
    let frame_count = setting("KMS_FUZZ_FRAMES", DEFAULT_FRAMES as u64) as usize;
    let seed = setting("KMS_FUZZ_SEED", DEFAULT_SEED);
    let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default())
        .expect("the emulator starts");
    let directory = tempfile::tempdir().unwrap();
    let mut command = ProviderProcess::command();
    command
        .current_dir(directory.path())
        .env("HOME", directory.path());
    for variable in REMOVED_VARIABLES {
        command.env_remove(variable);
    }
    let mut provider = ProviderProcess::start_with(command, Input::Pipe, Output::Whole);

    let started = Instant::now();
    let endpoint = emulator.addr().to_string();
    let writer = provider.write_in_background(move |stdin| {
        write_session(stdin, seed, &endpoint, frame_count).expect("the provider reads stdin")
    });
    let owed = provider.rejoin(writer);
    provider.close_stdin();
    let status = provider.wait_for_exit(EXIT_TIMEOUT).unwrap_or_else(|| {
        panic!("the provider did not exit within {EXIT_TIMEOUT:?} of stdin closing")
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut checker = ReplyChecker::read_all(&provider.stdout_bytes()[..]);
    let stderr = provider.stderr_text();
    eprintln!(
        "fuzz: {frame_count} frames (seed {seed:#x}) in {seconds:.1} s, {:.0} frames/s; {} stdout lines, {} replies, {} requests owed a reply; outcomes {:?}",
        frame_count as f64 / seconds,
        checker.findings.lines,
        checker.findings.replies,
        owed.len(),
        checker.findings.outcomes
    );

    let label = format!("seed {seed:#x}, {frame_count} frames");
    assert!(status.success(), "{label}: exit {status:?}\n{stderr:.3000}");
    assert!(
        !stderr.contains("panicked"),
        "{label}: the provider panicked:\n{stderr:.3000}"
    );
    let findings = &checker.findings;
    assert!(
        findings.non_json_lines.is_empty(),
        "{label}: stdout lines that are not JSON: {:?}",
        findings.non_json_lines
    );
    assert!(
        findings.malformed_messages.is_empty(),
        "{label}: stdout messages that are not JSON-RPC: {:?}",
        findings.malformed_messages
    );
    assert!(
        findings.internal_errors.is_empty(),
        "{label}: internal errors: {:?}",
        findings.internal_errors
    );
    checker.expect(&owed);
    let (missing, examples) = checker.unanswered(10);
    assert_eq!(
        missing,
        0,
        "{label}: {missing} of {} requests got no reply, e.g. {examples:?}",
        checker.owed()
    );
    assert!(
        checker.owed() > frame_count / 2,
        "{label}: too few requests owed a reply"
    );
}
