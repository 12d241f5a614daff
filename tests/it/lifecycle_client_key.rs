//! The ClientKey lifecycle through the real binary against the in-process emulator, as an engine
//! drives it: check → preview create → create → read → diff (no change) → diff (replace) → delete
//! → read (gone), for each row of a table of inputs; then import by id, and refresh after an
//! out-of-band deletion and after out-of-band drift.

use crate::resources_support;

use std::fs;

use resources_support::*;
use serde_json::{json, Value};

/// One row: the program's inputs (besides `aapName` and `password`), the key file it should
/// produce (relative to the working directory), and the validity KMS should report (`None`: the
/// default, from the creation time).
struct Case {
    name: &'static str,
    inputs: Value,
    key_file: Option<&'static str>,
    validity: Option<(&'static str, &'static str)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "seed",
            inputs: json!({"notBefore": "2023-09-01T14:11:22Z", "notAfter": "2028-09-01T14:11:22Z",
                           "privateKeyDataFile": "./private_key_data_file.txt"}),
            key_file: Some("private_key_data_file.txt"),
            validity: Some(("2023-09-01T14:11:22Z", "2028-09-01T14:11:22Z")),
        },
        Case {
            name: "defaults_without_key_file",
            inputs: json!({}),
            key_file: None,
            validity: None,
        },
        Case {
            name: "offset_time_and_home_path",
            inputs: json!({"notBefore": "2024-02-29T20:00:00.75+08:00", "notAfter": "2026-02-28T12:00:00Z",
                           "privateKeyDataFile": "~/keys/client.json"}),
            key_file: Some("keys/client.json"),
            validity: Some(("2024-02-29T12:00:00Z", "2026-02-28T12:00:00Z")),
        },
    ]
}

#[test]
fn lifecycle_table() {
    for case in cases() {
        run_lifecycle(&case);
    }
}

