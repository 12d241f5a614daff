//! Every action's response shape and every service rule and error code, over HTTP.

use crate::common;

use common::{create_access_point, start, Client};
use serde_json::{json, Value};

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn assert_keys(value: &Value, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|key| key.to_string()).collect();
    expected.sort();
    assert_eq!(keys(value), expected, "fields of {value}");
}

fn create_key(client: &Client, aap: &str, extra: &[(&str, &str)]) -> Value {
    let mut params = vec![("AapName", aap), ("Password", "YouPassword123!")];
    params.extend_from_slice(extra);
    client.call("CreateClientKey", &params).assert_ok().clone()
}

#[test]
fn client_key_lifecycle_and_shapes() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_keys");
    let created = create_key(
        &client,
        "aap_keys",
        &[
            ("NotBefore", "2023-09-01T14:11:22Z"),
            ("NotAfter", "2028-09-01T14:11:22Z"),
        ],
    );
    assert_keys(
        &created,
        &[
            "ClientKeyId",
            "KeyAlgorithm",
            "NotAfter",
            "NotBefore",
            "PrivateKeyData",
            "RequestId",
        ],
    );
    let id = created["ClientKeyId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("KAAP.") && id.len() == 41, "{id}");
    assert_eq!(created["KeyAlgorithm"], "RSA_2048");
    assert_eq!(created["NotBefore"], "2023-09-01T14:11:22Z");
    assert_eq!(created["NotAfter"], "2028-09-01T14:11:22Z");
    assert!(created["PrivateKeyData"]
        .as_str()
        .unwrap()
        .starts_with("MII"));

    let got = client
        .get("GetClientKey", &[("ClientKeyId", &id)])
        .assert_ok()
        .clone();
    assert_keys(
        &got,
        &[
            "AapName",
            "ClientKeyId",
            "CreateTime",
            "KeyAlgorithm",
            "KeyOrigin",
            "NotAfter",
            "NotBefore",
            "PublicKeyData",
            "RequestId",
        ],
    );
    assert_eq!(got["AapName"], "aap_keys");
    assert_eq!(got["KeyOrigin"], "KMS_PROVIDED");
    let pem = got["PublicKeyData"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\n")
            && pem.trim_end().ends_with("-----END CERTIFICATE-----")
    );
    assert!(
        kms_emulator::validation::parse_api_time(got["CreateTime"].as_str().unwrap()).is_some()
    );

    let listed = client
        .get("ListClientKeys", &[("AapName", "aap_keys")])
        .assert_ok()
        .clone();
    assert_keys(&listed, &["ClientKeys", "RequestId"]);
    let items = listed["ClientKeys"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_keys(
        &items[0],
        &[
            "AapName",
            "ClientKeyId",
            "CreateTime",
            "KeyAlgorithm",
            "KeyOrigin",
            "NotAfter",
            "NotBefore",
            "PublicKeyData",
        ],
    );
    assert_eq!(items[0]["PublicKeyData"], got["PublicKeyData"]);

    assert_keys(
        client
            .call("DeleteClientKey", &[("ClientKeyId", &id)])
            .assert_ok(),
        &["RequestId"],
    );
    client
        .get("GetClientKey", &[("ClientKeyId", &id)])
        .assert_error(404, "Forbidden.ResourceNotFound");
    client
        .call("DeleteClientKey", &[("ClientKeyId", &id)])
        .assert_error(404, "Forbidden.ResourceNotFound");
}

#[test]
fn validity_defaults_to_creation_time_plus_five_years() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_default");
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let created = create_key(&client, "aap_default", &[]);
    let not_before =
        kms_emulator::validation::parse_api_time(created["NotBefore"].as_str().unwrap()).unwrap();
    let not_after =
        kms_emulator::validation::parse_api_time(created["NotAfter"].as_str().unwrap()).unwrap();
    assert!(not_before >= before && not_before <= chrono::Utc::now());
    assert_eq!(
        not_after,
        not_before
            .checked_add_months(chrono::Months::new(60))
            .unwrap()
    );
    let got = client
        .get(
            "GetClientKey",
            &[("ClientKeyId", created["ClientKeyId"].as_str().unwrap())],
        )
        .assert_ok()
        .clone();
    assert_eq!(got["CreateTime"], created["NotBefore"]);
}

