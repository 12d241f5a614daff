//! Bounded memory when the engine stops reading, and what happens when stdout is gone, through the
//! real binary: 1,000-member `getSchema` batches written while nobody reads stdout make the
//! provider stop reading stdin with its memory bounded, and it answers everything once reading
//! resumes; with stdout closed, it stops starting operations, cancels what waits, says so on
//! stderr, and exits, and a key a create made meanwhile is named on stderr.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::process::BINARY;
use serde_json::Value;

/// Batches written in all. Each is ~60 KB in and ~14 MB out, so reading them all with nothing
/// written back would hold ~330 MB.
const BATCHES: usize = 24;
const BATCH_LENGTH: usize = 1000;
/// Generous: the provider stays near 40 MB (release) with the schema batches of this test; a
/// provider that keeps reading holds several times this.
const RSS_CEILING_BYTES: u64 = 128 * 1024 * 1024;

fn spawn_provider(environment: &[(&str, &str)]) -> Child {
    Command::new(BINARY)
        .env_remove("RUST_LOG")
        .envs(environment.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the provider starts")
}

fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    let mut pipe = child.stderr.take().unwrap();
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read) = pipe.read(&mut buffer) {
            if read == 0 {
                return;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
    });
    stderr
}

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`, `VmHWM`).
fn memory_of(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kilobytes: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|number| number.parse().ok())
        .unwrap();
    kilobytes * 1024
}

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

/// Waits until `progress` has not moved for a while (the writer is blocked) or reached `end`.
fn wait_for_stall(progress: &AtomicUsize, end: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = progress.load(Ordering::SeqCst);
    let mut since = Instant::now();
    loop {
        thread::sleep(Duration::from_millis(100));
        let now = progress.load(Ordering::SeqCst);
        if now >= end {
            return now;
        }
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() > Duration::from_secs(2) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the writer neither finished nor stalled"
        );
    }
}

#[test]
fn an_engine_that_stops_reading_stops_the_reading_of_stdin_memory_stays_bounded_and_serving_resumes(
) {
    let mut child = spawn_provider(&[]);
    let pid = child.id();
    let stderr = collect_stderr(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();

    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let written = written.clone();
        thread::spawn(move || {
            for batch in 0..BATCHES {
                stdin.write_all(schema_batch(batch).as_bytes()).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
            stdin
                .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"getPluginInfo\"}\n")
                .unwrap();
            stdin
        })
    };

    // Nobody reads stdout: the provider must stop reading stdin long before it has read it all.
    let written_while_blocked = wait_for_stall(&written, BATCHES);
    let rss_while_blocked = memory_of(pid, "VmRSS");
    assert!(
        written_while_blocked < BATCHES,
        "the provider read all {BATCHES} batches ({} MB of replies) while nobody read stdout",
        BATCHES * 14
    );
    assert!(
        rss_while_blocked <= RSS_CEILING_BYTES,
        "RSS {rss_while_blocked} bytes while blocked"
    );

    // Reading resumes: every member of every batch is answered, then the request after them.
    let mut reader = BufReader::new(stdout);
    let mut answered = vec![false; BATCHES * BATCH_LENGTH];
    let mut after_answered = false;
    let mut line = String::new();
    while !(after_answered && answered.iter().all(|done| *done)) {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "stdout ended early; stderr:\n{}",
            stderr.lock().unwrap()
        );
        let message: Value = serde_json::from_str(&line).expect("a JSON line");
        match message {
            Value::Array(replies) => {
                assert_eq!(replies.len(), BATCH_LENGTH);
                for reply in replies {
                    assert!(reply["result"]["schema"].is_string(), "{reply}");
                    answered[reply["id"].as_u64().unwrap() as usize] = true;
                }
            }
            reply => {
                assert_eq!(reply["id"], "after", "{reply}");
                after_answered = true;
            }
        }
    }
    let peak = memory_of(pid, "VmHWM");
    assert!(peak <= RSS_CEILING_BYTES, "peak RSS {peak} bytes");
    drop(writer.join().unwrap());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn with_stdout_gone_the_provider_starts_nothing_more_cancels_what_waits_says_so_and_exits() {
    let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default()).unwrap();
    let mut child = spawn_provider(&[("ALICLOUD_KMS_PROVIDER_TEST_HOOKS", "1")]);
    let stderr = collect_stderr(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let configure = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "configure", "params": {"args": {
        "region": "cn-hangzhou", "endpoint": emulator.addr().to_string(), "protocol": "HTTP",
        "accessKey": "demo-access-key-id", "secretKey": "demo-access-key-secret"}}});
    writeln!(stdin, "{configure}").unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("acceptSecrets"), "{line}");

    // An operation that only a cancellation ends, then the engine goes away.
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":2,"method":"test/waitForCancel"}}"#
    )
    .unwrap();
    drop(stdout);
    // A reply that cannot be written: the provider learns that stdout is gone.
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":3,"method":"getPluginInfo"}}"#
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stderr.lock().unwrap().contains("stdout is closed") {
        assert!(
            Instant::now() < deadline,
            "nothing said on stderr; stderr:\n{}",
            stderr.lock().unwrap()
        );
        thread::sleep(Duration::from_millis(10));
    }
    // Nothing starts any more: a create sent now never reaches KMS. (The provider may have exited
    // already, and then the write fails.)
    let create = r#"{"jsonrpc":"2.0","id":4,"method":"create","params":{"type":"alicloud-kms:index:ApplicationAccessPoint","properties":{"applicationAccessPointName":"after-stdout-closed","policies":["p"]}}}"#;
    let _ = writeln!(stdin, "{create}");

    // It exits by itself, with stdin still open, and with a failure status.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the provider kept running with stdout gone; stderr:\n{}",
            stderr.lock().unwrap()
        );
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(1), "{status:?}");
    assert_eq!(
        emulator.call_count(kms_emulator::Action::CreateApplicationAccessPoint),
        0
    );
    drop(stdin);
}

#[test]
fn with_stdout_gone_during_a_create_any_key_made_is_named_on_stderr() {
    // (how the create ends, the fault on its CreateClientKey): the key made and its reply lost on
    // a closed stdout; the key made, its reply lost on the network too (the error that names it
    // is what stdout cannot take).
    let rows: [(&str, kms_emulator::FaultSpec); 2] = [
        (
            "created",
            kms_emulator::FaultSpec {
                latency_ms: 1500,
                times: Some(1),
                ..kms_emulator::FaultSpec::default()
            },
        ),
        (
            "lost on the network as well",
            kms_emulator::FaultSpec {
                latency_ms: 1500,
                drop_after_commit_ratio: 1.0,
                times: Some(1),
                ..kms_emulator::FaultSpec::default()
            },
        ),
    ];
    let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default()).unwrap();
    for (row, spec) in rows {
        let directory = tempfile::tempdir().unwrap();
        let mut child = Command::new(BINARY)
            .env_remove("RUST_LOG")
            .env("ALICLOUD_KMS_PROVIDER_TEST_HOOKS", "1")
            .env("ALICLOUD_KMS_PROVIDER_TEST_SETTLE_DELAY_MS", "50")
            .current_dir(directory.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the provider starts");
        let stderr = collect_stderr(&mut child);
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut call = |line: &str| {
            writeln!(stdin, "{line}").unwrap();
            let mut reply = String::new();
            stdout.read_line(&mut reply).unwrap();
            reply
        };
        let configure = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "configure", "params": {"args": {
            "region": "cn-hangzhou", "endpoint": emulator.addr().to_string(), "protocol": "HTTP",
            "accessKey": "demo-access-key-id", "secretKey": "demo-access-key-secret"}}});
        assert!(call(&configure.to_string()).contains("acceptSecrets"));
        let aap = format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"create","params":{{"type":"alicloud-kms:index:ApplicationAccessPoint","properties":{{"applicationAccessPointName":"aap-{}","policies":["p"]}}}}}}"#,
            emulator.access_points().len()
        );
        let aap_reply = call(&aap);
        let aap_name: Value = serde_json::from_str(&aap_reply).unwrap();
        let aap_name = aap_name["result"]["id"].as_str().unwrap().to_owned();

        emulator.set_fault("CreateClientKey", spec).unwrap();
        let keys_before: Vec<String> = emulator
            .client_keys()
            .into_iter()
            .map(|key| key.id)
            .collect();
        let calls_before = emulator.call_count(kms_emulator::Action::CreateClientKey);
        let create = serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "create", "params": {
            "type": "alicloud-kms:index:ClientKey", "properties": {"aapName": aap_name,
            "password": "YouPassword123!", "notBefore": "2023-09-01T14:11:22Z",
            "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": "key.json"}}});
        writeln!(stdin, "{create}").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while emulator.call_count(kms_emulator::Action::CreateClientKey) == calls_before {
            assert!(
                Instant::now() < deadline,
                "{row}: the create never reached KMS"
            );
            thread::sleep(Duration::from_millis(2));
        }
        // The engine goes away while CreateClientKey waits.
        drop(stdout);
        drop(stdin);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{row}: the provider kept running"
            );
            thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(1), "{row}: {status:?}");
        thread::sleep(Duration::from_millis(50));
        let stderr = stderr.lock().unwrap().clone();
        let made: Vec<String> = emulator
            .client_keys()
            .into_iter()
            .map(|key| key.id)
            .filter(|id| !keys_before.contains(id))
            .collect();
        assert_eq!(made.len(), 1, "{row}: {made:?}");
        assert!(
            stderr.contains(&made[0]),
            "{row}: the key {} is named nowhere on stderr:\n{stderr}",
            made[0]
        );
        assert!(stderr.contains("undeliverable"), "{row}:\n{stderr}");
        assert!(!stderr.contains("YouPassword123!"), "{row}:\n{stderr}");
        if let Ok(text) = std::fs::read_to_string(directory.path().join("key.json")) {
            let file: Value = serde_json::from_str(&text).unwrap();
            let private = file["PrivateKeyData"].as_str().unwrap();
            assert!(
                !stderr.contains(private),
                "{row}: the private key reached stderr"
            );
        }
    }
}
