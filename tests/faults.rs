//! Faults injected by the emulator, through the real binary: throttling and 5xx retried to
//! success (with `log` notifications), a hang that ends at the deadline, a create whose reply is
//! lost after it committed, concurrent lost creates on one access point (which must never delete
//! a key another create made), and `cancel` ending waits.
//!
//! The provider runs with the test hook that shortens retry waits to 20 ms, except where a test
//! says otherwise (the real first wait is a second).

mod resources_support;

use std::collections::BTreeSet;
use std::fs;

use kms_emulator::{Action, FaultSpec};
use resources_support::*;
use serde_json::{json, Value};

fn fault(emulator: &kms_emulator::Emulator, action: &str, spec: FaultSpec) {
    emulator.set_fault(action, spec).unwrap();
}

fn once() -> FaultSpec {
    FaultSpec {
        times: Some(1),
        ..FaultSpec::default()
    }
}

fn seed_key_inputs(harness: &mut Harness, key_file: &str) -> Value {
    harness.check(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z",
               "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": key_file}),
    )
}

/// The key file holds the only key in the emulator.
fn assert_one_key_matching_the_file(harness: &Harness, id: &str, key_file: &str) -> String {
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].id, id);
    let parsed: Value =
        serde_json::from_str(&fs::read_to_string(harness.path(key_file)).unwrap()).unwrap();
    assert_eq!(parsed["KeyId"], id);
    parsed["PrivateKeyData"].as_str().unwrap().to_owned()
}

fn retry_logs<'a>(harness: &'a Harness, action: &str) -> Vec<&'a Value> {
    harness
        .provider
        .logs
        .iter()
        .filter(|log| {
            log["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{action} attempt "))
        })
        .collect()
}

