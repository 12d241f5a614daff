//! The ApplicationAccessPoint lifecycle through the real binary against the in-process emulator:
//! check → preview create → create → read → diff (no change) → preview update → update → diff
//! (no change) → diff (replace) → delete → read (gone), for each row of a table; then import by
//! name, refresh after out-of-band deletion and change, a name that is taken, and deleting an
//! access point that still has client keys (KMS deletes them with it).

use crate::resources_support;

use kms_emulator::{AccessPointPatch, Action};
use resources_support::*;
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    inputs: Value,
    /// The inputs of the in-place update.
    updated: Value,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "seed",
            inputs: json!({"applicationAccessPointName": "terraform-example", "policies": ["aa"], "description": "aa"}),
            // The description removed: the update must clear it.
            updated: json!({"applicationAccessPointName": "terraform-example", "policies": ["aa", "bb"]}),
        },
        Case {
            name: "policy_names_that_break_naive_parsing",
            inputs: json!({"applicationAccessPointName": "aap.with-odd_names",
                           "policies": ["policy,with,commas", "quote\"d", "ünïcode [x]"]}),
            updated: json!({"applicationAccessPointName": "aap.with-odd_names",
                            "policies": ["back\\slash", "a, b"], "description": "now described"}),
        },
    ]
}

fn policies_of(value: &Value) -> Vec<String> {
    value["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|policy| policy.as_str().unwrap().to_owned())
        .collect()
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
    let name = case.inputs["applicationAccessPointName"].as_str().unwrap();
    let aap_urn = urn(AAP_TYPE, "AAP0");

    let inputs = harness.assert_check_passes(AAP_TYPE, "AAP0", case.inputs.clone());
    assert_eq!(inputs, case.inputs, "{label}");

    let preview = harness.provider.result(
        "create",
        json!({"urn": aap_urn, "properties": inputs, "preview": true}),
    );
    assert_eq!(
        preview,
        json!({"id": "", "properties": case.inputs}),
        "{label}"
    );
    assert!(harness.emulator.access_points().is_empty(), "{label}");

    let created = harness.provider.result(
        "create",
        json!({"urn": aap_urn, "properties": inputs, "timeout": 300}),
    );
    assert_eq!(created["id"], name, "{label}");
    assert_eq!(created["properties"], case.inputs, "{label}");
    let stored = harness.emulator.access_points();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].policies, policies_of(&case.inputs), "{label}");
    assert_eq!(stored[0].authentication_method, "ClientKey");
    let state = created["properties"].clone();

    let read = harness.provider.result(
        "read",
        json!({"urn": aap_urn, "id": name, "properties": state, "inputs": inputs}),
    );
    assert_eq!(
        read,
        json!({"id": name, "properties": case.inputs, "inputs": case.inputs}),
        "{label}: policies round-trip exactly"
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": aap_urn, "id": name, "olds": read["properties"], "news": inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{label}: {diff}");

    // The update: diff says in place, preview changes nothing, update changes KMS.
    let new_inputs = harness.assert_check_passes(AAP_TYPE, "AAP0", case.updated.clone());
    let diff = harness.provider.result(
        "diff",
        json!({"urn": aap_urn, "id": name, "olds": state, "news": new_inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_SOME", "{label}");
    assert_eq!(diff["replaces"], json!([]), "{label}: {diff}");
    let update_params = json!({"urn": aap_urn, "id": name, "olds": state, "news": new_inputs,
                               "oldInputs": inputs, "timeout": 300});
    let mut preview_params = update_params.clone();
    preview_params["preview"] = json!(true);
    let previewed = harness.provider.result("update", preview_params);
    assert_eq!(previewed["properties"], case.updated, "{label}");
    assert_eq!(
        harness
            .emulator
            .call_count(Action::UpdateApplicationAccessPoint),
        0,
        "{label}"
    );
    assert_eq!(
        harness.emulator.access_points()[0].policies,
        policies_of(&case.inputs)
    );

    let updated = harness.provider.result("update", update_params);
    assert_eq!(updated["properties"], case.updated, "{label}");
    let stored = harness.emulator.access_points();
    assert_eq!(stored[0].policies, policies_of(&case.updated), "{label}");
    assert_eq!(
        stored[0].description,
        case.updated["description"].as_str().unwrap_or_default(),
        "{label}: a removed description is cleared"
    );
    let read = harness.provider.result(
        "read",
        json!({"urn": aap_urn, "id": name, "properties": updated["properties"], "inputs": new_inputs}),
    );
    assert_eq!(read["properties"], case.updated, "{label}");
    let diff = harness.provider.result(
        "diff",
        json!({"urn": aap_urn, "id": name, "olds": read["properties"], "news": new_inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{label}: {diff}");

    // A new name replaces, deleting first (the old name would collide otherwise).
    let mut renamed = case.updated.clone();
    renamed["applicationAccessPointName"] = json!("renamed");
    let renamed_inputs = harness.assert_check_passes(AAP_TYPE, "AAP0", renamed);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": aap_urn, "id": name, "olds": read["properties"], "news": renamed_inputs}),
    );
    assert_eq!(
        diff["replaces"],
        json!(["applicationAccessPointName"]),
        "{label}"
    );

    let deleted = harness.provider.result(
        "delete",
        json!({"urn": aap_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.access_points().is_empty(), "{label}");
    let gone = harness.provider.result(
        "read",
        json!({"urn": aap_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(
        gone,
        json!({"id": "", "properties": {}, "inputs": {}}),
        "{label}"
    );
    harness.finish(&[]);
}

#[test]
fn import_by_name_and_refresh_after_out_of_band_change_and_deletion() {
    let mut harness = Harness::start();
    let program = json!({"applicationAccessPointName": "terraform-example", "policies": ["aa"], "description": "aa"});
    let inputs = harness.assert_check_passes(AAP_TYPE, "AAP0", program.clone());
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "properties": inputs}),
    );

    // Import: the name alone gives the inputs; check + diff against the program: no change.
    let imported = harness
        .provider
        .result("read", json!({"type": AAP_TYPE, "id": "terraform-example"}));
    assert_eq!(imported["inputs"], program);
    assert_eq!(imported["properties"], program);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "olds": imported["properties"], "news": inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE");

    // Out-of-band change: the refresh shows it, the diff plans the update back.
    assert!(harness.emulator.update_access_point(
        "terraform-example",
        AccessPointPatch {
            policies: Some(vec!["changed,by hand".into(), "aa".into()]),
            description: Some(String::new()),
        }
    ));
    let refreshed = harness.provider.result(
        "read",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "properties": created["properties"], "inputs": inputs}),
    );
    assert_eq!(
        refreshed["properties"],
        json!({"applicationAccessPointName": "terraform-example", "policies": ["changed,by hand", "aa"]})
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_SOME");
    assert_eq!(diff["diffs"], json!(["description", "policies"]), "{diff}");
    let restored = harness.provider.result(
        "update",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(restored["properties"], program);
    assert_eq!(harness.emulator.access_points()[0].policies, ["aa"]);
    assert_eq!(harness.emulator.access_points()[0].description, "aa");

    // Out-of-band deletion: gone on refresh, delete still succeeds.
    assert!(harness.emulator.delete_access_point("terraform-example"));
    let gone = harness.provider.result(
        "read",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "properties": program}),
    );
    assert_eq!(gone["id"], "");
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "terraform-example", "properties": program}),
    );
    assert_eq!(deleted, json!({}));
    harness.finish(&[]);
}

#[test]
fn a_taken_name_suggests_import() {
    let mut harness = Harness::start();
    harness.create_access_point("taken", &["p"]);

    let inputs = harness.assert_check_passes(
        AAP_TYPE,
        "second",
        json!({"applicationAccessPointName": "taken", "policies": ["q"]}),
    );
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(AAP_TYPE, "second"), "properties": inputs}),
    );
    // Seen before the attempt: the create stops without asking KMS to create anything.
    assert_eq!(error["code"], -32061, "{error}");
    assert_eq!(
        error["data"],
        json!({"kind": "already_exists", "resource": "ApplicationAccessPoint", "name": "taken"})
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("pulumi import alicloud-kms:index:ApplicationAccessPoint second taken"),
        "{message}"
    );
    assert_eq!(harness.emulator.access_points()[0].policies, ["p"]);
    assert_eq!(
        harness
            .emulator
            .call_count(Action::CreateApplicationAccessPoint),
        1
    );
    harness.finish(&[]);
}

