//! Faults injected by the emulator on calls that may be repeated, through the real binary:
//! throttling and 5xx retried to success (each retry announced by a `log` warning), a hang that
//! ends at the deadline, and `cancel` ending waits at once, including the real first wait of about
//! a second.
//!
//! The provider runs with the test hook that shortens retry waits to 20 ms, except where a test
//! says otherwise.

use crate::resources_support;

use alicloud_kms_provider::provider::kms_options::TEST_RETRY_DELAY_VARIABLE;
use kms_emulator::{Action, FaultSpec};
use resources_support::*;
use serde_json::json;

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
    let mut harness = Harness::start_with(&[(TEST_RETRY_DELAY_VARIABLE, "")]);
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            throttle_ratio: 1.0,
            ..FaultSpec::default()
        },
    );
    let inputs = harness.assert_check_passes(
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
fn cancel_during_an_in_flight_create_still_looks_for_the_key_and_says_none_was_left() {
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
    let inputs = harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD}),
    );
    let create = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    // The request is in flight once the emulator counted it.
    wait_until_called(&harness.emulator, Action::CreateClientKey);
    harness.provider.notify("cancel");
    let reply = harness.provider.reply(create);
    let error = &reply["error"];
    assert_eq!(error["code"], -32056, "{reply}");
    let message = error["message"].as_str().unwrap();
    // The clean-up ran despite the cancellation: the keys were listed after it.
    assert!(
        message.contains("no key was made") && message.contains("no client key was left behind"),
        "{message}"
    );
    // A request given up on may still be carried out: the key to look out for is named by its
    // dates, the ones the provider chose.
    assert!(
        message.contains("if it still reaches KMS, a key of aap with NotBefore"),
        "{message}"
    );
    // The snapshot, and the two looks after the cancellation (a settle delay apart).
    assert_eq!(harness.emulator.call_count(Action::ListClientKeys), 3);
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 1);
    assert!(harness.emulator.client_keys().is_empty());
    harness.finish(&[PASSWORD]);
}

#[test]
fn cancel_during_the_search_for_a_lost_key_still_deletes_or_names_it() {
    // (validity left to the provider: the key is proven its own and deleted; the user's dates:
    // it is named)
    for explicit_dates in [false, true] {
        let mut harness = Harness::start();
        harness.create_access_point("aap", &["p"]);
        // The create commits and loses its reply; its search then lists the keys slowly.
        fault(
            &harness.emulator,
            "CreateClientKey",
            FaultSpec {
                latency_ms: 300,
                drop_after_commit_ratio: 1.0,
                ..once()
            },
        );
        let mut news = json!({"aapName": "aap", "password": PASSWORD});
        if explicit_dates {
            news["notBefore"] = json!("2023-09-01T14:11:22Z");
            news["notAfter"] = json!("2028-09-01T14:11:22Z");
        }
        let inputs = harness.assert_check_passes(KEY_TYPE, "key", news);
        let create = harness.provider.send(
            "create",
            json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
        );
        // Whatever was listed before the create was sent (the snapshot), the next listing is the
        // search.
        wait_until_called(&harness.emulator, Action::CreateClientKey);
        let listed_before = harness.emulator.call_count(Action::ListClientKeys);
        fault(
            &harness.emulator,
            "ListClientKeys",
            FaultSpec {
                latency_ms: 1500,
                ..once()
            },
        );
        wait_for_calls(&harness.emulator, Action::ListClientKeys, listed_before + 1);
        harness.provider.notify("cancel");
        let reply = harness.provider.reply(create);
        let error = &reply["error"];
        let keys = harness.emulator.client_keys();
        if explicit_dates {
            assert_eq!(keys.len(), 1, "{keys:?}");
            assert_eq!(error["code"], -32060, "{reply}");
            assert_eq!(
                error["data"]["candidateIds"],
                json!([keys[0].id]),
                "{reply}"
            );
        } else {
            assert!(keys.is_empty(), "an orphan was left: {keys:?} {reply}");
            assert_eq!(error["code"], -32056, "{reply}");
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains("was deleted because its private key was lost"),
                "{message}"
            );
            assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 1);
        }
        harness.finish(&[PASSWORD]);
    }
}
