//! Bounded memory when the engine stops reading, and what happens when stdout is gone, through the
//! real binary: 1,000-member `getSchema` batches written while nobody reads stdout make the
//! provider stop reading stdin with its memory bounded, and it answers everything once reading
//! resumes; with stdout closed, it stops starting operations, cancels what waits, says so on
//! stderr, and exits, and a key a create made meanwhile is named on stderr.

use crate::common;

use std::io::Write;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use alicloud_kms_provider::provider::kms_options::{
    TEST_HOOKS_VARIABLE, TEST_SETTLE_DELAY_VARIABLE,
};
use common::process::{Input, Output};
use common::ProviderProcess;
use serde_json::Value;

/// Batches written in all. Each is ~60 KB in and ~14 MB out, so reading them all with nothing
/// written back would hold ~330 MB.
const BATCHES: usize = 24;
const BATCH_LENGTH: usize = 1000;
/// Generous: the provider stays near 40 MB (release) with the schema batches of this test; a
/// provider that keeps reading holds several times this.
const RSS_CEILING_BYTES: u64 = 128 * 1024 * 1024;
/// A failure detector: a provider that notices the closed stdout exits in milliseconds.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts `command` with its stdout read only as far as the test asks, so that the test can
/// stop reading it or close it.
fn spawn_provider(command: Command) -> ProviderProcess {
    ProviderProcess::start_with(command, Input::Pipe, Output::LinesOnDemand)
}

/// Waits for the provider to exit by itself (stdin may still be open), failing after a minute.
fn exit_status(provider: &mut ProviderProcess, what: &str) -> ExitStatus {
    provider.wait_for_exit(EXIT_TIMEOUT).unwrap_or_else(|| {
        panic!(
            "{what}: the provider kept running with stdout gone; stderr:\n{}",
            provider.stderr_text()
        )
    })
}

/// Configures the provider (request id 1) for the emulator, with static credentials.
fn configure(provider: &mut ProviderProcess, emulator: &kms_emulator::Emulator) {
    let args = serde_json::json!({
        "region": "cn-hangzhou", "endpoint": emulator.addr().to_string(), "protocol": "HTTP",
        "accessKey": "demo-access-key-id", "secretKey": "demo-access-key-secret"});
    let reply = provider.call(1, "configure", serde_json::json!({ "args": args }));
    assert!(reply.to_string().contains("acceptSecrets"), "{reply}");
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
    let mut command = ProviderProcess::command();
    command.env_remove(TEST_HOOKS_VARIABLE);
    let mut provider = spawn_provider(command);
    let pid = provider.pid();

    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let written = written.clone();
        provider.write_in_background(move |stdin| {
            for batch in 0..BATCHES {
                stdin.write_all(schema_batch(batch).as_bytes()).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
            stdin
                .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"getPluginInfo\"}\n")
                .unwrap();
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
    let mut answered = vec![false; BATCHES * BATCH_LENGTH];
    let mut after_answered = false;
    while !(after_answered && answered.iter().all(|done| *done)) {
        match provider.receive() {
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
    provider.rejoin(writer);
    provider.close_stdin();
    let status = exit_status(&mut provider, "stdin closed");
    assert!(status.success(), "{status:?}");
}

#[test]
fn with_stdout_gone_the_provider_starts_nothing_more_cancels_what_waits_says_so_and_exits() {
    let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default()).unwrap();
    let mut provider = spawn_provider(ProviderProcess::command());
    configure(&mut provider, &emulator);

    // An operation that only a cancellation ends, then the engine goes away.
    provider.send_line(r#"{"jsonrpc":"2.0","id":2,"method":"test/waitForCancel"}"#);
    provider.close_stdout();
    // A reply that cannot be written: the provider learns that stdout is gone.
    provider.send_line(r#"{"jsonrpc":"2.0","id":3,"method":"getPluginInfo"}"#);
    assert!(
        provider.wait_for_stderr("stdout is closed", EXIT_TIMEOUT),
        "nothing said on stderr; stderr:\n{}",
        provider.stderr_text()
    );
    // Nothing starts any more: a create sent now never reaches KMS. (The provider may have exited
    // already, and then the write fails.)
    let create = r#"{"jsonrpc":"2.0","id":4,"method":"create","params":{"type":"alicloud-kms:index:ApplicationAccessPoint","properties":{"applicationAccessPointName":"after-stdout-closed","policies":["p"]}}}"#;
    let _ = provider.try_send_line(create);

    // It exits by itself, with stdin still open, and with a failure status.
    let status = exit_status(&mut provider, "stdout closed");
    assert_eq!(status.code(), Some(1), "{status:?}");
    assert_eq!(
        emulator.call_count(kms_emulator::Action::CreateApplicationAccessPoint),
        0
    );
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
        let mut command = ProviderProcess::command();
        command
            .env(TEST_SETTLE_DELAY_VARIABLE, "50")
            .current_dir(directory.path());
        let mut provider = spawn_provider(command);
        configure(&mut provider, &emulator);
        let aap_reply = provider.call(
            2,
            "create",
            serde_json::json!({"type": "alicloud-kms:index:ApplicationAccessPoint", "properties": {
                "applicationAccessPointName": format!("aap-{}", emulator.access_points().len()),
                "policies": ["p"]}}),
        );
        let aap_name = aap_reply["result"]["id"].as_str().unwrap().to_owned();

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
        provider.send(&create);
        let deadline = Instant::now() + Duration::from_secs(60);
        while emulator.call_count(kms_emulator::Action::CreateClientKey) == calls_before {
            assert!(
                Instant::now() < deadline,
                "{row}: the create never reached KMS"
            );
            thread::sleep(Duration::from_millis(2));
        }
        // The engine goes away while CreateClientKey waits.
        provider.close_stdout();
        provider.close_stdin();
        let status = exit_status(&mut provider, row);
        assert_eq!(status.code(), Some(1), "{row}: {status:?}");
        let stderr = provider.stderr_text();
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