#[test]
fn throttling_and_5xx_on_idempotent_calls_are_retried_to_success() {
    let mut harness = Harness::start();
    let emulator = &harness.emulator;
    fault(
        emulator,
        "CreateApplicationAccessPoint",
        FaultSpec {
            throttle_ratio: 1.0,
            ..once()
        },
    );
    fault(
        emulator,
        "DescribeApplicationAccessPoint",
        FaultSpec {
            server_error_ratio: 1.0,
            ..once()
        },
    );
    fault(
        emulator,
        "CreateClientKey",
        FaultSpec {
            throttle_ratio: 1.0,
            ..once()
        },
    );
    fault(
        emulator,
        "GetClientKey",
        FaultSpec {
            server_error_ratio: 1.0,
            server_error_status: Some(503),
            ..once()
        },
    );
    fault(
        emulator,
        "DeleteClientKey",
        FaultSpec {
            throttle_ratio: 1.0,
            ..once()
        },
    );

    let aap = harness.create_access_point("aap", &["p"]);
    assert_eq!(aap["id"], "aap");
    let read = harness.provider.result(
        "read",
        json!({"urn": urn(AAP_TYPE, "aap"), "id": "aap", "properties": aap["properties"]}),
    );
    assert_eq!(read["id"], "aap");

    let inputs = seed_key_inputs(&mut harness, "key.json");
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = assert_one_key_matching_the_file(&harness, id, "key.json");
    assert!(
        created["properties"]["createTime"].is_string(),
        "GetClientKey was retried"
    );
    harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": created["properties"]}),
    );
    assert!(harness.emulator.client_keys().is_empty());

    for action in [
        "CreateApplicationAccessPoint",
        "DescribeApplicationAccessPoint",
        "CreateClientKey",
        "GetClientKey",
        "DeleteClientKey",
    ] {
        let logs = retry_logs(&harness, action);
        assert_eq!(logs.len(), 1, "{action}: {:?}", harness.provider.logs);
        assert_eq!(logs[0]["severity"], "warning");
        assert!(logs[0]["urn"].as_str().unwrap().starts_with("urn:pulumi:"));
        let message = logs[0]["message"].as_str().unwrap();
        assert!(message.contains("request id "), "{message}");
    }
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn a_5xx_on_a_create_is_resolved_by_looking_and_created_once() {
    let mut harness = Harness::start();
    fault(
        &harness.emulator,
        "CreateApplicationAccessPoint",
        FaultSpec {
            server_error_ratio: 1.0,
            ..once()
        },
    );
    let aap = harness.create_access_point("aap", &["p"]);
    assert_eq!(aap["id"], "aap");
    assert_eq!(harness.emulator.access_points().len(), 1);
    assert_eq!(
        harness
            .emulator
            .call_count(Action::CreateApplicationAccessPoint),
        2
    );

    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            server_error_ratio: 1.0,
            ..once()
        },
    );
    let inputs = seed_key_inputs(&mut harness, "key.json");
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let private_data =
        assert_one_key_matching_the_file(&harness, created["id"].as_str().unwrap(), "key.json");
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 2);
    assert_eq!(harness.emulator.call_count(Action::ListClientKeys), 1);
    let explained = harness.provider.logs.iter().any(|log| {
        log["message"]
            .as_str()
            .unwrap()
            .contains("no key was made, so the provider creates the client key again")
    });
    assert!(explained, "{:?}", harness.provider.logs);
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn commit_then_drop_on_create_client_key_ends_with_exactly_one_key_matching_the_file() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            drop_after_commit_ratio: 1.0,
            ..once()
        },
    );
    let inputs = seed_key_inputs(&mut harness, "key.json");
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = assert_one_key_matching_the_file(&harness, id, "key.json");
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 2);
    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 1);
    let deleted_lost = harness.provider.logs.iter().any(|log| {
        log["message"]
            .as_str()
            .unwrap()
            .contains("was deleted because its private key was lost with the reply")
    });
    assert!(deleted_lost, "{:?}", harness.provider.logs);
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn commit_then_drop_on_create_access_point_adopts_the_exact_match() {
    let mut harness = Harness::start();
    fault(
        &harness.emulator,
        "CreateApplicationAccessPoint",
        FaultSpec {
            drop_after_commit_ratio: 1.0,
            ..once()
        },
    );
    let created = harness.create_access_point("aap", &["p1", "p2"]);
    assert_eq!(created["id"], "aap");
    assert_eq!(created["properties"]["policies"], json!(["p1", "p2"]));
    assert_eq!(
        harness
            .emulator
            .call_count(Action::CreateApplicationAccessPoint),
        1
    );
    let adopted = harness.provider.logs.iter().any(|log| {
        log["severity"] == "warning" && log["message"].as_str().unwrap().contains("adopting it")
    });
    assert!(adopted, "{:?}", harness.provider.logs);
    harness.finish(&[]);
}

#[test]
fn concurrent_lost_creates_on_one_access_point_never_delete_another_creates_key() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            drop_after_commit_ratio: 1.0,
            times: Some(2),
            ..FaultSpec::default()
        },
    );
    let inputs = harness.check(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD}),
    );
    // Three creates at once; the first two to arrive lose their replies.
    let ids: Vec<u64> = (0..3)
        .map(|index| {
            harness.provider.send(
                "create",
                json!({"urn": urn(KEY_TYPE, &format!("key{index}")), "properties": inputs}),
            )
        })
        .collect();
    let replies: Vec<Value> = ids.iter().map(|id| harness.provider.reply(*id)).collect();

    let in_kms: BTreeSet<String> = harness
        .emulator
        .client_keys()
        .into_iter()
        .map(|key| key.id)
        .collect();
    let mut accounted = BTreeSet::new();
    for reply in &replies {
        if let Some(result) = reply.get("result") {
            let id = result["id"].as_str().unwrap().to_owned();
            assert!(
                in_kms.contains(&id),
                "a successful create's key was deleted: {reply}"
            );
            accounted.insert(id);
        } else {
            let error = &reply["error"];
            assert_eq!(error["code"], -32060, "{reply}");
            let candidates = error["data"]["candidateIds"].as_array().unwrap();
            assert!(!candidates.is_empty(), "{reply}");
            for candidate in candidates {
                let candidate = candidate.as_str().unwrap();
                assert!(in_kms.contains(candidate), "{reply}");
                assert!(
                    error["message"].as_str().unwrap().contains(candidate),
                    "{reply}"
                );
                accounted.insert(candidate.to_owned());
            }
        }
    }
    // Every key in KMS belongs to a successful create or is named by an error.
    assert_eq!(accounted, in_kms, "{replies:?}");
    harness.finish(&[PASSWORD]);
}

