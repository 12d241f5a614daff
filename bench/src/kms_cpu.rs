//! Client-side CPU per signed KMS call: the provider's Rust client (`kms-bench kms-client`, in
//! both tokio runtime flavours) against the official Python SDK (`alibabacloud-kms20160120`,
//! `signature_algorithm="v2"`), making the same `GetClientKey` call against the same emulator.
//!
//! Each client runs as its own process, warms up (imports, connection, first calls), then
//! measures its own CPU time (user and system, all threads, as `getrusage(RUSAGE_SELF)` counts it) across the
//! measured calls only, and prints one JSON line. The emulator runs in its own process, so its CPU is charged to neither client.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use alicloud_kms_provider::kms::{self, CallOptions};
use alicloud_kms_provider::resources::client_key::kms::get_client_key;
use serde::{Deserialize, Serialize};

use crate::emulator::Emulator;
use crate::run::{Measured, Paths, Sizes};
use crate::BenchError;

/// What one client run reports.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ClientRun {
    pub calls: u64,
    pub cpu_seconds: f64,
    pub user_seconds: f64,
    pub system_seconds: f64,
    pub wall_seconds: f64,
}

impl ClientRun {
    pub fn cpu_per_call(&self) -> f64 {
        self.cpu_seconds / self.calls as f64
    }
}

/// The runtime flavour of the Rust client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    CurrentThread,
    MultiThread,
}

impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::CurrentThread => "current-thread",
            Flavour::MultiThread => "multi-thread",
        }
    }
}

/// `kms-bench kms-client <host:port> <client key id> <warm-up calls> <calls> <flavour>`: runs in
/// the measured child process.
pub fn client_main(arguments: &[String]) -> Result<(), BenchError> {
    let usage = "usage: kms-bench kms-client <host:port> <client key id> <warm-up calls> <calls> <current-thread|multi-thread>";
    let [endpoint, key_id, warmup, calls, flavour] = arguments else {
        return Err(BenchError::new(usage));
    };
    let warmup: u64 = warmup.parse().map_err(|_| BenchError::new(usage))?;
    let calls: u64 = calls.parse().map_err(|_| BenchError::new(usage))?;
    let runtime = match flavour.as_str() {
        "current-thread" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "multi-thread" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => return Err(BenchError::new(usage)),
    }
    .map_err(|error| BenchError::new(format!("cannot start a runtime: {error}")))?;
    let emulator_config = Emulator::config_for(endpoint);
    let run = runtime.block_on(async move {
        let client = kms::Client::new(emulator_config)
            .map_err(|error| BenchError::new(error.to_string()))?;
        let options = CallOptions::new();
        let one_call = |client: &kms::Client| {
            let client = client.clone();
            let options = options.clone();
            let key_id = key_id.clone();
            async move {
                let reply = get_client_key(&client, &key_id, &options)
                    .await
                    .map_err(|error| BenchError::new(format!("GetClientKey failed: {error}")))?;
                if reply.client_key.client_key_id != key_id {
                    return Err(BenchError::new("GetClientKey answered another key"));
                }
                Ok::<(), BenchError>(())
            }
        };
        for _ in 0..warmup {
            one_call(&client).await?;
        }
        let before = CpuSample::now()?;
        let started = Instant::now();
        for _ in 0..calls {
            one_call(&client).await?;
        }
        let wall_seconds = started.elapsed().as_secs_f64();
        let after = CpuSample::now()?;
        Ok::<ClientRun, BenchError>(ClientRun {
            calls,
            cpu_seconds: after.cpu_seconds - before.cpu_seconds,
            user_seconds: after.user_seconds - before.user_seconds,
            system_seconds: after.system_seconds - before.system_seconds,
            wall_seconds,
        })
    })?;
    let line = serde_json::to_string(&run).expect("a ClientRun serialises");
    use std::io::Write;
    writeln!(std::io::stdout(), "{line}").map_err(|error| BenchError::new(error.to_string()))
}

