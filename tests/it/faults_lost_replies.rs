//! Creates whose reply is lost or whose follow-up fails, through the real binary against the
//! emulator (one stack; `ownership.rs` has two): a 5xx on CreateClientKey, or a commit-then-drop
//! with the validity left to the provider, ends with exactly one key and the file matching it; a
//! commit-then-drop with the user's dates names the key and deletes nothing; an access point
//! created despite a dropped reply is adopted; concurrent lost creates on one access point never
//! delete a key another create made; a failed read-back keeps the key as `resource_init_failed`;
//! a create KMS carries out late (after its connection dropped) is found after the settle delay,
//! or, later than that, named by its dates in the reply and the log.

use crate::resources_support;

use std::collections::BTreeSet;

use alicloud_kms_provider::provider::kms_options::TEST_SETTLE_DELAY_VARIABLE;
use kms_emulator::{Action, FaultSpec};
use resources_support::accounting::{assert_keys_accounted_for, CreateReply};
use resources_support::*;
use serde_json::{json, Value};

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
    // One listing before the first attempt (the snapshot), and two after the lost reply: at once,
    // and again after the settle delay, in case the request reaches KMS late.
    assert_eq!(harness.emulator.call_count(Action::ListClientKeys), 3);
    let explained = harness.provider.has_log(
        None,
        "no key was made as far as KMS shows (no key with NotBefore 2023-09-01T14:11:22Z and NotAfter \
         2028-09-01T14:11:22Z appeared on aap, listed at once and again 0.05s later)",
    ) && harness
        .provider
        .has_log(None, "the provider creates the client key again");
    assert!(explained, "{:?}", harness.provider.logs);
    // The success names the lost attempt's dates too.
    let warnings = created["warnings"].to_string();
    assert!(
        warnings.contains("a key of aap with NotBefore 2023-09-01T14:11:22Z and NotAfter 2028-09-01T14:11:22Z that appears later"),
        "{created}"
    );
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn commit_then_drop_with_the_validity_left_out_deletes_the_lost_key_and_ends_with_one_key() {
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
    let inputs = harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": "key.json"}),
    );
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = assert_one_key_matching_the_file(&harness, id, "key.json");
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 2);
    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 1);
    let deleted_lost = harness.provider.has_log(
        None,
        "was deleted because its private key was lost with the reply",
    );
    assert!(deleted_lost, "{:?}", harness.provider.logs);
    // The validity the provider chose is in the state, and is what KMS holds.
    let key = &harness.emulator.client_keys()[0];
    assert_eq!(created["properties"]["notBefore"], key.not_before.as_str());
    assert_eq!(created["properties"]["notAfter"], key.not_after.as_str());
    assert_ne!(key.not_before, key.create_time, "not KMS's default");
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn commit_then_drop_with_the_users_dates_names_the_key_and_deletes_nothing() {
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
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    // Another stack could have made a key with the same dates at the same moment: the provider
    // cannot prove the new key its own, so it names it and leaves it.
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(error["code"], -32060, "{error}");
    assert_eq!(error["data"]["candidateIds"], json!([keys[0].id]));
    let message = error["message"].as_str().unwrap();
    for expected in [
        keys[0].id.as_str(),
        "deleted none and claims none",
        "pulumi stack export",
        "aliyun kms DeleteClientKey --ClientKeyId <id>",
        "leaving notBefore and notAfter out",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 1);
    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 0);
    assert!(!harness.path("key.json").exists());
    harness.finish(&[PASSWORD]);
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
    let adopted = harness.provider.has_log(Some("warning"), "adopting it");
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
    let inputs = harness.assert_check_passes(
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
fn a_failed_read_back_after_create_keeps_the_key_as_resource_init_failed() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    fault(
        &harness.emulator,
        "GetClientKey",
        FaultSpec {
            server_error_ratio: 1.0,
            ..FaultSpec::default()
        },
    );
    let inputs = seed_key_inputs(&mut harness, "key.json");
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    assert_eq!(error["code"], -32057, "{error}");
    let data = &error["data"];
    assert_eq!(data["kind"], "resource_init_failed");
    let id = data["id"].as_str().unwrap();
    let private_data = assert_one_key_matching_the_file(&harness, id, "key.json");
    // The properties known so far, without unknowns: the engine keeps the key in its state.
    assert_eq!(
        data["properties"],
        json!({"aapName": "aap", "password": secret(PASSWORD), "notBefore": "2023-09-01T14:11:22Z",
               "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": "key.json"})
    );
    let reason = data["reasons"][0].as_str().unwrap();
    assert!(reason.contains("GetClientKey"), "{reason}");
    assert!(reason.contains("RequestId "), "{reason}");
    assert!(error["message"].as_str().unwrap().starts_with(&format!(
        "ClientKey {id} was created but is not fully initialised"
    )));

    // Once KMS answers again, a refresh fills in createTime.
    harness.emulator.clear_faults();
    let read = harness.provider.result(
        "read",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": data["properties"], "inputs": inputs}),
    );
    assert_eq!(
        read["properties"]["createTime"],
        harness.emulator.client_keys()[0].create_time
    );
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn a_lost_key_proven_its_own_that_cannot_be_deleted_is_named_with_how_to_delete_it() {
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
    fault(
        &harness.emulator,
        "DeleteClientKey",
        FaultSpec {
            server_error_ratio: 1.0,
            server_error_status: Some(503),
            ..FaultSpec::default()
        },
    );
    let inputs = harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": "key.json"}),
    );
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs, "timeout": 5}),
    );
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(error["code"], -32060, "{error}");
    assert_eq!(error["data"]["candidateIds"], json!([keys[0].id]));
    let message = error["message"].as_str().unwrap();
    for expected in [
        keys[0].id.as_str(),
        "the validity dates the provider chose for this create prove it",
        "ServiceUnavailableTemporary",
        "aliyun kms DeleteClientKey --ClientKeyId <id>",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert!(!harness.path("key.json").exists());
    harness.finish(&[PASSWORD]);
}

