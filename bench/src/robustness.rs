//! The provider under abuse: memory while an engine writes 1,000-member `getSchema` batches and
//! never reads (and serving once it reads again), how long an unrelated request waits behind a
//! `check` of a million policies, and the stdin fuzzer at a million frames (frames per second, with
//! its checks: no panic, only JSON-RPC lines, every request answered).

// The generator and checker of the suite's fuzz test: one copy, shared by path.
#[path = "../../tests/it/fuzz/frames.rs"]
#[allow(dead_code)]
mod frames;
#[path = "../../tests/it/fuzz/replies.rs"]
#[allow(dead_code)]
mod replies;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::stdio::{memory_of, ProviderCommand};
use crate::BenchError;
use frames::{write_session, REMOVED_VARIABLES};
use replies::ReplyChecker;

/// What an engine that stops reading does to the provider.
pub struct Backpressure {
    /// How long batches were written with nobody reading.
    pub unread: Duration,
    /// Batches the provider took (read off stdin) in that time.
    pub batches_taken: usize,
    /// The highest `VmRSS` sampled while nobody read, and `VmHWM` at the end of that phase.
    pub peak_rss_unread: u64,
    /// `VmHWM` once everything was answered (the reading phase included).
    pub peak_rss_overall: u64,
    /// From the first read to the last reply.
    pub drain: Duration,
}

const BATCH_LENGTH: usize = 1000;

fn schema_batch(batch: usize) -> String {
    let members: Vec<String> = (0..BATCH_LENGTH)
        .map(|member| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"getSchema","params":{{"version":0}}}}"#,
                batch * BATCH_LENGTH + member
            )
        })
        .collect();
    format!("[{}]\n", members.join(","))
}

/// Writes schema batches for `unread` without reading stdout, sampling the provider's memory, then
/// reads everything and checks that every member was answered.
pub fn backpressure(
    command: &ProviderCommand,
    unread: Duration,
) -> Result<Backpressure, BenchError> {
    let mut child = command
        .command()
        .spawn()
        .map_err(|error| BenchError::new(format!("cannot start the provider: {error}")))?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let written = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let written = written.clone();
        let stop = stop.clone();
        // Stdin is handed back open: closing it would end the provider before its memory is read.
        thread::spawn(
            move || -> std::io::Result<(usize, std::process::ChildStdin)> {
                let mut batch = 0;
                while !stop.load(Ordering::SeqCst) {
                    stdin.write_all(schema_batch(batch).as_bytes())?;
                    batch += 1;
                    written.store(batch, Ordering::SeqCst);
                }
                stdin.write_all(
                    b"{\"jsonrpc\":\"2.0\",\"id\":\"last\",\"method\":\"getPluginInfo\"}\n",
                )?;
                Ok((batch, stdin))
            },
        )
    };
    let started = Instant::now();
    let mut peak_rss_unread = 0;
    while started.elapsed() < unread {
        thread::sleep(Duration::from_millis(100));
        let (_, current) = memory_of(pid)?;
        peak_rss_unread = peak_rss_unread.max(current);
    }
    let (high_water, _) = memory_of(pid)?;
    peak_rss_unread = peak_rss_unread.max(high_water);
    let batches_taken = written.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);

    let drain_started = Instant::now();
    let mut reader = BufReader::new(stdout);
    let mut answered = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|error| BenchError::new(error.to_string()))?
            == 0
        {
            return Err(BenchError::new(
                "stdout ended before every batch was answered",
            ));
        }
        match serde_json::from_str::<Value>(&line) {
            Ok(Value::Array(replies)) => {
                if replies
                    .iter()
                    .any(|reply| !reply["result"]["schema"].is_string())
                {
                    return Err(BenchError::new("a getSchema member failed"));
                }
                answered += replies.len();
            }
            Ok(reply) if reply["id"] == "last" => break,
            Ok(other) => return Err(BenchError::new(format!("unexpected reply: {other:.200}"))),
            Err(error) => return Err(BenchError::new(format!("not JSON on stdout: {error}"))),
        }
    }
    let drain = drain_started.elapsed();
    let (batches, stdin) = writer
        .join()
        .map_err(|_| BenchError::new("the writer panicked"))?
        .map_err(|error| BenchError::new(format!("writing failed: {error}")))?;
    if answered != batches * BATCH_LENGTH {
        return Err(BenchError::new(format!(
            "{answered} members answered of {}",
            batches * BATCH_LENGTH
        )));
    }
    let (peak_rss_overall, _) = memory_of(pid)?;
    drop(stdin);
    drop(reader);
    let _ = child.wait();
    Ok(Backpressure {
        unread,
        batches_taken,
        peak_rss_unread,
        peak_rss_overall,
        drain,
    })
}

/// How long a small request waits behind a huge one.
pub struct Stall {
    pub policies: usize,
    pub check_bytes: usize,
    /// `getPluginInfo` written right after the check: time to its reply (median of the rounds).
    pub small_request: Duration,
    /// The check itself: time to its reply (median).
    pub huge_check: Duration,
}

