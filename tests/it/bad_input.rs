//! Bad input to the resource operations, through the real binary against the in-process
//! emulator: wrong types, missing ids, ids of the wrong shape, a state of another resource type, a
//! password KMS would reject, unknown values outside a preview, a missing access point, missing
//! credentials. Each gets an error that says what to fix, nothing is created half-way, and the
//! process keeps serving.

use crate::resources_support;

use kms_emulator::Action;
use resources_support::*;
use serde_json::{json, Value};

/// (what, method, params, code, words the message must contain)
fn table() -> Vec<(&'static str, &'static str, Value, i64, Vec<&'static str>)> {
    let key = urn(KEY_TYPE, "key");
    let aap = urn(AAP_TYPE, "aap");
    vec![
        (
            "wrong types",
            "create",
            json!({"urn": key, "properties": {"aapName": 7, "password": true}}),
            -32058,
            vec![
                "aapName must be a string, not a number",
                "password must be a string",
            ],
        ),
        (
            "a password KMS rejects",
            "create",
            json!({"urn": key, "properties": {"aapName": "aap", "password": "short"}}),
            -32058,
            vec!["password must be 8 to 64 characters long, not 5"],
        ),
        (
            "half a validity period",
            "create",
            json!({"urn": key, "properties": {"aapName": "aap", "password": PASSWORD, "notBefore": "2023-09-01T14:11:22Z"}}),
            -32058,
            vec!["set notBefore and notAfter together"],
        ),
        (
            "unknown values outside a preview",
            "create",
            json!({"urn": key, "properties": {"aapName": UNKNOWN, "password": PASSWORD}}),
            -32058,
            vec!["aapName is unknown"],
        ),
        (
            "policies of the wrong type",
            "create",
            json!({"urn": aap, "properties": {"applicationAccessPointName": "x", "policies": "p1,p2"}}),
            -32058,
            vec!["policies must be"],
        ),
        (
            "too many policies",
            "create",
            json!({"urn": aap, "properties": {"applicationAccessPointName": "x", "policies": ["a", "b", "c", "d"]}}),
            -32058,
            vec!["policies must name 1 to 3 permission policies"],
        ),
        (
            "a missing id",
            "read",
            json!({"urn": key}),
            -32602,
            vec!["read needs the resource id"],
        ),
        (
            "an empty id",
            "delete",
            json!({"urn": aap, "id": "", "properties": {}}),
            -32602,
            vec!["delete needs the resource id"],
        ),
        (
            "an access point name as a client key id",
            "read",
            json!({"urn": key, "id": "aap"}),
            -32602,
            vec!["is not a ClientKey id", "KAAP."],
        ),
        (
            "a client key id as an access point id",
            "delete",
            json!({"urn": aap, "id": "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000", "properties": {}}),
            -32602,
            vec!["looks like a ClientKey id"],
        ),
        (
            "a client key state for an access point",
            "delete",
            json!({"urn": aap, "id": "aap", "properties": {"aapName": "aap", "createTime": "2024-01-01T00:00:00Z"}}),
            -32602,
            vec![
                "does not have (aapName, createTime)",
                "another resource type",
            ],
        ),
        (
            "an access point state for a client key",
            "delete",
            json!({"urn": key, "id": "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000", "properties": {"applicationAccessPointName": "aap", "policies": ["p"]}}),
            -32602,
            vec!["another resource type"],
        ),
        (
            "an id that disagrees with the state",
            "update",
            json!({"urn": aap, "id": "aap", "olds": {"applicationAccessPointName": "other", "policies": ["p"]},
                   "news": {"applicationAccessPointName": "aap", "policies": ["q"]}}),
            -32602,
            vec!["disagree"],
        ),
        (
            "a timeout that is not a number",
            "create",
            json!({"urn": key, "properties": {"aapName": "aap", "password": PASSWORD}, "timeout": "soon"}),
            -32602,
            vec!["timeout", "a number of seconds"],
        ),
        (
            "a client key on an access point that does not exist",
            "create",
            json!({"urn": key, "properties": {"aapName": "missing", "password": PASSWORD}}),
            -32052,
            vec![
                "Forbidden.ResourceNotFound",
                "create the application access point missing first, or fix aapName",
                "RequestId ",
            ],
        ),
        (
            // Refused by the check create runs again: nothing is sent to KMS, which would refuse it.
            "an access point name KMS cannot hold",
            "create",
            json!({"urn": aap, "properties": {"applicationAccessPointName": "two words", "policies": ["p"]}}),
            -32058,
            vec!["applicationAccessPointName has 1 character(s) KMS does not take in a name, such as a space"],
        ),
    ]
}

#[test]
fn each_bad_input_gets_an_error_that_says_what_to_fix_and_nothing_is_created() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    for (what, method, params, code, words) in table() {
        let error = harness.provider.error(method, params);
        assert_eq!(error["code"], code, "{what}: {error}");
        let message = error["message"].as_str().unwrap();
        for word in words {
            assert!(message.contains(word), "{what}: {message}");
        }
        assert!(!message.ends_with('.'), "{what}: {message}");
        assert!(!message.contains(PASSWORD), "{what}: {message}");
    }
    assert!(harness.emulator.client_keys().is_empty());
    assert_eq!(harness.emulator.access_points().len(), 1);
    assert_eq!(
        harness
            .emulator
            .call_count(Action::DeleteApplicationAccessPoint),
        0
    );
    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 0);
    // Still serving.
    let info = harness.provider.result("getPluginInfo", json!({}));
    assert_eq!(info["version"], "0.1.0");
    harness.finish(&[PASSWORD]);
}

#[test]
fn missing_credentials_name_every_place_looked() {
    let directory = tempfile::tempdir().unwrap();
    // HOME is the empty directory, so there is no profile file either.
    let mut provider = ProviderSession::start(directory.path(), &[]);
    provider.result(
        "configure",
        json!({"variables": {"alicloud-kms:config:region": "cn-hangzhou"}}),
    );
    let error = provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": {"aapName": "aap", "password": PASSWORD,
               "privateKeyDataFile": "key.json"}}),
    );
    assert_eq!(error["code"], -32051, "{error}");
    assert_eq!(error["data"]["kind"], "configuration");
    let message = error["message"].as_str().unwrap();
    for place in [
        "the provider config (accessKey, secretKey, assumeRoleWithOidc, ecsRoleName, credentialsUri, profile)",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALICLOUD_ACCESS_KEY",
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
        ".aliyun/config.json (not found)",
        ".alibabacloud/credentials (not found)",
        "ALIBABA_CLOUD_ECS_METADATA",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
    ] {
        assert!(message.contains(place), "{message}");
    }
    // The key file was not started either.
    assert!(std::fs::read_dir(directory.path())
        .unwrap()
        .next()
        .is_none());
    let status = provider.finish(&[PASSWORD]);
    assert!(status.success());
}