#[test]
fn a_client_key_needs_its_access_point() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    client
        .call(
            "CreateClientKey",
            &[("AapName", "nope"), ("Password", "YouPassword123!")],
        )
        .assert_error(404, "Forbidden.ResourceNotFound");
    client
        .get("ListClientKeys", &[("AapName", "nope")])
        .assert_error(404, "Forbidden.ResourceNotFound");
}

#[test]
fn password_rules_are_enforced() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_pw");
    for bad in [
        "short1!",
        "onlyletters",
        "12345678",
        "has space 1",
        "plus+sign1",
        &"a1".repeat(33),
    ] {
        let reply = client.call(
            "CreateClientKey",
            &[("AapName", "aap_pw"), ("Password", bad)],
        );
        reply.assert_error(400, "InvalidParameter");
        assert!(
            reply.message().contains("\"Password\""),
            "{}",
            reply.message()
        );
    }
    client
        .call("CreateClientKey", &[("AapName", "aap_pw")])
        .assert_error(400, "MissingParameter");
    client
        .call(
            "CreateClientKey",
            &[("AapName", "aap_pw"), ("Password", "")],
        )
        .assert_error(400, "MissingParameter");
    for good in ["abcdefg1", "ABCDEFG!", "~!@#$%^&*?_-1"] {
        client
            .call(
                "CreateClientKey",
                &[("AapName", "aap_pw"), ("Password", good)],
            )
            .assert_ok();
    }
}

#[test]
fn validity_rules_are_enforced() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_time");
    let password = ("Password", "YouPassword123!");
    let aap = ("AapName", "aap_time");
    for extra in [
        vec![("NotBefore", "2023-09-01T14:11:22Z")],
        vec![("NotAfter", "2028-09-01T14:11:22Z")],
        vec![
            ("NotBefore", "2023-09-01 14:11:22"),
            ("NotAfter", "2028-09-01T14:11:22Z"),
        ],
        vec![
            ("NotBefore", "2023-09-01T14:11:22Z"),
            ("NotAfter", "2028-09-01T14:11:22+08:00"),
        ],
        vec![
            ("NotBefore", "2028-09-01T14:11:22Z"),
            ("NotAfter", "2023-09-01T14:11:22Z"),
        ],
        vec![
            ("NotBefore", "2023-09-01T14:11:22Z"),
            ("NotAfter", "2023-09-01T14:11:22Z"),
        ],
    ] {
        let mut params = vec![aap, password];
        params.extend(extra.iter().copied());
        client
            .call("CreateClientKey", &params)
            .assert_error(400, "InvalidParameter");
    }
    // A validity that started in the past is fine.
    client
        .call(
            "CreateClientKey",
            &[
                aap,
                password,
                ("NotBefore", "2020-01-01T00:00:00Z"),
                ("NotAfter", "2021-01-01T00:00:00Z"),
            ],
        )
        .assert_ok();
}

