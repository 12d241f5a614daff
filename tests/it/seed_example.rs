//! The seed example (docs/kms-api.md §5.5), grown into the whole access chain and translated to
//! our protocol: a network rule with private IPs (named by the provider after its resource name);
//! a policy on KMS instance `kst-...` with `RbacPermission/Template/CryptoServiceKeyUser` on
//! `key/*`, bound to the rule; the access point `terraform-example` with that policy and
//! description `"aa"`; and a client key with password `YouPassword123!`, validity
//! 2023-09-01T14:11:22Z to 2028-09-01T14:11:22Z and private key file
//! `./private_key_data_file.txt`. Each link's outputs feed the next one's inputs. It runs through
//! the quickstart's own driver and the real binary, against an in-process emulator: create, then a
//! second pass (refresh + diff) that finds no changes, then (second test) delete.

// The cloud target of the driver cannot run here (no credentials, no network), so it is unused.
#[allow(dead_code)]
#[path = "../../examples/quickstart/driver.rs"]
mod driver;

use crate::common;

use std::fs;

use common::process::BINARY;
use driver::{Options, Step, Target};
use kms_emulator::{Config, Emulator};
use serde_json::Value;

fn options(emulator: &Emulator, directory: &std::path::Path, destroy: bool) -> Options {
    Options {
        provider_binary: BINARY.into(),
        working_directory: directory.to_path_buf(),
        target: Target::Emulator {
            endpoint: emulator.addr().to_string(),
        },
        aap_name: driver::SEED_AAP_NAME.to_owned(),
        kms_instance_id: driver::SEED_KMS_INSTANCE.to_owned(),
        destroy,
    }
}

fn step(resource: &str, operation: &str, id: &str) -> Step {
    Step {
        resource: resource.to_owned(),
        operation: operation.to_owned(),
        id: id.to_owned(),
    }
}

#[test]
fn the_seed_example_creates_the_whole_chain_and_a_second_pass_changes_nothing() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let mut output = Vec::new();
    let report = driver::run(&options(&emulator, directory.path(), false), &mut output)
        .unwrap_or_else(|error| panic!("{error}\n{}", String::from_utf8_lossy(&output)));
    let key_id = report.client_key_id.as_str();
    let rule = report.network_rule_name.as_str();
    let suffix = rule
        .strip_prefix("networkRule-")
        .expect("named after the resource");
    assert!(
        suffix.len() == 7 && suffix.chars().all(|digit| digit.is_ascii_hexdigit()),
        "{rule}"
    );
    let policy = "terraform-example-policy";
    let aap = "terraform-example";
    let mut expected = Vec::new();
    for (resource, id) in [
        ("NetworkRule", rule),
        ("Policy", policy),
        ("ApplicationAccessPoint", aap),
        ("ClientKey", key_id),
    ] {
        expected.push(step(resource, "preview create", "(none yet)"));
        expected.push(step(resource, "create", id));
    }
    for (resource, id) in [
        ("NetworkRule", rule),
        ("Policy", policy),
        ("ApplicationAccessPoint", aap),
        ("ClientKey", key_id),
    ] {
        expected.push(step(resource, "refresh", id));
        expected.push(step(resource, "diff: no changes", id));
    }
    assert_eq!(report.steps, expected);

    // Outputs fed inputs: the policy names the rule, the access point the policy, the key the
    // access point.
    let rules = emulator.network_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name, rule);
    assert_eq!(rules[0].source_private_ip, driver::SEED_SOURCE_PRIVATE_IPS);
    let policies = emulator.policies();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].name, policy);
    assert_eq!(policies[0].kms_instance, driver::SEED_KMS_INSTANCE);
    assert_eq!(policies[0].permissions, [driver::SEED_PERMISSION]);
    assert_eq!(policies[0].resources, [driver::SEED_RESOURCE]);
    assert_eq!(policies[0].network_rules, [rule]);
    let access_points = emulator.access_points();
    assert_eq!(access_points.len(), 1);
    assert_eq!(access_points[0].name, "terraform-example");
    assert_eq!(access_points[0].policies, [policy]);
    assert_eq!(access_points[0].description, "aa");
    let keys = emulator.client_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id, key_id);
    assert_eq!(keys[0].aap_name, "terraform-example");
    assert_eq!(keys[0].not_before, driver::SEED_NOT_BEFORE);
    assert_eq!(keys[0].not_after, driver::SEED_NOT_AFTER);

    assert_eq!(
        report.key_file,
        directory.path().join("private_key_data_file.txt")
    );
    let key_file: Value =
        serde_json::from_str(&fs::read_to_string(&report.key_file).unwrap()).unwrap();
    assert_eq!(key_file["KeyId"], key_id);
    let private_data = key_file["PrivateKeyData"].as_str().unwrap();

    let printed = String::from_utf8(output).unwrap();
    assert!(
        printed.contains(&format!(
            "ClientKey                create           {key_id}"
        )),
        "{printed}"
    );
    assert!(!printed.contains(driver::SEED_PASSWORD), "{printed}");
    assert!(
        !printed.contains(private_data),
        "the private key reached the output"
    );
}

#[test]
fn the_seed_example_with_destroy_leaves_nothing_behind() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let mut output = Vec::new();
    let report = driver::run(&options(&emulator, directory.path(), true), &mut output)
        .unwrap_or_else(|error| panic!("{error}\n{}", String::from_utf8_lossy(&output)));
    // Dependents first: KMS keeps a policy an access point lists, a rule a policy names.
    let deletes: Vec<&str> = report
        .steps
        .iter()
        .filter(|step| step.operation == "delete")
        .map(|step| step.resource.as_str())
        .collect();
    assert_eq!(
        deletes,
        [
            "ClientKey",
            "ApplicationAccessPoint",
            "Policy",
            "NetworkRule"
        ]
    );
    assert!(emulator.client_keys().is_empty());
    assert!(emulator.access_points().is_empty());
    assert!(emulator.policies().is_empty());
    assert!(emulator.network_rules().is_empty());
    assert!(!report.key_file.exists());
    assert!(fs::read_dir(directory.path()).unwrap().next().is_none());
}

#[test]
fn a_failing_step_is_reported_with_the_providers_reason() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    // The chain exists already. A second run, with the same URNs, derives the same name for its
    // network rule (auto-names come from what the engine sends, so a preview shows them), which
    // is taken: the provider claims nothing it did not make, and the driver says why.
    let mut output = Vec::new();
    driver::run(&options(&emulator, directory.path(), false), &mut output).unwrap();
    let rule = emulator.network_rules()[0].name.clone();
    let other = tempfile::tempdir().unwrap();
    let error = driver::run(&options(&emulator, other.path(), false), &mut Vec::new()).unwrap_err();
    assert!(error.starts_with("create failed (-32061)"), "{error}");
    assert!(
        error.contains(&format!(
            "pulumi import alicloud-kms:index:NetworkRule networkRule {rule}"
        )),
        "{error}"
    );
    assert_eq!(emulator.policies().len(), 1);
    assert_eq!(emulator.network_rules().len(), 1);
}
