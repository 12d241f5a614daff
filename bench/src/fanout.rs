//! Fan-out: N `create`s of a ClientKey pipelined on one provider process against the emulator
//! with latency injected on CreateClientKey (and once more with throttling too), written against
//! the wire contract. A provider binary that predates the resource operations (`--provider` can
//! point at an old build) answers `create` with `-32050 not_implemented`; the figure is then
//! reported as not available instead of failing the run.

use std::time::Duration;

use alicloud_kms_provider::provider::error::codes;
use serde_json::{json, Value};

use crate::emulator::{Emulator, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET};
use crate::stdio::{error_code, memory_of, request_line, Provider, ProviderCommand};
use crate::BenchError;

/// The `not_implemented` error code of the wire contract.
pub const NOT_IMPLEMENTED: i64 = codes::NOT_IMPLEMENTED as i64;

/// Faults injected on CreateClientKey for one fan-out run.
#[derive(Clone, Debug)]
pub struct FanOutFaults {
    pub latency_ms: u64,
    /// Share of calls answered `Throttling.User` (retried by the provider).
    pub throttle_ratio: f64,
}

/// The outcome of one fan-out run.
#[derive(Clone, Debug)]
pub enum FanOut {
    Measured {
        creates: u64,
        wall: Duration,
        /// CreateClientKey calls the emulator saw (more than `creates` when retried).
        emulator_calls: u64,
        /// Peak resident set of the provider over the run.
        peak_rss_bytes: u64,
    },
    NotAvailable(String),
}

/// Starts a provider, configures it for the emulator, creates one AAP and then `creates`
/// ClientKeys pipelined, with `faults` on CreateClientKey.
pub fn fan_out(
    command: &ProviderCommand,
    emulator: &Emulator,
    creates: u64,
    faults: &FanOutFaults,
    run_name: &str,
) -> Result<FanOut, BenchError> {
    emulator.clear_faults()?;
    let mut provider = Provider::start(command)?;
    let configured = provider.call(
        "configure",
        json!({
            "args": {
                "region": "cn-hangzhou",
                "accessKey": DEMO_ACCESS_KEY_ID,
                "secretKey": DEMO_ACCESS_KEY_SECRET,
                "endpoint": emulator.address,
                "protocol": "HTTP"
            },
            "acceptSecrets": true
        }),
    )?;
    if configured.get("result").is_none() {
        return Err(BenchError::new(format!("configure failed: {configured}")));
    }
    let aap_name = format!("bench_fanout_{run_name}");
    let aap = provider.call(
        "create",
        json!({
            "type": "alicloud-kms:index:ApplicationAccessPoint",
            "properties": {"applicationAccessPointName": aap_name, "policies": ["bench_policy"]}
        }),
    )?;
    if let Some(unavailable) = not_available(&aap) {
        return Ok(unavailable);
    }
    if aap.pointer("/result/id").and_then(Value::as_str).is_none() {
        return Err(BenchError::new(format!("creating the AAP failed: {aap}")));
    }

    emulator.set_fault(
        "CreateClientKey",
        &json!({"latency_ms": faults.latency_ms, "throttle_ratio": faults.throttle_ratio}),
    )?;
    let calls_before = emulator.calls("CreateClientKey")?;
    let params = json!({
        "type": "alicloud-kms:index:ClientKey",
        "properties": {"aapName": aap_name, "password": "Bench-Password-1"},
        "timeout": 300
    });
    let lines: Vec<(u64, String)> = provider
        .take_ids(creates)
        .map(|id| (id, request_line(id, "create", &params)))
        .collect();
    let (replies, wall) = provider.pipeline(lines)?;
    emulator.clear_faults()?;
    if let Some(unavailable) = replies.values().find_map(not_available) {
        return Ok(unavailable);
    }
    if let Some(failed) = replies.values().find(|reply| {
        reply
            .pointer("/result/id")
            .and_then(Value::as_str)
            .is_none()
    }) {
        return Err(BenchError::new(format!(
            "a ClientKey create failed: {failed}"
        )));
    }
    let emulator_calls = emulator.calls("CreateClientKey")? - calls_before;
    let (peak_rss_bytes, _) = memory_of(provider.pid())?;
    provider.finish()?;
    Ok(FanOut::Measured {
        creates,
        wall,
        emulator_calls,
        peak_rss_bytes,
    })
}

fn not_available(reply: &Value) -> Option<FanOut> {
    (error_code(reply) == Some(NOT_IMPLEMENTED))
        .then(|| FanOut::NotAvailable("not available: create answers not_implemented".to_owned()))
}
