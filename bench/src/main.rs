//! `kms-bench`: the one benchmark harness of alicloud-kms-provider. `scripts/bench.sh` builds the
//! release binaries and runs `kms-bench run`, which measures every figure in one run on one
//! machine and writes `BENCHMARKS.md`; `kms-bench budget` measures only the noise-proof figures
//! (counts and ratios) and fails when one is past its budget.
//!
//! `kms-bench kms-client ...` is the Rust side of the KMS CPU comparison; the harness runs it as
//! a child process so its CPU is measured apart from everything else.

mod assume_role;
mod budget;
mod callgrind;
mod credential_hazards;
mod emulator;
mod emulator_load;
mod fanout;
mod kms_cpu;
mod machine;
mod notes;
mod packages;
mod protocol;
mod python_host;
mod report;
mod robustness;
mod run;
mod stats;
mod stdio;

use std::path::PathBuf;
use std::process::ExitCode;

/// A failed measurement, with what went wrong.
#[derive(Debug)]
pub struct BenchError(String);

impl BenchError {
    pub fn new(message: impl Into<String>) -> BenchError {
        BenchError(message.into())
    }
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

const USAGE: &str = "usage:
  kms-bench run [--root DIR] [--python PATH] [--out FILE] [--quick] [--provider BIN] [--only STEPS]
      measure everything, print the table, write it to FILE (default BENCHMARKS.md in DIR);
      --provider measures another build of the binary, --only a comma-separated subset of
      size,cold-start,throughput,rss,backpressure,stall,fuzz,fan-out,assume-role,kms-cpu,emulator,
      python-host,instructions,packages,credential-hazards
  kms-bench budget [--root DIR] [--python PATH]
      measure the counts and ratios that have budgets; exit 1 when one is past its budget
  kms-bench kms-client <host:port> <client key id> <warm-up calls> <calls> <current-thread|multi-thread>
      (internal) the Rust side of the KMS CPU comparison

DIR is the repository root (default: the current directory); the release binaries are expected in
DIR/target/release (scripts/bench.sh builds them). PATH is the Python of scripts/ensure-python-env.sh
(default: $KMS_TEST_PYTHON, else DIR/.venv/bin/python); without it the Python figures are skipped.";

/// Options of `run` and `budget`.
pub struct Options {
    pub root: PathBuf,
    /// Another provider binary to measure (e.g. an older build, for a before/after comparison).
    pub provider: Option<PathBuf>,
    /// Only these steps (names as in `run::STEPS`); all when empty.
    pub only: Vec<String>,
    pub python: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub quick: bool,
}

fn parse_options(arguments: &[String]) -> Result<Options, BenchError> {
    let mut root = PathBuf::from(".");
    let mut python = std::env::var_os("KMS_TEST_PYTHON").map(PathBuf::from);
    let mut out = None;
    let mut quick = false;
    let mut provider = None;
    let mut only = Vec::new();
    let mut rest = arguments.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| BenchError::new(format!("{flag} needs a value\n{USAGE}")))
        };
        match flag.as_str() {
            "--root" => root = PathBuf::from(value()?),
            "--python" => python = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--quick" => quick = true,
            "--provider" => provider = Some(PathBuf::from(value()?)),
            "--only" => only = value()?.split(',').map(str::to_owned).collect(),
            other => {
                return Err(BenchError::new(format!(
                    "unknown argument {other}\n{USAGE}"
                )))
            }
        }
    }
    let root = root.canonicalize().map_err(|error| {
        BenchError::new(format!(
            "cannot use {} as the repository root: {error}",
            root.display()
        ))
    })?;
    if python.is_none() {
        let venv = root.join(".venv/bin/python");
        python = venv.exists().then_some(venv);
    }
    Ok(Options {
        root,
        provider,
        only,
        python,
        out,
        quick,
    })
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match arguments.first().map(String::as_str) {
        Some("run") => parse_options(&arguments[1..]).and_then(|options| run::run_all(&options)),
        Some("budget") => {
            parse_options(&arguments[1..]).and_then(|options| budget::check(&options))
        }
        Some("kms-client") => kms_cpu::client_main(&arguments[1..]).map(|()| true),
        _ => Err(BenchError::new(USAGE)),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("kms-bench: {error}");
            ExitCode::from(2)
        }
    }
}
