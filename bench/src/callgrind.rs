//! Instruction counts from `valgrind --tool=callgrind`: the same total for the same binary and
//! input whatever else the machine is doing, so budgets on them hold on a shared machine where
//! times do not. Kernel work is not counted (callgrind sees user space only).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::BenchError;

/// Whether valgrind can be run.
pub fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `command` under callgrind (stdin from `input`, if any) and returns the instructions
/// executed by all its threads.
pub fn instructions(command: &Command, input: Option<&Path>) -> Result<u64, BenchError> {
    let mut valgrind = Command::new("valgrind");
    valgrind
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => valgrind.env(key, value),
            None => valgrind.env_remove(key),
        };
    }
    match input {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|error| {
                BenchError::new(format!("cannot open {}: {error}", path.display()))
            })?;
            valgrind.stdin(file);
        }
        None => {
            valgrind.stdin(Stdio::null());
        }
    }
    let output = valgrind
        .stdout(Stdio::null())
        .output()
        .map_err(|error| BenchError::new(format!("cannot run valgrind: {error}")))?;
    let report = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(BenchError::new(format!(
            "a run under callgrind failed with {}: {report}",
            output.status
        )));
    }
    collected(&report).ok_or_else(|| {
        BenchError::new(format!(
            "no instruction count in callgrind's report: {report}"
        ))
    })
}

/// Reads `==123== Collected : 4567` from callgrind's report.
fn collected(report: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|line| line.split_once("Collected :"))
        .and_then(|(_, count)| count.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_collected_count() {
        let report = "==9== Callgrind, a call-graph generating cache profiler\n==9== Events    : Ir\n==9== Collected : 1234567\n==9==\n==9== I   refs:      1,234,567\n";
        assert_eq!(collected(report), Some(1_234_567));
        assert_eq!(collected("nothing"), None);
    }
}