#[test]
fn access_point_lifecycle_and_shapes() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let created = client
        .call(
            "CreateApplicationAccessPoint",
            &[
                ("Name", "aap_test"),
                ("Policies", "[\"abc\", \"efg\"]"),
                ("AuthenticationMethod", "ClientKey"),
                ("Description", "aap description"),
            ],
        )
        .assert_ok()
        .clone();
    assert_keys(
        &created,
        &[
            "Arn",
            "AuthenticationMethod",
            "Description",
            "Name",
            "Policies",
            "RequestId",
        ],
    );
    assert_eq!(
        created["Arn"],
        "acs:kms:cn-hangzhou:1234567890123456:applicationaccesspoint/aap_test"
    );
    assert_eq!(
        created["Policies"], "[\"abc\",\"efg\"]",
        "a compact JSON string"
    );
    let described = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_test")])
        .assert_ok()
        .clone();
    assert_keys(
        &described,
        &[
            "Arn",
            "AuthenticationMethod",
            "Description",
            "Name",
            "Policies",
            "RequestId",
        ],
    );
    assert_eq!(described["AuthenticationMethod"], "ClientKey");

    assert_keys(
        client
            .call(
                "UpdateApplicationAccessPoint",
                &[("Name", "aap_test"), ("Description", "new")],
            )
            .assert_ok(),
        &["RequestId"],
    );
    let described = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_test")])
        .assert_ok()
        .clone();
    assert_eq!(
        (
            described["Description"].as_str(),
            described["Policies"].as_str()
        ),
        (Some("new"), Some("[\"abc\",\"efg\"]"))
    );
    client
        .call(
            "UpdateApplicationAccessPoint",
            &[("Name", "aap_test"), ("Policies", "[\"x\"]")],
        )
        .assert_ok();
    let described = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_test")])
        .assert_ok()
        .clone();
    assert_eq!(
        (
            described["Description"].as_str(),
            described["Policies"].as_str()
        ),
        (Some("new"), Some("[\"x\"]"))
    );

    assert_keys(
        client
            .call("DeleteApplicationAccessPoint", &[("Name", "aap_test")])
            .assert_ok(),
        &["RequestId"],
    );
    for action in [
        "DescribeApplicationAccessPoint",
        "DeleteApplicationAccessPoint",
    ] {
        client
            .call(action, &[("Name", "aap_test")])
            .assert_error(404, "Forbidden.ResourceNotFound");
    }
    client
        .call(
            "UpdateApplicationAccessPoint",
            &[("Name", "aap_test"), ("Description", "x")],
        )
        .assert_error(404, "Forbidden.ResourceNotFound");
}

#[test]
fn access_point_rules_are_enforced() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_rules");
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "aap_rules"), ("Policies", "[\"p\"]")],
        )
        .assert_error(409, "Rejected.ResourceExist");
    for policies in [
        "[\"a\",\"b\",\"c\",\"d\"]",
        "a,b",
        "[]",
        "[\"a\",\"a\"]",
        "[1]",
    ] {
        client
            .call(
                "CreateApplicationAccessPoint",
                &[("Name", "other"), ("Policies", policies)],
            )
            .assert_error(400, "InvalidParameter");
        client
            .call(
                "UpdateApplicationAccessPoint",
                &[("Name", "aap_rules"), ("Policies", policies)],
            )
            .assert_error(400, "InvalidParameter");
    }
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "three"), ("Policies", "[\"a\",\"b\",\"c\"]")],
        )
        .assert_ok();
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "bad name!"), ("Policies", "[\"a\"]")],
        )
        .assert_error(400, "InvalidParameter");
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", &"n".repeat(129)), ("Policies", "[\"a\"]")],
        )
        .assert_error(400, "InvalidParameter");
    client
        .call(
            "CreateApplicationAccessPoint",
            &[
                ("Name", "other"),
                ("Policies", "[\"a\"]"),
                ("AuthenticationMethod", "Password"),
            ],
        )
        .assert_error(400, "InvalidParameter");
    client
        .call("CreateApplicationAccessPoint", &[("Name", "other")])
        .assert_error(400, "MissingParameter");
    client
        .call("CreateApplicationAccessPoint", &[("Policies", "[\"a\"]")])
        .assert_error(400, "MissingParameter");
}

