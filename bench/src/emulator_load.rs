//! The emulator's own throughput: GetClientKey from 32 keep-alive clients, by the emulator's load
//! generator (`kms-emulator/examples/load.rs`), against the emulator this run started.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::stats::parse_debug_duration;
use crate::BenchError;

pub struct EmulatorLoad {
    pub requests_per_second: f64,
    pub p50_seconds: f64,
    pub p99_seconds: f64,
    pub failures: u64,
}

pub fn run(
    load_binary: &Path,
    address: &str,
    clients: u32,
    seconds: u32,
) -> Result<EmulatorLoad, BenchError> {
    let output = Command::new(load_binary)
        .args([
            "--target",
            address,
            "--clients",
            &clients.to_string(),
            "--seconds",
            &seconds.to_string(),
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| {
            BenchError::new(format!("cannot run {}: {error}", load_binary.display()))
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::new(format!(
            "the load generator failed with {}: {text}",
            output.status
        )));
    }
    parse(&text).ok_or_else(|| BenchError::new(format!("unexpected load generator output: {text}")))
}

/// Reads `throughput: N requests/s`, `latency p50 X, p90 Y, p99 Z, max W` and
/// `requests ok: N, failures: M`.
fn parse(text: &str) -> Option<EmulatorLoad> {
    let requests_per_second = text
        .lines()
        .find_map(|line| line.strip_prefix("throughput: "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let latency = text
        .lines()
        .find_map(|line| line.strip_prefix("latency "))?;
    let value_of = |name: &str| -> Option<f64> {
        latency
            .split(", ")
            .find_map(|part| part.strip_prefix(name))
            .and_then(|value| parse_debug_duration(value.trim()))
            .map(|duration| duration.as_secs_f64())
    };
    let failures = text
        .lines()
        .find_map(|line| line.split_once("failures: "))
        .and_then(|(_, count)| count.trim().parse().ok())?;
    Some(EmulatorLoad {
        requests_per_second,
        p50_seconds: value_of("p50 ")?,
        p99_seconds: value_of("p99 ")?,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_load_generator_report() {
        let text = "GetClientKey, 32 keep-alive clients, 5.0 s\nrequests ok: 223355, failures: 0\nthroughput: 44671 requests/s\nlatency p50 690.5µs, p90 1.03ms, p99 1.95ms, max 12ms\n";
        let load = parse(text).unwrap();
        assert_eq!(load.requests_per_second, 44671.0);
        assert!((load.p50_seconds - 0.000_690_5).abs() < 1e-9);
        assert!((load.p99_seconds - 0.001_95).abs() < 1e-9);
        assert_eq!(load.failures, 0);
        assert!(parse("nothing useful").is_none());
    }
}