fn run_lifecycle(case: &Case) {
    let label = case.name;
    let mut harness = Harness::start();
    fs::create_dir_all(harness.path("keys")).unwrap();
    harness.create_access_point("aap", &["p1"]);
    let key_urn = urn(KEY_TYPE, &format!("key-{label}"));
    let mut news = case.inputs.clone();
    news["aapName"] = json!("aap");
    news["password"] = json!(PASSWORD);

    // check: normalised, password wrapped.
    let check = harness
        .provider
        .result("check", json!({"urn": key_urn, "olds": {}, "news": news}));
    assert_eq!(check["failures"], json!([]), "{label}: {check}");
    let inputs = check["inputs"].clone();
    assert_eq!(inputs["password"], secret(PASSWORD), "{label}");
    if let Some((not_before, _)) = case.validity {
        assert_eq!(inputs["notBefore"], not_before, "{label}");
    }

    // preview create: nothing happens, what KMS decides is unknown.
    let preview = harness.provider.result(
        "create",
        json!({"urn": key_urn, "properties": inputs, "preview": true}),
    );
    assert_eq!(preview["id"], "", "{label}");
    assert_eq!(preview["properties"]["createTime"], UNKNOWN, "{label}");
    if case.validity.is_none() {
        assert_eq!(preview["properties"]["notBefore"], UNKNOWN, "{label}");
        assert_eq!(preview["properties"]["notAfter"], UNKNOWN, "{label}");
    }
    assert!(harness.emulator.client_keys().is_empty(), "{label}");
    assert_eq!(
        harness
            .emulator
            .call_count(kms_emulator::Action::CreateClientKey),
        0,
        "{label}"
    );
    if let Some(file) = case.key_file {
        assert!(
            !harness.path(file).exists(),
            "{label}: preview wrote a file"
        );
    }

    // create
    let created = harness.provider.result(
        "create",
        json!({"urn": key_urn, "properties": inputs, "timeout": 300}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KAAP."), "{label}: {created}");
    let state = created["properties"].clone();
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "{label}");
    assert_eq!(keys[0].id, id);
    assert_eq!(state["aapName"], "aap");
    assert_eq!(state["password"], secret(PASSWORD), "{label}");
    assert_eq!(state["createTime"], keys[0].create_time, "{label}");
    assert_eq!(state["notBefore"], keys[0].not_before, "{label}");
    assert_eq!(state["notAfter"], keys[0].not_after, "{label}");
    if let Some((not_before, not_after)) = case.validity {
        assert_eq!(state["notBefore"], not_before, "{label}");
        assert_eq!(state["notAfter"], not_after, "{label}");
    } else {
        assert_provider_chose_the_validity(&state, label);
    }
    let mut secrets = vec![PASSWORD.to_owned()];
    match case.key_file {
        Some(file) => {
            let path = harness.path(file);
            let text = fs::read_to_string(&path).unwrap();
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed["KeyId"], id, "{label}");
            assert_eq!(
                text,
                format!(
                    r#"{{"KeyId":"{id}","PrivateKeyData":"{}"}}"#,
                    parsed["PrivateKeyData"].as_str().unwrap()
                ),
                "{label}: the file is exactly the compact JSON"
            );
            assert_eq!(file_mode(&path), 0o600, "{label}");
            secrets.push(key_file_private_data(&path));
            assert_eq!(
                state["privateKeyDataFile"],
                case.inputs["privateKeyDataFile"]
            );
        }
        None => {
            let warned = harness
                .provider
                .logs_about(&key_urn)
                .into_iter()
                .any(|log| {
                    log["severity"] == "warning"
                        && log["message"]
                            .as_str()
                            .unwrap()
                            .contains("not kept anywhere")
                });
            assert!(warned, "{label}: {:?}", harness.provider.logs);
        }
    }

    // read (refresh): the state as KMS reports it, the inputs as the program set them.
    let read = harness.provider.result(
        "read",
        json!({"urn": key_urn, "id": id, "properties": state, "inputs": inputs}),
    );
    assert_eq!(read["id"], id, "{label}");
    assert_eq!(read["properties"], state, "{label}");
    assert_eq!(read["inputs"]["password"], secret(PASSWORD), "{label}");
    assert_eq!(
        read["inputs"].get("notBefore").is_some(),
        case.validity.is_some(),
        "{label}: {read}"
    );

    // diff: no change after the refresh.
    let diff = harness.provider.result(
        "diff",
        json!({"urn": key_urn, "id": id, "olds": read["properties"], "news": inputs, "oldInputs": read["inputs"]}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{label}: {diff}");

    // diff: a new password replaces the key.
    let mut changed = news.clone();
    changed["password"] = json!("NewPassword456!");
    let changed_inputs = harness.assert_check_passes(KEY_TYPE, "k", changed);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": key_urn, "id": id, "olds": state, "news": changed_inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_SOME", "{label}");
    assert_eq!(diff["replaces"], json!(["password"]), "{label}: {diff}");

    // delete: the key goes, and so does its key file.
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": key_urn, "id": id, "properties": state, "timeout": 300}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.client_keys().is_empty(), "{label}");
    if let Some(file) = case.key_file {
        assert!(!harness.path(file).exists(), "{label}: key file kept");
        let logged = harness
            .provider
            .logs_about(&key_urn)
            .into_iter()
            .any(|log| {
                log["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("removed the private key file")
            });
        assert!(logged, "{label}");
    }

    // read: gone.
    let gone = harness.provider.result(
        "read",
        json!({"urn": key_urn, "id": id, "properties": state}),
    );
    assert_eq!(
        gone,
        json!({"id": "", "properties": {}, "inputs": {}}),
        "{label}"
    );

    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    harness.finish(&secret_refs);
}

fn seed_inputs(harness: &mut Harness) -> (Value, Value) {
    let news = json!({"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z",
                      "notAfter": "2028-09-01T14:11:22Z", "privateKeyDataFile": "./key.json"});
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", news.clone());
    (news, inputs)
}

#[test]
fn import_by_id_returns_inputs_the_engine_can_adopt_without_a_change() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p1"]);
    let (_, inputs) = seed_inputs(&mut harness);
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = key_file_private_data(&harness.path("key.json"));

    // Import: the id alone.
    let imported = harness
        .provider
        .result("read", json!({"type": KEY_TYPE, "id": id}));
    assert_eq!(imported["id"], id);
    assert_eq!(
        imported["inputs"],
        json!({"aapName": "aap", "notBefore": "2023-09-01T14:11:22Z", "notAfter": "2028-09-01T14:11:22Z"})
    );
    let properties = &imported["properties"];
    assert!(properties.get("password").is_none(), "{imported}");
    assert_eq!(
        properties["createTime"],
        created["properties"]["createTime"]
    );

    // The engine then checks the program's inputs against the imported inputs and diffs them
    // against the imported state: no change, although KMS cannot report password and key file.
    let check = harness.provider.result(
        "check",
        json!({"urn": urn(KEY_TYPE, "key"), "olds": imported["inputs"], "news": inputs}),
    );
    assert_eq!(check["failures"], json!([]));
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "olds": imported["properties"], "news": check["inputs"]}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // An update without a real change writes the program's password and key file into the state.
    let updated = harness.provider.result(
        "update",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "olds": imported["properties"], "news": check["inputs"]}),
    );
    assert_eq!(updated["properties"]["password"], secret(PASSWORD));
    assert_eq!(updated["properties"]["privateKeyDataFile"], "./key.json");
    assert_eq!(
        updated["properties"]["createTime"],
        properties["createTime"]
    );

    // An update with a real change is refused: a client key cannot change in place.
    let mut other = check["inputs"].clone();
    other["notAfter"] = json!("2029-01-01T00:00:00Z");
    let refused = harness.provider.error(
        "update",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "olds": created["properties"], "news": other}),
    );
    assert_eq!(refused["code"], -32058, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("notAfter of a ClientKey cannot change in place"),
        "{refused}"
    );
    assert_eq!(harness.emulator.client_keys().len(), 1);
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn refresh_after_out_of_band_deletion_reports_gone_and_delete_still_succeeds() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p1"]);
    let (_, inputs) = seed_inputs(&mut harness);
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = key_file_private_data(&harness.path("key.json"));
    assert!(harness.emulator.delete_client_key(id));

    let read = harness.provider.result(
        "read",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": created["properties"], "inputs": inputs}),
    );
    assert_eq!(read["id"], "");
    // Deleting a key that is already gone succeeds, and its dead key file is removed.
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": created["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(!harness.path("key.json").exists());
    let told = harness
        .provider
        .logs_about(&urn(KEY_TYPE, "key"))
        .into_iter()
        .any(|log| log["message"] == format!("client key {id} was already gone"));
    assert!(told, "{:?}", harness.provider.logs);
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn refresh_after_out_of_band_drift_reports_what_kms_holds() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p1"]);
    let (news, inputs) = seed_inputs(&mut harness);
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let private_data = key_file_private_data(&harness.path("key.json"));

    // The state no longer matches KMS (edited, or written by another tool); a refresh reports
    // what KMS holds, and the diff against a program that asks for the drifted values replaces.
    let mut drifted = created["properties"].clone();
    drifted["notAfter"] = json!("2030-01-01T00:00:00Z");
    drifted["aapName"] = json!("somewhere-else");
    let read = harness.provider.result(
        "read",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": drifted, "inputs": inputs}),
    );
    assert_eq!(read["properties"], created["properties"], "{read}");

    let mut program = news.clone();
    program["notAfter"] = json!("2030-01-01T00:00:00Z");
    let program_inputs = harness.assert_check_passes(KEY_TYPE, "key", program);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "olds": read["properties"], "news": program_inputs}),
    );
    assert_eq!(diff["replaces"], json!(["notAfter"]), "{diff}");

    // And the AAP deleted behind the provider's back takes the key with it.
    assert!(harness.emulator.delete_access_point("aap"));
    let gone = harness.provider.result(
        "read",
        json!({"urn": urn(KEY_TYPE, "key"), "id": id, "properties": created["properties"]}),
    );
    assert_eq!(gone["id"], "");
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn no_secret_reaches_stderr_even_at_trace_level_during_real_kms_calls() {
    let mut harness = Harness::start_with(&[("RUST_LOG", "trace")]);
    harness.create_access_point("aap", &["p"]);
    // A throttled attempt too, so that retries are logged.
    fault(
        &harness.emulator,
        "CreateClientKey",
        kms_emulator::FaultSpec {
            throttle_ratio: 1.0,
            ..once()
        },
    );
    let (_, inputs) = seed_inputs(&mut harness);
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let private_data = key_file_private_data(&harness.path("key.json"));
    harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": created["id"], "properties": created["properties"]}),
    );
    let stderr = harness.provider.stderr_text();
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "trace logging is on"
    );
    // `finish` fails the test if the password, the private key data or the access key secret
    // appear on stderr, or outside a secret wrapper on stdout.
    harness.finish(&[PASSWORD, &private_data, "demo-access-key-secret"]);
}

/// A validity the provider chose: starting 60 to 659 seconds before the key's creation (a second
/// more for the clock between them), five calendar years long less 1 to 86,400 seconds.
fn assert_provider_chose_the_validity(state: &Value, label: &str) {
    use chrono::{DateTime, Months, Utc};
    let time = |property: &str| -> DateTime<Utc> {
        state[property]
            .as_str()
            .unwrap()
            .parse()
            .unwrap_or_else(|error| panic!("{label}: {property}: {error}"))
    };
    let (not_before, not_after, created) =
        (time("notBefore"), time("notAfter"), time("createTime"));
    let lead = (created - not_before).num_seconds();
    assert!((59..=660).contains(&lead), "{label}: {state}");
    let shorter_by =
        (not_before.checked_add_months(Months::new(60)).unwrap() - not_after).num_seconds();
    assert!((1..=86_400).contains(&shorter_by), "{label}: {state}");
}