/// Whose dates a late-delivered create carries.
#[derive(Clone, Copy, Debug)]
enum Dates {
    /// The program leaves the validity out: the provider chooses dates that prove authorship.
    Providers,
    /// The program sets the seed's dates: any stack may use the same.
    Users,
}

/// A CreateClientKey whose connection drops at once and which KMS carries out `late_ms` later,
/// with the provider's settle delay set to `settle_ms`: the create's reply, and the key file.
fn late_delivered_create(dates: Dates, late_ms: u64, settle_ms: u64) -> (Harness, Value) {
    let settle = settle_ms.to_string();
    let mut harness = Harness::start_with(&[(TEST_SETTLE_DELAY_VARIABLE, &settle)]);
    harness.create_access_point("aap", &["p"]);
    let news = match dates {
        Dates::Providers => {
            json!({"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": "key.json"})
        }
        Dates::Users => {
            json!({"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z",
                               "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": "key.json"})
        }
    };
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", news);
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            deliver_late_ratio: 1.0,
            deliver_late_ms: late_ms,
            ..once()
        },
    );
    let reply = harness.provider.call(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    (harness, reply)
}

/// Waits until the emulator holds `count` client keys (a late request may still be on its way).
fn wait_for_keys(harness: &Harness, count: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness.emulator.client_keys().len() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "{count} keys never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_create_delivered_three_seconds_after_its_connection_dropped_leaves_no_unnamed_key() {
    // The settle delay (4 s here, injected; 5 s by default) covers a delivery 3 s late: the second
    // listing finds the key. Both rows run at once.
    let rows = [Dates::Providers, Dates::Users].map(|dates| {
        std::thread::spawn(move || {
            let (harness, reply) = late_delivered_create(dates, 3000, 4000);
            let row = format!("{dates:?} dates");
            let keys = harness.emulator.client_keys();
            match dates {
                Dates::Providers => {
                    // Proven its own by the dates: deleted, and created again.
                    let created = reply
                        .get("result")
                        .unwrap_or_else(|| panic!("{row}: {reply}"));
                    assert_eq!(keys.len(), 1, "{row}: {keys:?}");
                    assert_eq!(keys[0].id, created["id"].as_str().unwrap(), "{row}");
                    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 1);
                    assert!(
                        harness.provider.has_log(
                            Some("warning"),
                            "was deleted because its private key was lost"
                        ),
                        "{row}: {:?}",
                        harness.provider.logs
                    );
                }
                Dates::Users => {
                    // Any stack may use these dates: named, deleted by nobody.
                    assert_eq!(reply["error"]["code"], -32060, "{row}: {reply}");
                    assert_eq!(keys.len(), 1, "{row}: {keys:?}");
                    assert_eq!(reply["error"]["data"]["candidateIds"], json!([keys[0].id]));
                }
            }
            let replies = [CreateReply::new(&reply, &harness.path("key.json"))];
            assert_keys_accounted_for(&harness.emulator, &replies, &row);
            let private = harness
                .path("key.json")
                .exists()
                .then(|| key_file_private_data(&harness.path("key.json")));
            let mut secrets = vec![PASSWORD];
            secrets.extend(private.as_deref());
            harness.finish(&secrets);
        })
    });
    for row in rows {
        row.join().unwrap();
    }
}

#[test]
fn a_create_delivered_after_the_settle_delay_is_named_by_its_dates_in_the_reply_and_the_log() {
    // The window the settle delay leaves: KMS carries out the lost request after the second
    // listing (here 800 ms late against a 100 ms settle delay). The provider has created the key
    // again by then; the success names the dates of the key that appears, and so does a log line.
    let rows = [Dates::Providers, Dates::Users].map(|dates| {
        std::thread::spawn(move || {
            let (harness, reply) = late_delivered_create(dates, 800, 100);
            let row = format!("{dates:?} dates");
            let created = reply
                .get("result")
                .unwrap_or_else(|| panic!("{row}: {reply}"));
            wait_for_keys(&harness, 2);
            let late = harness
                .emulator
                .client_keys()
                .into_iter()
                .find(|key| key.id != created["id"].as_str().unwrap())
                .unwrap();
            let dates_text = format!(
                "NotBefore {} and NotAfter {}",
                late.not_before, late.not_after
            );
            assert!(
                harness.provider.has_log(Some("warning"), &dates_text),
                "{row}: {:?}",
                harness.provider.logs
            );
            let replies = [CreateReply::new(&reply, &harness.path("key.json"))];
            assert_keys_accounted_for(&harness.emulator, &replies, &row);
            let private = key_file_private_data(&harness.path("key.json"));
            harness.finish(&[PASSWORD, &private]);
        })
    });
    for row in rows {
        row.join().unwrap();
    }
}
