//! The provider binary on its own: cold start (spawn → first `getSchema` reply), pipelined
//! `check` + `diff` throughput over one stdio pipe, and peak memory with 1,000 requests in
//! flight.

use std::time::{Duration, Instant};

use alicloud_kms_provider::provider::kms_options::TEST_HOOKS_VARIABLE;
use serde_json::{json, Value};

use crate::stdio::{error_code, memory_of, request_line, Provider, ProviderCommand};
use crate::BenchError;

/// Spawn → first `getSchema` reply, one sample per spawn, in seconds.
pub fn cold_start(command: &ProviderCommand, spawns: usize) -> Result<Vec<f64>, BenchError> {
    let request = request_line(1, "getSchema", &json!({}));
    let mut samples = Vec::with_capacity(spawns);
    for _ in 0..spawns {
        let started = Instant::now();
        let mut provider = Provider::start(command)?;
        let reply = {
            use std::io::Write;
            let stdin = provider.stdin_mut();
            stdin
                .write_all(request.as_bytes())
                .and_then(|()| stdin.flush())
                .map_err(|error| BenchError::new(format!("writing getSchema failed: {error}")))?;
            provider.read_message()?
        };
        samples.push(started.elapsed().as_secs_f64());
        let schema_length = reply
            .pointer("/result/schema")
            .and_then(Value::as_str)
            .map_or(0, str::len);
        if schema_length < 1000 {
            return Err(BenchError::new(format!(
                "getSchema did not answer a schema: {reply}"
            )));
        }
        provider.finish()?;
    }
    Ok(samples)
}