/// This process's CPU time so far (every thread, exited ones included): `utime` and `stime` of
/// `/proc/self/stat`, as `getrusage(RUSAGE_SELF)` reports them, in clock ticks of 10 ms (USER_HZ,
/// 100 on Linux). Read from `/proc` rather than through a `getrusage` wrapper crate, whose
/// `libc` features would make the harness's release build differ from the packaged provider's
/// (`scripts/package.sh`), which the budget step reuses. A run measures enough calls (≥ 0.5 s
/// of CPU) that a tick is within 2 %.
struct CpuSample {
    cpu_seconds: f64,
    user_seconds: f64,
    system_seconds: f64,
}

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: fixed at 100 in Linux's ABI).
const USER_HZ: f64 = 100.0;

impl CpuSample {
    fn now() -> Result<CpuSample, BenchError> {
        let stat = std::fs::read_to_string("/proc/self/stat")
            .map_err(|error| BenchError::new(format!("cannot read /proc/self/stat: {error}")))?;
        // The fields after the command name (which may hold spaces), from field 3 (`state`) on:
        // utime and stime are fields 14 and 15.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |index: usize| -> Result<f64, BenchError> {
            fields
                .get(index - 3)
                .and_then(|field| field.parse::<u64>().ok())
                .map(|ticks| ticks as f64 / USER_HZ)
                .ok_or_else(|| BenchError::new(format!("/proc/self/stat has no field {index}")))
        };
        let user_seconds = ticks(14)?;
        let system_seconds = ticks(15)?;
        Ok(CpuSample {
            cpu_seconds: user_seconds + system_seconds,
            user_seconds,
            system_seconds,
        })
    }
}

/// How to run each client.
pub struct Clients {
    pub harness: PathBuf,
    pub python: Option<PathBuf>,
    pub python_client: PathBuf,
}

