//! The Policy lifecycle through the real binary against the in-process emulator, as an engine
//! drives it: check → preview create → create → read → diff (no change) → preview update →
//! update → read → diff (no change) → diff (replace) → delete → read (gone); then import by name,
//! refresh after out-of-band change and deletion, the ownership rule of a create, deleting a
//! policy an access point still lists (refused by the provider's own check, which reads every
//! page of access points), and permissions that are empty or repeat.

use crate::resources_support;

use kms_emulator::{Action, FaultSpec, PolicyPatch};
use resources_support::*;
use serde_json::{json, Value};

const POLICY_TYPE: &str = "alicloud-kms:index:Policy";
const KEY_USER: &str = "RbacPermission/Template/CryptoServiceKeyUser";
const SECRET_USER: &str = "RbacPermission/Template/CryptoServiceSecretUser";

/// The seed's policy: the key permission on every key of one instance, from one network rule;
/// the rules written the way people write JSON by hand.
fn seed_program() -> Value {
    json!({
        "policyName": "terraform-example-policy",
        "kmsInstanceId": "kst-hzz634e67d126u9p9example",
        "permissions": [KEY_USER],
        "resources": ["key/*"],
        "accessControlRules": "{\n  \"NetworkRules\": [\"rule-b\", \"rule-a\"]\n}",
        "description": "the seed's policy",
    })
}

const CANONICAL_RULES: &str = "{\"NetworkRules\":[\"rule-a\",\"rule-b\"]}";

