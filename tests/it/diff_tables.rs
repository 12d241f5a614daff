//! `diff` tables, one file per registered resource under `tests/tables/` (found by name:
//! `diff_<snake_case_name>.json`): no change, update only, replace, unknown values,
//! deleteBeforeReplace, normalised times, omitted validity and import-shaped state. Each case
//! goes through the method table, like an engine's call.

use crate::common;

use common::{expand_notation, orphan_resource_tables, resource_tables, InProcess};
use serde_json::{json, Value};

/// Runs every case of a table and returns every mismatch.
async fn run_diff_table(file: &str, table: &Value) -> Vec<String> {
    let provider = InProcess::new();
    let mut mismatches = Vec::new();
    let cases = table["cases"].as_array().unwrap();
    if cases.is_empty() {
        return vec![format!("{file} has no cases")];
    }
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
                "{file}, case {name:?}\n  expected {expected}\n  actual   {actual}"
            ));
        }
    }
    mismatches
}

#[tokio::test]
async fn every_registered_resource_passes_its_diff_table() {
    let tables = resource_tables("diff").unwrap_or_else(|problems| panic!("{problems}"));
    let mut mismatches = Vec::new();
    for (_, file, table) in &tables {
        mismatches.extend(run_diff_table(file, table).await);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_diff_table_belongs_to_a_registered_resource() {
    assert_eq!(orphan_resource_tables("diff"), Vec::<String>::new());
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
