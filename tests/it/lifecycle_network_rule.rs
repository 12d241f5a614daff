//! The NetworkRule lifecycle through the real binary against the in-process emulator, as an
//! engine drives it: check (auto-naming) → preview create → create → read → diff (no change) →
//! check again (the name stays) → preview update → update → read → diff (no change) → diff
//! (replace) → delete → read (gone); then import by name, refresh after out-of-band change and
//! deletion, the ownership rule of a create (a taken name, a lost reply), and deleting a rule a
//! policy still names (refused by the provider's own check, which reads every page of policies).

use crate::resources_support;

use kms_emulator::{Action, FaultSpec, NetworkRulePatch};
use resources_support::*;
use serde_json::{json, Value};

const RULE_TYPE: &str = "alicloud-kms:index:NetworkRule";

/// `check` with the last checked inputs as `olds`, as the engine sends it on a later update.
fn check_with_olds(harness: &mut Harness, olds: &Value, news: Value) -> Value {
    let result = harness.provider.result(
        "check",
        json!({"urn": urn(RULE_TYPE, "rule"), "olds": olds, "news": news}),
    );
    assert_eq!(result["failures"], json!([]), "{result}");
    result["inputs"].clone()
}

#[test]
fn lifecycle_with_an_auto_name() {
    let mut harness = Harness::start();
    let rule_urn = urn(RULE_TYPE, "rule");
    let program =
        json!({"sourcePrivateIps": ["10.10.10.10/24", "192.168.17.13"], "description": "web tier"});

    // The name is generated from the resource name, and kept by every later check.
    let inputs = harness.assert_check_passes(RULE_TYPE, "rule", program.clone());
    let name = inputs["networkRuleName"].as_str().unwrap().to_owned();
    let suffix = name
        .strip_prefix("rule-")
        .expect("<resource name>-<suffix>");
    assert_eq!(suffix.len(), 7, "{name}");
    assert!(
        suffix.chars().all(|digit| digit.is_ascii_hexdigit()),
        "{name}"
    );
    assert_eq!(
        check_with_olds(&mut harness, &inputs, program.clone()),
        inputs
    );

    let preview = harness.provider.result(
        "create",
        json!({"urn": rule_urn, "properties": inputs, "preview": true}),
    );
    assert_eq!(preview, json!({"id": "", "properties": inputs}));
    assert_eq!(harness.emulator.call_count(Action::DescribeNetworkRule), 0);
    assert!(harness.emulator.network_rules().is_empty());

    let created = harness.provider.result(
        "create",
        json!({"urn": rule_urn, "properties": inputs, "timeout": 300}),
    );
    assert_eq!(created["id"], name);
    assert_eq!(created["properties"], inputs);
    let stored = harness.emulator.network_rules();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].name.as_str(),
            stored[0].rule_type.as_str(),
            stored[0].description.as_str()
        ),
        (name.as_str(), "Private", "web tier")
    );
    assert_eq!(
        stored[0].source_private_ip,
        ["10.10.10.10/24", "192.168.17.13"]
    );
    // The name was seen free before the create.
    assert_eq!(harness.emulator.call_count(Action::DescribeNetworkRule), 1);
    let state = created["properties"].clone();

    let read = harness.provider.result(
        "read",
        json!({"urn": rule_urn, "id": name, "properties": state, "inputs": inputs}),
    );
    assert_eq!(
        read,
        json!({"id": name, "properties": inputs, "inputs": inputs})
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": name, "olds": read["properties"], "news": inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // An update in place: other addresses, the description removed (and so cleared).
    let new_inputs = check_with_olds(
        &mut harness,
        &inputs,
        json!({"sourcePrivateIps": ["192.168.17.13", "10.0.0.0/8"]}),
    );
    assert_eq!(new_inputs["networkRuleName"], name);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": name, "olds": state, "news": new_inputs}),
    );
    assert_eq!(
        diff["diffs"],
        json!(["description", "sourcePrivateIps"]),
        "{diff}"
    );
    assert_eq!(diff["replaces"], json!([]), "{diff}");
    let update_params = json!({"urn": rule_urn, "id": name, "olds": state, "news": new_inputs,
                               "oldInputs": inputs, "timeout": 300});
    let mut preview_params = update_params.clone();
    preview_params["preview"] = json!(true);
    let previewed = harness.provider.result("update", preview_params);
    assert_eq!(previewed["properties"], new_inputs);
    assert_eq!(harness.emulator.call_count(Action::UpdateNetworkRule), 0);
    let updated = harness.provider.result("update", update_params);
    assert_eq!(updated["properties"], new_inputs);
    let stored = harness.emulator.network_rules();
    assert_eq!(stored[0].source_private_ip, ["192.168.17.13", "10.0.0.0/8"]);
    assert_eq!(stored[0].description, "");
    let read = harness.provider.result(
        "read",
        json!({"urn": rule_urn, "id": name, "properties": updated["properties"], "inputs": new_inputs}),
    );
    assert_eq!(read["properties"], new_inputs);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": name, "olds": read["properties"], "news": new_inputs}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // The engine checks a replacement without olds. Without a seed the name is derived from the
    // URN again, the same: a replacement the engine forces deletes the old rule first.
    let same =
        harness.assert_check_passes(RULE_TYPE, "rule", json!({"sourcePrivateIps": ["10.0.0.1"]}));
    assert_eq!(same["networkRuleName"], name);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": name, "olds": read["properties"], "news": same}),
    );
    assert_eq!(diff["deleteBeforeReplace"], true, "{diff}");
    // With the seed of a new deployment (Pulumi's engine sends one), a new name: the replacement
    // may be created first.
    let renamed = harness.provider.result(
        "check",
        json!({"urn": rule_urn, "olds": {}, "news": {"sourcePrivateIps": ["10.0.0.1"]}, "randomSeed": "c2VlZA=="}),
    )["inputs"]
        .clone();
    assert_ne!(renamed["networkRuleName"], name);
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": name, "olds": read["properties"], "news": renamed}),
    );
    assert_eq!(diff["replaces"], json!(["networkRuleName"]), "{diff}");
    assert_eq!(diff["deleteBeforeReplace"], false, "{diff}");

    let deleted = harness.provider.result(
        "delete",
        json!({"urn": rule_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(deleted, json!({}));
    assert!(harness.emulator.network_rules().is_empty());
    let gone = harness.provider.result(
        "read",
        json!({"urn": rule_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(gone, json!({"id": "", "properties": {}, "inputs": {}}));
    let again = harness.provider.result(
        "delete",
        json!({"urn": rule_urn, "id": name, "properties": read["properties"]}),
    );
    assert_eq!(again, json!({}));
    assert!(harness.provider.has_log(
        Some("info"),
        &format!("network rule {name} was already gone")
    ));
    harness.finish(&[]);
}

#[test]
fn import_by_name_and_refresh_after_out_of_band_change_and_deletion() {
    let mut harness = Harness::start();
    let rule_urn = urn(RULE_TYPE, "rule");
    let program =
        json!({"networkRuleName": "office", "sourcePrivateIps": ["10.0.0.1", "10.0.0.2"]});
    let inputs = harness.assert_check_passes(RULE_TYPE, "rule", program.clone());
    let created = harness
        .provider
        .result("create", json!({"urn": rule_urn, "properties": inputs}));

    // Import: the name alone gives the inputs; the program, checked against them, has no diff,
    // whatever the order of its addresses.
    let imported = harness
        .provider
        .result("read", json!({"type": RULE_TYPE, "id": "office"}));
    assert_eq!(imported["inputs"], program);
    let reordered = check_with_olds(
        &mut harness,
        &imported["inputs"],
        json!({"networkRuleName": "office", "sourcePrivateIps": ["10.0.0.2", "10.0.0.1"]}),
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": "office", "olds": imported["properties"], "news": reordered}),
    );
    assert_eq!(diff["changes"], "DIFF_NONE", "{diff}");

    // An import of a rule the program leaves unnamed keeps the imported name (check finds it in
    // the olds, which are the read's inputs).
    let unnamed = check_with_olds(
        &mut harness,
        &imported["inputs"],
        json!({"sourcePrivateIps": ["10.0.0.1", "10.0.0.2"]}),
    );
    assert_eq!(unnamed["networkRuleName"], "office");

    // Out-of-band change: the refresh shows it, the update puts it back.
    assert!(harness.emulator.update_network_rule(
        "office",
        NetworkRulePatch {
            source_private_ip: Some(vec!["10.9.9.9".into()]),
            description: Some("changed by hand".into()),
        }
    ));
    let refreshed = harness.provider.result(
        "read",
        json!({"urn": rule_urn, "id": "office", "properties": created["properties"], "inputs": inputs}),
    );
    assert_eq!(
        refreshed["properties"],
        json!({"networkRuleName": "office", "sourcePrivateIps": ["10.9.9.9"], "description": "changed by hand"})
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": rule_urn, "id": "office", "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(
        diff["diffs"],
        json!(["description", "sourcePrivateIps"]),
        "{diff}"
    );
    let restored = harness.provider.result(
        "update",
        json!({"urn": rule_urn, "id": "office", "olds": refreshed["properties"], "news": inputs}),
    );
    assert_eq!(restored["properties"], program);
    let stored = &harness.emulator.network_rules()[0];
    assert_eq!(
        (stored.source_private_ip.len(), stored.description.as_str()),
        (2, "")
    );

    // Out-of-band deletion: gone on refresh, delete still succeeds.
    assert!(harness.emulator.delete_network_rule("office"));
    let gone = harness.provider.result(
        "read",
        json!({"urn": rule_urn, "id": "office", "properties": program}),
    );
    assert_eq!(gone["id"], "");
    let deleted = harness.provider.result(
        "delete",
        json!({"urn": rule_urn, "id": "office", "properties": program}),
    );
    assert_eq!(deleted, json!({}));
    harness.finish(&[]);
}

#[test]
fn a_taken_name_is_never_claimed_and_a_lost_reply_adopts_only_what_this_create_made() {
    let mut harness = Harness::start();
    let program = json!({"networkRuleName": "shared", "sourcePrivateIps": ["10.0.0.1"]});
    harness.assert_created(RULE_TYPE, "first", program.clone());

    // Another stack's rule of that name, even an identical one, is not adopted.
    let inputs = harness.assert_check_passes(RULE_TYPE, "second", program.clone());
    let error = harness.provider.error(
        "create",
        json!({"urn": urn(RULE_TYPE, "second"), "properties": inputs}),
    );
    assert_eq!(error["code"], -32061, "{error}");
    assert_eq!(
        error["data"],
        json!({"kind": "already_exists", "resource": "NetworkRule", "name": "shared"})
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("pulumi import alicloud-kms:index:NetworkRule second shared"),
        "{message}"
    );
    assert_eq!(harness.emulator.call_count(Action::CreateNetworkRule), 1);

    // The reply to a create is lost after KMS made the rule: the name was free before, the rule
    // is exactly the one asked for, so it is adopted, with a warning.
    fault(
        &harness.emulator,
        "CreateNetworkRule",
        FaultSpec {
            drop_after_commit_ratio: 1.0,
            ..once()
        },
    );
    let lost_urn = urn(RULE_TYPE, "lost");
    let inputs = harness.assert_check_passes(
        RULE_TYPE,
        "lost",
        json!({"networkRuleName": "lost", "sourcePrivateIps": ["10.0.0.7"], "description": "d"}),
    );
    let created = harness
        .provider
        .result("create", json!({"urn": lost_urn, "properties": inputs}));
    assert_eq!(created["id"], "lost");
    assert_eq!(created["properties"], inputs);
    assert!(harness.provider.has_log(
        Some("warning"),
        "the network rule lost exists with exactly the requested settings, and the name was free just \
         before this create, so this create made it: adopting it"
    ));
    assert_eq!(harness.emulator.network_rules().len(), 2);
    harness.finish(&[]);
}

#[test]
fn a_rule_a_policy_still_names_beyond_the_first_page_is_not_deleted_and_the_error_names_it() {
    // KMS would delete a rule that policies still name: the provider reads every page of
    // policies first. 110 policies: the one that names the rule is on the second page.
    let mut harness = Harness::start();
    let rule = harness.assert_created(
        RULE_TYPE,
        "rule",
        json!({"networkRuleName": "busy", "sourcePrivateIps": ["10.0.0.1"]}),
    );
    let policy = |name: &str, rules: &str| {
        json!({"policyName": name, "kmsInstanceId": "kst-1",
               "permissions": ["RbacPermission/Template/CryptoServiceKeyUser"], "resources": ["key/*"],
               "accessControlRules": rules})
    };
    for index in 0..109 {
        let name = format!("filler-{index:03}");
        harness.assert_created(
            "alicloud-kms:index:Policy",
            &name,
            policy(&name, "{\"NetworkRules\":[\"other\"]}"),
        );
    }
    harness.assert_created(
        "alicloud-kms:index:Policy",
        "policy",
        policy("zz-policy", "{\"NetworkRules\":[\"other\",\"busy\"]}"),
    );
    let error = harness.provider.error(
        "delete",
        json!({"urn": urn(RULE_TYPE, "rule"), "id": "busy", "properties": rule["properties"]}),
    );
    assert_eq!(error["code"], -32062, "{error}");
    assert_eq!(error["data"]["usedBy"], json!(["zz-policy"]), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("still in use by the permission policies zz-policy"),
        "{message}"
    );
    assert!(
        message.contains(
            "remove the rule from the accessControlRules of those policies (or delete them) first"
        ),
        "{message}"
    );
    assert_eq!(harness.emulator.call_count(Action::ListPolicies), 2);
    assert_eq!(harness.emulator.call_count(Action::DeleteNetworkRule), 0);
    assert_eq!(harness.emulator.network_rules()[0].name, "busy");
    harness.finish(&[]);
}