/// Runs one client process and parses its report.
pub fn run_client(command: &mut Command) -> Result<ClientRun, BenchError> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| BenchError::new(format!("cannot start a benchmark client: {error}")))?;
    if !output.status.success() {
        return Err(BenchError::new(format!(
            "a benchmark client failed with {}",
            output.status
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line)
        .map_err(|error| BenchError::new(format!("a benchmark client printed {line:?}: {error}")))
}

impl Clients {
    pub fn rust(
        &self,
        emulator: &Emulator,
        key_id: &str,
        warmup: u64,
        calls: u64,
        flavour: Flavour,
    ) -> Command {
        let mut command = Command::new(&self.harness);
        command.args([
            "kms-client",
            &emulator.address,
            key_id,
            &warmup.to_string(),
            &calls.to_string(),
            flavour.name(),
        ]);
        command
    }

    pub fn python(
        &self,
        emulator: &Emulator,
        key_id: &str,
        warmup: u64,
        calls: u64,
    ) -> Option<Command> {
        let python = self.python.as_ref()?;
        let mut command = Command::new(python);
        command.arg(&self.python_client).args([
            &emulator.address,
            key_id,
            &warmup.to_string(),
            &calls.to_string(),
        ]);
        Some(command)
    }
}

/// Syscalls per call of a client command, from `strace -f -c` over a run with `warmup` calls and
/// one with `warmup + calls` (the difference, so start-up is left out). `None` without strace.
pub fn syscalls_per_call(
    make: impl Fn(u64) -> Command,
    warmup: u64,
    calls: u64,
    scratch: &Path,
) -> Result<Option<f64>, BenchError> {
    if Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        return Ok(None);
    }
    let count = |total_calls: u64, name: &str| -> Result<f64, BenchError> {
        let inner = make(total_calls);
        let summary = scratch.join(name);
        let mut command = Command::new("strace");
        command
            .args(["-f", "-qq", "-c", "-o"])
            .arg(&summary)
            .arg(inner.get_program())
            .args(inner.get_args());
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.stdout(Stdio::null());
        let status = command
            .status()
            .map_err(|error| BenchError::new(format!("cannot run strace: {error}")))?;
        if !status.success() {
            return Err(BenchError::new(format!(
                "a client under strace failed with {status}"
            )));
        }
        let text = std::fs::read_to_string(&summary)
            .map_err(|error| BenchError::new(error.to_string()))?;
        text.lines()
            .find(|line| line.trim_end().ends_with(" total"))
            .and_then(|line| line.split_whitespace().nth(3))
            .and_then(|calls| calls.parse::<f64>().ok())
            .ok_or_else(|| BenchError::new(format!("unexpected strace summary: {text}")))
    };
    let small = count(warmup, "strace-small.txt")?;
    let big = count(warmup + calls, "strace-big.txt")?;
    Ok(Some((big - small) / calls as f64))
}

/// The KMS CPU comparison: the best (lowest CPU per call) of several rounds per client.
pub struct KmsCpu {
    pub rust_current_thread: ClientRun,
    pub rust_multi_thread: ClientRun,
    pub python: Measured<ClientRun>,
    pub syscalls_rust: Option<f64>,
    pub syscalls_python: Option<f64>,
    /// How busy the whole machine was while the clients ran (0–1 of all cores, from
    /// `/proc/stat`): the clients and the emulator account for about one core of two, so much
    /// more means something else was running too.
    pub machine_busy: Option<f64>,
}

/// Runs each client `rounds` times, alternating, and keeps each one's best round.
/// With `count_syscalls`, also counts syscalls per call under strace (when it is installed).
/// With `busy_neighbour`, a thread of the harness spins on a core meanwhile, so the cores never go
/// idle: see `Spinner`.
pub fn measure_kms_cpu(
    paths: &Paths,
    emulator: &Emulator,
    sizes: &Sizes,
    count_syscalls: bool,
    busy_neighbour: bool,
) -> Result<KmsCpu, BenchError> {
    let key_id = emulator.create_key(if busy_neighbour {
        "bench_kms_cpu_busy"
    } else {
        "bench_kms_cpu"
    })?;
    let spinner = busy_neighbour.then(Spinner::start);
    let ticks_before = crate::machine::cpu_ticks();
    let clients = paths.clients();
    let best = |runs: &[ClientRun]| -> ClientRun {
        *runs
            .iter()
            .min_by(|left, right| left.cpu_per_call().total_cmp(&right.cpu_per_call()))
            .expect("at least one round")
    };
    let (mut current, mut multi, mut python) = (Vec::new(), Vec::new(), Vec::new());
    let mut python_error = None;
    for _ in 0..sizes.kms_rounds {
        current.push(run_client(&mut clients.rust(
            emulator,
            &key_id,
            300,
            sizes.rust_calls,
            Flavour::CurrentThread,
        ))?);
        multi.push(run_client(&mut clients.rust(
            emulator,
            &key_id,
            300,
            sizes.rust_calls,
            Flavour::MultiThread,
        ))?);
        match clients.python(emulator, &key_id, 100, sizes.python_calls) {
            Some(mut command) => match run_client(&mut command) {
                Ok(run) => python.push(run),
                Err(error) => python_error = Some(error.to_string()),
            },
            None => {
                python_error =
                    Some("no Python environment (run scripts/ensure-python-env.sh)".to_owned())
            }
        }
    }
    let machine_busy = crate::machine::busy_fraction(ticks_before, crate::machine::cpu_ticks());
    drop(spinner);
    let python = match python_error {
        Some(error) => Err(error),
        None => Ok(best(&python)),
    };
    if !count_syscalls {
        return Ok(KmsCpu {
            rust_current_thread: best(&current),
            rust_multi_thread: best(&multi),
            python,
            syscalls_rust: None,
            syscalls_python: None,
            machine_busy,
        });
    }
    let syscalls_rust = syscalls_per_call(
        |calls| clients.rust(emulator, &key_id, 0, calls, Flavour::CurrentThread),
        100,
        2000,
        &paths.scratch,
    )?;
    let syscalls_python = match python {
        Ok(_) => syscalls_per_call(
            |calls| {
                clients
                    .python(emulator, &key_id, 0, calls)
                    .expect("python is there")
            },
            50,
            500,
            &paths.scratch,
        )?,
        Err(_) => None,
    };
    Ok(KmsCpu {
        rust_current_thread: best(&current),
        rust_multi_thread: best(&multi),
        python,
        syscalls_rust,
        syscalls_python,
        machine_busy,
    })
}

/// A thread that keeps one core busy until dropped. On an otherwise idle virtual machine a client
/// that sleeps for each reply lets its core go idle, and waking it costs tens of microseconds
/// (charged to the client); with a neighbour spinning, the cores stay awake, as on a busy machine.
struct Spinner {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    fn start() -> Spinner {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        Spinner {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