/// A `check` of `policies` policies immediately followed by `getPluginInfo`, `rounds` times.
pub fn stall(
    command: &ProviderCommand,
    policies: usize,
    rounds: usize,
) -> Result<Stall, BenchError> {
    let names: Vec<String> = (0..policies).map(|index| format!("p{index}")).collect();
    let check = serde_json::json!({"jsonrpc": "2.0", "id": "huge", "method": "check", "params": {
        "type": "alicloud-kms:index:ApplicationAccessPoint",
        "news": {"applicationAccessPointName": "a", "policies": names}}})
    .to_string();
    let mut small = Vec::new();
    let mut huge = Vec::new();
    for _ in 0..rounds {
        let mut child = command
            .command()
            .spawn()
            .map_err(|error| BenchError::new(format!("cannot start the provider: {error}")))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        stdin
            .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":\"warm\",\"method\":\"getSchema\"}\n")
            .map_err(|error| BenchError::new(error.to_string()))?;
        stdout
            .read_line(&mut line)
            .map_err(|error| BenchError::new(error.to_string()))?;
        // Both lines in one write: the small request is on stdin before the check is handled.
        let both = format!(
            "{check}\n{{\"jsonrpc\":\"2.0\",\"id\":\"small\",\"method\":\"getPluginInfo\"}}\n"
        );
        let writer = thread::spawn(move || {
            let written = stdin.write_all(both.as_bytes());
            (stdin, written)
        });
        let started = Instant::now();
        let (mut small_at, mut huge_at) = (None, None);
        while small_at.is_none() || huge_at.is_none() {
            line.clear();
            if stdout
                .read_line(&mut line)
                .map_err(|error| BenchError::new(error.to_string()))?
                == 0
            {
                return Err(BenchError::new("stdout ended early"));
            }
            if line.contains("\"id\":\"small\"") {
                small_at = Some(started.elapsed());
            } else if line.contains("\"id\":\"huge\"") {
                huge_at = Some(started.elapsed());
            }
        }
        let (stdin, written) = writer
            .join()
            .map_err(|_| BenchError::new("the writer panicked"))?;
        written.map_err(|error| BenchError::new(format!("writing failed: {error}")))?;
        drop(stdin);
        let _ = child.wait();
        small.extend(small_at);
        huge.extend(huge_at);
    }
    small.sort();
    huge.sort();
    Ok(Stall {
        policies,
        check_bytes: check.len(),
        small_request: small[small.len() / 2],
        huge_check: huge[huge.len() / 2],
    })
}

/// The fuzzer's run.
pub struct Fuzz {
    pub frames: usize,
    pub seconds: f64,
    pub requests_owed: usize,
    pub replies: usize,
    pub outcomes: std::collections::BTreeMap<String, usize>,
}

/// `frames` fuzzed frames against the provider, with `emulator` (`HOST:PORT`) behind it; fails
/// on a panic, a line that is not JSON-RPC, an internal error, or a request left unanswered.
pub fn fuzz(
    binary: &std::path::Path,
    emulator: &str,
    frames: usize,
    seed: u64,
    scratch: &std::path::Path,
) -> Result<Fuzz, BenchError> {
    let directory = scratch.join("fuzz");
    std::fs::create_dir_all(&directory).map_err(|error| BenchError::new(error.to_string()))?;
    let mut command = Command::new(binary);
    command
        .current_dir(&directory)
        .env("HOME", &directory)
        .env_remove("RUST_LOG");
    for variable in REMOVED_VARIABLES {
        command.env_remove(variable);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| BenchError::new(format!("cannot start the provider: {error}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let reader = thread::spawn(move || ReplyChecker::read_all(stdout));
    let started = Instant::now();
    let endpoint = emulator.to_owned();
    let writer = thread::spawn(move || write_session(&mut stdin, seed, &endpoint, frames));
    let owed = writer
        .join()
        .map_err(|_| BenchError::new("the writer panicked"))?
        .map_err(|error| BenchError::new(format!("writing failed: {error}")))?;
    let mut checker = reader
        .join()
        .map_err(|_| BenchError::new("the reader panicked"))?;
    let status = child
        .wait()
        .map_err(|error| BenchError::new(error.to_string()))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = stderr.join().unwrap_or_default();
    let findings = &checker.findings;
    let problem = if !status.success() {
        Some(format!("exit {status}"))
    } else if stderr.contains("panicked") {
        Some("the provider panicked".to_owned())
    } else if !findings.non_json_lines.is_empty() || !findings.malformed_messages.is_empty() {
        Some(format!(
            "stdout lines that are not JSON-RPC: {:?} {:?}",
            findings.non_json_lines, findings.malformed_messages
        ))
    } else if !findings.internal_errors.is_empty() {
        Some(format!("internal errors: {:?}", findings.internal_errors))
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(BenchError::new(format!("seed {seed:#x}: {problem}")));
    }
    let replies = findings.replies;
    let outcomes = findings.outcomes.clone();
    checker.expect(&owed);
    let (missing, examples) = checker.unanswered(5);
    if missing > 0 {
        return Err(BenchError::new(format!(
            "seed {seed:#x}: {missing} requests got no reply, e.g. {examples:?}"
        )));
    }
    Ok(Fuzz {
        frames,
        seconds,
        requests_owed: checker.owed(),
        replies,
        outcomes,
    })
}