#[test]
fn lifecycle() {
    let mut harness = Harness::start();
    let policy_urn = urn(POLICY_TYPE, "policy");
    let inputs = harness.assert_check_passes(POLICY_TYPE, "policy", seed_program());
    assert_eq!(inputs["accessControlRules"], CANONICAL_RULES);
    let name = "terraform-example-policy";

    let preview = harness.provider.result(
        "create",
        json!({"urn": policy_urn, "properties": inputs, "preview": true}),
    );
    assert_eq!(preview, json!({"id": "", "properties": inputs}));
    assert_eq!(harness.emulator.call_count(Action::DescribePolicy), 0);
    assert!(harness.emulator.policies().is_empty());

    let created = harness.provider.result(
        "create",
        json!({"urn": policy_urn, "properties": inputs, "timeout": 300}),
    );
    assert_eq!(created["id"], name);
    assert_eq!(created["properties"], inputs);
    let stored = harness.emulator.policies();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].kms_instance, "kst-hzz634e67d126u9p9example");
    assert_eq!(stored[0].permissions, [KEY_USER]);
    assert_eq!(stored[0].resources, ["key/*"]);
    assert_eq!(stored[0].network_rules, ["rule-a", "rule-b"]);
    let state = created["properties"].clone();

    let read = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": name, "properties": state, "inputs": inputs}),
    );
    assert_eq!(
        read,
        json!({"id": name, "properties": inputs, "inputs": inputs})
    );
    // The program, checked again as written (pretty JSON, names unsorted), has no diff.
    let again = harness.assert_check_passes(POLICY_TYPE, "policy", seed_program());
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": read["properties"], "news": again}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // In place: both permissions, another resource, one rule fewer, no description.
    let mut changed = seed_program();
    changed["permissions"] = json!([SECRET_USER, KEY_USER]);
    changed["resources"] = json!(["key/*", "secret/*"]);
    changed["accessControlRules"] = json!("{\"NetworkRules\":[\"rule-a\"]}");
    changed.as_object_mut().unwrap().remove("description");
    let new_inputs = harness.assert_check_passes(POLICY_TYPE, "policy", changed);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": state, "news": new_inputs}),
    );
    assert_eq!(
        diff["diffs"],
        json!([
            "accessControlRules",
            "description",
            "permissions",
            "resources"
        ]),
        "{diff}"
    );
    assert_eq!(diff["replaces"], json!([]), "{diff}");
    let update_params = json!({"urn": policy_urn, "id": name, "olds": state, "news": new_inputs,
                               "oldInputs": inputs, "timeout": 300});
    let mut preview_params = update_params.clone();
    preview_params["preview"] = json!(true);
    let previewed = harness.provider.result("update", preview_params);
    assert_eq!(previewed["properties"], new_inputs);
    assert_eq!(harness.emulator.call_count(Action::UpdatePolicy), 0);
    let updated = harness.provider.result("update", update_params);
    assert_eq!(updated["properties"], new_inputs);
    let stored = harness.emulator.policies();
    assert_eq!(stored[0].permissions, [SECRET_USER, KEY_USER]);
    assert_eq!(stored[0].network_rules, ["rule-a"]);
    assert_eq!(stored[0].description, "");
    let read = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": name, "properties": updated["properties"], "inputs": new_inputs}),
    );
    assert_eq!(read["properties"], new_inputs);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": read["properties"], "news": new_inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // Another KMS instance replaces, the old policy first (the name stays).
    let mut moved = new_inputs.clone();
    moved["kmsInstanceId"] = json!("kst-other");
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": read["properties"], "news": moved}),
    );
    assert_eq!(diff["replaces"], json!(["kmsInstanceId"]), "{diff}");
    assert_eq!(diff["deleteBeforeReplace"], true, "{diff}");
    // ... and an update asked for it anyway is refused, with nothing sent.
    let error = harness.provider.error(
        "update",
        json!({"urn": policy_urn, "id": name, "olds": read["properties"], "news": moved}),
    );
    assert_eq!(error["code"], -32058, "{error}");
    assert_eq!(harness.emulator.call_count(Action::UpdatePolicy), 1);

    let deleted = harness.provider.result(
        "delete",
        json!({"urn": policy_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.policies().is_empty());
    let gone = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(gone, json!({"id": "", "properties": {}, "inputs": {}}));
    harness.finish(&[]);
}

#[test]
fn import_by_name_and_refresh_after_out_of_band_change_and_deletion() {
    let mut harness = Harness::start();
    let policy_urn = urn(POLICY_TYPE, "policy");
    let inputs = harness.assert_check_passes(POLICY_TYPE, "policy", seed_program());
    let created = harness
        .provider
        .result("create", json!({"urn": policy_urn, "properties": inputs}));
    let name = "terraform-example-policy";

    let imported = harness
        .provider
        .result("read", json!({"type": POLICY_TYPE, "id": name}));
    assert_eq!(imported["inputs"], inputs);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": imported["properties"], "news": inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    assert!(harness.emulator.update_policy(
        name,
        PolicyPatch {
            resources: Some(vec!["secret/*".into()]),
            network_rules: Some(vec!["rule-c".into()]),
            ..PolicyPatch::default()
        }
    ));
    let refreshed = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": name, "properties": created["properties"], "inputs": inputs}),
    );
    assert_eq!(refreshed["properties"]["resources"], json!(["secret/*"]));
    assert_eq!(
        refreshed["properties"]["accessControlRules"],
        "{\"NetworkRules\":[\"rule-c\"]}"
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": name, "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(
        diff["diffs"],
        json!(["accessControlRules", "resources"]),
        "{diff}"
    );
    let restored = harness.provider.result(
        "update",
        json!({"urn": policy_urn, "id": name, "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(restored["properties"], inputs);
    assert_eq!(
        harness.emulator.policies()[0].network_rules,
        ["rule-a", "rule-b"]
    );

    assert!(harness.emulator.delete_policy(name));
    let gone = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": name, "properties": inputs}),
    );
    assert_eq!(gone["id"], "");
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": policy_urn, "id": name, "properties": inputs}),
    );
    assert_eq!(deleted, json!({}));
    harness.finish(&[]);
}

#[test]
fn a_taken_name_is_never_claimed_and_a_lost_reply_is_adopted_only_when_exact() {
    let mut harness = Harness::start();
    harness.assert_created(POLICY_TYPE, "first", seed_program());
    let inputs = harness.assert_check_passes(POLICY_TYPE, "second", seed_program());
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(POLICY_TYPE, "second"), "properties": inputs}),
    );
    assert_eq!(error["code"], -32061, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("pulumi import alicloud-kms:index:Policy second terraform-example-policy"),
        "{message}"
    );
    assert_eq!(harness.emulator.call_count(Action::CreatePolicy), 1);

    // The name cannot be checked first (DescribePolicy throttled past every retry): without the
    // proof that it was free, a lost reply could never be settled, so nothing is created.
    // (create_by_name's unit tests cover each branch of a lost reply; this is the whole path
    // through the binary.)
    let mut program = seed_program();
    program["policyName"] = json!("unproven");
    let inputs = harness.assert_check_passes(POLICY_TYPE, "unproven", program);
    fault(
        &harness.emulator,
        "DescribePolicy",
        FaultSpec {
            throttle_ratio: 1.0,
            ..FaultSpec::default()
        },
    );
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(POLICY_TYPE, "unproven"), "properties": inputs}),
    );
    assert_eq!(error["code"], -32052, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("checks that the name unproven is free")
            && message.contains("nothing was created"),
        "{message}"
    );
    assert_eq!(harness.emulator.call_count(Action::CreatePolicy), 1);
    assert_eq!(harness.emulator.policies().len(), 1);
    harness.finish(&[]);
}

