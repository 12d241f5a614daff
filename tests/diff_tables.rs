//! `diff` tables, one file per resource under `tests/tables/`: no change, update only, replace,
//! unknown values, deleteBeforeReplace, normalised times, omitted validity and import-shaped
//! state. Each case goes through the method table, like an engine's call.

mod common;

use common::{expand_notation, read_table, InProcess};
use serde_json::json;

async fn run_diff_table(file: &str) {
    let table = read_table(file);
    let provider = InProcess::new();
    let mut mismatches = Vec::new();
    let cases = table["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let olds = match &case["olds"] {
            serde_json::Value::String(marker) if marker == "$state" => table["state"].clone(),
            olds => olds.clone(),
        };
        let mut params = json!({
            "type": table["type"],
            "id": table["id"],
            "olds": expand_notation(olds),
            "news": expand_notation(case["news"].clone()),
        });
        if let Some(ignore_changes) = case.get("ignoreChanges") {
            params["ignoreChanges"] = ignore_changes.clone();
        }
        let actual = provider.result("diff", params).await;
        let expected = &case["reply"];
        if &actual != expected {
            mismatches.push(format!(
                "case {name:?}\n  expected {expected}\n  actual   {actual}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{file}:\n{}", mismatches.join("\n"));
}

#[tokio::test]
async fn client_key_diff_table() {
    run_diff_table("diff_client_key.json").await;
}

#[tokio::test]
async fn application_access_point_diff_table() {
    run_diff_table("diff_application_access_point.json").await;
}

#[tokio::test]
async fn a_state_of_another_type_or_a_missing_id_is_invalid_params() {
    let provider = InProcess::new();
    let reply = provider
        .call(
            "diff",
            json!({"type": "alicloud-kms:index:ClientKey", "id": "aap",
                   "olds": {"applicationAccessPointName": "aap", "policies": ["p"]},
                   "news": {"aapName": "aap", "password": "YouPassword123!"}}),
        )
        .await;
    assert_eq!(reply["error"]["code"], json!(-32602), "{reply}");
    assert_eq!(
        reply["error"]["message"],
        json!("olds holds properties that a ClientKey does not have (applicationAccessPointName, policies); is this the state of another resource type?")
    );
    let reply = provider
        .call(
            "diff",
            json!({"type": "alicloud-kms:index:ClientKey", "olds": {}, "news": {}}),
        )
        .await;
    assert_eq!(reply["error"]["code"], json!(-32602), "{reply}");
    assert_eq!(reply["error"]["data"], json!({"kind": "invalid_params"}));
}
