//! `assumeRole` under load (issue 13): how many STS calls a provider makes for many concurrent
//! operations, and over a longer run whose credentials expire again and again; and what a burst
//! costs with an assumed role compared with a static key, in the same run.
//!
//! The operation is an access point `read` (DescribeApplicationAccessPoint, 20 ms latency
//! injected so that the reads overlap), pipelined on one provider process, against the emulator
//! the harness started; the emulator counts the `AssumeRole` calls.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::emulator::{Emulator, DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET};
use crate::stdio::{request_line, Provider, ProviderCommand};
use crate::BenchError;

const ROLE_ARN: &str = "acs:ram::1234567890123456:role/bench-deployer";
const AAP_NAME: &str = "bench_assume_role";

/// What the step measured.
#[derive(Clone, Debug)]
pub struct AssumeRoleFigures {
    /// Reads in the burst.
    pub burst_reads: u64,
    /// `AssumeRole` calls the burst caused (the target is exactly one).
    pub burst_sts_calls: u64,
    /// Wall time of the burst with the assumed role, including its one STS call.
    pub burst_wall: Duration,
    /// The same burst with the static key, same run.
    pub static_wall: Duration,
    /// The sustained run: its length, the credential lifetime the emulator imposed, the reads
    /// made, the `AssumeRole` calls, and the most calls one per refresh period allows.
    pub sustained: Duration,
    pub lifetime_seconds: u64,
    pub sustained_reads: u64,
    pub sustained_sts_calls: u64,
    pub expected_sts_calls: u64,
}

fn configure(
    provider: &mut Provider,
    emulator: &Emulator,
    assume_role: bool,
) -> Result<(), BenchError> {
    let mut args = json!({
        "region": "cn-hangzhou",
        "accessKey": DEMO_ACCESS_KEY_ID,
        "secretKey": DEMO_ACCESS_KEY_SECRET,
        "endpoint": emulator.address,
        "stsEndpoint": emulator.address,
        "protocol": "HTTP"
    });
    if assume_role {
        args["assumeRole"] = json!({"roleArn": ROLE_ARN, "sessionName": "bench"});
    }
    let reply = provider.call("configure", json!({"args": args, "acceptSecrets": true}))?;
    if reply.get("result").is_none() {
        return Err(BenchError::new(format!("configure failed: {reply}")));
    }
    Ok(())
}

/// `count` pipelined reads of the bench access point; their wall time.
fn reads(provider: &mut Provider, count: u64) -> Result<Duration, BenchError> {
    let params = json!({
        "type": "alicloud-kms:index:ApplicationAccessPoint",
        "id": AAP_NAME,
        "properties": {},
        "timeout": 300
    });
    let lines: Vec<(u64, String)> = provider
        .take_ids(count)
        .map(|id| (id, request_line(id, "read", &params)))
        .collect();
    let (replies, wall) = provider.pipeline(lines)?;
    if let Some(failed) = replies
        .values()
        .find(|reply| reply.pointer("/result/id").and_then(Value::as_str) != Some(AAP_NAME))
    {
        return Err(BenchError::new(format!("a read failed: {failed}")));
    }
    Ok(wall)
}

/// Runs the step.
pub fn measure(
    command: &ProviderCommand,
    emulator: &Emulator,
    burst: u64,
    sustained: Duration,
) -> Result<AssumeRoleFigures, BenchError> {
    emulator.clear_faults()?;
    emulator.control("PUT", &format!("sts/roles/{ROLE_ARN}"), Some(&json!({})))?;
    emulator.control(
        "PUT",
        "sts/credential-lifetime",
        Some(&json!({"seconds": null})),
    )?;
    // An access point (and a key in it) to read; a second run against the same emulator finds
    // it already there.
    // (An error here is "it exists already"; a missing access point fails the reads below.)
    let _ = emulator.create_key(AAP_NAME);
    emulator.set_fault("DescribeApplicationAccessPoint", &json!({"latency_ms": 20}))?;

    // The burst with a static key, then with the role, each on a fresh process.
    let mut provider = Provider::start(command)?;
    configure(&mut provider, emulator, false)?;
    let static_wall = reads(&mut provider, burst)?;
    provider.finish()?;

    let before = emulator.calls("AssumeRole")?;
    let mut provider = Provider::start(command)?;
    configure(&mut provider, emulator, true)?;
    let burst_wall = reads(&mut provider, burst)?;
    let burst_sts_calls = emulator.calls("AssumeRole")? - before;
    provider.finish()?;

    // The sustained run: credentials live four seconds, so they are refreshed a quarter of that
    // early (min(3 min, lifetime / 4) before expiry); batches of 20 reads follow each other.
    let lifetime_seconds = 4;
    emulator.control(
        "PUT",
        "sts/credential-lifetime",
        Some(&json!({"seconds": lifetime_seconds})),
    )?;
    let before = emulator.calls("AssumeRole")?;
    let mut provider = Provider::start(command)?;
    configure(&mut provider, emulator, true)?;
    let started = Instant::now();
    let mut sustained_reads = 0;
    while started.elapsed() < sustained {
        reads(&mut provider, 20)?;
        sustained_reads += 20;
    }
    let elapsed = started.elapsed();
    let sustained_sts_calls = emulator.calls("AssumeRole")? - before;
    provider.finish()?;
    emulator.control(
        "PUT",
        "sts/credential-lifetime",
        Some(&json!({"seconds": null})),
    )?;
    emulator.clear_faults()?;

    // The emulator writes `Expiration` in whole seconds, so a credential may look up to a second
    // shorter-lived than it is; the shortest refresh period is then 3/4 of (lifetime - 1 s), and
    // a run of T seconds may make one call at its start and one per such period.
    let shortest_period = 0.75 * (lifetime_seconds as f64 - 1.0);
    Ok(AssumeRoleFigures {
        burst_reads: burst,
        burst_sts_calls,
        burst_wall,
        static_wall,
        sustained: elapsed,
        lifetime_seconds,
        sustained_reads,
        sustained_sts_calls,
        expected_sts_calls: (elapsed.as_secs_f64() / shortest_period).floor() as u64 + 1,
    })
}
