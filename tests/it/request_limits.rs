//! Pathological inputs are capped before the expensive work, through the real binary: a `check`
//! with a hundred thousand policies, or a property bag with as many names, gets a short
//! failure naming the limit (not seconds of validation and an echo of megabytes); other methods
//! refuse such params with `-32602`; and the provider keeps serving. The limits are those of
//! `provider::limits` (documented in docs/protocol.md).

use crate::common;

use common::ProviderProcess;
use serde_json::{json, Value};

const AAP: &str = "alicloud-kms:index:ApplicationAccessPoint";

fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

#[test]
fn oversized_inputs_get_a_short_check_failure_naming_the_limit() {
    let mut provider = ProviderProcess::spawn(&[]);
    let policies: Vec<String> = (0..100_000).map(|i| format!("p{i}")).collect();
    let many_names: serde_json::Map<String, Value> = (0..100_000)
        .map(|i| (format!("k{i}"), json!("v")))
        .collect();
    let cases = [
        (
            json!({"type": AAP, "news": {"applicationAccessPointName": "a", "policies": policies}}),
            "policies",
            "100000 items",
        ),
        (
            json!({"type": AAP, "news": many_names}),
            "news",
            "100000 properties",
        ),
        (
            json!({"type": AAP, "news": {"applicationAccessPointName": "a", "policies": ["p"],
                                         "description": "d".repeat(1024 * 1024)}}),
            "description",
            "1048576 bytes",
        ),
    ];
    for (id, (params, property, fragment)) in (1u64..).zip(cases) {
        provider.send_line(&request(id, "check", params));
        let line = provider.receive_line();
        assert!(
            line.len() < 4096,
            "the reply echoes the input: {} bytes",
            line.len()
        );
        let reply: Value = serde_json::from_str(&line).unwrap();
        let result = &reply["result"];
        assert_eq!(result["inputs"], json!({}), "{reply}");
        let failures = result["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{reply}");
        assert_eq!(failures[0]["property"], json!(property), "{reply}");
        let reason = failures[0]["reason"].as_str().unwrap();
        assert!(reason.contains(fragment), "{reason}");
    }
    let info = provider.call(9, "getPluginInfo", json!({}));
    assert_eq!(info["result"]["version"], json!("0.1.0"));
    let (status, _, _) = provider.finish();
    assert!(status.success());
}

#[test]
fn other_methods_refuse_oversized_property_bags_with_invalid_params() {
    let mut provider = ProviderProcess::spawn(&[]);
    let policies = vec!["p"; 5_000];
    let state = json!({"applicationAccessPointName": "a", "policies": ["p"]});
    let oversized = json!({"applicationAccessPointName": "a", "policies": policies});
    let cases = [
        (
            "diff",
            json!({"type": AAP, "id": "a", "olds": state, "news": oversized}),
        ),
        (
            "create",
            json!({"type": AAP, "properties": oversized, "preview": true}),
        ),
        (
            "checkConfig",
            json!({"news": {"endpoint": "x".repeat(100_000)}}),
        ),
    ];
    for (id, (method, params)) in (1u64..).zip(cases) {
        let reply = provider.call(id, method, params);
        if method == "checkConfig" {
            let failures = reply["result"]["failures"].as_array().unwrap();
            assert_eq!(failures[0]["property"], json!("endpoint"), "{reply}");
            continue;
        }
        assert_eq!(reply["error"]["code"], json!(-32602), "{method}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("too large") && message.contains("5000 items"),
            "{message}"
        );
    }
    let (status, _, _) = provider.finish();
    assert!(status.success());
}
