//! `kms-bench run`: every measurement in one run, on one machine, then the table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::assume_role::{self, AssumeRoleFigures};
use crate::credential_hazards::{self, CredentialHazards};
use crate::emulator::Emulator;
use crate::fanout::{self, FanOut, FanOutFaults};
use crate::kms_cpu::{ClientRun, Clients, Flavour};
use crate::machine::Machine;
use crate::packages::{self, Packages};
use crate::protocol::{self, MemoryFigures};
use crate::robustness::{self, Backpressure, Fuzz, Stall};
use crate::stdio::{request_line, ProviderCommand};
use crate::{callgrind, emulator_load, kms_cpu, python_host, report, stats, BenchError, Options};

/// The fuzzer's seed in the benchmark (the suite uses its own).
pub const FUZZ_SEED: u64 = 0xbe4c_f022;

/// A figure: measured, or why not (`Err` holds the reason shown in the table).
pub type Measured<T> = Result<T, String>;

/// The locations a run needs.
pub struct Paths {
    pub root: PathBuf,
    pub provider: PathBuf,
    /// The plugin's launcher, which execs `provider` under the plugin's name.
    pub plugin: PathBuf,
    pub emulator: PathBuf,
    pub load: PathBuf,
    pub harness: PathBuf,
    pub python: Option<PathBuf>,
    pub scratch: PathBuf,
}

impl Paths {
    pub fn new(options: &Options) -> Result<Paths, BenchError> {
        let release = options.root.join("target/release");
        let provider = options
            .provider
            .clone()
            .unwrap_or_else(|| release.join("alicloud-kms-provider"));
        if !provider.exists() {
            return Err(BenchError::new(format!(
                "{} is missing; build it first (scripts/bench.sh does)",
                provider.display()
            )));
        }
        let scratch = std::env::temp_dir().join(format!("kms-bench-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|error| {
            BenchError::new(format!("cannot create {}: {error}", scratch.display()))
        })?;
        Ok(Paths {
            root: options.root.clone(),
            plugin: release.join("pulumi-resource-alicloud-kms"),
            provider,
            emulator: release.join("kms-emulator"),
            load: release.join("examples/load"),
            harness: std::env::current_exe().map_err(|error| BenchError::new(error.to_string()))?,
            python: options.python.clone(),
            scratch,
        })
    }

    pub fn provider_command(&self) -> ProviderCommand {
        ProviderCommand::new(&self.provider)
    }

    pub fn clients(&self) -> Clients {
        Clients {
            harness: self.harness.clone(),
            python: self.python.clone(),
            python_client: self.root.join("bench/python/kms_client.py"),
        }
    }
}

impl Drop for Paths {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Instruction counts under callgrind.
pub struct Instructions {
    /// Spawn, one `getSchema`, end of input, exit.
    pub cold_start: u64,
    /// Per pipelined `check`/`diff` request.
    pub per_check_or_diff: f64,
    /// Per signed `GetClientKey` call of the Rust client (current-thread runtime).
    pub per_kms_call: f64,
}

/// Everything one run measured.
pub struct Figures {
    pub machine: Machine,
    pub load_after: String,
    pub binary_bytes: Measured<u64>,
    pub cold_start: Measured<Vec<f64>>,
    pub throughput: Measured<Vec<f64>>,
    pub memory: Measured<MemoryFigures>,
    pub fan_out: Measured<FanOut>,
    pub fan_out_throttled: Measured<FanOut>,
    pub assume_role: Measured<AssumeRoleFigures>,
    pub kms_cpu: Measured<kms_cpu::KmsCpu>,
    /// The same with a spinning neighbour thread, so no core goes idle.
    pub kms_cpu_busy: Measured<kms_cpu::KmsCpu>,
    pub emulator_load: Measured<emulator_load::EmulatorLoad>,
    pub python_host: Measured<Value>,
    pub instructions: Measured<Instructions>,
    /// The release artefacts: sizes, and the packaged binary's cold start beside the cargo-built one.
    pub packages: Measured<Packages>,
    pub backpressure: Measured<Backpressure>,
    pub stall: Measured<Stall>,
    pub fuzz: Measured<Fuzz>,
    /// Issue 17: hostile credential files, and no credentials off ECS.
    pub credential_hazards: Measured<CredentialHazards>,
}

/// Sizes of each run.
pub struct Sizes {
    pub spawns: usize,
    pub throughput_requests: u64,
    pub throughput_rounds: usize,
    pub kms_rounds: usize,
    pub rust_calls: u64,
    pub python_calls: u64,
    pub load_seconds: u32,
    pub host_starts: u32,
    pub host_ops: u32,
    /// How long the back-pressure run writes with nobody reading.
    pub unread_seconds: u64,
    pub fuzz_frames: usize,
    pub stall_rounds: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            spawns: 300,
            throughput_requests: 100_000,
            throughput_rounds: 3,
            kms_rounds: 3,
            rust_calls: 30_000,
            python_calls: 1_500,
            load_seconds: 5,
            host_starts: 10,
            host_ops: 200,
            unread_seconds: 30,
            fuzz_frames: 1_000_000,
            stall_rounds: 3,
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            spawns: 50,
            throughput_requests: 20_000,
            throughput_rounds: 1,
            kms_rounds: 1,
            rust_calls: 2_000,
            python_calls: 300,
            load_seconds: 2,
            host_starts: 3,
            host_ops: 40,
            unread_seconds: 5,
            fuzz_frames: 100_000,
            stall_rounds: 1,
        }
    }
}

fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "--> {message}");
}

fn step<T>(
    only: &[String],
    key: &str,
    name: &str,
    measure: impl FnOnce() -> Result<T, BenchError>,
) -> Measured<T> {
    if !only.is_empty() && !only.iter().any(|wanted| wanted == key) {
        return Err("skipped (--only)".to_owned());
    }
    say(name);
    measure().map_err(|error| {
        say(&format!("{name} failed: {error}"));
        format!("failed: {error}")
    })
}

/// Measures everything, writes the table; `Ok(false)` when a measurement failed.
pub fn run_all(options: &Options) -> Result<bool, BenchError> {
    let paths = Paths::new(options)?;
    let sizes = if options.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let machine = Machine::describe();
    let command = paths.provider_command();
    let only = options.only.as_slice();

    let binary_bytes = step(only, "size", "release binary size", || {
        binary_size(&paths.provider)
    });
    let cold_start = step(only, "cold-start", "cold start", || {
        protocol::cold_start(&command, sizes.spawns)
    });
    let packages = step(
        only,
        "packages",
        "release artefacts: sizes, packaged binary's cold start",
        || packages::measure(&paths.root, &command, sizes.spawns),
    );
    let throughput = step(only, "throughput", "check + diff throughput", || {
        protocol::throughput(&command, sizes.throughput_requests, sizes.throughput_rounds)
    });
    let memory = step(
        only,
        "rss",
        "peak RSS with 1,000 requests in flight",
        || protocol::peak_memory(&command, 1000, Duration::from_millis(1500)),
    );

    let backpressure = step(
        only,
        "backpressure",
        "back-pressure: 1,000-member getSchema batches, nobody reading",
        || robustness::backpressure(&command, Duration::from_secs(sizes.unread_seconds)),
    );
    let stall = step(
        only,
        "stall",
        "a small request behind a check of 1,000,000 policies",
        || robustness::stall(&command, 1_000_000, sizes.stall_rounds),
    );

    let credential_hazards = step(
        only,
        "credential-hazards",
        "a FIFO or /dev/zero at a credential path; no credentials off ECS",
        || credential_hazards::measure(&paths.provider, &paths.scratch),
    );

    let emulator = Emulator::start(&paths.emulator)?;
    let fuzz = step(only, "fuzz", "stdin fuzzer", || {
        robustness::fuzz(
            &paths.provider,
            &emulator.address,
            sizes.fuzz_frames,
            FUZZ_SEED,
            &paths.scratch,
        )
    });
    let fan_out_faults = FanOutFaults {
        latency_ms: 20,
        throttle_ratio: 0.0,
    };
    let fan_out = step(
        only,
        "fan-out",
        "fan-out: 200 creates, 20 ms latency",
        || fanout::fan_out(&command, &emulator, 200, &fan_out_faults, "latency"),
    );
    let throttled_faults = FanOutFaults {
        latency_ms: 20,
        throttle_ratio: 0.3,
    };
    let fan_out_throttled = step(
        only,
        "fan-out",
        "fan-out: 200 creates, 20 ms latency, 30 % throttled",
        || fanout::fan_out(&command, &emulator, 200, &throttled_faults, "throttled"),
    );
    let assume_role = step(
        only,
        "assume-role",
        "assumeRole: STS calls for 200 concurrent reads and over 8 s of 4-second credentials",
        || assume_role::measure(&command, &emulator, 200, Duration::from_secs(8)),
    );
    let kms_cpu = step(
        only,
        "kms-cpu",
        "KMS client CPU per signed call vs the Python SDK",
        || kms_cpu::measure_kms_cpu(&paths, &emulator, &sizes, true, false),
    );
    let kms_cpu_busy = step(
        only,
        "kms-cpu",
        "the same with the other core kept busy",
        || kms_cpu::measure_kms_cpu(&paths, &emulator, &sizes, false, true),
    );
    let emulator_load = step(
        only,
        "emulator",
        "emulator GetClientKey throughput, 32 clients",
        || emulator_load::run(&paths.load, &emulator.address, 32, sizes.load_seconds),
    );
    let python_host = step(
        only,
        "python-host",
        "Python SDK inside the pulumi.dynamic host",
        || python_host::python_host(&paths, &emulator, &sizes),
    );
    let instructions = step(
        only,
        "instructions",
        "instruction counts (callgrind)",
        || measure_instructions(&paths, &emulator),
    );
    drop(emulator);

    let figures = Figures {
        machine,
        load_after: crate::machine::load_average(),
        binary_bytes,
        cold_start,
        packages,
        throughput,
        memory,
        fan_out,
        fan_out_throttled,
        assume_role,
        kms_cpu,
        kms_cpu_busy,
        emulator_load,
        python_host,
        instructions,
        backpressure,
        stall,
        fuzz,
        credential_hazards,
    };
    let markdown = report::markdown(&figures, options.quick);
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| paths.root.join("BENCHMARKS.md"));
    std::fs::write(&out, &markdown)
        .map_err(|error| BenchError::new(format!("cannot write {}: {error}", out.display())))?;
    {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{}", report::table(&figures));
    }
    say(&format!("wrote {}", out.display()));
    Ok(!report::any_failed(&figures))
}