#[test]
fn deleting_an_access_point_deletes_its_client_keys() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_busy");
    create_access_point(&client, "aap_other");
    let key = create_key(&client, "aap_busy", &[]);
    let other = create_key(&client, "aap_other", &[]);
    client
        .call("DeleteApplicationAccessPoint", &[("Name", "aap_busy")])
        .assert_ok();
    client
        .get(
            "GetClientKey",
            &[("ClientKeyId", key["ClientKeyId"].as_str().unwrap())],
        )
        .assert_error(404, "Forbidden.ResourceNotFound");
    client
        .get(
            "GetClientKey",
            &[("ClientKeyId", other["ClientKeyId"].as_str().unwrap())],
        )
        .assert_ok();
}

#[test]
fn a_policy_still_bound_and_a_rule_still_named_are_deleted_as_documented() {
    // The DeletePolicy and DeleteNetworkRule pages ask callers to unbind first, "otherwise,
    // related applications cannot access KMS": the delete goes through, and what referred to it
    // keeps the dangling name. (The provider checks before it deletes; the service does not.)
    let emulator = start();
    let client = Client::demo(emulator.addr());
    client
        .call(
            "CreateNetworkRule",
            &[
                ("Name", "rule_busy"),
                ("Type", "Private"),
                ("SourcePrivateIp", "[\"10.0.0.1\"]"),
            ],
        )
        .assert_ok();
    client
        .call(
            "CreatePolicy",
            &[
                ("Name", "policy_a"),
                (
                    "Permissions",
                    "[\"RbacPermission/Template/CryptoServiceKeyUser\"]",
                ),
                ("Resources", "[\"key/*\"]"),
                ("AccessControlRules", "{\"NetworkRules\":[\"rule_busy\"]}"),
            ],
        )
        .assert_ok();
    client
        .call(
            "CreateApplicationAccessPoint",
            &[
                ("Name", "aap_busy"),
                ("AuthenticationMethod", "ClientKey"),
                ("Policies", "[\"policy_a\"]"),
            ],
        )
        .assert_ok();

    client
        .call("DeleteNetworkRule", &[("Name", "rule_busy")])
        .assert_ok();
    client
        .call("DeletePolicy", &[("Name", "policy_a")])
        .assert_ok();
    let point = client
        .call("DescribeApplicationAccessPoint", &[("Name", "aap_busy")])
        .assert_ok()
        .clone();
    assert_eq!(point["Policies"], "[\"policy_a\"]", "{point}");
    assert!(emulator.policies().is_empty() && emulator.network_rules().is_empty());
}

#[test]
fn permissions_may_be_empty_or_list_one_twice_as_terraform_tests_show() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let secret_user = "RbacPermission/Template/CryptoServiceSecretUser";
    let twice = format!("[\"{secret_user}\",\"{secret_user}\"]");
    client
        .call(
            "CreatePolicy",
            &[
                ("Name", "policy_twice"),
                ("Permissions", &twice),
                ("Resources", "[\"key/a*\",\"key/b*\",\"key/c*\"]"),
            ],
        )
        .assert_ok();
    let described = client
        .call("DescribePolicy", &[("Name", "policy_twice")])
        .assert_ok()
        .clone();
    assert_eq!(described["Permissions"], json!([secret_user, secret_user]));
    client
        .call(
            "UpdatePolicy",
            &[("Name", "policy_twice"), ("Permissions", "[]")],
        )
        .assert_ok();
    let described = client
        .call("DescribePolicy", &[("Name", "policy_twice")])
        .assert_ok()
        .clone();
    assert_eq!(described["Permissions"], json!([]));
}

