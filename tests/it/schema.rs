//! The published schema: `schema/schema.json` is the one the resources' declarations generate
//! (`UPDATE_SCHEMA=1 cargo test --test it schema::` rewrites it; the snapshot makes every change a
//! reviewed diff), `getSchema` through the real binary returns it byte for byte, and it validates
//! against the Pulumi package metaschema (a copy of which lives in
//! `tests/fixtures/pulumi-metaschema/`, with its origin and licence).

use crate::common;

use common::ProviderProcess;
use serde_json::{json, Value};

const SCHEMA_FILE: &str = include_str!("../../schema/schema.json");

#[test]
fn the_schema_file_is_the_one_the_declarations_generate() {
    let generated = alicloud_kms_provider::provider::schema::generate::schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/schema.json");
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let first_difference = SCHEMA_FILE
        .lines()
        .zip(generated.lines())
        .position(|(committed, generated)| committed != generated);
    assert!(
        SCHEMA_FILE == generated,
        "schema/schema.json is stale (first difference at line {}): run \
         `UPDATE_SCHEMA=1 cargo test --test it schema::`, then regenerate the SDKs \
         (`cargo run -p sdk-gen -- --schema schema/schema.json --out sdk`)",
        first_difference.map_or(
            SCHEMA_FILE.lines().count().min(generated.lines().count()),
            |line| line
        ) + 1
    );
}

#[test]
fn a_schema_change_is_a_reviewed_snapshot() {
    let generated = alicloud_kms_provider::provider::schema::generate::schema_text();
    insta::assert_snapshot!("schema.json", generated);
}

#[test]
fn get_schema_prints_one_line_whose_result_is_the_schema_byte_for_byte() {
    let mut provider = ProviderProcess::spawn(&[]);
    provider.send_line(r#"{"jsonrpc":"2.0","id":1,"method":"getSchema"}"#);
    let (status, lines, _stderr) = provider.finish();
    assert!(status.success(), "{status}");
    assert_eq!(lines.len(), 1, "exactly one line on stdout");
    let reply: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(reply["id"], json!(1));
    let schema = reply["result"]["schema"]
        .as_str()
        .expect("result.schema is a string");
    assert_eq!(
        schema, SCHEMA_FILE,
        "getSchema returns schema/schema.json unchanged"
    );
}

fn metaschema_validator() -> jsonschema::Validator {
    let path = common::fixture_path("fixtures/pulumi-metaschema/pulumi.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let metaschema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&metaschema).expect("the metaschema loads unchanged")
}

#[test]
fn the_schema_validates_against_the_pulumi_metaschema() {
    let validator = metaschema_validator();
    let schema: Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&schema)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema/schema.json breaks the metaschema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_metaschema_check_rejects_a_broken_schema() {
    // Without this, a validator that accepts everything would pass the test above.
    let validator = metaschema_validator();
    let mut broken: Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    broken["version"] = json!("1.0");
    assert!(!validator.is_valid(&broken));
    let mut broken: Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    broken["resources"]["bad token"] = json!({});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn provider_inputs_and_config_variables_describe_the_same_settings() {
    let schema: Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    let variables = schema["config"]["variables"].as_object().unwrap();
    let inputs = schema["provider"]["inputProperties"].as_object().unwrap();
    let names = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(variables), names(inputs));
    for (name, variable) in variables {
        assert_eq!(variable.get("secret"), inputs[name].get("secret"), "{name}");
    }
}
