//! `check` tables, one file per registered resource under `tests/tables/` (found by name:
//! `check_<snake_case_name>.json`): valid inputs, each rule violated, several at once, unknown
//! values, secrets and auto-naming (a case may send `olds`, `name` and `randomSeed` too), and
//! the warnings check sends as `log` notifications (a case's `warnings`, none when absent). Each case goes through the method table (params decoding, the engine, the
//! resource's rules, the encoding of the reply).

use crate::common;

use alicloud_kms_provider::resources::Declaration;
use common::{
    expand_notation, orphan_resource_tables, read_table, resource_table_name, resource_tables,
    tables_of, InProcess,
};
use serde_json::{json, Value};

/// Runs every case of a table and returns every mismatch.
async fn run_check_table(file: &str, table: &Value) -> Vec<String> {
    let resource_type = table["type"].as_str().unwrap();
    let provider = InProcess::new();
    let mut mismatches = Vec::new();
    let cases = table["cases"].as_array().unwrap();
    if cases.is_empty() {
        return vec![format!("{file} has no cases")];
    }
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut params = json!({"news": expand_notation(case["news"].clone())});
        match case.get("urn") {
            Some(urn) => params["urn"] = urn.clone(),
            None => params["type"] = json!(resource_type),
        }
        // What an engine sends besides the inputs: the last checked inputs, the resource name
        // (Pulumi's `name`, without a URN; `resourceName` in the table, whose `name` is the
        // case's) and the random seed of auto-naming.
        for (field, param) in [
            ("olds", "olds"),
            ("resourceName", "name"),
            ("randomSeed", "randomSeed"),
        ] {
            if let Some(value) = case.get(field) {
                params[param] = expand_notation(value.clone());
            }
        }
        let mut actual = provider.result("check", params).await;
        // The warnings (`log` notifications) are part of the answer; none unless the case says.
        actual["warnings"] = json!(provider.take_warnings());
        let expected = json!({
            "inputs": expand_notation(case["inputs"].clone()),
            "failures": case["failures"].clone(),
            "warnings": case.get("warnings").cloned().unwrap_or_else(|| json!([])),
        });
        if actual != expected {
            mismatches.push(format!(
                "{file}, case {name:?}\n  expected {expected}\n  actual   {actual}"
            ));
        }
    }
    mismatches
}

#[tokio::test]
async fn every_registered_resource_passes_its_check_table() {
    let tables = resource_tables("check").unwrap_or_else(|problems| panic!("{problems}"));
    let mut mismatches = Vec::new();
    for (_, file, table) in &tables {
        mismatches.extend(run_check_table(file, table).await);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_check_table_belongs_to_a_registered_resource() {
    assert_eq!(orphan_resource_tables("check"), Vec::<String>::new());
}

#[test]
fn a_resource_without_its_tables_fails_the_discovery() {
    assert_eq!(
        resource_table_name("check", "ApplicationAccessPoint"),
        "check_application_access_point.json"
    );
    let unlisted = Declaration {
        token: "alicloud-kms:index:NoSuchResource",
        name: "NoSuchResource",
        noun: "resource",
        description: "",
        properties: &[],
    };
    for kind in ["check", "diff"] {
        let problems = tables_of(kind, [&unlisted].into_iter()).unwrap_err();
        assert_eq!(
            problems,
            format!(
                "alicloud-kms:index:NoSuchResource is registered but has no {kind} table: write \
                 tests/tables/{kind}_no_such_resource.json"
            )
        );
    }
    // A table under the right name whose type is another resource's is refused too.
    let impostor = Declaration {
        name: "ClientKey",
        ..unlisted
    };
    let problems = tables_of("check", [&impostor].into_iter()).unwrap_err();
    assert!(
        problems.contains("must be alicloud-kms:index:NoSuchResource"),
        "{problems}"
    );
}

#[tokio::test]
async fn check_config_table() {
    let table = read_table("check_config.json");
    let provider = InProcess::new();
    let mut mismatches = Vec::new();
    for case in table["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let actual = provider
            .result(
                "checkConfig",
                json!({"news": expand_notation(case["news"].clone())}),
            )
            .await;
        let expected = json!({
            "inputs": expand_notation(case["inputs"].clone()),
            "failures": case["failures"].clone(),
        });
        if actual != expected {
            mismatches.push(format!(
                "case {name:?}\n  expected {expected}\n  actual   {actual}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "check_config.json:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn check_and_diff_work_before_configure_and_failures_are_never_errors() {
    let provider = InProcess::new();
    let reply = provider
        .call(
            "check",
            json!({"type": "alicloud-kms:index:ClientKey", "news": {"password": 5}}),
        )
        .await;
    assert!(reply.get("error").is_none(), "{reply}");
    let failures: &Vec<Value> = reply["result"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{reply}");
}

/// Issue 11, defect 10: `configure` used to accept any endpoint and the first operation's error
/// echoed it whole, so `http://AK:SK@host` printed the secret key. Now `configure` refuses it,
/// and nothing of the user information, query or fragment comes back.
#[tokio::test]
async fn configure_refuses_bad_endpoints_without_repeating_secrets() {
    let provider = InProcess::new();
    let cases = [
        json!({"args": {"endpoint": "http://LTAI-user:very-secret-key@127.0.0.1:8080"}}),
        json!({"variables": {"alicloud-kms:config:endpoint": "file:///etc/passwd"}}),
        json!({"variables": {"alicloud-kms:config:endpoint": "https://kms.example.com/x?token=very-secret-key#very-secret-key"}}),
        json!({"args": {"stsEndpoint": "ftp://very-secret-key@sts.example.com"}}),
        json!({"args": {"credentialsUri": "gopher://u:very-secret-key@host/"}}),
        json!({"args": {"region": "cn-hangzhou.very-secret-key.com/"}}),
    ];
    for params in cases {
        let reply = provider.call("configure", params.clone()).await;
        let error = &reply["error"];
        assert_eq!(error["code"], -32051, "{params}: {reply}");
        assert!(
            !error["data"]["failures"].as_array().unwrap().is_empty(),
            "{params}: {reply}"
        );
        assert!(
            !reply.to_string().contains("very-secret-key"),
            "{params}: the reply repeats a secret: {reply}"
        );
    }
}