/// The requests the throughput run cycles through: `check` and `diff` of each of the four
/// resources, with realistic inputs (a secret password, times with an offset and a fraction to
/// normalise, a network rule named from the last inputs, a policy's JSON rules to rewrite and
/// compare as JSON, lists compared as sets).
pub fn check_and_diff_requests() -> [(&'static str, Value); 8] {
    let secret = |value: &str| json!({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": value});
    let key_urn = "urn:pulumi:dev::bench::alicloud-kms:index:ClientKey::key";
    let aap_urn = "urn:pulumi:dev::bench::alicloud-kms:index:ApplicationAccessPoint::aap";
    let rule_urn = "urn:pulumi:dev::bench::alicloud-kms:index:NetworkRule::rule";
    let policy_urn = "urn:pulumi:dev::bench::alicloud-kms:index:Policy::policy";
    let key_inputs = json!({
        "aapName": "aap",
        "password": secret("YouPassword123!"),
        "notBefore": "2023-09-01T22:11:22.5+08:00",
        "notAfter": "2028-09-01T14:11:22Z",
        "privateKeyDataFile": "./key.json"
    });
    let key_state = json!({
        "aapName": "aap",
        "password": secret("YouPassword123!"),
        "notBefore": "2023-09-01T14:11:22Z",
        "notAfter": "2028-09-01T14:11:22Z",
        "privateKeyDataFile": "./key.json",
        "createTime": "2023-09-01T14:11:30Z"
    });
    let key_news = json!({
        "aapName": "aap",
        "password": secret("YouPassword123!"),
        "notBefore": "2023-09-01T14:11:22Z",
        "notAfter": "2029-09-01T14:11:22Z",
        "privateKeyDataFile": "./key.json"
    });
    let aap_olds =
        json!({"applicationAccessPointName": "aap", "policies": ["p1", "p2"], "description": "d"});
    let aap_news =
        json!({"applicationAccessPointName": "aap", "policies": ["p2", "p3"], "description": "d"});
    let rule_olds = json!({"networkRuleName": "rule-1a2b3c4", "sourcePrivateIps": ["10.0.0.1", "192.168.0.0/24"]});
    let rule_news =
        json!({"sourcePrivateIps": ["192.168.0.0/24", "10.0.0.1", "10.0.0.2"], "description": "d"});
    let rule_checked = json!({"networkRuleName": "rule-1a2b3c4", "sourcePrivateIps": ["192.168.0.0/24", "10.0.0.1", "10.0.0.2"], "description": "d"});
    let policy_state = json!({
        "policyName": "policy",
        "kmsInstanceId": "kst-hzz634e67d126u9p9example",
        "permissions": ["RbacPermission/Template/CryptoServiceKeyUser", "RbacPermission/Template/CryptoServiceSecretUser"],
        "resources": ["key/*", "secret/*"],
        "accessControlRules": "{\"NetworkRules\":[\"rule-a\",\"rule-b\"]}"
    });
    let policy_news = json!({
        "policyName": "policy",
        "kmsInstanceId": "kst-hzz634e67d126u9p9example",
        "permissions": ["RbacPermission/Template/CryptoServiceSecretUser", "RbacPermission/Template/CryptoServiceKeyUser"],
        "resources": ["secret/*", "key/*", "key/key-1"],
        "accessControlRules": "{\n  \"NetworkRules\": [\"rule-b\", \"rule-a\"]\n}"
    });
    [
        (
            "check",
            json!({"urn": key_urn, "olds": {}, "news": key_inputs}),
        ),
        (
            "diff",
            json!({"urn": key_urn, "id": "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000", "olds": key_state, "news": key_news}),
        ),
        (
            "check",
            json!({"urn": aap_urn, "olds": aap_olds, "news": aap_news}),
        ),
        (
            "diff",
            json!({"urn": aap_urn, "id": "aap", "olds": aap_olds, "news": aap_news, "oldInputs": aap_olds}),
        ),
        (
            "check",
            json!({"urn": rule_urn, "olds": rule_olds, "news": rule_news}),
        ),
        (
            "diff",
            json!({"urn": rule_urn, "id": "rule-1a2b3c4", "olds": rule_olds, "news": rule_checked}),
        ),
        (
            "check",
            json!({"urn": policy_urn, "olds": policy_state, "news": policy_news}),
        ),
        (
            "diff",
            json!({"urn": policy_urn, "id": "policy", "olds": policy_state, "news": policy_news}),
        ),
    ]
}

/// Pipelined `check` + `diff` over one pipe: requests/s of each round.
pub fn throughput(
    command: &ProviderCommand,
    requests: u64,
    rounds: usize,
) -> Result<Vec<f64>, BenchError> {
    let templates = check_and_diff_requests();
    let mut rates = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut provider = Provider::start(command)?;
        // Warm up: the first request pays for loading the schema.
        let warm = provider.call("getSchema", json!({}))?;
        if warm.get("result").is_none() {
            return Err(BenchError::new(format!("getSchema failed: {warm}")));
        }
        let ids = provider.take_ids(requests);
        let lines: Vec<(u64, String)> = ids
            .zip(templates.iter().cycle())
            .map(|(id, (method, params))| (id, request_line(id, method, params)))
            .collect();
        let (replies, elapsed) = provider.pipeline(lines)?;
        if let Some(bad) = replies.values().find(|reply| reply.get("result").is_none()) {
            return Err(BenchError::new(format!(
                "a check/diff request failed: {bad}"
            )));
        }
        provider.finish()?;
        rates.push(requests as f64 / elapsed.as_secs_f64());
    }
    Ok(rates)
}

/// Peak memory with `in_flight` requests in flight at once.
pub struct MemoryFigures {
    /// `VmRSS` after start-up and one `getSchema`.
    pub idle_bytes: u64,
    /// `VmHWM` once every request was answered.
    pub peak_bytes: u64,
    /// Wall time of the whole burst; well under twice the sleep proves the requests overlapped.
    pub burst: Duration,
}

/// Sends `in_flight` `test/sleep` requests at once (test hooks on) and reads the peak resident set.
pub fn peak_memory(
    command: &ProviderCommand,
    in_flight: u64,
    sleep: Duration,
) -> Result<MemoryFigures, BenchError> {
    let command = command.clone().with_env(TEST_HOOKS_VARIABLE, "1");
    let mut provider = Provider::start(&command)?;
    provider.call("getSchema", json!({}))?;
    let (_, idle_bytes) = memory_of(provider.pid())?;
    let ids = provider.take_ids(in_flight);
    let params = json!({"milliseconds": sleep.as_millis() as u64});
    let lines: Vec<(u64, String)> = ids
        .map(|id| (id, request_line(id, "test/sleep", &params)))
        .collect();
    let (replies, burst) = provider.pipeline(lines)?;
    if let Some(bad) = replies.values().find(|reply| error_code(reply).is_some()) {
        return Err(BenchError::new(format!(
            "test/sleep failed (is the binary built with its test hooks?): {bad}"
        )));
    }
    if burst >= sleep * 2 {
        return Err(BenchError::new(format!(
            "{in_flight} sleeps of {sleep:?} took {burst:?}: they did not run concurrently"
        )));
    }
    let (peak_bytes, _) = memory_of(provider.pid())?;
    provider.finish()?;
    Ok(MemoryFigures {
        idle_bytes,
        peak_bytes,
        burst,
    })
}