#[test]
fn a_hang_ends_at_the_deadline_with_a_clear_error_and_no_key_left() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let hang = FaultSpec {
        hang_ratio: 1.0,
        hang_ms: 30_000,
        ..once()
    };

    fault(&harness.emulator, "CreateClientKey", hang.clone());
    let inputs = seed_key_inputs(&mut harness, "key.json");
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs, "timeout": 1.5}),
    );
    assert_eq!(error["code"], -32055, "{error}");
    assert_eq!(error["data"]["timeoutSeconds"], 1.5);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("create did not finish within its timeout of 1.5s"),
        "{message}"
    );
    assert!(
        message.contains("no client key was left behind"),
        "{message}"
    );
    assert!(harness.emulator.client_keys().is_empty());
    assert!(!harness.path("key.json").exists());
    assert_eq!(
        directory_names(harness.directory.path()),
        Vec::<String>::new()
    );

    fault(&harness.emulator, "DescribeApplicationAccessPoint", hang);
    let error = harness.provider.error(
        "read",
        json!({"urn": urn(AAP_TYPE, "aap"), "id": "aap", "timeout": 1}),
    );
    assert_eq!(error["code"], -32055, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("DescribeApplicationAccessPoint did not complete before its deadline"),
        "{error}"
    );
    harness.finish(&[PASSWORD]);
}

#[test]
fn real_retry_waits_start_at_a_second_and_cancel_ends_them_at_once() {
    // The real schedule: no test hook for short waits.
    let mut harness = Harness::start_with(&[("ALICLOUD_KMS_PROVIDER_TEST_RETRY_DELAY_MS", "")]);
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            throttle_ratio: 1.0,
            ..FaultSpec::default()
        },
    );
    let inputs = harness.check(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD}),
    );
    let create = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs, "timeout": 300}),
    );
    let retry = harness.provider.wait_for_log(|log| {
        log["message"]
            .as_str()
            .unwrap()
            .starts_with("CreateClientKey attempt 1 failed, retrying in ")
    });
    let message = retry["message"].as_str().unwrap();
    let seconds: f64 = message
        .trim_start_matches("CreateClientKey attempt 1 failed, retrying in ")
        .split('s')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Equal jitter: between half and all of the first wait of one second.
    assert!((0.5..=1.0).contains(&seconds), "{message}");

    harness.provider.notify("cancel");
    let reply = harness.provider.reply(create);
    assert_eq!(reply["error"]["code"], -32056, "{reply}");
    assert_eq!(
        reply["error"]["data"],
        json!({"kind": "cancelled", "operation": "create"})
    );
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 1);

    // Later operations fail the same way, without calling KMS; the process keeps serving.
    let error = harness
        .provider
        .error("read", json!({"urn": urn(AAP_TYPE, "aap"), "id": "aap"}));
    assert_eq!(error["code"], -32056, "{error}");
    let info = harness.provider.result("getPluginInfo", json!({}));
    assert_eq!(info["version"], "0.1.0");
    assert!(harness.emulator.client_keys().is_empty());
    harness.finish(&[PASSWORD]);
}

#[test]
fn cancel_during_an_in_flight_create_says_a_key_may_exist_and_how_to_find_it() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            hang_ratio: 1.0,
            hang_ms: 30_000,
            ..once()
        },
    );
    let inputs = harness.check(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD}),
    );
    let create = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    // The request is in flight once the emulator counted it.
    while harness.emulator.call_count(Action::CreateClientKey) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    harness.provider.notify("cancel");
    let reply = harness.provider.reply(create);
    let error = &reply["error"];
    assert_eq!(error["code"], -32056, "{reply}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("aliyun kms ListClientKeys --AapName aap"),
        "{message}"
    );
    harness.finish(&[PASSWORD]);
}