#[test]
fn a_policy_an_access_point_still_lists_beyond_the_first_page_is_not_deleted_and_the_error_names_it(
) {
    // KMS (and the emulator, like it) would delete a policy that access points still list, and
    // their applications would lose access: the provider looks through every page of access
    // points first. 120 access points: the one that lists the policy is on the second page.
    let mut harness = Harness::start();
    let policy = harness.assert_created(POLICY_TYPE, "policy", seed_program());
    for index in 0..119 {
        harness.create_access_point(&format!("filler-{index:03}"), &["other-policy"]);
    }
    harness.create_access_point(
        "terraform-example",
        &["other-policy", "terraform-example-policy"],
    );
    let describes_before = harness
        .emulator
        .call_count(Action::DescribeApplicationAccessPoint);
    let error = harness.provider.error(
        "delete",
        json!({"urn": urn(POLICY_TYPE, "policy"), "id": "terraform-example-policy", "properties": policy["properties"]}),
    );
    assert_eq!(error["code"], -32062, "{error}");
    assert_eq!(
        error["data"],
        json!({"kind": "in_use", "resource": "Policy", "name": "terraform-example-policy", "usedBy": ["terraform-example"]})
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("still in use by the application access points terraform-example"),
        "{message}"
    );
    assert!(
        message.contains(
            "remove the policy from the policies of those access points (or delete them) first"
        ),
        "{message}"
    );
    // Every page was listed (100 a page) and every access point described.
    assert_eq!(
        harness
            .emulator
            .call_count(Action::ListApplicationAccessPoints),
        2
    );
    assert_eq!(
        harness
            .emulator
            .call_count(Action::DescribeApplicationAccessPoint)
            - describes_before,
        120
    );
    assert_eq!(harness.emulator.call_count(Action::DeletePolicy), 0);
    assert_eq!(harness.emulator.policies().len(), 1);

    // Unbound, it goes.
    assert!(harness.emulator.update_access_point(
        "terraform-example",
        kms_emulator::AccessPointPatch {
            policies: Some(vec!["other-policy".into()]),
            description: None,
        }
    ));
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": urn(POLICY_TYPE, "policy"), "id": "terraform-example-policy", "properties": policy["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.policies().is_empty());
    harness.finish(&[]);
}

#[test]
fn permissions_may_be_empty_or_repeat_as_terraform_tests_show_and_never_diff_forever() {
    let mut harness = Harness::start();
    let policy_urn = urn(POLICY_TYPE, "policy");
    let twice = json!({"policyName": "twice", "kmsInstanceId": "shared",
        "permissions": [SECRET_USER, SECRET_USER], "resources": ["key/a*", "key/b*", "key/c*"],
        "accessControlRules": "{\"NetworkRules\":[]}"});
    let created = harness.assert_created(POLICY_TYPE, "policy", twice.clone());
    assert_eq!(
        harness.emulator.policies()[0].permissions,
        [SECRET_USER, SECRET_USER]
    );
    let read = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": "twice", "properties": created["properties"]}),
    );
    let again = harness.assert_check_passes(POLICY_TYPE, "policy", twice.clone());
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": "twice", "olds": read["properties"], "news": again}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // Emptied, as Terraform's test does; then no change on the next run.
    let mut empty = twice.clone();
    empty["permissions"] = json!([]);
    let emptied = harness.assert_check_passes(POLICY_TYPE, "policy", empty.clone());
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": "twice", "olds": read["properties"], "news": emptied}),
    );
    assert_eq!(diff["diffs"], json!(["permissions"]), "{diff}");
    harness.provider.result(
        "update",
        json!({"urn": policy_urn, "id": "twice", "olds": read["properties"], "news": emptied}),
    );
    assert!(harness.emulator.policies()[0].permissions.is_empty());
    let read = harness.provider.result(
        "read",
        json!({"urn": policy_urn, "id": "twice", "properties": emptied}),
    );
    let again = harness.assert_check_passes(POLICY_TYPE, "policy", empty);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": policy_urn, "id": "twice", "olds": read["properties"], "news": again}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");
    harness.finish(&[]);
}