#[test]
fn deleting_an_access_point_deletes_its_client_keys_which_then_read_as_gone() {
    let mut harness = Harness::start();
    harness.create_access_point("busy", &["p"]);
    let key_inputs = harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "busy", "password": PASSWORD, "privateKeyDataFile": "key.json"}),
    );
    let key_urn = urn(KEY_TYPE, "key");
    let key = harness
        .provider
        .result("create", json!({"urn": key_urn, "properties": key_inputs}));
    let key_id = key["id"].as_str().unwrap().to_owned();
    assert!(harness.path("key.json").exists());

    let deleted = harness.provider.result(
        "delete",
        json!({"urn": urn(AAP_TYPE, "AAP0"), "id": "busy", "properties": {"applicationAccessPointName": "busy", "policies": ["p"]}}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.access_points().is_empty());
    assert!(
        harness.emulator.client_keys().is_empty(),
        "the keys went with the access point"
    );

    // The key reads as gone (a refresh drops it), and deleting it still succeeds and removes its
    // key file, which holds a key that no longer works.
    let gone = harness.provider.result(
        "read",
        json!({"urn": key_urn, "id": key_id, "properties": key["properties"], "inputs": key_inputs}),
    );
    assert_eq!(gone, json!({"id": "", "properties": {}, "inputs": {}}));
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": key_urn, "id": key_id, "properties": key["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.provider.has_log(
        Some("info"),
        &format!("client key {key_id} was already gone")
    ));
    assert!(!harness.path("key.json").exists());
    harness.finish(&[PASSWORD]);
}