pub fn binary_size(path: &Path) -> Result<u64, BenchError> {
    std::fs::metadata(path)
        .map(|metadata| metadata.len())
        .map_err(|error| BenchError::new(format!("cannot read {}: {error}", path.display())))
}

/// Instruction counts of the cold start, of a check/diff request and of a signed KMS call.
pub fn measure_instructions(
    paths: &Paths,
    emulator: &Emulator,
) -> Result<Instructions, BenchError> {
    if !callgrind::available() {
        return Err(BenchError::new("valgrind is not installed"));
    }
    let provider = paths.provider_command().command();
    let input = |requests: u64, name: &str| -> Result<PathBuf, BenchError> {
        let mut text = request_line(0, "getSchema", &serde_json::json!({}));
        let templates = protocol::check_and_diff_requests();
        for (id, (method, params)) in (1..=requests).zip(templates.iter().cycle()) {
            text.push_str(&request_line(id, method, params));
        }
        let path = paths.scratch.join(name);
        std::fs::write(&path, text).map_err(|error| BenchError::new(error.to_string()))?;
        Ok(path)
    };
    let cold_start = callgrind::instructions(&provider, Some(&input(0, "cold.jsonl")?))?;
    let requests = 2000;
    let with_requests =
        callgrind::instructions(&provider, Some(&input(requests, "requests.jsonl")?))?;
    let per_check_or_diff = with_requests.saturating_sub(cold_start) as f64 / requests as f64;

    let key_id = emulator.create_key("bench_callgrind")?;
    let clients = paths.clients();
    let calls = 300;
    let small = callgrind::instructions(
        &clients.rust(emulator, &key_id, 20, 0, Flavour::CurrentThread),
        None,
    )?;
    let big = callgrind::instructions(
        &clients.rust(emulator, &key_id, 20, calls, Flavour::CurrentThread),
        None,
    )?;
    Ok(Instructions {
        cold_start,
        per_check_or_diff,
        per_kms_call: big.saturating_sub(small) as f64 / calls as f64,
    })
}

/// The ratio `python / rust` of CPU per call.
pub fn cpu_ratio(python: &ClientRun, rust: &ClientRun) -> f64 {
    python.cpu_per_call() / rust.cpu_per_call()
}

/// Cold start median and p90, for the report.
pub fn cold_start_summary(samples: &[f64]) -> (f64, f64) {
    (stats::median(samples), stats::percentile(samples, 90.0))
}