#[test]
fn lists_page_in_creation_order() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    for index in 0..5 {
        create_access_point(&client, &format!("aap_{index}"));
    }
    let page = client
        .call(
            "ListApplicationAccessPoints",
            &[("PageNumber", "2"), ("PageSize", "2")],
        )
        .assert_ok()
        .clone();
    assert_keys(
        &page,
        &[
            "ApplicationAccessPoints",
            "PageNumber",
            "PageSize",
            "RequestId",
            "TotalCount",
        ],
    );
    assert_eq!(
        (
            page["PageNumber"].as_u64(),
            page["PageSize"].as_u64(),
            page["TotalCount"].as_u64()
        ),
        (Some(2), Some(2), Some(5))
    );
    let items = page["ApplicationAccessPoints"]["ApplicationAccessPoint"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|item| item["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aap_2", "aap_3"]);
    assert_keys(&items[0], &["AuthenticationMethod", "Name"]);
    let defaults = client
        .call("ListApplicationAccessPoints", &[])
        .assert_ok()
        .clone();
    assert_eq!(
        (
            defaults["PageNumber"].as_u64(),
            defaults["PageSize"].as_u64()
        ),
        (Some(1), Some(20))
    );
    let beyond = client
        .call("ListApplicationAccessPoints", &[("PageNumber", "9")])
        .assert_ok()
        .clone();
    assert_eq!(
        beyond["ApplicationAccessPoints"]["ApplicationAccessPoint"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    for (name, value) in [
        ("PageSize", "0"),
        ("PageSize", "101"),
        ("PageNumber", "0"),
        ("PageNumber", "x"),
        ("PageSize", "-1"),
    ] {
        for action in [
            "ListApplicationAccessPoints",
            "ListPolicies",
            "ListNetworkRules",
        ] {
            client
                .call(action, &[(name, value)])
                .assert_error(400, "InvalidParameter");
        }
    }
}

#[test]
fn client_keys_list_by_access_point_or_all() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "aap_one");
    create_access_point(&client, "aap_two");
    let first = create_key(&client, "aap_one", &[]);
    create_key(&client, "aap_two", &[]);
    let one = client
        .get("ListClientKeys", &[("AapName", "aap_one")])
        .assert_ok()
        .clone();
    let ids: Vec<&Value> = one["ClientKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| &key["ClientKeyId"])
        .collect();
    assert_eq!(ids, [&first["ClientKeyId"]]);
    assert_eq!(
        client.get("ListClientKeys", &[]).assert_ok()["ClientKeys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn policy_lifecycle_and_shapes() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let permissions = "[\"RbacPermission/Template/CryptoServiceKeyUser\",\"RbacPermission/Template/CryptoServiceSecretUser\"]";
    let resources = "[\"key/key-hzz63d9c8d3dfv8cv0000\",\"secret/*\"]";
    let rules = "{\"NetworkRules\":[\"rule_a\"]}";
    let created = client
        .call(
            "CreatePolicy",
            &[
                ("Name", "policy_test"),
                ("Permissions", permissions),
                ("Resources", resources),
                ("KmsInstance", "kst-hzz634e67d126u9p90000"),
                ("AccessControlRules", rules),
                ("Description", "d"),
            ],
        )
        .assert_ok()
        .clone();
    assert_keys(
        &created,
        &[
            "AccessControlRules",
            "Arn",
            "Description",
            "KmsInstance",
            "Name",
            "Permissions",
            "RequestId",
            "Resources",
        ],
    );
    assert!(
        created["Permissions"].is_string() && created["Resources"].is_string(),
        "CreatePolicy returns strings"
    );
    assert_eq!(
        created["Arn"],
        "acs:kms:cn-hangzhou:1234567890123456:policy/policy_test"
    );
    assert_eq!(created["AccessControlRules"], rules);
    let described = client
        .call("DescribePolicy", &[("Name", "policy_test")])
        .assert_ok()
        .clone();
    assert_keys(
        &described,
        &[
            "AccessControlRules",
            "Arn",
            "Description",
            "KmsInstance",
            "Name",
            "Permissions",
            "RequestId",
            "Resources",
        ],
    );
    assert_eq!(
        described["Permissions"],
        serde_json::from_str::<Value>(permissions).unwrap(),
        "DescribePolicy returns arrays"
    );
    assert_eq!(
        described["Resources"],
        serde_json::from_str::<Value>(resources).unwrap()
    );

    client
        .call(
            "UpdatePolicy",
            &[
                ("Name", "policy_test"),
                ("Resources", "[\"key/*\"]"),
                ("Description", "e"),
            ],
        )
        .assert_ok();
    let described = client
        .call("DescribePolicy", &[("Name", "policy_test")])
        .assert_ok()
        .clone();
    assert_eq!(described["Resources"], serde_json::json!(["key/*"]));
    assert_eq!(described["Description"], "e");
    client
        .call(
            "UpdatePolicy",
            &[("Name", "policy_test"), ("KmsInstance", "other")],
        )
        .assert_error(400, "InvalidParameter");

    let listed = client.call("ListPolicies", &[]).assert_ok().clone();
    assert_keys(
        &listed,
        &[
            "PageNumber",
            "PageSize",
            "Policies",
            "RequestId",
            "TotalCount",
        ],
    );
    assert_eq!(
        listed["Policies"]["Policy"],
        serde_json::json!([{ "Name": "policy_test" }])
    );

    client
        .call("DeletePolicy", &[("Name", "policy_test")])
        .assert_ok();
    for action in ["DescribePolicy", "DeletePolicy", "UpdatePolicy"] {
        client
            .call(action, &[("Name", "policy_test")])
            .assert_error(404, "Forbidden.ResourceNotFound");
    }
}

#[test]
fn policy_rules_are_enforced() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let good = [
        ("Name", "p"),
        (
            "Permissions",
            "[\"RbacPermission/Template/CryptoServiceKeyUser\"]",
        ),
        ("Resources", "[\"key/*\"]"),
    ];
    client.call("CreatePolicy", &good).assert_ok();
    client
        .call("CreatePolicy", &good)
        .assert_error(409, "Rejected.ResourceExist");
    for (name, value) in [
        ("Permissions", "[\"Admin\"]"),
        (
            "Permissions",
            "RbacPermission/Template/CryptoServiceKeyUser",
        ),
        ("Resources", "[\"bucket/x\"]"),
        ("Resources", "[\"key/\"]"),
        ("AccessControlRules", "[\"rule\"]"),
        ("AccessControlRules", "{\"Other\":[]}"),
    ] {
        let mut params = vec![("Name", "q"), good[1], good[2]];
        params.retain(|(key, _)| *key != name);
        params.push((name, value));
        client
            .call("CreatePolicy", &params)
            .assert_error(400, "InvalidParameter");
    }
    client
        .call("CreatePolicy", &[("Name", "q"), good[1]])
        .assert_error(400, "MissingParameter");
}

#[test]
fn network_rule_lifecycle_and_shapes() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let created = client
        .call(
            "CreateNetworkRule",
            &[
                ("Name", "rule_a"),
                ("Type", "Private"),
                ("SourcePrivateIp", "[\"192.10.0.1\",\"192.168.0.0/24\"]"),
                ("Description", "d"),
            ],
        )
        .assert_ok()
        .clone();
    assert_keys(
        &created,
        &[
            "Arn",
            "Description",
            "Name",
            "RequestId",
            "SourcePrivateIp",
            "Type",
        ],
    );
    assert_eq!(
        created["Arn"],
        "acs:kms:cn-hangzhou:1234567890123456:network/rule_a"
    );
    assert_eq!(
        created["SourcePrivateIp"],
        "[\"192.10.0.1\",\"192.168.0.0/24\"]"
    );
    let described = client
        .call("DescribeNetworkRule", &[("Name", "rule_a")])
        .assert_ok()
        .clone();
    assert_keys(
        &described,
        &["Arn", "Description", "RequestId", "SourcePrivateIp", "Type"],
    );
    client
        .call(
            "UpdateNetworkRule",
            &[("Name", "rule_a"), ("SourcePrivateIp", "10.0.0.1,10.0.0.2")],
        )
        .assert_ok();
    let described = client
        .call("DescribeNetworkRule", &[("Name", "rule_a")])
        .assert_ok()
        .clone();
    assert_eq!(described["SourcePrivateIp"], "[\"10.0.0.1\",\"10.0.0.2\"]");
    client
        .call(
            "UpdateNetworkRule",
            &[("Name", "rule_a"), ("Type", "Public")],
        )
        .assert_error(400, "InvalidParameter");
    let listed = client.call("ListNetworkRules", &[]).assert_ok().clone();
    assert_keys(
        &listed,
        &[
            "NetworkRules",
            "PageNumber",
            "PageSize",
            "RequestId",
            "TotalCount",
        ],
    );
    assert_eq!(
        listed["NetworkRules"]["NetworkRule"],
        serde_json::json!([{ "Name": "rule_a", "Type": "Private" }])
    );
    client
        .call("DeleteNetworkRule", &[("Name", "rule_a")])
        .assert_ok();
    for action in [
        "DescribeNetworkRule",
        "DeleteNetworkRule",
        "UpdateNetworkRule",
    ] {
        client
            .call(action, &[("Name", "rule_a")])
            .assert_error(404, "Forbidden.ResourceNotFound");
    }
}

#[test]
fn network_rule_rules_are_enforced() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    let good = [
        ("Name", "r"),
        ("Type", "Private"),
        ("SourcePrivateIp", "[\"10.0.0.1\"]"),
    ];
    client.call("CreateNetworkRule", &good).assert_ok();
    client
        .call("CreateNetworkRule", &good)
        .assert_error(409, "Rejected.ResourceExist");
    client
        .call(
            "CreateNetworkRule",
            &[("Name", "s"), ("Type", "Public"), good[2]],
        )
        .assert_error(400, "InvalidParameter");
    for ips in ["[\"10.0.0.300\"]", "[\"10.0.0.0/40\"]", "[]", "not-an-ip"] {
        client
            .call(
                "CreateNetworkRule",
                &[("Name", "s"), good[1], ("SourcePrivateIp", ips)],
            )
            .assert_error(400, "InvalidParameter");
    }
    client
        .call("CreateNetworkRule", &[("Name", "s"), good[1]])
        .assert_error(400, "MissingParameter");
}

