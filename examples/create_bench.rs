//! Benchmark: N ClientKey `create`s pipelined on one provider process against the KMS emulator
//! with injected latency on CreateClientKey. All requests are written at once; the clock runs
//! from the first byte written to the last reply read. Reports the wall time and the CPU time of
//! the provider process and of this process (which hosts the emulator).
//!
//! ```text
//! cargo build --release --bin alicloud-kms-provider --example create_bench
//! target/release/examples/create_bench [--creates 200] [--latency-ms 20] [--key-files] [--provider PATH]
//! ```
//!
//! `--key-files` gives every key its own `privateKeyDataFile` (so each create also writes and
//! flushes a file); without it, no file is written. A report, not a test: nothing is asserted
//! beyond every create succeeding.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use kms_emulator::{Config, Emulator, FaultSpec};
use serde_json::{json, Value};

struct Arguments {
    creates: usize,
    latency_ms: u64,
    key_files: bool,
    provider: PathBuf,
}

fn parse_arguments() -> Result<Arguments, String> {
    let mut arguments = Arguments {
        creates: 200,
        latency_ms: 20,
        key_files: false,
        provider: std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("alicloud-kms-provider")))
            .unwrap_or_else(|| PathBuf::from("target/release/alicloud-kms-provider")),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--creates" => {
                arguments.creates = value()?.parse().map_err(|_| "--creates takes a number")?
            }
            "--latency-ms" => {
                arguments.latency_ms = value()?
                    .parse()
                    .map_err(|_| "--latency-ms takes a number")?
            }
            "--key-files" => arguments.key_files = true,
            "--provider" => arguments.provider = value()?.into(),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(arguments)
}

/// User plus system CPU time of a process, from `/proc/<pid>/stat` (Linux).
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's clock tick is 100 Hz on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

fn main() -> ExitCode {
    match run() {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("create_bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let arguments = parse_arguments()?;
    kms_emulator::key_material::warm_up();
    let emulator =
        Emulator::start_blocking(Config::default()).map_err(|error| error.to_string())?;
    let directory = tempfile::tempdir().map_err(|error| error.to_string())?;
    let mut child = Command::new(&arguments.provider)
        .current_dir(directory.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", arguments.provider.display()))?;
    let pid = child.id().to_string();
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut read_reply = || -> Result<Value, String> {
        loop {
            let mut line = String::new();
            if stdout
                .read_line(&mut line)
                .map_err(|error| error.to_string())?
                == 0
            {
                return Err("the provider exited".to_owned());
            }
            let message: Value = serde_json::from_str(&line).map_err(|error| error.to_string())?;
            if message["method"] != "log" {
                return Ok(message);
            }
        }
    };

    let setup = [
        json!({"jsonrpc": "2.0", "id": 0, "method": "configure", "params": {"args": {
            "region": "cn-hangzhou", "endpoint": emulator.addr().to_string(), "protocol": "HTTP",
            "accessKey": "demo-access-key-id", "secretKey": "demo-access-key-secret"}}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "create", "params": {
            "urn": "urn:pulumi:bench::bench::alicloud-kms:index:ApplicationAccessPoint::aap",
            "properties": {"applicationAccessPointName": "bench", "policies": ["p"]}}}),
    ];
    for request in setup {
        writeln!(stdin, "{request}").map_err(|error| error.to_string())?;
        let reply = read_reply()?;
        if reply.get("error").is_some() {
            return Err(format!("setup failed: {reply}"));
        }
    }
    emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                latency_ms: arguments.latency_ms,
                ..FaultSpec::default()
            },
        )
        .map_err(|error| error.to_string())?;

    let mut batch = String::new();
    for index in 0..arguments.creates {
        let mut properties = json!({"aapName": "bench", "password": "YouPassword123!"});
        if arguments.key_files {
            properties["privateKeyDataFile"] = json!(format!("key-{index}.json"));
        }
        let request = json!({"jsonrpc": "2.0", "id": 100 + index, "method": "create", "params": {
            "urn": format!("urn:pulumi:bench::bench::alicloud-kms:index:ClientKey::key{index}"),
            "properties": properties}});
        batch.push_str(&request.to_string());
        batch.push('\n');
    }
    let provider_cpu_before = cpu_time(&pid);
    let own_cpu_before = cpu_time("self");
    let started = Instant::now();
    // The requests are written from another thread while this one reads the replies, so that
    // neither pipe can fill up and stall the other side.
    let writer = std::thread::spawn(move || {
        let written = stdin
            .write_all(batch.as_bytes())
            .and_then(|()| stdin.flush());
        (stdin, written)
    });
    let mut failures = 0;
    for _ in 0..arguments.creates {
        let reply = read_reply()?;
        if reply.get("error").is_some() {
            failures += 1;
            if failures == 1 {
                eprintln!("first failure: {reply}");
            }
        }
    }
    let elapsed = started.elapsed();
    let provider_cpu = cpu_time(&pid)
        .zip(provider_cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let own_cpu = cpu_time("self")
        .zip(own_cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let (stdin, written) = writer.join().map_err(|_| "the writer thread panicked")?;
    written.map_err(|error| format!("cannot write the requests: {error}"))?;
    drop(stdin);
    let keys = emulator.client_keys().len();
    let _ = child.wait();
    Ok(format!(
        "{} creates pipelined, {} ms latency on CreateClientKey, key files: {}\n\
         wall time: {:.3} s ({:.2} ms per create), failures: {failures}, keys in the emulator: {keys}\n\
         cpu: provider {}, emulator and driver {}",
        arguments.creates,
        arguments.latency_ms,
        if arguments.key_files { "yes" } else { "no" },
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / arguments.creates as f64,
        describe_cpu(provider_cpu),
        describe_cpu(own_cpu),
    ))
}

fn describe_cpu(cpu: Option<Duration>) -> String {
    cpu.map(|cpu| format!("{:.2} s", cpu.as_secs_f64()))
        .unwrap_or_else(|| "unknown".to_owned())
}