#[test]
fn names_are_unique_per_kind_only() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    create_access_point(&client, "shared_name");
    client
        .call(
            "CreatePolicy",
            &[
                ("Name", "shared_name"),
                (
                    "Permissions",
                    "[\"RbacPermission/Template/CryptoServiceKeyUser\"]",
                ),
                ("Resources", "[\"key/*\"]"),
            ],
        )
        .assert_ok();
    client
        .call(
            "CreateNetworkRule",
            &[
                ("Name", "shared_name"),
                ("Type", "Private"),
                ("SourcePrivateIp", "[\"10.0.0.1\"]"),
            ],
        )
        .assert_ok();
}

#[test]
fn every_action_reports_its_missing_identity_parameter() {
    let emulator = start();
    let client = Client::demo(emulator.addr());
    for (action, parameter) in [
        ("GetClientKey", "ClientKeyId"),
        ("DeleteClientKey", "ClientKeyId"),
        ("CreateClientKey", "AapName"),
        ("DescribeApplicationAccessPoint", "Name"),
        ("UpdateApplicationAccessPoint", "Name"),
        ("DeleteApplicationAccessPoint", "Name"),
        ("DescribePolicy", "Name"),
        ("UpdatePolicy", "Name"),
        ("DeletePolicy", "Name"),
        ("DescribeNetworkRule", "Name"),
        ("UpdateNetworkRule", "Name"),
        ("DeleteNetworkRule", "Name"),
        ("CreateNetworkRule", "Name"),
        ("CreatePolicy", "Name"),
    ] {
        let reply = client.call(action, &[]);
        reply.assert_error(400, "MissingParameter");
        assert!(
            reply.message().contains(&format!("\"{parameter}\"")),
            "{action}: {}",
            reply.message()
        );
    }
}
